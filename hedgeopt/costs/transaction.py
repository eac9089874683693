r"""Transaction cost of moving from the current holdings to the hedge, in dollars.

.. math::  C(n) = \sum_i \Big( \tfrac{\text{bps}_i}{10^4} P_{r,i} + \text{per\_share}_i \Big)
           |n_i - h_i| \;+\; \text{impact} \sum_i \sigma_i P_{r,i}
           \frac{|n_i - h_i|^{3/2}}{\sqrt{\text{adv}_i}}

with ``sigma_i`` the std of the daily simple returns of instrument ``i`` over the window (the
square-root market-impact law). The linear part is what ACTIVESET takes when every trade has a
known side (the bounds say ``n_i >= h_i``, e.g. long-only from nothing), and what the
whole-share search and SCIP take exactly (:meth:`TransactionCost.linear_cost`); otherwise, and
with impact, the cvxpy backends take it.
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.costs.base import CostTerm, LinearCost, per_ticker, shown
from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_float

__all__ = ["MAX_LINEAR_RATE", "TransactionCost"]

#: A linear cost above this fraction of the traded dollars needs ``high_cost=True``
#: (``bps=500`` is 5% of every traded dollar; ``per_share=5`` on a $20 stock, 25%).
MAX_LINEAR_RATE = 0.02


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
    high_cost : bool
        Allow a linear cost above :data:`MAX_LINEAR_RATE` (2%) of the traded dollars of some
        name; without it such a cost is refused as a unit mistake (``bps=500`` meant as 5 bp,
        ``per_share`` given in cents). Small costs are never refused: ``bps=0.05`` is a
        legitimate 0.05 bp.
    """

    def __init__(self, current: Any = None, bps: Any = 0.0, per_share: Any = 0.0,
                 impact: float = 0.0, adv: Any = None, weight: float = 1.0, *,
                 high_cost: bool = False) -> None:
        super().__init__(weight)
        self.current, self.bps, self.per_share = current, bps, per_share
        self.high_cost = bool(high_cost)
        self.impact, self.adv = as_float(impact, "TransactionCost.impact", finite=True), adv
        if self.impact < 0:
            raise InputError(f"TransactionCost.impact must be >= 0, got {impact!r}",
                             field="impact")
        if self.impact > 0 and adv is None:
            raise InputError("TransactionCost: impact > 0 needs adv= (average daily volume in "
                             "shares per ticker)", field="adv")
        for name, value in (("bps", bps), ("per_share", per_share)):
            if np.isscalar(value):
                v = as_float(value, f"TransactionCost.{name}", finite=True)
                if v < 0:
                    raise InputError(f"TransactionCost.{name} must be >= 0, got {v:g}",
                                     field=name)
                if name == "bps" and v * 1e-4 > MAX_LINEAR_RATE and not self.high_cost:
                    raise InputError(f"TransactionCost.bps = {v:g} basis points is "
                                     f"{v * 1e-4:.0%} of every traded dollar: bps are "
                                     f"hundredths of a percent (5 bp = 0.05%); give "
                                     f"high_cost=True if {v:g} bp is meant", field="bps")

    def held(self, ctx: HedgeContext) -> np.ndarray:
        """Current shares aligned to ``ctx.tickers`` (zeros without ``current``)."""
        if self.current is None:
            return np.zeros(ctx.n_assets)
        return as_ticker_series(self.current, ctx.tickers, "TransactionCost.current",
                                fill=0.0, finite=True).to_numpy()

    def linear_rate(self, ctx: HedgeContext) -> np.ndarray:
        """Dollars of linear cost per traded share (contract), per ticker.

        Raises
        ------
        InputError
            When, without ``high_cost``, some name's cost is above :data:`MAX_LINEAR_RATE` of
            its traded dollars, naming the ticker, the part (bps or per share) and the rate.
        """
        bps = per_ticker(self.bps, ctx, "TransactionCost.bps")
        per_share = per_ticker(self.per_share, ctx, "TransactionCost.per_share")
        rate = bps * 1e-4 * ctx.p_ref + per_share
        if not self.high_cost:
            share = rate / ctx.p_ref  # of each traded dollar (p_ref: dollars per unit)
            bad = np.flatnonzero(share > MAX_LINEAR_RATE)
            if len(bad):
                i = int(bad[np.argmax(share[bad])])  # the worst name
                t = ctx.tickers[i]
                raise InputError(
                    f"TransactionCost: the linear cost of {t!r} is {share[i]:.1%} of its traded "
                    f"dollars ({bps[i]:g} bp plus ${per_share[i]:g} a share on a "
                    f"${ctx.p_ref[i]:,.2f} unit; {len(bad)} name(s) above "
                    f"{MAX_LINEAR_RATE:.0%}): bps are hundredths of a percent and per_share is "
                    f"dollars (1 cent = 0.01); give high_cost=True if that cost is meant",
                    field="per_share" if per_share[i] >= bps[i] * 1e-4 * ctx.p_ref[i]
                    else "bps")
        return rate

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

    def linear_cost(self, ctx: HedgeContext) -> LinearCost | None:
        """``rate_i B_r / P_ref,i |w_i - h_i|`` dollars (None with market impact)."""
        if self.impact_rate(ctx).any():
            return None
        return LinearCost(trade_ref=ctx.weights_from_shares(self.held(ctx)),
                          trade_rate=self.linear_rate(ctx) * ctx.notional / ctx.p_ref)

    def nonlinear_part(self) -> str:
        return f"its market impact (impact={self.impact:g}, |trade|^1.5)"

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
        if self.high_cost:
            parts.append("high_cost=True")
        return f"TransactionCost({', '.join(parts)}, weight={self.weight:g})"
