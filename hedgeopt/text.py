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
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["fmt_date", "fmt_label", "fmt_number", "fmt_values"]


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
