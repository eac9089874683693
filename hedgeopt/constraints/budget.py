"""Budget: the hedge's dollar value at the reference date."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_float, as_fraction
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["Budget"]

#: Band sides beyond this multiple of the notional need ``leverage=True`` (98 is a percent).
BAND_LIMIT = 2.0


class Budget(LinearConstraint):
    """Hedge value at the reference date equals the notional, or lies in a band around it.

    .. math::  lo \\cdot N \\le \\sum_i n_i P_{r,i} \\le hi \\cdot N

    Parameters
    ----------
    notional : float, optional
        Target dollar value. Default: the basket's value at the reference date.
    band : (float, float), optional
        ``(lo, hi)`` as fractions of the notional, e.g. ``(0.98, 1.0)``. Default: equality.
        Sides beyond 2 (200% of the notional) are refused as a likely percent ("did you mean
        0.98?") unless ``leverage=True``.
    leverage : bool
        Allow band sides beyond 2 times the notional (and a notional far below the basket's).
    """

    def __init__(self, notional: float | None = None, band: tuple[float, float] | None = None,
                 *, leverage: bool = False) -> None:
        super().__init__()
        self.notional = notional
        self.band = band
        self.leverage = bool(leverage)
        self._arguments()

    def _arguments(self) -> tuple[float | None, tuple[float, float]]:
        """``(notional, (lo, hi))`` validated: a positive dollar notional, fractions lo <= hi."""
        notional = self.notional
        if notional is not None:
            notional = as_float(notional, "Budget.notional", finite=True)
            if notional <= 0:
                raise InputError(f"Budget.notional must be > 0 dollars, got {notional:g}",
                                 field="notional")
        if self.band is None:
            return notional, (1.0, 1.0)
        if isinstance(self.band, (str, bytes)) or np.ndim(self.band) != 1 or len(self.band) != 2:
            raise InputError(f"Budget.band must be a pair (lo, hi), got {self.band!r}",
                             field="band")
        lo, hi = (as_fraction(x, "Budget.band", BAND_LIMIT, leverage=self.leverage)
                  for x in self.band)
        if lo > hi:
            raise InputError(f"Budget.band needs lo <= hi, got ({lo:g}, {hi:g})", field="band")
        return notional, (lo, hi)

    def target(self, ctx: HedgeContext) -> float:
        """The budget's dollar notional."""
        notional = self._arguments()[0]
        return ctx.notional if notional is None else notional

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        notional, (lo, hi) = self._arguments()
        if notional is not None and notional < 1e-4 * ctx.notional and not self.leverage:
            raise InputError(
                f"Budget.notional = {notional:g} dollars is {notional / ctx.notional:.2g} of "
                f"the basket's ${ctx.notional:,.0f}: notional is in dollars (for a fraction of "
                f"the basket use band=({notional:g}, {notional:g}))", field="notional")
        ratio = 1.0 if notional is None else notional / ctx.notional
        return LinearForm.rows(
            ctx.n_assets, np.ones((1, ctx.n_assets)), lo * ratio, hi * ratio, ["hedge value"]
        )

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.notional is not None:
            args["notional"] = float(self.notional)
        if self.band is not None:
            args["band"] = tuple(float(x) for x in self.band)
        if self.leverage:
            args["leverage"] = True
        return args
