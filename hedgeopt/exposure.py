"""Net and gross dollar exposure per sector of a hedge, beside the caps of its ``SectorCap``s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from hedgeopt.constraints.sectors import SectorCap

__all__ = ["Positions", "sector_exposure"]


class Positions(Protocol):
    """What :func:`sector_exposure` reads of a hedge (a :class:`~hedgeopt.HedgeResult`; typed
    by this protocol so that the result can offer ``sector_exposure()`` without a cycle)."""

    @property
    def shares(self) -> pd.Series: ...

    @property
    def dollars(self) -> pd.Series: ...

    @property
    def notional(self) -> float: ...

    @property
    def constraints(self) -> Sequence[Any]: ...


def _tightest(current: float, value: float, col: str) -> float:
    if pd.isna(current):
        return value
    return min(current, value) if col == "max" else max(current, value)


def sector_exposure(res: Positions, sectors: pd.Series | Mapping[str, str] | None = None
                    ) -> pd.DataFrame | None:
    """Net and gross dollar exposure per sector, with the caps of any ``SectorCap``.

    Parameters
    ----------
    res : Positions
        The hedge (a :class:`~hedgeopt.HedgeResult`).
    sectors : Series or mapping, optional
        Ticker -> sector. Default: the map of the result's first ``SectorCap`` constraint.

    Returns
    -------
    pandas.DataFrame or None
        Index ``sector``; columns ``names`` (held), ``net`` and ``gross`` dollars, ``weight``
        (net / notional), ``min`` and ``max`` (the tightest caps, NaN where none), largest gross
        first. None when no sector map is known.
    """
    caps = [c for c in res.constraints if isinstance(c, SectorCap)]
    if sectors is None:
        if not caps:
            return None
        sectors = caps[0].sectors
    smap = pd.Series(sectors).reindex(res.shares.index).fillna("(no sector)").astype(str)
    dollars = res.dollars
    df = pd.DataFrame({
        "names": (res.shares != 0).groupby(smap).sum().astype(int),
        "net": dollars.groupby(smap).sum(),
        "gross": dollars.abs().groupby(smap).sum(),
    })
    df["weight"] = df["net"] / res.notional
    df["min"] = np.nan
    df["max"] = np.nan
    for c in caps:
        for col, value in (("max", c.max_weight), ("min", c.min_weight)):
            if value is None:
                continue
            for s in df.index:
                v = value.get(s) if isinstance(value, (Mapping, pd.Series)) else value
                if v is not None and not pd.isna(v):
                    df.at[s, col] = _tightest(df.at[s, col], float(v), col)
    df.index.name = "sector"
    return df.sort_values("gross", ascending=False)
