"""Round lots: positions in whole multiples of a lot size."""

from __future__ import annotations

from typing import Any

import numpy as np

from hedgeopt.constraints.base import as_float, shares_array
from hedgeopt.constraints.integer import IntegerConstraint
from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError

__all__ = ["ShareLots"]


class ShareLots(IntegerConstraint):
    """``n_i`` is an integer multiple of ``lot_i``; ``ShareLots(1)`` means whole shares.

    Parameters
    ----------
    lot : int, float, dict or pandas.Series
        Lot size in shares (> 0), one for all names or per ticker (every ticker must be covered).
    """

    def __init__(self, lot: Any = 1) -> None:
        if np.isscalar(lot) or lot is None:
            value = as_float(lot, "ShareLots.lot", finite=True)
            if value <= 0:
                raise InputError(f"ShareLots.lot must be > 0 shares, got {value:g}", field="lot")
        self.lot = lot

    def lots(self, ctx: HedgeContext) -> np.ndarray:
        """Lot size per ticker, aligned to ``ctx.tickers``."""
        v = as_ticker_series(self.lot, ctx.tickers, "ShareLots.lot", finite=True).to_numpy()
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            raise InputError(
                f"ShareLots: lot sizes must be > 0; bad for {list(ctx.tickers[bad][:10])}",
                field="lot",
            )
        return v

    def validate(self, ctx: HedgeContext) -> None:
        self.lots(ctx)

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        n = shares_array(shares, ctx)
        lots = n / self.lots(ctx)
        off = np.abs(lots - np.round(lots)) > 1e-9 * np.maximum(1.0, np.abs(lots))
        return [
            f"{self!r}: {ctx.tickers[i]} holds {n[i]:,.6g} shares, not a multiple of "
            f"{self.lots(ctx)[i]:g}"
            for i in np.flatnonzero(off)
        ]

    def _repr_args(self) -> dict[str, Any]:
        return {"lot": self.lot}
