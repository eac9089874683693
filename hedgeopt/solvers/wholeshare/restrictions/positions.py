"""MinPosition: each name held for at least a size, or not at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgeopt.constraints.cardinality import MinPosition
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction, _any_positive

if TYPE_CHECKING:
    from hedgeopt.context import HedgeContext
    from hedgeopt.solvers.wholeshare.restrictions.base import CvxpyBuild, ScipBuild


class MinPositionRule(Restriction):
    """``z_i = 0`` or ``|w_i| >= weight_i``.

    Parameters
    ----------
    weight : numpy.ndarray
        Per-name minimum ``|w_i|`` in weights when held (0: no threshold).
    """

    constraint = MinPosition
    label = "the minimum position"
    holes = True
    #: least ``|z_i|`` in lots when held (0 where there is no threshold; set by bind)
    lots: np.ndarray

    def __init__(self, weight: np.ndarray) -> None:
        self.weight = np.asarray(weight, dtype=float)

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        mw = np.zeros(ctx.n_assets)
        for c in constraints:
            mw = np.maximum(mw, c.dollars / ctx.notional)
        return cls(mw) if _any_positive(mw) else None

    def arrays(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight}

    def prepare(self) -> None:
        u, mw = self.u, self.weight
        m = np.where(mw > 0, np.ceil((mw - EPS) / u), 0.0)
        m = np.where((m > 0) & (u * (m - 1) >= mw - EPS), m - 1, m)
        self.lots = np.maximum(m, 0.0)

    def held_lots(self) -> np.ndarray | None:
        return self.lots

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        mw = self.weight
        bad = (z != 0) & (np.abs(w) < mw - tol)
        return [f"name {i}: |w|={abs(w[i]):.12g} below min_weight {mw[i]:.12g}"
                for i in np.flatnonzero(bad)]

    def allowed(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        return (v == 0) | (np.abs(v) >= self.lots[idx])

    def fix(self, idx: np.ndarray, v: np.ndarray, up: bool) -> np.ndarray:
        m = self.lots[idx]
        inside = (v != 0) & (np.abs(v) < m)
        if up:
            return np.where(inside, np.where(v > 0, m, 0.0), v)
        return np.where(inside, np.where(v < 0, -m, 0.0), v)

    def alone_values(self, i: int, tol: float) -> set[float]:
        m = max(1.0, math.ceil((self.weight[i] - tol) / self.u[i] - 1e-9))
        return {m, -m}

    def scip_rows(self, b: ScipBuild) -> None:
        b.held()

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        return b.held()[2]
