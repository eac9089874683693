"""Cardinality and minimum-size thresholds."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import as_dollars, shares_array
from hedgeopt.constraints.integer import IntegerConstraint
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["MaxNames", "MinPosition"]


class MaxNames(IntegerConstraint):
    """Hold at most ``k`` names (non-zero positions)."""

    def __init__(self, k: int) -> None:
        self.k = _count(k)

    def validate(self, ctx: HedgeContext) -> None:
        _count(self.k)

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        held = int(np.count_nonzero(shares_array(shares, ctx)))
        return [f"{self!r}: holds {held} names > {self.k}"] if held > self.k else []


class MinPosition(IntegerConstraint):
    """Each name is either not held or held for at least ``dollars`` (at reference prices)."""

    def __init__(self, dollars: float) -> None:
        self.dollars = as_dollars(dollars, "MinPosition.dollars")

    def validate(self, ctx: HedgeContext) -> None:
        as_dollars(self.dollars, "MinPosition.dollars")

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        value = np.abs(shares_array(shares, ctx) * ctx.p_ref)
        small = (value > 0) & (value < self.dollars - tol * ctx.notional)
        return [
            f"{self!r}: {ctx.tickers[i]} is held for ${value[i]:,.2f} < ${self.dollars:,.2f}"
            for i in np.flatnonzero(small)
        ]


def _count(k: Any) -> int:
    """A positive whole number of names (``True``, ``"5"``, ``None``, ``2.5`` are refused)."""
    try:
        ok = not isinstance(k, (bool, str, bytes, np.bool_)) and float(k).is_integer()
    except (TypeError, ValueError):
        ok = False
    if not ok or int(k) < 1:
        raise InputError(f"MaxNames.k must be a positive integer, got {k!r}", field="k")
    return int(k)
