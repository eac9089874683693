"""Borrow cost of the hedge's short positions over a horizon, in dollars."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext
from hedgeopt.costs.base import CostTerm, per_ticker, shown
from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_float

__all__ = ["BorrowCost"]

#: Days per year of the annual borrow rates.
DAYS_PER_YEAR = 365.0


class BorrowCost(CostTerm):
    """``sum_i rate_i * horizon_days / 365 * max(-n_i P_ref,i, 0)`` dollars.

    Parameters
    ----------
    rate : float, dict or pandas.Series
        Annual borrow rate per ticker as a fraction (``0.005`` = 50 bp a year; tickers absent
        from a dict / Series cost 0). A rate above 1 (100% a year) is refused as a percent.
    horizon_days : float
        Days the shorts are held (> 0).
    weight : float
        Dollars of tracking std that one dollar of cost is worth (:mod:`hedgeopt.costs.base`).
    """

    def __init__(self, rate: Any, horizon_days: float, weight: float = 1.0) -> None:
        super().__init__(weight)
        days = as_float(horizon_days, "BorrowCost.horizon_days", finite=True)
        if days <= 0:
            raise InputError(f"BorrowCost.horizon_days must be > 0, got {days:g}",
                             field="horizon_days")
        if np.isscalar(rate):
            r = as_float(rate, "BorrowCost.rate", finite=True)
            if r > 1:
                raise InputError(f"BorrowCost.rate = {r:g} is an annual fraction: did you mean "
                                 f"{r / 100:g}?", field="rate")
        self.rate, self.horizon_days = rate, days

    def per_dollar(self, ctx: HedgeContext) -> np.ndarray:
        """Dollars of cost per short dollar, per ticker."""
        r = per_ticker(self.rate, ctx, "BorrowCost.rate")
        if (r > 1).any():
            raise InputError(f"BorrowCost.rate above 1 (100% a year) for "
                             f"{list(ctx.tickers[r > 1][:10])}: rates are annual fractions",
                             field="rate")
        return r * self.horizon_days / DAYS_PER_YEAR

    def validate(self, ctx: HedgeContext) -> None:
        self.per_dollar(ctx)

    def dollars(self, shares: np.ndarray, ctx: HedgeContext) -> float:
        short = np.maximum(-np.asarray(shares, dtype=float) * ctx.p_ref, 0.0)
        return float(self.per_dollar(ctx) @ short)

    def _dollar_expr(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        return (self.per_dollar(ctx) * ctx.notional) @ cp.neg(w)

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        """Zero on a long-only feasible set; otherwise not linear (cvxpy backends)."""
        if np.all((lower >= 0) | (self.per_dollar(ctx) == 0)):
            return 0.0, np.zeros(ctx.n_assets), 0.0
        return None

    def __repr__(self) -> str:
        return f"BorrowCost(rate={shown(self.rate)}, horizon_days={self.horizon_days:g})"
