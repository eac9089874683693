"""MinPosition: each name held for at least a size, or not at all."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hedgeopt.constraints.cardinality import MinPosition
from hedgeopt.context import HedgeContext
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions.base import (
    CvxpyBuild,
    Restriction,
    ScipBuild,
    _any_positive,
)
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec


class MinPositionRule(Restriction):
    """``z_i = 0`` or ``|w_i| >= min_weight_i``."""

    constraint = MinPosition
    holes = True

    def __init__(self, spec: WholeShareSpec) -> None:
        self.u = u = np.asarray(spec.unit, dtype=float)
        self.weight = mw = np.asarray(spec.min_weight, dtype=float)
        m = np.where(mw > 0, np.ceil((mw - EPS) / u), 0.0)
        m = np.where((m > 0) & (u * (m - 1) >= mw - EPS), m - 1, m)
        #: least ``|z_i|`` in lots when held (0 where there is no threshold)
        self.lots = np.maximum(m, 0.0)

    @staticmethod
    def fields(ctx: HedgeContext) -> dict[str, Any]:
        return {"min_weight": np.zeros(ctx.n_assets)}

    @staticmethod
    def absorb(c: Any, ctx: HedgeContext, fields: dict[str, Any]) -> None:
        fields["min_weight"] = np.maximum(fields["min_weight"], c.dollars / ctx.notional)

    @staticmethod
    def complete(fields: dict[str, Any], ctx: HedgeContext, lots: np.ndarray) -> None:
        if not fields["min_weight"].any():
            fields["min_weight"] = None

    @classmethod
    def of(cls, spec: WholeShareSpec) -> Restriction | None:
        return cls(spec) if _any_positive(spec.min_weight) else None

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
