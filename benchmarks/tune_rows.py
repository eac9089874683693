"""The continuous suite's re-solve-loop row: ``tune`` on OR-Library indtrack7 (issue 13, item 4).

OR-Library set 7 (Russell 2000, N = 1317 names) on its first 145 weekly rows (weeks 0-144, the
in-sample window of ``benchmarks/outofsample.py``), basket ``$10M x I_t / I_144``, ``Budget()``
and ``LongOnly()``: ``tune`` with its defaults (18 candidates x 8 walk-forward folds and the
refit; N >> T, so every solve is on the low-rank form) is timed side by side with the first solve
of the same problem (``HedgeProblem(prices, basket, constraints).solve()``, the default lam), in
the same rounds, so the ratio is one run's. The issue's target is absolute: ``tune`` in
<= 1.5 s (re-measure on a quiet machine; the ratio is what stays comparable on a loaded one).
Skipped, with a line saying so, when the OR-Library files are not found.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.common import Timing, fmt_ratio, markdown_table, measure_side_by_side

__all__ = ["tune_rows"]

#: The issue's target: ``tune`` on indtrack7 in at most this many seconds.
TARGET_SECONDS = 1.5
SET, IN_SAMPLE_END, NOTIONAL = 7, 144, 1e7


def _data() -> tuple[Any, Any] | None:
    """indtrack7's in-sample prices and basket, or None when the files are absent."""
    import hedgeopt as ho

    try:
        index, prices = ho.datasets.load_orlib(SET)
    except (ho.HedgeOptError, OSError):
        return None
    basket = NOTIONAL * index / index.iloc[IN_SAMPLE_END]
    return prices.iloc[:IN_SAMPLE_END + 1], basket.iloc[:IN_SAMPLE_END + 1]


def tune_rows(repeat: int) -> tuple[str, dict[str, Any] | None]:
    """Markdown table (or the skip line) and JSON of the row (None when skipped)."""
    import hedgeopt as ho
    from hedgeopt.workflow.tuning import tune

    data = _data()
    if data is None:
        return (f"indtrack{SET} not found (set $HEDGEOPT_ORLIB or ../shared/data/orlib): "
                "row skipped.", None)
    prices, basket = data
    cons = (ho.Budget(), ho.LongOnly())

    def first() -> dict[str, Any]:
        res = ho.HedgeProblem(prices, basket, constraints=cons).solve()
        return {"solver": res.solver, "names": int((res.shares != 0).sum())}

    def tuned() -> dict[str, Any]:
        tr = tune(prices, basket, cons, quiet=True)
        return {"best": tr.best, "solves": tr.n_solves, "names": int((tr.shares != 0).sum()),
                "solver": tr.result.solver}

    timed: dict[str, Timing] = measure_side_by_side({"first solve": first, "tune": tuned},
                                                    max(repeat, 3))
    fs, tn = timed["first solve"], timed["tune"]
    ratio = tn.ratio(fs)
    met = bool(np.isfinite(tn.median) and tn.median <= TARGET_SECONDS)
    v = tn.value if tn.ok else {}
    best = v.get("best", {})
    chosen = (f"lam {best['lam']:g}, ridge {best['ridge']:g}, {best['pnl']} P&L"
              if best else "-")
    n, t = prices.shape[1], prices.shape[0]
    rows = [[f"indtrack{SET} N={n} T={t}", str(len(tn.seconds)), fs.fmt(), tn.fmt(),
             fmt_ratio(ratio), str(v.get("solves", "-")), chosen,
             "yes" if met else "no"]]
    head = ["data", "rounds", "first solve s", "tune s", "tune / first solve (medians)",
            "solves", "chosen", f"tune <= {TARGET_SECONDS:g} s"]
    js = {"set": SET, "n": n, "t": t, "first_solve": fs.to_dict(), "tune": tn.to_dict(),
          "ratio": ratio, "target_s": TARGET_SECONDS, "met": met,
          "best": best, "solves": v.get("solves"), "error": tn.error or fs.error}
    return markdown_table(head, rows, "lrrrrrll"), js
