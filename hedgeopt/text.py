"""Plain text of values in messages: dates as ``2021-01-11``, numbers as ``1234.5``.

Error messages quote dates, prices and labels that came from pandas and numpy. Their ``repr``
(``Timestamp('2021-01-11 00:00:00')``, ``np.float64(1234.5)``) is noise to a reader; these
helpers write what the user would have typed.

>>> import pandas as pd, numpy as np
>>> fmt_date(pd.Timestamp("2021-01-11"))
'2021-01-11'
>>> fmt_date(pd.Timestamp("2021-01-11 09:30"))
'2021-01-11 09:30:00'
>>> fmt_number(np.float64(1234.5))
'1234.5'
>>> fmt_values(["a", "b", "c", "d"])
"'a', 'b', 'c' and 1 more"
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MINUS", "fmt_count", "fmt_date", "fmt_dollars2", "fmt_float", "fmt_label",
           "fmt_money", "fmt_number", "fmt_percent", "fmt_seconds", "fmt_shares", "fmt_values"]

#: The minus sign of displayed numbers (U+2212), as typeset tables use: ``−$35,988``.
MINUS = "\u2212"


def fmt_date(x: Any) -> str:
    """A date as ``2021-01-11`` (midnight), or ``2021-01-11 09:30:00`` with its time.

    Parameters
    ----------
    x : pandas.Timestamp, datetime.date, numpy.datetime64 or any label
        Anything else (an integer row label, a ticker) is written by :func:`fmt_label`.

    Returns
    -------
    str
        ``NaT`` for a missing timestamp.
    """
    if isinstance(x, np.datetime64):
        x = pd.Timestamp(x)
    if x is pd.NaT:
        return "NaT"
    if isinstance(x, _dt.datetime):  # includes pandas.Timestamp
        ts = pd.Timestamp(x)
        if ts == ts.normalize():
            return ts.date().isoformat()
        return ts.isoformat(sep=" ")
    if isinstance(x, _dt.date):
        return x.isoformat()
    return fmt_label(x)


def fmt_number(x: Any) -> str:
    """A number without numpy's wrapper: ``1234.5``, ``3``, ``nan``, ``inf``.

    Floats use the shortest representation that round-trips (``repr`` of a Python float);
    integers are written whole; anything that is not a number is written by :func:`fmt_label`.
    """
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, Integral):
        return str(int(x))
    if isinstance(x, Real):
        v = float(x)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    return fmt_label(x)


def fmt_label(x: Any) -> str:
    """A label as the user wrote it: strings quoted (``'AAA'``), dates and numbers plain."""
    if isinstance(x, str):
        return repr(x)
    if isinstance(x, (_dt.date, np.datetime64)) or x is pd.NaT:
        return fmt_date(x)
    if isinstance(x, (Real, np.bool_)):
        return fmt_number(x)
    if isinstance(x, tuple):
        return "(" + ", ".join(fmt_label(v) for v in x) + ")"
    return str(x)


def fmt_values(seq: Iterable[Any], k: int = 3) -> str:
    """The first ``k`` items of ``seq``, each by :func:`fmt_label`, and how many more.

    >>> fmt_values([1.5, 2.0])
    '1.5, 2.0'
    """
    items = list(seq)
    shown = ", ".join(fmt_label(v) for v in items[:k])
    rest = len(items) - k
    return f"{shown} and {rest} more" if rest > 0 else shown


# ------------------------------------------------------------------------------------------------
# Display formats with units (the results' text and HTML reprs, the CLI's tables): one place.
# Missing values (None, NaN) are written as an empty string; negatives with MINUS.
# ------------------------------------------------------------------------------------------------


def _value(x: Any) -> float | None:
    """``x`` as a finite-or-infinite float, or None when missing (None, NaN, NaT, not a number)."""
    if x is None or isinstance(x, (str, bytes, bool, np.bool_)):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _signed(v: float, body: str) -> str:
    return (MINUS + body) if v < 0 and body.strip("0.,$%") else body


def _write(x: Any, body: Callable[[float], str], inf: str = "inf") -> str:
    """``body(|x|)`` with MINUS in front of a negative ``x`` (not of a value that rounds to
    zero); ``""`` when ``x`` is missing, ``inf`` (signed) when infinite."""
    v = _value(x)
    if v is None:
        return ""
    return _signed(v, inf if math.isinf(v) else body(abs(v)))


def fmt_money(x: Any, decimals: int = 0) -> str:
    """Dollars: ``$1,346,495``, ``−$35,988`` (``decimals`` places, default whole dollars).

    >>> fmt_money(-35988.33)
    '−$35,988'
    >>> fmt_money(12.5, 2)
    '$12.50'
    """
    return _write(x, lambda a: f"${a:,.{decimals}f}", "$inf")


def fmt_dollars2(x: Any) -> str:
    """Dollars with cents (prices): ``$101.25``."""
    return fmt_money(x, 2)


def fmt_percent(x: Any, decimals: int = 2) -> str:
    """A fraction as a percentage: ``0.1554`` -> ``15.54%``, ``-0.032`` -> ``−3.20%``."""
    return _write(x, lambda a: f"{a * 100:,.{decimals}f}%", "inf%")


def fmt_count(x: Any) -> str:
    """An integer count: ``32,100``, ``7`` (a float count is rounded: ``7.0`` -> ``7``)."""
    return _write(x, lambda a: f"{round(a):,d}")


def fmt_shares(x: Any) -> str:
    """Shares: whole numbers as ``32,100``, fractional ones to 4 places without trailing zeros
    (``12.9515``, ``0.5``)."""
    return _write(x, lambda a: f"{round(a):,d}" if float(a).is_integer()
                  else f"{a:,.4f}".rstrip("0").rstrip("."))


def fmt_float(x: Any, digits: int = 4) -> str:
    """A plain number to ``digits`` significant digits: ``0.5``, ``1.235e+09``, ``−0.25``."""
    if isinstance(x, Integral) and not isinstance(x, bool):
        return fmt_count(x)
    return _write(x, lambda a: f"{a:.{digits}g}")


def fmt_seconds(x: Any) -> str:
    """Wall time: ``0.123 s``, ``12.3 s``."""
    v = _value(x)
    return "" if v is None else f"{v:.3g} s" if v < 100 else f"{v:,.0f} s"
