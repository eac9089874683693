"""Position limits: long-only, per-name bounds in shares or dollars, exclusions."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_float
from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError

__all__ = ["LongOnly", "Bounds", "Exclude"]


class LongOnly(LinearConstraint):
    """No short positions: ``n_i >= 0`` for every instrument."""

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        form = LinearForm.free(ctx.n_assets)
        form.lb = np.zeros(ctx.n_assets)
        return form


class Bounds(LinearConstraint):
    """Per-name lower and upper limits, in shares or in dollars at the reference prices.

    Parameters
    ----------
    lower, upper : float, dict or pandas.Series, optional
        A scalar applies to every name; a dict / Series applies per ticker (tickers absent from
        it, or ``±inf``, are unbounded on that side; NaN is an error, never "no limit").
        ``None`` means no limit on that side.
    unit : {"shares", "dollars"}
        Unit of ``lower`` and ``upper``. Dollar limits use reference-date prices.
    """

    def __init__(
        self,
        lower: Any = None,
        upper: Any = None,
        unit: Literal["shares", "dollars"] = "shares",
    ) -> None:
        super().__init__()
        if unit not in ("shares", "dollars"):
            raise InputError(f"Bounds.unit must be 'shares' or 'dollars', got {unit!r}", "unit")
        if lower is None and upper is None:
            raise InputError("Bounds: give lower, upper or both", field="lower")
        for name, value in (("lower", lower), ("upper", upper)):
            if value is not None and np.isscalar(value):
                as_float(value, f"Bounds.{name}")
        self.lower, self.upper, self.unit = lower, upper, unit

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        form = LinearForm.free(ctx.n_assets)
        if self.unit not in ("shares", "dollars"):
            raise InputError(f"Bounds.unit must be 'shares' or 'dollars', got {self.unit!r}",
                             "unit")
        to_w = (ctx.p_ref if self.unit == "shares" else 1.0) / ctx.notional
        for name, value, default in (("lower", self.lower, -np.inf), ("upper", self.upper, np.inf)):
            if value is None:
                continue
            v = as_ticker_series(value, ctx.tickers, f"Bounds.{name}", fill=np.nan).to_numpy()
            v = np.where(np.isnan(v), default, v)
            if name == "lower":
                form.lb = v * to_w
            else:
                form.ub = v * to_w
        bad = form.lb > form.ub
        if bad.any():
            raise InputError(
                f"Bounds: lower > upper for {list(ctx.tickers[bad][:10])}", field="lower"
            )
        return form

    def _repr_args(self) -> dict[str, Any]:
        return {"lower": self.lower, "upper": self.upper, "unit": self.unit}


class Exclude(LinearConstraint):
    """Hold none of the given tickers (restricted list, hard-to-borrow, ...)."""

    def __init__(self, tickers: Any) -> None:
        super().__init__()
        self.tickers = [tickers] if isinstance(tickers, str) else list(tickers)
        if not self.tickers:
            raise InputError("Exclude: give at least one ticker", field="tickers")

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        mask = ctx.ticker_mask(self.tickers, "Exclude.tickers")
        form = LinearForm.free(ctx.n_assets)
        form.lb[mask] = 0.0
        form.ub[mask] = 0.0
        return form

    def _repr_args(self) -> dict[str, Any]:
        shown = self.tickers if len(self.tickers) <= 5 else [*self.tickers[:5], "..."]
        return {"tickers": shown}
