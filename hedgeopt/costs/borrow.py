"""Borrow cost of the hedge's short positions over a horizon, in dollars."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.costs.base import CostTerm, LinearCost, shown
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
        from a dict / Series cost 0; negative rates are an error). A rate above 1 (100% a
        year) is refused as a percent ("did you mean 0.05?") unless ``hard_to_borrow=True``.
    horizon_days : float
        Calendar days the shorts are held (>= 1: a horizon below one day is refused as a
        likely number of years).
    weight : float
        Dollars of tracking std that one dollar of cost is worth (:mod:`hedgeopt.costs.base`).
    hard_to_borrow : bool
        Allow annual rates above 100% (hard-to-borrow names).
    """

    def __init__(self, rate: Any, horizon_days: float, weight: float = 1.0, *,
                 hard_to_borrow: bool = False) -> None:
        super().__init__(weight)
        days = as_float(horizon_days, "BorrowCost.horizon_days", finite=True)
        if days <= 0:
            raise InputError(f"BorrowCost.horizon_days must be > 0, got {days:g}",
                             field="horizon_days")
        if days < 1:
            raise InputError(f"BorrowCost.horizon_days = {days:g} is less than a day: the "
                             f"horizon is in days (for {days:g} years, "
                             f"horizon_days={days * DAYS_PER_YEAR:g})", field="horizon_days")
        self.hard_to_borrow = bool(hard_to_borrow)
        if np.isscalar(rate):
            self._rates(np.array([as_float(rate, "BorrowCost.rate", finite=True)]))
        self.rate, self.horizon_days = rate, days

    def _rates(self, r: np.ndarray, tickers: Any = None) -> np.ndarray:
        """Refuse negative rates and, without ``hard_to_borrow``, rates above 100% a year."""

        def who(m: np.ndarray) -> str:
            return "" if tickers is None else f" for {list(tickers[m][:10])}"

        if (r < 0).any():
            raise InputError(f"BorrowCost.rate must be >= 0 (an annual fraction), got "
                             f"{float(r[r < 0][0]):g}{who(r < 0)}", field="rate")
        big = r > 1
        if big.any() and not self.hard_to_borrow:
            v = float(r[big][0])
            raise InputError(f"BorrowCost.rate = {v:g}{who(big)} is an annual fraction, and "
                             f"{v:g} is {v:.0%} a year: did you mean {v / 100:g}? (give "
                             f"hard_to_borrow=True if {v:.0%} a year is meant)", field="rate")
        return r

    def per_dollar(self, ctx: HedgeContext) -> np.ndarray:
        """Dollars of cost per short dollar, per ticker."""
        r = self._rates(as_ticker_series(self.rate, ctx.tickers, "BorrowCost.rate", fill=0.0,
                                         finite=True).to_numpy(), ctx.tickers)
        return r * self.horizon_days / DAYS_PER_YEAR

    def linear_cost(self, ctx: HedgeContext) -> LinearCost:
        """``per_dollar_i B_r max(-w_i, 0)`` dollars."""
        return LinearCost(short_rate=self.per_dollar(ctx) * ctx.notional)

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
        extra = ", hard_to_borrow=True" if self.hard_to_borrow else ""
        return (f"BorrowCost(rate={shown(self.rate)}, horizon_days={self.horizon_days:g}"
                f"{extra})")
