"""Budget: the hedge's dollar value at the reference date."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_float
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["Budget"]


class Budget(LinearConstraint):
    """Hedge value at the reference date equals the notional, or lies in a band around it.

    .. math::  lo \\cdot N \\le \\sum_i n_i P_{r,i} \\le hi \\cdot N

    Parameters
    ----------
    notional : float, optional
        Target dollar value. Default: the basket's value at the reference date.
    band : (float, float), optional
        ``(lo, hi)`` as fractions of the notional, e.g. ``(0.98, 1.0)``. Default: equality.
    """

    def __init__(self, notional: float | None = None, band: tuple[float, float] | None = None):
        super().__init__()
        if notional is not None:
            notional = as_float(notional, "Budget.notional")
        if notional is not None and (not np.isfinite(notional) or notional <= 0):
            raise InputError(f"Budget: notional must be > 0, got {notional!r}", field="notional")
        if band is not None:
            try:
                lo, hi = (as_float(x, "Budget.band") for x in band)
            except (TypeError, ValueError):
                raise InputError(
                    f"Budget: band must be a pair (lo, hi), got {band!r}", field="band"
                ) from None
            if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
                raise InputError(f"Budget: band needs finite lo <= hi, got {band!r}", field="band")
            band = (lo, hi)
        self.notional = notional
        self.band = band

    def target(self, ctx: HedgeContext) -> float:
        """The budget's dollar notional."""
        return ctx.notional if self.notional is None else float(self.notional)

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        ratio = self.target(ctx) / ctx.notional
        lo, hi = (1.0, 1.0) if self.band is None else self.band
        return LinearForm.rows(
            ctx.n_assets, np.ones((1, ctx.n_assets)), lo * ratio, hi * ratio, ["hedge value"]
        )

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.notional is not None:
            args["notional"] = float(self.notional)
        if self.band is not None:
            args["band"] = self.band
        return args
