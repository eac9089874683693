"""Sector exposure limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import LinearConstraint, LinearForm, as_fraction
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
    leverage : bool
        Allow limits beyond 100% of the notional in absolute value. Without it a limit such
        as ``25`` is refused as a likely percent ("did you mean 0.25?").
    """

    def __init__(self, sectors: Any, max_weight: Any = None, min_weight: Any = None, *,
                 leverage: bool = False) -> None:
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
        self.leverage = bool(leverage)
        for name, value in (("max_weight", max_weight), ("min_weight", min_weight)):
            keys = list(value.keys()) if isinstance(value, (dict, pd.Series)) else []
            _per_sector(value, keys, 0.0, name, self.leverage)  # fail early, before a context

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        index = self.sectors.index  # in the universe's order (usual): no label look-ups
        pos = np.arange(len(index)) if index.equals(ctx.tickers) else \
            index.get_indexer(ctx.tickers)
        if (pos < 0).any():
            missing = ctx.tickers[pos < 0]
            raise InputError(
                f"SectorCap: the sector map misses {len(missing)} ticker(s): "
                f"{sorted(map(str, missing))[:20]}",
                field="sectors",
            )
        codes, uniques = pd.factorize(self.sectors.to_numpy()[pos])
        names = list(uniques)
        A = (codes[None, :] == np.arange(len(names))[:, None]).astype(float)
        hi = _per_sector(self.max_weight, names, np.inf, "max_weight", self.leverage)
        lo = _per_sector(self.min_weight, names, -np.inf, "min_weight", self.leverage)
        clash = lo > hi
        if clash.any():
            raise InputError(f"SectorCap: min_weight > max_weight for sectors "
                             f"{[names[i] for i in np.flatnonzero(clash)][:10]}", "min_weight")
        keep = np.isfinite(hi) | np.isfinite(lo)
        return LinearForm.rows(
            ctx.n_assets, A[keep], lo[keep], hi[keep],
            [f"sector {s!r}" for s, k in zip(names, keep, strict=True) if k],
        )

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"max_weight": self.max_weight}
        if self.min_weight is not None:
            args["min_weight"] = self.min_weight
        if self.leverage:
            args["leverage"] = True
        return args


def _per_sector(value: Any, names: list, default: float, field: str,
                leverage: bool) -> np.ndarray:
    """One limit per sector of ``names``: a scalar for all, or a dict / Series per sector."""
    if value is None:
        return np.full(len(names), default)
    if isinstance(value, (dict, pd.Series)):
        value = dict(value.items())
        unknown = set(value) - set(names)
        if unknown:
            raise InputError(
                f"SectorCap.{field}: unknown sectors {sorted(map(str, unknown))}", field
            )
        per = {s: as_fraction(v, f"SectorCap.{field}[{s!r}]", 1.0, leverage=leverage)
               for s, v in value.items()}
        return np.array([per.get(s, default) for s in names])
    return np.full(len(names), as_fraction(value, f"SectorCap.{field}", 1.0, leverage=leverage))
