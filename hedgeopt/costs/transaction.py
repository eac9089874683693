r"""Transaction cost of moving from the current holdings to the hedge, in dollars.

.. math::  C(n) = \sum_i \Big( \tfrac{\text{bps}_i}{10^4} P_{r,i} + \text{per\_share}_i \Big)
           |n_i - h_i| \;+\; \text{impact} \sum_i \sigma_i P_{r,i}
           \frac{|n_i - h_i|^{3/2}}{\sqrt{\text{adv}_i}}

with ``sigma_i`` the std of the daily simple returns of instrument ``i`` over the window (the
square-root market-impact law). The linear part is what ACTIVESET takes when every trade has a
known side (the bounds say ``n_i >= h_i``, e.g. long-only from nothing); otherwise, and with
impact, the cvxpy backends take it.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.costs.base import CostTerm, per_ticker, shown
from hedgeopt.exceptions import InputError

__all__ = ["TransactionCost"]


class TransactionCost(CostTerm):
    """Dollar cost of trading from ``current`` to the hedge (see the module docstring).

    Parameters
    ----------
    current : dict or pandas.Series, optional
        Current holdings in shares (absent tickers hold 0); None: the hedge is bought from
        nothing.
    bps : float, dict or pandas.Series
        Linear cost in basis points of traded dollars (spread, commission), per ticker or one.
    per_share : float, dict or pandas.Series
        Dollars per traded share.
    impact : float
        Coefficient of the market-impact term (0: none); needs ``adv``.
    adv : dict or pandas.Series, optional
        Average daily volume in shares, every ticker (> 0), for the impact term.
    weight : float
        Dollars of tracking std that one dollar of cost is worth (:mod:`hedgeopt.costs.base`).
    """

    def __init__(self, current: Any = None, bps: Any = 0.0, per_share: Any = 0.0,
                 impact: float = 0.0, adv: Any = None, weight: float = 1.0) -> None:
        super().__init__(weight)
        self.current, self.bps, self.per_share = current, bps, per_share
        self.impact, self.adv = float(impact), adv
        if self.impact < 0 or not np.isfinite(self.impact):
            raise InputError(f"TransactionCost.impact must be >= 0, got {impact!r}",
                             field="impact")
        if self.impact > 0 and adv is None:
            raise InputError("TransactionCost: impact > 0 needs adv= (average daily volume in "
                             "shares per ticker)", field="adv")

    def held(self, ctx: HedgeContext) -> np.ndarray:
        """Current shares aligned to ``ctx.tickers`` (zeros without ``current``)."""
        if self.current is None:
            return np.zeros(ctx.n_assets)
        return as_ticker_series(self.current, ctx.tickers, "TransactionCost.current",
                                fill=0.0, finite=True).to_numpy()

    def linear_rate(self, ctx: HedgeContext) -> np.ndarray:
        """Dollars of linear cost per traded share, per ticker."""
        bps = per_ticker(self.bps, ctx, "TransactionCost.bps")
        return bps * 1e-4 * ctx.p_ref + per_ticker(self.per_share, ctx,
                                                     "TransactionCost.per_share")

    def impact_rate(self, ctx: HedgeContext) -> np.ndarray:
        """``impact * sigma_i P_i / sqrt(adv_i)``: dollars per traded share^(3/2)."""
        if self.impact == 0:
            return np.zeros(ctx.n_assets)
        adv = per_ticker(self.adv, ctx, "TransactionCost.adv", fill=None)
        if (adv <= 0).any():
            raise InputError(f"TransactionCost.adv must be > 0 shares; not for "
                             f"{list(ctx.tickers[adv <= 0][:10])}", field="adv")
        sigma = np.std(ctx.P[1:] / ctx.P[:-1] - 1.0, axis=0, ddof=1)
        return self.impact * sigma * ctx.p_ref / np.sqrt(adv)

    def validate(self, ctx: HedgeContext) -> None:
        self.held(ctx)
        self.linear_rate(ctx)
        self.impact_rate(ctx)

    def dollars(self, shares: np.ndarray, ctx: HedgeContext) -> float:
        dn = np.abs(np.asarray(shares, dtype=float) - self.held(ctx))
        return float(self.linear_rate(ctx) @ dn + self.impact_rate(ctx) @ dn**1.5)

    def _dollar_expr(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        per_w = ctx.notional / ctx.p_ref  # shares per unit of weight
        h = ctx.weights_from_shares(self.held(ctx))
        trade = cp.abs(w - h)
        expr = (self.linear_rate(ctx) * per_w) @ trade
        k = self.impact_rate(ctx)
        if k.any():
            expr = expr + (k * per_w**1.5) @ cp.power(trade, 1.5)
        return expr

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        """Linear on the feasible set when every trade is a buy (``lower >= h``), no impact."""
        h = ctx.weights_from_shares(self.held(ctx))
        if self.impact_rate(ctx).any() or not np.all(lower >= h):
            return None
        k = self._per_weight(ctx, self._scale_of(ctx))
        g = k * self.linear_rate(ctx) * ctx.notional / ctx.p_ref
        return 0.0, -g, -float(g @ h)

    def __repr__(self) -> str:
        parts = [f"bps={shown(self.bps)}"]
        if not (isinstance(self.per_share, (int, float)) and self.per_share == 0):
            parts.append(f"per_share={shown(self.per_share)}")
        if self.impact:
            parts.append(f"impact={self.impact:g}")
        return f"TransactionCost({', '.join(parts)}, weight={self.weight:g})"
