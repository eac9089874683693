"""Files a desk keeps: shares CSV, a JSON result, a Markdown report with tables and PNG plots.

Everything is written with :mod:`json` and :mod:`csv`-style pandas writers, numpy values
converted explicitly (no pickle). Plots need matplotlib (the ``plot`` extra); without it the
report says so instead of embedding them.

Examples
--------
>>> paths = write_outputs(res, "out", title="energy basket")        # doctest: +SKIP
>>> sorted(paths)                                                     # doctest: +SKIP
['hedge.png', 'report.md', 'result.json', 'shares.csv']
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgeopt._version import __version__
from hedgeopt.exposure import sector_exposure
from hedgeopt.jsonable import iso_date, to_jsonable
from hedgeopt.reporting.plots import PLOT_INSTALL
from hedgeopt.text import fmt_money

if TYPE_CHECKING:  # pragma: no cover
    from hedgeopt.book import BookResult
    from hedgeopt.result import HedgeResult

__all__ = [
    "markdown_table",
    "plots_available",
    "render_report",
    "result_to_dict",
    "safe_name",
    "sector_exposure",
    "to_jsonable",
    "write_book",
    "write_json",
    "write_outputs",
    "write_report",
    "write_shares",
]


# ------------------------------------------------------------------------------------------------
# JSON (converted by hedgeopt.jsonable.to_jsonable)
# ------------------------------------------------------------------------------------------------


def result_to_dict(res: HedgeResult, *, frontier: pd.DataFrame | None = None,
                   extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A :class:`~hedgeopt.HedgeResult` as plain JSON values.

    Keys: ``status, solver, method, objective, solver_objective, bound, gap, relaxation, lam,
    reference_date, notional, solve_time, iterations, n_obs, n_assets, window, metrics,
    shares`` (every ticker), ``positions`` (held names: shares, price, dollars, weight),
    ``violations, constraints`` (reprs), ``attempts, info``, plus ``frontier`` and ``extra``'s
    keys when given.
    """
    ctx = res.ctx
    held = res.to_frame(held_only=True)
    out: dict[str, Any] = {
        "hedgeopt_version": __version__,
        "status": res.status, "solver": res.solver, "method": res.method,
        "objective": res.objective, "solver_objective": res.solver_objective,
        "bound": res.bound, "gap": res.gap, "relaxation": res.relaxation,
        "lam": res.lam, "reference_date": res.reference_date, "notional": res.notional,
        "solve_time": res.solve_time, "iterations": res.iterations,
        "n_obs": ctx.n_obs, "n_assets": ctx.n_assets,
        "window": [ctx.dates[0], ctx.dates[-1]],
        "metrics": res.metrics,
        "shares": res.shares,
        "positions": {t: dict(r) for t, r in held.iterrows()},
        "violations": list(res.violations),
        "constraints": [repr(c) for c in res.constraints],
        "attempts": list(res.attempts),
        "info": dict(res.info),
    }
    if frontier is not None:
        out["frontier"] = frontier
    if extra:
        out.update(extra)
    data: dict[str, Any] = to_jsonable(out)
    return data


def write_json(data: Mapping[str, Any], path: str | Path) -> Path:
    """Write ``data`` (converted by :func:`to_jsonable`) as indented JSON."""
    p = Path(path)
    p.write_text(json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n",
                 encoding="utf-8")
    return p


def write_shares(res: HedgeResult, path: str | Path) -> Path:
    """Shares CSV: ``ticker, shares, price, dollars, weight`` for every ticker.

    Floats are written by their shortest round-trip text (Python's ``repr``: ``12.9515``, not
    ``12.951499999999999``), so a value reads back bit-identical and a price read from a file
    is written as it was read.
    """
    p = Path(path)
    res.to_frame().to_csv(p)
    return p


# ------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------


def _cell(v: Any, fmt: str | None = None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if fmt is not None:
        try:
            return fmt.format(v)
        except (ValueError, TypeError):
            pass
    return str(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[Sequence[Any]], headers: Sequence[str],
                   formats: Sequence[str | None] | None = None,
                   align: str | None = None) -> str:
    """A GitHub-flavoured Markdown table (no dependency on ``tabulate``).

    ``formats`` holds one ``str.format`` pattern (or None) per column; ``align`` one letter
    per column, ``l`` or ``r`` (default: left for the first column, right for the others).
    """
    n = len(headers)
    formats = list(formats) if formats is not None else [None] * n
    align = align or "l" + "r" * (n - 1)
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(sep) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_cell(v, f) for v, f in zip(r, formats, strict=True))
                     + " |")
    return "\n".join(lines)


def _money(x: float) -> str:
    """Dollars with cents and the display minus sign (hedgeopt.text): ``−$35,988.33``."""
    return fmt_money(x, 2)


def plots_available() -> bool:
    """Whether matplotlib is importable (the ``plot`` extra)."""
    return importlib.util.find_spec("matplotlib") is not None


_NO_PLOTS = f"Plots skipped: matplotlib is not installed (`{PLOT_INSTALL}`)."


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def render_report(res: HedgeResult, *, title: str | None = None,
                  description: Mapping[str, Any] | None = None,
                  sectors: pd.Series | Mapping[str, str] | None = None,
                  frontier: pd.DataFrame | None = None,
                  images: Mapping[str, str] | None = None, plot_note: str | None = None,
                  top: int = 20) -> str:
    """The Markdown text of a hedge report (see :func:`write_report`, which also draws)."""
    ctx = res.ctx
    m = res.metrics
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"# Hedge report{': ' + title if title else ''}", "",
           f"Generated by hedgeopt {__version__} on {stamp}.", "", "## Problem", ""]
    rows: list[tuple[str, str]] = []
    desc = dict(description or {})
    for k in ("config", "prices", "basket", "basket_units", "universe"):
        if desc.get(k):
            rows.append((k, f"`{desc.pop(k)}`"))
    rows += [
        ("estimation window", f"{_date(ctx.dates[0])} to {_date(ctx.dates[-1])} "
                              f"({ctx.n_obs} dates)"),
        ("hedge instruments", f"{ctx.n_assets}"),
        ("reference date", _date(res.reference_date)),
        ("notional (basket value there)", _money(res.notional)),
        ("lam", f"{res.lam:g}: minimise (1 − lam)·Var[Δd] + lam·Var[d]"),
        ("constraints", ", ".join(f"`{c!r}`" for c in res.constraints) or "none"),
        ("solver", f"{res.solver} ({res.status}, {res.solve_time:.3f} s"
                   + (f", method {res.method}" if res.method else "") + ")"),
    ]
    rows += [(str(k), f"`{v}`" if isinstance(v, str) else str(v)) for k, v in desc.items()]
    out += [markdown_table(rows, ["", ""], align="ll"), "", "## Metrics", ""]
    metric_rows = [
        ("objective ((1 − lam)·Var[Δd] + lam·Var[d])", f"{res.objective:,.6g} $²"),
        ("P&L gap std (std of Δd)", _money(m["pnl_te"])),
        ("value gap std (std of d)", _money(m["value_te"])),
        ("RMS gap", _money(m["rms_gap"])) if "rms_gap" in m else None,
        ("hedge effectiveness (1 − Var[Δd] / Var[ΔB])", f"{m['effectiveness']:.4%}"),
        ("P&L correlation", f"{m['pnl_corr']:.4f}"),
        ("final gap", _money(m["final_gap"])),
        ("max |gap|", _money(m["max_abs_gap"])),
        ("names held", f"{int(m['names'])}"),
        ("gross / net at reference", f"{_money(m['gross'])} / {_money(m.get('net', np.nan))}"),
    ]
    if res.bound is not None:
        metric_rows.append(("lower bound, relative gap",
                            f"{res.bound:,.6g} $², {(res.gap or 0.0):.3%}"))
    out += [markdown_table([r for r in metric_rows if r is not None], ["metric", "value"]), ""]

    held = res.to_frame(held_only=True)
    held = held.reindex(held["dollars"].abs().sort_values(ascending=False).index)
    shown = held.head(top)
    out += [f"## Top holdings ({len(shown)} of {len(held)} held)", ""]
    if len(shown):
        cols = list(held.columns)  # units, price, multiplier with contract multipliers
        fmts = {"shares": "{:,.4f}", "units": "{:,.4f}", "price": "{:,.2f}",
                "multiplier": "{:g}", "dollars": "{:,.2f}", "weight": "{:.2%}"}
        out.append(markdown_table(
            [(t, *(r[c] for c in cols)) for t, r in shown.iterrows()],
            ["ticker", *cols], [None, *(fmts.get(c, "{}") for c in cols)]))
    else:
        out.append("The hedge holds nothing.")
    out.append("")
    if res.soft:
        out += ["## Soft constraints", ""]
        out.append(markdown_table(
            [(name, f"${v['dollars']:,.2f}", "; ".join(v["violations"]) or "none")
             for name, v in res.soft.items()],
            ["constraint", "violation, dollars", "violations in its own units"]))
        out.append("")
    exposure = sector_exposure(res, sectors)
    if exposure is not None:
        out += ["## Sector exposure", "", markdown_table(
            [(s, int(r["names"]), r["net"], r["gross"], r["weight"], r["min"], r["max"])
             for s, r in exposure.iterrows()],
            ["sector", "names", "net dollars", "gross dollars", "weight", "min", "max"],
            [None, "{:d}", "{:,.2f}", "{:,.2f}", "{:.2%}", "{:.2%}", "{:.2%}"]), ""]
    out += ["## Constraint check", ""]
    if res.violations:
        out.append(f"{len(res.violations)} violation(s) beyond tolerance:")
        out += [f"- {v}" for v in res.violations]
    else:
        out.append(f"All {len(res.constraints)} constraints hold at the solution, re-checked in "
                   "shares and dollars.")
    out.append("")
    if frontier is not None and len(frontier):
        out += ["## lam frontier", "", markdown_table(
            [(r["lam"], r["pnl_te"], r["value_te"], r["objective"], int(r["names"]))
             for _, r in frontier.iterrows()],
            ["lam", "P&L gap std", "value gap std", "objective ($²)", "names"],
            ["{:g}", "${:,.2f}", "${:,.2f}", "{:,.6g}", "{:d}"]), ""]
    out += ["## Plots", ""]
    if images:
        for name, rel in images.items():
            out += [f"![{name}]({rel})", ""]
    else:
        out += [plot_note or _NO_PLOTS, ""]
    return "\n".join(out)


def _date(x: Any) -> str:
    return iso_date(x) if isinstance(x, pd.Timestamp) else str(x)


def _directory(path: str | Path) -> Path:
    """``path`` as a directory that exists (made with its parents when needed)."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_report(res: HedgeResult, out_dir: str | Path, *, title: str | None = None,
                 description: Mapping[str, Any] | None = None,
                 sectors: pd.Series | Mapping[str, str] | None = None,
                 frontier: pd.DataFrame | None = None, plots: bool = True,
                 top: int = 20) -> dict[str, Path]:
    """Write ``report.md`` and, when matplotlib is importable, ``hedge.png`` (+ ``frontier.png``).

    Returns
    -------
    dict
        File name -> path of everything written.
    """
    out = _directory(out_dir)
    written: dict[str, Path] = {}
    images: dict[str, str] = {}
    note = None
    if plots and plots_available():
        try:
            written["hedge.png"] = _save(res.plot(), out / "hedge.png")
            images["hedge vs basket"] = "hedge.png"
            if frontier is not None and len(frontier):
                from hedgeopt.reporting.plots import plot_frontier

                written["frontier.png"] = _save(plot_frontier(frontier).figure,
                                                out / "frontier.png")
                images["lam frontier"] = "frontier.png"
        except ImportError as exc:  # MissingDependency: matplotlib went missing
            note = f"Plots skipped: {exc}"
    elif plots:
        note = _NO_PLOTS
    else:
        note = "Plots not requested."
    text = render_report(res, title=title, description=description, sectors=sectors,
                         frontier=frontier, images=images, plot_note=note, top=top)
    written["report.md"] = out / "report.md"
    written["report.md"].write_text(text, encoding="utf-8")
    return written


def write_outputs(res: HedgeResult, out_dir: str | Path, *, title: str | None = None,
                  description: Mapping[str, Any] | None = None,
                  sectors: pd.Series | Mapping[str, str] | None = None,
                  frontier: pd.DataFrame | None = None, plots: bool = True,
                  report: bool = True, top: int = 20,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``shares.csv``, ``result.json`` and (``report``) ``report.md`` with its plots;
    returns the paths written, by file name (as :func:`write_report`)."""
    out = _directory(out_dir)
    written = {"shares.csv": write_shares(res, out / "shares.csv")}
    payload = dict(extra or {})
    if description:
        payload.setdefault("config", description)
    written["result.json"] = write_json(result_to_dict(res, frontier=frontier, extra=payload),
                                        out / "result.json")
    if report:
        written.update(write_report(res, out, title=title, description=description,
                                    sectors=sectors, frontier=frontier, plots=plots, top=top))
    return written


# ------------------------------------------------------------------------------------------------
# books
# ------------------------------------------------------------------------------------------------


def safe_name(key: Hashable) -> str:
    """A directory name for a basket key: letters, digits, ``.``, ``_``, ``-`` kept."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(key)).strip("._") or "basket"
    return name[:100]


def write_book(book: BookResult, out_dir: str | Path, *, plots: bool = False,
               report: bool = True, top: int = 20,
               descriptions: Mapping[Hashable, Mapping[str, Any]] | None = None,
               sectors: Mapping[Hashable, Any] | None = None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """One directory per basket, ``book_summary.csv`` and ``book.json``.

    Every basket directory holds ``result.json`` (for a failure: its status ``"failed"`` and
    the error); solved baskets also ``shares.csv`` and ``report.md`` (+ PNGs with ``plots``).

    Returns
    -------
    dict
        ``"book_summary.csv"``, ``"book.json"`` and each basket key's directory.
    """
    out = _directory(out_dir)
    dirs: dict[Hashable, str] = {}
    used: set[str] = set()
    for key in book.summary.index:
        name = safe_name(key)
        base, i = name, 2
        while name.lower() in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name.lower())
        dirs[key] = name
    written: dict[str, Path] = {}
    entries: dict[str, Any] = {}
    for key in book.summary.index:
        d = out / dirs[key]
        desc = (descriptions or {}).get(key)
        if key in book.failures:
            d.mkdir(parents=True, exist_ok=True)
            exc = book.failures[key]
            info = {"status": "failed", "error_type": type(exc).__name__, "error": str(exc)}
            write_json({"basket": key, **info}, d / "result.json")
            entries[str(key)] = {"dir": dirs[key], **info}
        else:
            res = book.results[key]
            write_outputs(res, d, title=str(key), description=desc,
                          sectors=(sectors or {}).get(key), plots=plots, report=report,
                          top=top, extra={"basket": key})
            row = book.summary.loc[key]
            entries[str(key)] = {"dir": dirs[key], "status": res.status, "solver": res.solver,
                                 "objective": res.objective, "bound": res.bound,
                                 "gap": res.gap, "violations": len(res.violations),
                                 "pnl_te": row["pnl_te"], "value_te": row["value_te"]}
            del res
        written[str(key)] = d
    summary = book.summary.copy()
    summary.insert(0, "dir", [dirs[k] for k in summary.index])
    written["book_summary.csv"] = out / "book_summary.csv"
    summary.to_csv(written["book_summary.csv"])
    payload = {
        "hedgeopt_version": __version__, "elapsed": book.elapsed, "info": book.info,
        "n_baskets": len(book.summary), "n_solved": len(book.results),
        "n_failed": len(book.failures), "baskets": entries, **(extra or {}),
    }
    written["book.json"] = write_json(payload, out / "book.json")
    return written
