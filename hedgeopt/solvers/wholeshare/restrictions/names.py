"""MaxNames: at most k names held."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.cardinality import MaxNames
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction, SubsetTracker, Tracker

if TYPE_CHECKING:
    from hedgeopt.context import HedgeContext
    from hedgeopt.solvers.wholeshare.restrictions.base import CvxpyBuild, PointState, ScipBuild


class MaxNamesRule(Restriction):
    """At most ``k`` non-zero lot counts.

    Parameters
    ----------
    k : int
        The most names held.
    """

    constraint = MaxNames
    label = "the name count limit"

    def __init__(self, k: int) -> None:
        self.k = int(k)

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        return cls(min(c.k for c in constraints)) if constraints else None

    def name_limit(self) -> int | None:
        return self.k

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        k = int(np.count_nonzero(z))
        return [f"{k} names held, more than max_names={self.k}"] if k > self.k else []

    def tracker(self, st: PointState) -> Tracker:
        return NamesTracker(st, self.k)

    def scip_rows(self, b: ScipBuild) -> None:
        held = b.held()
        b.m.addCons(b.scip.quicksum(v for pair in held for v in pair if v is not None)
                    <= int(self.k))

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        p, q, rows = b.held()
        return [*rows, cp.sum(p + q) <= self.k]


class NamesTracker(Tracker):
    """The number of names held ``nz`` of the current point, against ``K``."""

    def __init__(self, st: PointState, k: int) -> None:
        super().__init__(st)
        self.k = k
        self.nz = 0

    def reset(self) -> None:
        self.nz = int(np.count_nonzero(self.st.z))

    def move(self, i: int, v: int) -> None:
        self.nz += int(v != 0) - int(self.st.z[i] != 0)

    def violation(self) -> float:
        return max(self.nz - self.k, 0)

    def single_ok(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        z = self.st.z
        nz = self.nz + (np.where(ok, vals, 0) != 0).astype(int) - (z != 0).astype(int)
        return nz <= self.k

    def single_violation(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        nz = self.nz + (np.where(ok, vals, 0) != 0).astype(int) - (self.st.z != 0)
        return np.maximum(nz - self.k, 0)

    def pair_ok(self, idx: np.ndarray, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        z = self.st.z
        za = (va != 0).astype(int) - (z[idx] != 0)
        zb = (vb != 0).astype(int) - (z[idx] != 0)
        return self.nz + za[:, None] + zb[None, :] <= self.k

    def pair_violation(self, va: np.ndarray, oka: np.ndarray, vb: np.ndarray, okb: np.ndarray
                       ) -> np.ndarray:
        z = self.st.z
        za = (np.where(oka, va, 0) != 0).astype(int) - (z != 0)
        zb = (np.where(okb, vb, 0) != 0).astype(int) - (z != 0)
        return np.maximum(self.nz + za[:, None] + zb[None, :] - self.k, 0)

    def line_violation(self, i: int, s: np.ndarray) -> np.ndarray | float:
        return 0.0  # the count does not change after the first step

    def subset(self, S: np.ndarray, x0: np.ndarray, zl: np.ndarray, zu: np.ndarray
               ) -> SubsetTracker:
        nz_rest = self.nz - int(np.count_nonzero(x0))
        forced = ((zl > 0) | (zu < 0)).astype(int)
        return _NamesSubset(np.array([nz_rest]), np.concatenate([[0], np.cumsum(forced)]),
                            self.k)

    def points_ok(self, S: np.ndarray, X: np.ndarray, W: np.ndarray, x0: np.ndarray
                  ) -> np.ndarray:
        nz = self.nz + np.count_nonzero(X, axis=1) - np.count_nonzero(x0)
        return nz <= self.k

    def trim(self, z: np.ndarray, x: np.ndarray) -> None:
        """Keep the ``K`` largest positions of ``x`` among the names that may be 0."""
        if np.count_nonzero(z) > self.k:
            st = self.st
            can0 = (st.zl <= 0) & (st.zu >= 0)
            score = np.where(can0, np.abs(x), np.inf)
            drop = np.argsort(-score)[self.k:]
            drop = drop[can0[drop]]
            z[drop] = 0


class _NamesSubset(SubsetTracker):
    """The name count of the enumeration's nodes (``rem[j]``: names forced below ``j``)."""

    def __init__(self, acc: np.ndarray, rem: np.ndarray, k: int) -> None:
        self.acc, self.rem, self.k = acc, rem, k
        self.new = acc

    def level(self, j: int, rep: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.new = self.acc[rep] + (v != 0)
        return self.new + self.rem[j] <= self.k

    def select(self, sel: np.ndarray) -> None:
        self.acc = self.new[sel]
