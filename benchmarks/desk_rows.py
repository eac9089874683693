"""The continuous suite's desk row: factor + beta + participation + leverage constraints.

At each size of the suite: ``Budget()``, ``SectorCap(sectors, 0.15)``, ``FactorExposure`` (3
random factors, |exposure| <= 5% of the notional), ``Beta`` to an equal-weight index of the
universe (hedge minus basket within +-2%), ``MaxParticipation`` (10% of a synthetic ADV, which
binds on some names) and ``Leverage(gross=1.2)`` on a long-short hedge; the first solve of a fresh
problem is timed side by side with floor A of :mod:`benchmarks.continuous` (same data, same
run, same lam), so the ratio is the issue's number. The ``backend / floor A`` column splits it:
the median of the backend's own seconds (``res.info["solver_seconds"]``: the QPs, without
construction, Gram, verification) over the same floor.

Each size is measured at the suite's lam and at hedgeopt's default lam (0: the P&L term
alone), where the Gram of the differences has rank ``T - 2``: with ``N`` above it the native
solver takes the low-rank path (sign rounds from ``sign(q)``, each a ridge continuation), a
different code path from the suite's lam at the same size.
"""

from __future__ import annotations

import functools
import statistics
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import Timing, fmt_ratio, markdown_table, measure_side_by_side

__all__ = ["desk_constraints", "desk_rows"]

#: The issue's target for the desk row, as for the other first-solve rows.
TARGET = 1.5
GROSS = 1.2


def desk_constraints(prices: pd.DataFrame, basket: pd.Series, sectors: pd.Series,
                     seed: int = 1) -> list[Any]:
    """The desk row's constraint set on ``prices`` (deterministic for a seed)."""
    import hedgeopt as ho

    n = prices.shape[1]
    rng = np.random.default_rng(seed)
    loadings = pd.DataFrame(rng.normal(0.0, 1.0, (n, 3)), index=prices.columns,
                            columns=["f1", "f2", "f3"])
    index = prices.mean(axis=1)
    # ADV: 10% of it is 0.5x .. 2x twenty equal-dollar slices of the notional per name
    adv = pd.Series(rng.uniform(0.5, 2.0, n) * 20 * basket.iloc[-1] / n
                    / prices.iloc[-1].to_numpy() * 10, index=prices.columns)
    return [ho.Budget(), ho.SectorCap(sectors, max_weight=0.15),
            ho.FactorExposure(loadings, -0.05, 0.05), ho.Beta(index, -0.02, 0.02),
            ho.MaxParticipation(adv, 0.1), ho.Leverage(gross=GROSS)]


def _first_solve(prices: pd.DataFrame, basket: pd.Series, cons: list[Any], lam: float,
                 solver: str | None = None, backend_log: list[float] | None = None
                 ) -> dict[str, Any]:
    """A fresh problem's first solve; its backend seconds are appended to ``backend_log``."""
    import hedgeopt as ho

    res = ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve(solver=solver)
    w = res.weights.to_numpy(dtype=float)
    info = res.info or {}
    if backend_log is not None and info.get("solver_seconds") is not None:
        backend_log.append(float(info["solver_seconds"]))
    return {"solver": res.solver, "objective": float(res.objective),
            "gross": float(np.abs(w).sum()), "violations": list(res.violations),
            "sign_rounds": info.get("sign_rounds")}


def desk_rows(sizes: tuple[tuple[int, int], ...], market: Any, floor: Any, lam: float,
              seed: int, repeat: int, cvxpy_sizes: tuple[int, ...] = (500,)
              ) -> tuple[str, list[dict[str, Any]]]:
    """Markdown table and JSON rows: floor A, the default first solve, OSQP (small sizes)."""
    from hedgeopt.defaults import DEFAULT_LAM

    rows, js = [], []
    for (n, t), at in ((size, at) for size in sizes
                       for at in dict.fromkeys((lam, DEFAULT_LAM))):
        prices, basket, sectors = market(n, t, seed)
        cons = desk_constraints(prices, basket, sectors)
        P, B = prices.to_numpy(dtype=float), basket.to_numpy(dtype=float)
        logs: dict[str, list[float]] = {"default": [], "OSQP": []}
        fns = {"floor A": functools.partial(floor, P, B, at),
               "default": functools.partial(_first_solve, prices, basket, cons, at,
                                            backend_log=logs["default"])}
        if n in cvxpy_sizes and at == lam:
            fns["OSQP"] = functools.partial(_first_solve, prices, basket, cons, at, "OSQP",
                                            logs["OSQP"])
        timed: dict[str, Timing] = measure_side_by_side(fns, repeat)
        fa = timed["floor A"]
        for name in [k for k in fns if k != "floor A"]:
            tm = timed[name]
            runs = logs[name][-len(tm.seconds):] if tm.ok else []  # the warm-up run left out
            backend = statistics.median(runs) / fa.median if runs and fa.ok else float("nan")
            v = tm.value if tm.ok else {}
            ratio = tm.ratio(fa)
            rel = (v["objective"] / timed["default"].value["objective"] - 1
                   if tm.ok and timed["default"].ok else float("nan"))
            met = bool(np.isfinite(ratio) and ratio <= TARGET) if name == "default" else None
            rows.append([f"N={n} T={t}", f"{at:g}", name, v.get("solver", "-"), tm.fmt(),
                         fa.fmt(), fmt_ratio(ratio),
                         "-" if met is None else ("yes" if met else "no"), fmt_ratio(backend),
                         f"{v.get('gross', float('nan')):.4f}", f"{rel:+.1e}",
                         str(v.get("sign_rounds", "-")), str(len(v.get("violations", [])))])
            js.append({"n": n, "t": t, "lam": at, "run": name, "seconds": tm.seconds,
                       "floor_A_seconds": fa.seconds, "ratio": ratio, "met": met,
                       "backend_seconds": runs, "backend_ratio": backend,
                       "error": tm.error, **v})
    head = ["size", "lam", "run", "solver", "median s", "floor A s", "ratio", f"<= {TARGET:g}x",
            "backend / floor A", "gross", "objective / default - 1", "QPs (sign rounds)",
            "violations"]
    return markdown_table(head, rows, "lrllrrrlrrrrr"), js
