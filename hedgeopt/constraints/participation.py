"""Liquidity: traded shares at most a fraction of each name's average daily volume."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_float, shares_array
from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError

__all__ = ["MaxParticipation"]


class MaxParticipation(LinearConstraint):
    """Trade at most ``fraction`` of each name's ADV: ``|n_i - h_i| <= fraction * adv_i``.

    In shares (contracts for instruments with a multiplier); a per-name box around the current
    holdings, so every backend (ACTIVESET, the whole-share search, SCIP) takes it as bounds.

    Parameters
    ----------
    adv : dict or pandas.Series
        Average daily volume in shares, per ticker (>= 0); every ticker of the universe needs
        one (a name with unknown liquidity is not silently unlimited: give ``inf`` for that).
    fraction : float
        Largest participation, in (0, 1] (``0.1`` = 10% of ADV; ``10`` is refused as a likely
        percent unless ``multi_day=True``).
    current : dict or pandas.Series, optional
        Current holdings in shares (absent tickers hold 0). ``None``: the hedge is put on from
        nothing, so the limit is on the position itself.
    multi_day : bool
        Allow ``fraction`` above 1: a trade of more than one day's volume (worked over several
        days).

    Raises
    ------
    InputError
        For a fraction out of range, and an ADV that is missing, NaN, negative or zero for
        some ticker (zero volume would silently forbid trading the name: exclude it with
        :class:`~hedgeopt.constraints.Exclude` or fix it with ``Bounds`` instead).
    """

    def __init__(self, adv: Any, fraction: float, current: Any = None, *,
                 multi_day: bool = False) -> None:
        super().__init__()
        if np.isscalar(adv):
            raise InputError("MaxParticipation.adv must give the ADV per ticker (a dict or "
                             "Series of shares)", field="adv")
        self.adv, self.fraction, self.current = adv, fraction, current
        self.multi_day = bool(multi_day)
        self.limit()  # fail early, before a context

    def limit(self) -> float:
        """``fraction`` validated: in (0, 1] of ADV, or above 1 with ``multi_day``."""
        f = as_float(self.fraction, "MaxParticipation.fraction", finite=True)
        if f <= 0:
            raise InputError(f"MaxParticipation.fraction must be > 0 (a fraction of each "
                             f"name's ADV), got {f:g}", field="fraction")
        if f > 1 and not self.multi_day:
            raise InputError(f"MaxParticipation.fraction = {f:g} is a fraction of each name's "
                             f"average daily volume, and {f:g} is {f:.0%} of it: did you mean "
                             f"{f / 100:g}? (give multi_day=True if trading {f:g} days of "
                             f"volume is meant)", field="fraction")
        return f

    def held(self, ctx: HedgeContext) -> np.ndarray:
        """Current holdings in shares aligned to ``ctx.tickers`` (zeros without ``current``)."""
        if self.current is None:
            return np.zeros(ctx.n_assets)
        return as_ticker_series(self.current, ctx.tickers, "MaxParticipation.current",
                                fill=0.0, finite=True).to_numpy()

    def max_shares(self, ctx: HedgeContext) -> np.ndarray:
        """The largest trade per name in shares, ``fraction * adv``."""
        f = self.limit()
        adv = as_ticker_series(self.adv, ctx.tickers, "MaxParticipation.adv").to_numpy()
        neg = adv < 0
        if neg.any():
            raise InputError(f"MaxParticipation.adv must be >= 0 shares; negative for "
                             f"{list(ctx.tickers[neg][:10])}", field="adv")
        zero = adv == 0
        if zero.any():
            who = list(ctx.tickers[zero][:10])
            raise InputError(f"MaxParticipation.adv is 0 shares for {who}: a zero volume "
                             f"forbids trading the name (often a data hole); give its volume, "
                             f"inf for no limit, or leave the name out with ho.Exclude({who})",
                             field="adv")
        return f * adv

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        h, cap = self.held(ctx), self.max_shares(ctx)
        form = LinearForm.free(ctx.n_assets)
        form.lb = ctx.weights_from_shares(h - cap)
        form.ub = ctx.weights_from_shares(h + cap)
        return form

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        n = shares_array(shares, ctx)
        traded = np.abs(n - self.held(ctx))
        cap = self.max_shares(ctx)
        slack = tol * ctx.notional / ctx.p_ref  # the tolerance, in shares of each name
        return [
            f"{self!r}: {ctx.tickers[i]} trades {traded[i]:,.6g} shares "
            f"(${traded[i] * ctx.p_ref[i]:,.2f}), above {cap[i]:,.6g} shares "
            f"({self.limit():g} x ADV)"
            for i in np.flatnonzero(traded > cap + slack)
        ]

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"fraction": self.fraction}
        if self.current is not None:
            args["current"] = self.current
        if self.multi_day:
            args["multi_day"] = True
        return args
