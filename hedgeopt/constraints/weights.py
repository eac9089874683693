"""Per-name weight limit: ``|w_i| <= fraction_i`` of the notional."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_fraction
from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError

__all__ = ["MaxWeight"]


class MaxWeight(LinearConstraint):
    """Each name's dollar position at most ``fraction`` of the notional, long or short.

    .. math::  |n_i P_{r,i}| \\le f_i \\, B_r

    Parameters
    ----------
    fraction : float, dict or pandas.Series
        The limit as a fraction of the notional (>= 0): one for every name, or per ticker
        (tickers absent from a dict / Series are not limited; NaN is an error). A value above 1
        is refused as a likely percent ("did you mean 0.05?") unless ``leverage=True``.
    leverage : bool
        Allow limits above 100% of the notional.
    """

    def __init__(self, fraction: Any, *, leverage: bool = False) -> None:
        super().__init__()
        self.fraction = fraction
        self.leverage = bool(leverage)
        if np.isscalar(fraction) or fraction is None:
            self._check(np.array([as_fraction(fraction, "MaxWeight.fraction", 1.0,
                                              leverage=self.leverage)]))

    def _check(self, f: np.ndarray, tickers: Any = None) -> np.ndarray:
        """Refuse negative limits (naming the tickers) and, without leverage, percents."""
        neg = f < 0
        if neg.any():
            who = "" if tickers is None else f" for {list(tickers[neg][:10])}"
            raise InputError(f"MaxWeight.fraction must be >= 0{who}, got "
                             f"{float(f[neg][0]):g}", field="fraction")
        big = np.isfinite(f) & (f > 1.0)
        if big.any() and not self.leverage:
            who = "" if tickers is None else f" for {list(tickers[big][:10])}"
            v = float(f[big][0])
            raise InputError(f"MaxWeight.fraction = {v:g}{who} is a fraction of the notional, "
                             f"and {v:g} is {v:.0%} of it: did you mean {v / 100:g}? (give "
                             f"leverage=True if {v:g} times the notional is meant)",
                             field="fraction")
        return f

    def limits(self, ctx: HedgeContext) -> np.ndarray:
        """The limit per ticker as a fraction of the notional (``inf`` where none)."""
        f = as_ticker_series(self.fraction, ctx.tickers, "MaxWeight.fraction",
                             fill=np.inf).to_numpy()
        return self._check(f, ctx.tickers)

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        f = self.limits(ctx)
        form = LinearForm.free(ctx.n_assets)
        form.lb, form.ub = -f, f.copy()
        return form

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"fraction": self.fraction}
        if self.leverage:
            args["leverage"] = True
        return args
