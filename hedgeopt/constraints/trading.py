"""Trading limits against current holdings."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import Constraint, as_dollars, shares_array
from hedgeopt.constraints.integer import IntegerConstraint
from hedgeopt.context import HedgeContext, as_ticker_series

__all__ = ["MinTrade", "Turnover"]


class Turnover(Constraint):
    """Dollar turnover from current holdings, at reference prices.

    .. math::  \\sum_i |n_i - h_i|\\, P_{r,i} \\le \\text{max\\_dollars}

    Parameters
    ----------
    current : dict or pandas.Series
        Current shares per ticker; tickers absent are held at 0. Unknown tickers are an error.
    max_dollars : float
        Turnover limit in dollars (>= 0).
    """

    def __init__(self, current: Any, max_dollars: float) -> None:
        self.current = current
        self.max_dollars = as_dollars(max_dollars, "Turnover.max_dollars")
        self._h: cp.Parameter | None = None
        self._limit: cp.Parameter | None = None

    def held(self, ctx: HedgeContext) -> np.ndarray:
        """Current holdings in shares, aligned to ``ctx.tickers``."""
        return as_ticker_series(self.current, ctx.tickers, "Turnover.current", fill=0.0,
                                finite=True).to_numpy()

    def limit(self) -> float:
        """``max_dollars``, validated (it may have been re-assigned)."""
        return as_dollars(self.max_dollars, "Turnover.max_dollars")

    def validate(self, ctx: HedgeContext) -> None:
        self.held(ctx)
        self.limit()

    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        self._h = cp.Parameter(ctx.n_assets, name="Turnover.current")
        self._limit = cp.Parameter(nonneg=True, name="Turnover.limit")
        self.update(ctx)
        return [cp.norm1(w - self._h) <= self._limit]

    def update(self, ctx: HedgeContext) -> None:
        if self._h is not None and self._limit is not None:
            self._h.value = ctx.weights_from_shares(self.held(ctx))
            self._limit.value = self.limit() / ctx.notional

    def traded_dollars(self, shares: Any, ctx: HedgeContext) -> float:
        """Dollar turnover of ``shares`` against the current holdings."""
        return float(np.abs(shares_array(shares, ctx) - self.held(ctx)) @ ctx.p_ref)

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        traded = self.traded_dollars(shares, ctx)
        if traded > self.limit() + tol * ctx.notional:
            return [f"{self!r}: trades ${traded:,.2f} > ${self.limit():,.2f}"]
        return []

    def _repr_args(self) -> dict[str, Any]:
        return {"max_dollars": self.max_dollars}


class MinTrade(IntegerConstraint):
    """Each name is either not traded or traded for at least ``dollars`` (at reference prices).

    Parameters
    ----------
    current : dict or pandas.Series
        Current shares per ticker (absent tickers hold 0). With :class:`ShareLots`, current
        holdings must be whole lots so that "not traded" is a lot multiple too.
    dollars : float
        Minimum dollar size of a trade.
    """

    def __init__(self, current: Any, dollars: float) -> None:
        self.current = current
        self.dollars = as_dollars(dollars, "MinTrade.dollars")

    def held(self, ctx: HedgeContext) -> np.ndarray:
        """Current holdings in shares, aligned to ``ctx.tickers``."""
        return as_ticker_series(self.current, ctx.tickers, "MinTrade.current", fill=0.0,
                                finite=True).to_numpy()

    def validate(self, ctx: HedgeContext) -> None:
        self.held(ctx)
        as_dollars(self.dollars, "MinTrade.dollars")

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        traded = np.abs(shares_array(shares, ctx) - self.held(ctx)) * ctx.p_ref
        small = (traded > 1e-9 * ctx.notional) & (traded < self.dollars - tol * ctx.notional)
        return [
            f"{self!r}: {ctx.tickers[i]} trades ${traded[i]:,.2f} < ${self.dollars:,.2f}"
            for i in np.flatnonzero(small)
        ]

    def _repr_args(self) -> dict[str, Any]:
        return {"dollars": self.dollars}
