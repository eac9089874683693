"""Date labels: parsed as dates or refused, never sorted as text.

A price file's first column is read as text and turned into dates here, by one rule shared by
the file readers (:mod:`hedgeopt.io`) and :class:`~hedgeopt.HedgeContext`:

- ISO dates (``2021-01-11``, optionally with a time) are always parsed.
- With ``date_format`` (a :func:`~datetime.datetime.strptime` format) every value must match
  it (ISO values are accepted too); a mismatch quotes the offending values.
- Otherwise the common layouts are tried (:data:`DAY_FIRST`, :data:`MONTH_FIRST`,
  :data:`YEAR_FIRST`, each optionally followed by a time). When both a day-first and a
  month-first layout fit every value (every day is <= 12), the file is ambiguous and refused
  unless ``dayfirst`` says which it is.
- Integers (week numbers, periods) stay integers.

Anything else is an :class:`~hedgeopt.exceptions.InputError` that quotes a few raw values and
names the settings that resolve it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.exceptions import InputError
from hedgeopt.text import fmt_values

__all__ = [
    "DAY_FIRST",
    "MONTH_FIRST",
    "YEAR_FIRST",
    "SETTINGS_HINT",
    "is_iso_date",
    "looks_like_date",
    "parse_dates",
]

#: Day-first layouts (``31/12/2025``, ``31.12.2025``, ``31-12-2025``; two-digit years too).
DAY_FIRST = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y")
#: Month-first layouts (``12/31/2025``, ``12-31-2025``, ``12.31.2025``; two-digit years too).
MONTH_FIRST = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y", "%m.%d.%y")
#: Layouts that cannot be confused (year first, or a month name).
YEAR_FIRST = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d-%b-%Y", "%d %b %Y", "%b %d %Y",
              "%b %d, %Y", "%d-%b-%y", "%d %B %Y", "%B %d, %Y")
_TIMES = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S.%f")

#: Where the date settings are, for messages.
SETTINGS_HINT = ("set date_format (config data.date_format, CLI --date-format, e.g. "
                 "\"%d/%m/%Y\") or dayfirst (config data.dayfirst = true or false, CLI "
                 "--dayfirst / --monthfirst)")

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_LIKE = re.compile(
    r"^(?:\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{8}"
    r"|\d{1,2}[ \-][A-Za-z]{3,9}\.?[ \-,]+\d{2,4}|[A-Za-z]{3,9}\.?[ \-]\d{1,2},?[ \-]\d{2,4})"
    + _TIME + r"$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_EIGHT_DIGITS = re.compile(r"^\d{8}$")


def is_iso_date(text: Any) -> bool:
    """Whether ``text`` is an ISO 8601 date string (``2021-01-11``, optionally with a time)."""
    return isinstance(text, str) and bool(_ISO.match(text.strip()))


def looks_like_date(text: Any) -> bool:
    """Whether ``text`` is a string that reads as a date in some layout (ISO or not)."""
    return isinstance(text, str) and (is_iso_date(text) or bool(_DATE_LIKE.match(text.strip())))


def _try(values: pd.Index, fmt: str) -> pd.DatetimeIndex | None:
    if fmt.startswith("%Y%m%d") and not values.str.slice(0, 8).str.match(r"^\d{8}$").all():
        return None  # "2021111" would read as 2021-11-01 or 2021-01-11: never guess
    try:
        return pd.DatetimeIndex(pd.to_datetime(values, format=fmt))
    except (ValueError, TypeError, OverflowError):
        return None


def _first_fit(values: pd.Index, layouts: Sequence[str]) -> tuple[str, pd.DatetimeIndex] | None:
    for base in layouts:
        for t in _TIMES:
            parsed = _try(values, base + t)
            if parsed is not None:
                return base + t, parsed
    return None


def _misfits(values: pd.Index, fmt: str) -> list[str]:
    """Values of ``values`` that do not read with ``fmt``, in order."""
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return [str(v) for v, p in zip(values, parsed, strict=True) if p is pd.NaT]


def _fewest_misfits(values: pd.Index, layouts: Sequence[str]) -> tuple[str, list[str]]:
    """The layout of ``layouts`` that reads most values, and the values it does not read."""
    best: tuple[str, list[str]] = ("", list(map(str, values)))
    for base in layouts:
        for t in _TIMES:
            bad = _misfits(values, base + t)
            if len(bad) < len(best[1]):
                best = (base + t, bad)
    return best


def parse_dates(raw: Sequence[Any] | pd.Index, field: str, *, date_format: str | None = None,
                dayfirst: bool | None = None, source: str = "",
                integers: bool = True) -> pd.Index:
    """The dates (or integer periods) written in ``raw``, or an :class:`InputError`.

    Parameters
    ----------
    raw : sequence of str
        The labels as written (e.g. a CSV's first column read as text).
    field : str
        What is read, for messages (``--prices``, ``data.prices``, ``prices.index``).
    date_format : str, optional
        A strptime format every value must match (ISO values are accepted as well).
    dayfirst : bool, optional
        Resolves a day-first / month-first ambiguity: ``True`` reads ``01/02/2021`` as
        1 February, ``False`` as 2 January.
    source : str, optional
        Where the values come from (``"'prices.csv': "``), prefixed to messages.
    integers : bool
        Whether integer labels (week numbers) are accepted and returned as integers.

    Returns
    -------
    pandas.DatetimeIndex or pandas.Index
        Dates, or an integer index.

    Raises
    ------
    InputError
        Quoting a few raw values: missing labels, values that do not match ``date_format``,
        ambiguous day/month order, or labels that are neither dates nor integers.
    """
    name = getattr(raw, "name", None)
    values = pd.Index([None if v is None or (isinstance(v, float) and np.isnan(v))
                       else str(v).strip() for v in raw], dtype=object)
    blank = [i for i, v in enumerate(values) if v is None or v == ""]
    if blank:
        rows = ", ".join(str(i + 1) for i in blank[:5])
        raise InputError(f"{field}: {source}no date in data row(s) {rows} (counting rows after "
                         f"the header from 1)", field=field)
    values = pd.Index(values.astype(str), dtype=object, name=name)

    if date_format is not None:
        parsed = _try(values, date_format)
        if parsed is None and all(map(is_iso_date, values)):
            parsed = _try(values, "ISO8601")
        if parsed is None:
            bad = _misfits(values, date_format)
            raise InputError(
                f"{field}: {source}{len(bad)} date(s) do not match date_format "
                f"{date_format!r} (config data.date_format, CLI --date-format): "
                f"{fmt_values(bad)}", field=field)
        return parsed.rename(name)

    if integers and all(_INTEGER.match(v) for v in values):
        if all(_EIGHT_DIGITS.match(v) for v in values):
            parsed = _try(values, "%Y%m%d")
            if parsed is not None and ((parsed.year >= 1900) & (parsed.year <= 2100)).all():
                return parsed.rename(name)
        return pd.Index([int(v) for v in values], dtype=np.int64, name=name)

    if all(map(is_iso_date, values)):
        parsed = _try(values, "ISO8601")
        if parsed is not None:
            return parsed.rename(name)

    day = _first_fit(values, DAY_FIRST)
    month = _first_fit(values, MONTH_FIRST)
    if day and month:
        if dayfirst is None:
            raise InputError(
                f"{field}: {source}dates such as {fmt_values(values)} read both day-first "
                f"({day[0]}) and month-first ({month[0]}): every day is 12 or less, so the "
                f"order cannot be told from the file; {SETTINGS_HINT}", field=field)
        return (day if dayfirst else month)[1].rename(name)
    for fit, first in ((day, True), (month, False)):
        if fit is None:
            continue
        if dayfirst is not None and dayfirst is not first:
            asked = "month-first" if first else "day-first"
            found = "day-first" if first else "month-first"
            _, bad = _fewest_misfits(values, MONTH_FIRST if first else DAY_FIRST)
            raise InputError(
                f"{field}: {source}dayfirst = {str(dayfirst).lower()} asks for {asked} dates, "
                f"but {fmt_values(bad)} only read {found} ({fit[0]}); drop dayfirst or set "
                f"date_format", field=field)
        return fit[1].rename(name)
    year = _first_fit(values, YEAR_FIRST)
    if year is not None:
        return year[1].rename(name)

    dated = [v for v in values if looks_like_date(v)]
    if len(dated) >= max(1, len(values) // 2):
        fmt, bad = _fewest_misfits(values, (*DAY_FIRST, *MONTH_FIRST, *YEAR_FIRST))
        like = f" like the others ({fmt})" if fmt and len(bad) < len(values) else ""
        raise InputError(
            f"{field}: {source}no single date layout fits every value of the first column: "
            f"{fmt_values(bad)} {'does' if len(bad) == 1 else 'do'} not read{like}; write ISO "
            f"dates (2021-01-11) or {SETTINGS_HINT}", field=field)
    kinds = "dates or integers" if integers else "dates"
    undated = [v for v in values if not looks_like_date(v)]
    raise InputError(
        f"{field}: {source}the first column must hold {kinds}, found {fmt_values(undated)}",
        field=field)
