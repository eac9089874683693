"""Turnover: dollar trades from the current holdings, at most a limit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.trading import Turnover
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction, SubsetTracker, Tracker

if TYPE_CHECKING:
    from hedgeopt.context import HedgeContext
    from hedgeopt.solvers.wholeshare.restrictions.base import CvxpyBuild, PointState, ScipBuild


class TurnoverRule(Restriction):
    """``sum_i |w_i - h_i| <= tau``.

    Parameters
    ----------
    h : numpy.ndarray
        The current holdings in weights.
    tau : float
        The limit in weights (``max_dollars / notional``).
    """

    constraint = Turnover
    label = "the turnover limit"

    def __init__(self, h: np.ndarray, tau: float) -> None:
        self.h = np.asarray(h, dtype=float)
        self.tau = float(tau)

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        if len(constraints) > 1:
            raise InputError("at most one Turnover constraint with whole shares",
                             field="Turnover")
        if not constraints:
            return None
        c = constraints[0]
        return cls(ctx.weights_from_shares(c.held(ctx)), c.max_dollars / ctx.notional)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"h": self.h}

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        t = float(np.abs(w - self.h).sum())
        return [f"turnover {t:.12g} above {self.tau:.12g}"] if t > self.tau + tol else []

    def propagate(self, zl: np.ndarray, zu: np.ndarray, margin: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        h, tau, u = self.h, self.tau, self.u
        zu = np.minimum(zu, np.floor((h + tau + margin) / u + 1e-9))
        zl = np.maximum(zl, np.ceil((h - tau - margin) / u - 1e-9))
        return zl, zu

    def tracker(self, st: PointState) -> Tracker:
        return TurnoverTracker(st, self.h, self.tau)

    def alone(self, vl: np.ndarray, vh: np.ndarray, tol: float
              ) -> tuple[np.ndarray, np.ndarray]:
        h, u = self.h, self.u
        r = self.tau + tol - (np.abs(h).sum() - np.abs(h))
        vl = np.where(r < 0, np.inf, np.maximum(vl, np.ceil((h - r) / u - 1e-9)))
        vh = np.where(r < 0, -np.inf, np.minimum(vh, np.floor((h + r) / u + 1e-9)))
        return vl, vh

    def scip_rows(self, b: ScipBuild) -> None:
        sv = []
        for i in range(len(b.z)):
            s_ = b.m.addVar(f"s{i}", lb=0.0, ub=None)
            b.m.addCons(s_ >= b.w[i] - self.h[i])
            b.m.addCons(s_ >= self.h[i] - b.w[i])
            sv.append(s_)
            if b.zs is not None:
                b.start(s_, abs(b.u[i] * b.zs[i] - self.h[i]))
        b.m.addCons(b.scip.quicksum(sv) <= self.tau)

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        return [cp.sum(cp.abs(b.w - self.h)) <= self.tau]


class TurnoverTracker(Tracker):
    """The turnover ``tv = sum_i |w_i - h_i|`` of the current point, against ``tau``."""

    def __init__(self, st: PointState, h: np.ndarray, tau: float) -> None:
        super().__init__(st)
        self.h, self.tau = h, tau
        self.tv = 0.0
        #: whether holes may cut the lot nearest the holdings
        self.trade_holes = any(r.holes_at_holdings for r in st.hole_rules)

    def reset(self) -> None:
        self.tv = float(np.abs(self.st.w - self.h).sum())

    def move(self, i: int, v: int) -> None:
        st, h = self.st, self.h[i]
        self.tv += abs(st.u[i] * v - h) - abs(st.w[i] - h)

    def violation(self) -> float:
        return max(self.tv - self.tau, 0.0)

    def single_ok(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        st, h = self.st, self.h
        tv = self.tv + np.abs(st.u * np.where(ok, vals, 0) - h) - np.abs(st.w - h)
        return tv <= self.tau + EPS

    def single_violation(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        st, h = self.st, self.h
        tv = (self.tv + np.abs(st.u * np.where(ok, vals, st.z) - h)
              - np.abs(st.w - h))
        return np.maximum(tv - self.tau, 0)

    def pair_ok(self, idx: np.ndarray, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        st = self.st
        hi_ = self.h[idx]
        wa = st.u[idx] * va
        wb = st.u[idx] * vb
        ta = np.abs(wa - hi_) - np.abs(st.w[idx] - hi_)
        tb = np.abs(wb - hi_) - np.abs(st.w[idx] - hi_)
        return self.tv + ta[:, None] + tb[None, :] <= self.tau + EPS

    def pair_violation(self, va: np.ndarray, oka: np.ndarray, vb: np.ndarray, okb: np.ndarray
                       ) -> np.ndarray:
        st, h = self.st, self.h
        ta = np.abs(st.u * np.where(oka, va, st.z) - h) - np.abs(st.w - h)
        tb = np.abs(st.u * np.where(okb, vb, st.z) - h) - np.abs(st.w - h)
        return np.maximum(self.tv + ta[:, None] + tb[None, :] - self.tau, 0)

    def line_violation(self, i: int, s: np.ndarray) -> np.ndarray | float:
        st, h = self.st, self.h
        tv = self.tv + np.abs(st.w[i] + s - h[i]) - abs(st.w[i] - h[i])
        return np.maximum(tv - self.tau, 0)

    def line_breaks(self, i: int, step: float) -> list[float]:
        r = (self.h[i] - self.st.w[i]) / step  # the kink at h_i
        return [math.floor(r), math.ceil(r)] if np.isfinite(r) else []

    def subset(self, S: np.ndarray, x0: np.ndarray, zl: np.ndarray, zu: np.ndarray
               ) -> SubsetTracker:
        up_ = self.st.u[S]
        hp = self.h[S]
        tv_rest = self.tv - float(np.abs(up_ * x0 - hp).sum())
        tmin = np.where((hp >= up_ * zl) & (hp <= up_ * zu), 0.0,
                        np.minimum(np.abs(up_ * zl - hp), np.abs(up_ * zu - hp)))
        if not self.trade_holes:
            # nearest lot to h
            near = np.clip(np.round(hp / up_), zl, zu)
            tmin = np.abs(up_ * near - hp)
            tmin = np.minimum(tmin, np.abs(up_ * np.clip(np.floor(hp / up_), zl, zu) - hp))
            tmin = np.minimum(tmin, np.abs(up_ * np.clip(np.ceil(hp / up_), zl, zu) - hp))
        return _TurnoverSubset(np.array([tv_rest]), up_, hp,
                               np.concatenate([[0.0], np.cumsum(tmin)]), self.tau)

    def points_ok(self, S: np.ndarray, X: np.ndarray, W: np.ndarray, x0: np.ndarray
                  ) -> np.ndarray:
        st, h = self.st, self.h
        tv = self.tv + np.abs(W - h[S]).sum(axis=1) - np.abs(st.w[S] - h[S]).sum()
        return tv <= self.tau + EPS


class _TurnoverSubset(SubsetTracker):
    """The turnover of the enumeration's nodes (``rem[j]``: the least the levels below add)."""

    def __init__(self, acc: np.ndarray, up: np.ndarray, hp: np.ndarray, rem: np.ndarray,
                 tau: float) -> None:
        self.acc, self.up, self.hp, self.rem, self.tau = acc, up, hp, rem, tau
        self.new = acc

    def level(self, j: int, rep: np.ndarray, v: np.ndarray) -> np.ndarray:
        self.new = self.acc[rep] + np.abs(self.up[j] * v - self.hp[j])
        return self.new + self.rem[j] <= self.tau + EPS

    def select(self, sel: np.ndarray) -> None:
        self.acc = self.new[sel]
