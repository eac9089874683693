"""Tables of the results' reprs, as text and as HTML, with units in every cell.

One place decides how a column is written (:data:`COLUMN_FORMATS`: weights and fractions as
percentages, money as whole dollars with a minus sign, counts as integers, dates as dates); the
results' ``__repr__`` and ``_repr_html_`` (HedgeResult, TuneResult, BacktestResult, BookResult,
the frontier table) and the CLI's tables call :func:`format_frame`, :func:`text_block` and
:func:`html_block`, so a number reads the same in a terminal, a notebook and a report.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"weight": [0.1554, -0.032], "dollars": [1346495.2, -35988.3]},
...                   index=pd.Index(["AAA", "BBB"], name="ticker"))
>>> print(format_frame(df).to_string())
         weight     dollars
ticker
AAA      15.54%  $1,346,495
BBB      −3.20%    −$35,988
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.text import (
    fmt_count,
    fmt_date,
    fmt_dollars2,
    fmt_float,
    fmt_money,
    fmt_percent,
    fmt_seconds,
    fmt_shares,
)

__all__ = ["COLUMN_FORMATS", "column_format", "format_frame", "fmt_squared_dollars",
           "html_block", "text_block"]

Formatter = Callable[[Any], str]


def fmt_squared_dollars(x: Any) -> str:
    """An objective or a variance in dollars^2, 6 significant digits: ``2.28694e+09 $²``."""
    body = fmt_float(x, 6)
    return f"{body} $²" if body else ""


_MONEY = ("pnl_te", "value_te", "rms_gap", "final_gap", "max_abs_gap", "gross", "net", "notional",
          "dollars", "turnover", "costs", "cum_gap", "pnl_std", "mean_abs_final_gap",
          "pnl_te_geo", "value_te_geo", "net_dollars", "gross_dollars", "max_dollars")
_PERCENT = ("weight", "effectiveness", "gap", "min", "max", "pnl_corr_pct")
_COUNT = ("names", "fails", "rank", "periods", "rows", "violations", "iterations", "n_obs",
          "n_assets", "candidates", "folds", "solves", "window")
_SQUARED = ("objective", "var_pnl", "var_value", "bound", "score_squared")
_SECONDS = ("seconds", "fit_seconds", "solve_time", "elapsed")
_DATES = ("reference", "fit_start", "end", "start", "date", "reference_date")

#: Column name -> formatter; columns not listed are written by their dtype (see column_format).
COLUMN_FORMATS: dict[str, Formatter] = {
    **dict.fromkeys(_MONEY, fmt_money), **dict.fromkeys(_PERCENT, fmt_percent),
    **dict.fromkeys(_COUNT, fmt_count), **dict.fromkeys(_SQUARED, fmt_squared_dollars),
    **dict.fromkeys(_SECONDS, fmt_seconds), **dict.fromkeys(_DATES, fmt_date),
    "shares": fmt_shares, "price": fmt_dollars2, "pnl_corr": lambda x: fmt_float(x, 4),
}


def _plain(x: Any) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NaT:
        return ""
    if isinstance(x, (_dt.date, np.datetime64)):
        return fmt_date(x)
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return fmt_count(x)
    if isinstance(x, (float, np.floating)):
        return fmt_float(x)
    return str(x)


def column_format(name: Any, values: pd.Series | None = None) -> Formatter:
    """The formatter of a column: :data:`COLUMN_FORMATS` by name, else by dtype (integers as
    counts, floats to 4 significant digits, dates as dates, the rest as text)."""
    if isinstance(name, str) and name in COLUMN_FORMATS:
        return COLUMN_FORMATS[name]
    if values is not None and pd.api.types.is_integer_dtype(values.dtype):
        return fmt_count
    return _plain


def format_frame(df: pd.DataFrame, formats: Mapping[str, Formatter] | None = None,
                 ) -> pd.DataFrame:
    """``df`` with every cell written as text by its column's formatter.

    Parameters
    ----------
    df : pandas.DataFrame
        Any table of the results (holdings, tuning candidates, periods, a book summary).
    formats : mapping, optional
        Column -> formatter overriding :func:`column_format`.

    Returns
    -------
    pandas.DataFrame
        Same index and columns, ``str`` cells; the index is written by the same rules.
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        f = (formats or {}).get(col) or column_format(col, df[col])
        out[col] = [f(v) for v in df[col].tolist()]
    index_fmt = column_format(df.index.name, df.index.to_series())
    out.index = pd.Index([index_fmt(v) if not isinstance(v, str) else v for v in df.index],
                         name=df.index.name)
    return out


def text_block(title: str, facts: Sequence[tuple[str, str]] = (),
               tables: Sequence[tuple[str, pd.DataFrame]] = ()) -> str:
    """A result's text repr: a title, ``label value`` lines, then captioned tables (already
    written by :func:`format_frame`)."""
    width = max((len(k) for k, _ in facts), default=0)
    lines = [title] + [f"  {k:<{width}}  {v}" for k, v in facts]
    for caption, cells in tables:
        if len(cells) == 0:
            continue
        if caption:
            lines.append(f"  {caption}:")
        lines += ["    " + row for row in cells.to_string().splitlines()]
    return "\n".join(lines)


def html_block(title: str, facts: Sequence[tuple[str, str]] = (),
               tables: Sequence[tuple[str, pd.DataFrame]] = ()) -> str:
    """A result's HTML repr: the same content as :func:`text_block`, every value escaped."""
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in facts)
    parts = [f"<div><b>{html.escape(title)}</b>"]
    if rows:
        parts.append(f"<table>{rows}</table>")
    for caption, cells in tables:
        if len(cells) == 0:
            continue
        if caption:
            parts.append(f"<p style='margin:0.5em 0 0.2em 0'>{html.escape(caption)}</p>")
        parts.append(cells.to_html(escape=True, border=0))
    parts.append("</div>")
    return "".join(parts)
