"""Numbers from users: one place that turns an argument into a checked number.

Every function raises :class:`~hedgeopt.exceptions.InputError` naming the argument as the user
wrote it (``"Budget.band"``, ``"time_limit"``); strings (``"5"``), booleans, None and NaN are
never numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hedgeopt.exceptions import InputError

__all__ = ["as_dollars", "as_float", "as_fraction", "as_int", "check_number"]


def as_float(value: Any, field: str, *, finite: bool = False) -> float:
    """A real number, or :class:`InputError` naming ``field`` (strings, bools, None and NaN
    are refused; with ``finite``, infinities too).

    ``field`` is the argument as the user wrote it (``"Budget.band"``); the error's ``.field``
    attribute is the argument's own name (``"band"``).
    """
    name = field.split(".", 1)[-1]
    if isinstance(value, (bool, str, bytes, np.bool_)) or value is None:
        raise InputError(f"{field} must be a number, got {value!r}", field=name)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} must be a number, got {value!r}", field=name) from None
    if np.isnan(out) or (finite and not np.isfinite(out)):
        raise InputError(f"{field} must be a finite number, got {out:g}", field=name)
    return out


def as_dollars(value: Any, field: str) -> float:
    """A finite dollar amount >= 0; amounts strictly between 0 and 1 dollar are refused as a
    likely fraction of the notional (``max_dollars=0.2`` meaning 20%)."""
    v = as_float(value, field, finite=True)
    if v < 0:
        raise InputError(f"{field} must be >= 0 dollars, got {v:g}", field=field.split(".")[-1])
    if 0 < v < 1:
        raise InputError(
            f"{field} = {v:g} is in dollars, and ${v:g} is less than a dollar: give dollars "
            f"(for {v:.0%} of a $10M notional, {field.split('.')[-1]}={v * 1e7:g})",
            field=field.split(".")[-1])
    return v


def as_fraction(value: Any, field: str, limit: float, *, leverage: bool = False) -> float:
    """A finite fraction of the notional, refusing what looks like a percent.

    ``|value| > limit`` raises :class:`InputError` suggesting ``value / 100`` ("did you mean
    0.98?"), unless ``leverage=True`` says that a large multiple of the notional is meant.
    """
    v = as_float(value, field, finite=True)
    if abs(v) > limit and not leverage:
        raise InputError(
            f"{field} = {v:g} is a fraction of the notional, and {v:g} is {v:.0%} of it: "
            f"did you mean {v / 100:g}? (give leverage=True if {v:g} times the notional is "
            f"meant)", field=field.split(".", 1)[-1])
    return v



def check_number(value: Any, field: str, *, lo: float = -math.inf, hi: float = math.inf,
                 integer: bool = False, lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite number in the given range, or :class:`InputError` naming
    ``field`` (strings such as ``"5"`` and booleans are refused)."""
    ok = not isinstance(value, (bool, str, bytes)) and value is not None
    try:
        x = float(value) if ok else math.nan
    except (TypeError, ValueError):
        x = math.nan
    kind = "an integer" if integer else "a number"
    if not math.isfinite(x) or (integer and not x.is_integer()):
        raise InputError(f"{field} must be {kind}, got {value!r}", field=field)
    if x < lo or x > hi or (lo_open and x == lo) or (hi_open and x == hi):
        hint = f" (did you mean {x / 100:g}?)" if field == "gap" and 1 <= x <= 100 else ""
        raise InputError(f"{field} must be {kind}{_span(lo, hi, lo_open, hi_open)}, "
                         f"got {value!r}{hint}", field=field)
    return int(x) if integer else x


def as_int(value: Any, field: str, *, lo: float = -math.inf, hi: float = math.inf) -> int:
    """``value`` as an ``int`` in ``[lo, hi]``, or :class:`InputError` naming ``field``.

    Stricter than ``check_number(..., integer=True)``: only integers (Python or numpy) are
    accepted, not ``500.0``, booleans or strings (a count of rows, folds or draws).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{field} must be an integer{_span(lo, hi, False, False)}, got "
                         f"{value!r}", field=field)
    return int(check_number(value, field, lo=lo, hi=hi, integer=True))


def _span(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    """`` in [lo, hi]``, `` >= lo``, `` > lo`` or nothing: the range of a message."""
    if math.isfinite(hi):
        return f" in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
    if not math.isfinite(lo):
        return ""
    return f" > {lo:g}" if lo_open else f" >= {lo:g}"
