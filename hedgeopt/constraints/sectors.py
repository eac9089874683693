"""Sector exposure limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_float
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["SectorCap"]


class SectorCap(LinearConstraint):
    """Net dollar exposure per sector as a fraction of the notional.

    .. math::  \\min_s \\le \\frac{\\sum_{i \\in s} n_i P_{r,i}}{B_r} \\le \\max_s

    Parameters
    ----------
    sectors : dict or pandas.Series
        Ticker -> sector. It must cover every ticker of the universe (it may hold more).
    max_weight : float or dict
        Cap per sector; a dict gives per-sector caps (sectors absent from it are uncapped).
    min_weight : float or dict, optional
        Floor per sector, same forms.
    """

    def __init__(self, sectors: Any, max_weight: Any = None, min_weight: Any = None) -> None:
        super().__init__()
        self.sectors = pd.Series(sectors)
        if self.sectors.index.has_duplicates:
            raise InputError("SectorCap: the sector map repeats tickers", field="sectors")
        if self.sectors.isna().any():
            raise InputError(
                f"SectorCap: no sector for {list(self.sectors.index[self.sectors.isna()][:10])}",
                field="sectors",
            )
        if max_weight is None and min_weight is None:
            raise InputError("SectorCap: give max_weight, min_weight or both", "max_weight")
        self.max_weight, self.min_weight = max_weight, min_weight

    def validate(self, ctx: HedgeContext) -> None:
        self.linear(ctx)

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        missing = ctx.tickers.difference(self.sectors.index)
        if len(missing):
            raise InputError(
                f"SectorCap: the sector map misses {len(missing)} ticker(s): "
                f"{sorted(map(str, missing))[:20]}",
                field="sectors",
            )
        codes, uniques = pd.factorize(self.sectors.reindex(ctx.tickers))
        names = list(uniques)
        A = (codes[None, :] == np.arange(len(names))[:, None]).astype(float)
        hi = _per_sector(self.max_weight, names, np.inf, "max_weight")
        lo = _per_sector(self.min_weight, names, -np.inf, "min_weight")
        keep = np.isfinite(hi) | np.isfinite(lo)
        return LinearForm.rows(
            ctx.n_assets, A[keep], lo[keep], hi[keep],
            [f"sector {s!r}" for s, k in zip(names, keep, strict=True) if k],
        )

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"max_weight": self.max_weight}
        if self.min_weight is not None:
            args["min_weight"] = self.min_weight
        return args


def _per_sector(value: Any, names: list, default: float, field: str) -> np.ndarray:
    if value is None:
        return np.full(len(names), default)
    if isinstance(value, (dict, pd.Series)):
        value = dict(value.items())
        unknown = set(value) - set(names)
        if unknown:
            raise InputError(
                f"SectorCap.{field}: unknown sectors {sorted(map(str, unknown))}", field
            )
        return np.array([float(value.get(s, default)) for s in names])
    v = as_float(value, f"SectorCap.{field}")
    if not np.isfinite(v):
        raise InputError(f"SectorCap.{field} must be finite, got {value!r}", field)
    return np.full(len(names), v)
