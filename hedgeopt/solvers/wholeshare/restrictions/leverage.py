"""Gross and short exposure: ``sum_i p_ki max(w_i, 0) + m_ki max(-w_i, 0) <= L_k`` per row.

The rows are :class:`~hedgeopt.constraints.base.AbsoluteRows` (gross: ``p = m = 1``, the
turnover's arithmetic with holdings 0; short: ``p = 0, m = 1``); one rule holds every row of
the problem's :class:`~hedgeopt.constraints.leverage.Leverage` constraints and one
:class:`LeverageTracker` follows them all (a vector of accumulators, one per row).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import AbsoluteRows
from hedgeopt.constraints.leverage import Leverage
from hedgeopt.context import HedgeContext
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions.base import (
    CvxpyBuild,
    PointState,
    Restriction,
    ScipBuild,
    SubsetTracker,
    Tracker,
)


class LeverageRule(Restriction):
    """``pos @ max(w, 0) + neg @ max(-w, 0) <= limit`` row by row, in weights.

    Parameters
    ----------
    pos, neg : numpy.ndarray
        m x N non-negative coefficients of the long and short parts.
    limit : numpy.ndarray
        m limits (fractions of the notional).
    labels : list of str
        The rows in words ("gross exposure").
    """

    constraint = Leverage
    label = "the leverage limit"

    def __init__(self, pos: np.ndarray, neg: np.ndarray, limit: np.ndarray,
                 labels: list[str]) -> None:
        self.pos, self.neg = np.atleast_2d(pos), np.atleast_2d(neg)
        self.limit = np.asarray(limit, dtype=float)
        self.labels = list(labels)

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        if not constraints:
            return None
        rows = AbsoluteRows.stack([c.absolute(ctx) for c in constraints], ctx.n_assets)
        return cls(rows.pos, rows.neg, rows.limit, rows.labels)

    def restrict(self, keep: np.ndarray) -> LeverageRule:
        # the names left out are held at 0 and add nothing to any row: keep their columns out
        return LeverageRule(self.pos[:, keep], self.neg[:, keep], self.limit, self.labels)

    def values(self, w: np.ndarray) -> np.ndarray:
        """Each row's left-hand side at ``w``."""
        return self.pos @ np.maximum(w, 0.0) + self.neg @ np.maximum(-w, 0.0)

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        v = self.values(w)
        return [f"{label} {v[k]:.12g} above {self.limit[k]:.12g}"
                for k, label in enumerate(self.labels) if v[k] > self.limit[k] + tol]

    def propagate(self, zl: np.ndarray, zu: np.ndarray, margin: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        u = self.u
        with np.errstate(divide="ignore"):
            w_hi = np.min(np.where(self.pos > 0, (self.limit[:, None] + margin) / self.pos,
                                   np.inf), axis=0)
            w_lo = -np.min(np.where(self.neg > 0, (self.limit[:, None] + margin) / self.neg,
                                    np.inf), axis=0)
        zu = np.minimum(zu, np.where(np.isfinite(w_hi), np.floor(w_hi / u + 1e-9), np.inf))
        zl = np.maximum(zl, np.where(np.isfinite(w_lo), np.ceil(w_lo / u - 1e-9), -np.inf))
        return zl, zu

    def alone(self, vl: np.ndarray, vh: np.ndarray, tol: float
              ) -> tuple[np.ndarray, np.ndarray]:
        return self.propagate(vl, vh, tol)

    def tracker(self, st: PointState) -> Tracker:
        return LeverageTracker(st, self.pos, self.neg, self.limit)

    def scip_rows(self, b: ScipBuild) -> None:
        lp, ln = [], []
        for i in range(len(b.z)):
            a = b.m.addVar(f"lev_long{i}", lb=0.0, ub=None)
            s = b.m.addVar(f"lev_short{i}", lb=0.0, ub=None)
            b.m.addCons(a >= b.w[i])
            b.m.addCons(s >= -b.w[i])
            if b.zs is not None:
                wi = float(b.u[i] * b.zs[i])
                b.start(a, max(wi, 0.0))
                b.start(s, max(-wi, 0.0))
            lp.append(a)
            ln.append(s)
        for k in range(len(self.limit)):
            terms = [self.pos[k, i] * lp[i] + self.neg[k, i] * ln[i] for i in range(len(b.z))
                     if self.pos[k, i] or self.neg[k, i]]
            b.m.addCons(b.scip.quicksum(terms) <= float(self.limit[k]))

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        return [self.pos[k] @ cp.pos(b.w) + self.neg[k] @ cp.neg(b.w) <= self.limit[k]
                for k in range(len(self.limit))]


class LeverageTracker(Tracker):
    """The rows' values ``acc`` (one per row) at the current point, against the limits."""

    def __init__(self, st: PointState, pos: np.ndarray, neg: np.ndarray,
                 limit: np.ndarray) -> None:
        super().__init__(st)
        self.pos, self.neg, self.limit = pos, neg, limit
        self.acc = np.zeros(len(limit))

    def _f(self, x: np.ndarray, idx: Any = slice(None)) -> np.ndarray:
        """Per-row contributions ``p max(x, 0) + m max(-x, 0)`` of names ``idx`` at ``x``
        (m x len(x))."""
        return self.pos[:, idx] * np.maximum(x, 0.0) + self.neg[:, idx] * np.maximum(-x, 0.0)

    def reset(self) -> None:
        self.acc = self._f(self.st.w).sum(axis=1)

    def move(self, i: int, v: int) -> None:
        st = self.st
        self.acc = self.acc + self._f(np.array([st.u[i] * v]), [i])[:, 0] \
            - self._f(np.array([st.w[i]]), [i])[:, 0]

    def violation(self) -> float:
        return float(np.maximum(self.acc - self.limit, 0.0).sum())

    def _after_single(self, vals: np.ndarray) -> np.ndarray:
        st = self.st
        return self.acc[:, None] + self._f(st.u * vals) - self._f(st.w)  # m x N

    def single_ok(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        after = self._after_single(np.where(ok, vals, 0))
        return np.all(after <= self.limit[:, None] + EPS, axis=0)

    def single_violation(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        after = self._after_single(np.where(ok, vals, self.st.z))
        return np.maximum(after - self.limit[:, None], 0).sum(axis=0)

    def pair_ok(self, idx: np.ndarray, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        st = self.st
        base = self._f(st.w[idx], idx)
        ta = self._f(st.u[idx] * va, idx) - base
        tb = self._f(st.u[idx] * vb, idx) - base
        tot = self.acc[:, None, None] + ta[:, :, None] + tb[:, None, :]
        return np.all(tot <= self.limit[:, None, None] + EPS, axis=0)

    def pair_violation(self, va: np.ndarray, oka: np.ndarray, vb: np.ndarray, okb: np.ndarray
                       ) -> np.ndarray:
        st = self.st
        base = self._f(st.w)
        ta = self._f(st.u * np.where(oka, va, st.z)) - base
        tb = self._f(st.u * np.where(okb, vb, st.z)) - base
        tot = self.acc[:, None, None] + ta[:, :, None] + tb[:, None, :]
        return np.maximum(tot - self.limit[:, None, None], 0).sum(axis=0)

    def line_violation(self, i: int, s: np.ndarray) -> np.ndarray | float:
        st = self.st
        x = st.w[i] + np.atleast_1d(np.asarray(s, dtype=float))
        tot = (self.acc[:, None] + self.pos[:, [i]] * np.maximum(x, 0.0)
               + self.neg[:, [i]] * np.maximum(-x, 0.0)
               - self._f(np.array([st.w[i]]), [i]))
        out = np.maximum(tot - self.limit[:, None], 0).sum(axis=0)
        return out if np.ndim(s) else float(out[0])

    def line_breaks(self, i: int, step: float) -> list[float]:
        r = -self.st.w[i] / step  # the kink at 0
        return [math.floor(r), math.ceil(r)] if np.isfinite(r) else []

    def subset(self, S: np.ndarray, x0: np.ndarray, zl: np.ndarray, zu: np.ndarray
               ) -> SubsetTracker:
        up_ = self.st.u[S]
        rest = self.acc - self._f(up_ * x0, S).sum(axis=1)
        # least contribution of each level within [zl, zu] (0 where 0 is inside: a lower
        # bound even when holes cut 0 out)
        lo, hi = self._f(up_ * zl, S), self._f(up_ * zu, S)
        inside = (zl <= 0) & (zu >= 0)
        tmin = np.where(inside[None, :], 0.0, np.minimum(lo, hi))
        rem = np.concatenate([np.zeros((len(self.limit), 1)), np.cumsum(tmin, axis=1)], axis=1)
        return _LeverageSubset(rest[None, :], self, S, rem)

    def points_ok(self, S: np.ndarray, X: np.ndarray, W: np.ndarray, x0: np.ndarray
                  ) -> np.ndarray:
        st = self.st
        pos, neg = self.pos[:, S], self.neg[:, S]
        add = (np.maximum(W, 0) @ pos.T + np.maximum(-W, 0) @ neg.T)  # points x m
        tot = self.acc[None, :] + add - self._f(st.w[S], S).sum(axis=1)[None, :]
        return np.all(tot <= self.limit[None, :] + EPS, axis=1)


class _LeverageSubset(SubsetTracker):
    """The rows' values of the enumeration's nodes (``acc``: nodes x m; ``rem[:, j]``: the
    least the levels still open below ``j`` add)."""

    def __init__(self, acc: np.ndarray, tr: LeverageTracker, S: np.ndarray,
                 rem: np.ndarray) -> None:
        self.acc, self.tr, self.S, self.rem = acc, tr, S, rem
        self.up = tr.st.u[S]
        self.new = acc

    def level(self, j: int, rep: np.ndarray, v: np.ndarray) -> np.ndarray:
        i = self.S[j]
        x = self.up[j] * np.asarray(v, dtype=float)
        add = (self.tr.pos[:, i][None, :] * np.maximum(x, 0.0)[:, None]
               + self.tr.neg[:, i][None, :] * np.maximum(-x, 0.0)[:, None])
        self.new = self.acc[rep] + add
        # levels are processed from the last down to 0: rem[:, j] is what levels < j add
        return np.all(self.new + self.rem[:, j][None, :] <= self.tr.limit[None, :] + EPS,
                      axis=1)

    def select(self, sel: np.ndarray) -> None:
        self.acc = self.new[sel]
