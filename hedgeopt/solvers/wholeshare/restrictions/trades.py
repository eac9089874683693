"""MinTrade: each name traded for at least a size, or not at all."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.trading import MinTrade
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction

if TYPE_CHECKING:
    from hedgeopt.context import HedgeContext
    from hedgeopt.solvers.wholeshare.restrictions.base import CvxpyBuild, ScipBuild


class MinTradeRule(Restriction):
    """``w_i = h_i`` or ``|w_i - h_i| >= mt_i`` (``h``: the current holdings).

    Parameters
    ----------
    h : numpy.ndarray
        The holdings in weights the trades are measured from (whole lots).
    mt : numpy.ndarray
        Per-name minimum ``|w_i - h_i|`` in weights when traded (0: no threshold).
    """

    constraint = MinTrade
    label = "the minimum trade"
    holes = True
    holes_at_holdings = True

    def __init__(self, h: np.ndarray, mt: np.ndarray) -> None:
        self.h = np.asarray(h, dtype=float)
        self.mt = np.asarray(mt, dtype=float)

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        current: np.ndarray | None = None
        mt = np.zeros(ctx.n_assets)
        for c in constraints:
            held = ctx.weights_from_shares(c.held(ctx))
            if current is not None and not np.allclose(current, held):
                raise InputError("two MinTrade constraints with different holdings", "current")
            current = held
            mt = np.maximum(mt, c.dollars / ctx.notional)
        if current is None:
            return None
        held_lots = ctx.shares_from_weights(current) / lots
        if np.any(np.abs(held_lots - np.round(held_lots)) > 1e-9):
            raise InputError("MinTrade: current holdings must be whole lots of ShareLots",
                             field="current")
        return cls(current, mt)  # also without a threshold: the holdings are a start

    def arrays(self) -> dict[str, np.ndarray]:
        return {"h": self.h, "mt": self.mt}

    def start(self) -> np.ndarray | None:
        return self.h

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        mt = self.mt
        tr = np.abs(w - self.h)
        bad = (tr > tol) & (tr < mt - tol)
        return [f"name {i}: trade {tr[i]:.12g} below min_trade {mt[i]:.12g}"
                for i in np.flatnonzero(bad)]

    def allowed(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        t = np.abs(self.u[idx] * v - self.h[idx])
        mt = self.mt[idx]
        return (t <= EPS) | (t >= mt - EPS) | (mt <= 0)

    def fix(self, idx: np.ndarray, v: np.ndarray, up: bool) -> np.ndarray:
        u, h, mt = self.u[idx], self.h[idx], self.mt[idx]
        t = u * v - h
        inside = (np.abs(t) > EPS) & (np.abs(t) < mt - EPS) & (mt > 0)
        if not np.any(inside):
            return v
        hz = h / u
        r = np.round(hz)
        on = np.abs(u * r - h) <= EPS
        hi_v = np.ceil((h + mt - EPS) / u - 1e-9)
        hi_v = np.where(u * hi_v - h < mt - EPS, hi_v + 1, hi_v)
        lo_v = np.floor((h - mt + EPS) / u + 1e-9)
        lo_v = np.where(h - u * lo_v < mt - EPS, lo_v - 1, lo_v)
        if up:
            cand = np.where(on & (v < r), r, hi_v)
        else:
            cand = np.where(on & (v > r), r, lo_v)
        return np.where(inside, cand, v)

    def alone_values(self, i: int, tol: float) -> set[float]:
        cur, mt, u = self.h[i], self.mt[i], self.u[i]
        return {round(cur / u), math.floor((cur - mt + tol) / u + 1e-9),
                math.ceil((cur + mt - tol) / u - 1e-9)}

    def trade_lots(self) -> np.ndarray:
        """Least trade in lots (at least 1) of every name."""
        return np.ceil((self.mt - EPS) / self.u - 1e-9)

    def scip_rows(self, b: ScipBuild) -> None:
        tm_all = self.trade_lots()
        for i in range(len(b.z)):
            if self.mt[i] <= 0:
                continue
            b.sign_binaries(i, self.h[i] / b.u[i], max(tm_all[i], 1.0), f"t{i}")

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        hz = self.h / b.u
        tm = np.maximum(self.trade_lots(), 1.0)
        a = cp.Variable(b.n, boolean=True)
        c = cp.Variable(b.n, boolean=True)
        act = self.mt > 0
        v = b.z - hz
        return [a + c <= 1,
                v[act] <= cp.multiply((b.zu - hz)[act], a[act]) - cp.multiply(tm[act], c[act]),
                v[act] >= cp.multiply(tm[act], a[act]) + cp.multiply((b.zl - hz)[act], c[act])]
