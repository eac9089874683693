"""The search state: the incumbent lots and the accumulators every move updates in O(N m).

:class:`SearchState` holds ``z``, ``w = u z``, the gradient ``g = Q w - q`` of the quadratic
part, the objective ``f`` (the quadratic plus the spec's linear costs, kept per name in
:attr:`SearchState.costs`, so that :meth:`SearchState.cost_change` prices any move exactly), the
row values ``A w``, the integer bounds, the allowed lot counts (the holes that rules such as
minimum positions and trades cut) and one :class:`~.restrictions.Tracker` per rule that limits
a sum over the names (turnover, name count), which keeps that rule's accumulator.
"""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare.bounds import lot_bounds
from hedgeopt.solvers.wholeshare.integers import BIG
from hedgeopt.solvers.wholeshare.restrictions.base import Tracker
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["SearchState"]


class SearchState:
    """State of the whole-share search on one :class:`WholeShareSpec`.

    Holds the incumbent ``z`` with ``w = u z``, the gradient ``g = Q w - q``, the row values
    ``A w`` and the rules' trackers (:attr:`trackers`), all updated in O(N m) per move.
    """

    def __init__(self, spec: WholeShareSpec, seed: int = 0) -> None:
        self.spec = spec
        self.n = n = spec.n
        self.u = np.asarray(spec.unit, dtype=float)
        self.Q = np.asarray(spec.Q, dtype=float)
        self.q = np.asarray(spec.q, dtype=float)
        self.c = float(spec.c)
        self.dQ = np.diag(self.Q).copy()
        form = spec.form
        self.A = np.asarray(form.A, dtype=float).reshape(-1, n)
        self.lo = np.asarray(form.lo, dtype=float)
        self.hi = np.asarray(form.hi, dtype=float)
        self.m = self.A.shape[0]
        self.Au = self.A * self.u  # row change per lot
        self.rng = np.random.default_rng(seed)
        #: the spec's rules bound to its lots (:meth:`~.spec.WholeShareSpec.restrictions`)
        self.rules = spec.restrictions()
        #: the rules that cut holes in the allowed lot counts (minimum position and trade)
        self.hole_rules = [r for r in self.rules if r.holes]
        self.holes = bool(self.hole_rules)
        #: the incremental accounts of the rules that limit a sum over the names (turnover,
        #: name count); every move, move test and violation goes through them
        self.trackers: list[Tracker] = [t for t in (r.tracker(self) for r in self.rules)
                                        if t is not None]
        self._propagate_bounds()
        #: whether the objective carries linear costs (:meth:`~.spec.WholeShareSpec.cost`)
        self.priced = spec.has_costs
        self.z = np.zeros(n, dtype=np.int64)
        self.set(self.z)

    def cost_change(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The change of the linear costs when names ``idx`` move to lot counts ``v``
        (zeros without costs; ``v`` may hold NaN where a move does not exist)."""
        if not self.priced:
            return np.zeros(np.shape(v))
        idx = np.asarray(idx)
        w = self.u[idx] * np.where(np.isnan(v), self.z[idx], v)
        new = np.zeros(w.shape)
        sp = self.spec
        if sp.trade_rate is not None:
            assert sp.trade_ref is not None
            new += sp.trade_rate[idx] * np.abs(w - sp.trade_ref[idx])
        if sp.short_rate is not None:
            new += sp.short_rate[idx] * np.maximum(-w, 0.0)
        return np.asarray(new - self.costs[idx])

    def starts(self) -> list[np.ndarray]:
        """The points in weights that the rules offer the search as starts
        (:meth:`~.restrictions.base.Restriction.start`: the holdings of a minimum trade)."""
        return [np.asarray(s, dtype=float) for s in (r.start() for r in self.rules)
                if s is not None]

    # -- static helpers ---------------------------------------------------------------------
    def _propagate_bounds(self) -> None:
        """Tighten the integer bounds with the rows and turnover (:func:`lot_bounds`)."""
        zl, zu = lot_bounds(self.spec)
        # finite caps for enumeration (never binding in practice)
        self.zl_f = np.maximum(zl, -BIG)
        self.zu_f = np.minimum(zu, BIG)
        self.zl, self.zu = zl, zu

    def allowed(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether lot count ``v`` is allowed for names ``idx`` (bounds and holes)."""
        ok = (v >= self.zl[idx]) & (v <= self.zu[idx])
        for rule in self.hole_rules:
            ok &= rule.allowed(idx, v)
        return ok

    def _fix(self, idx: np.ndarray, v: np.ndarray, up: bool) -> np.ndarray:
        """Move ``v`` to the nearest allowed value in direction ``up`` (holes only)."""
        v = v.astype(float).copy()
        for _ in range(4):
            for rule in self.hole_rules:
                v = rule.fix(idx, v, up)
        return v

    def step_values(self, z: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Next allowed lot count above and below the current one (NaN where none)."""
        z = self.z if z is None else z
        idx = np.arange(self.n)
        up = z + 1.0
        dn = z - 1.0
        if self.holes:
            up = self._fix(idx, up, True)
            dn = self._fix(idx, dn, False)
            up = np.where(self.allowed(idx, up), up, np.nan)
            dn = np.where(self.allowed(idx, dn), dn, np.nan)
        else:
            up = np.where(up <= self.zu, up, np.nan)
            dn = np.where(dn >= self.zl, dn, np.nan)
        return up, dn

    # -- state ------------------------------------------------------------------------------
    def set(self, z: np.ndarray) -> None:
        """Make ``z`` the current point and recompute every accumulator from scratch."""
        self.z = np.asarray(z, dtype=np.int64).copy()
        self.w = self.u * self.z
        self.g = self.Q @ self.w - self.q
        self.costs = self.spec.cost(self.w)
        self.f = float(0.5 * self.w @ (self.g - self.q) + self.c) + float(self.costs.sum())
        self.aw = self.A @ self.w
        for t in self.trackers:
            t.reset()

    def value(self) -> float:
        """The objective at the current point, recomputed (quadratic plus costs)."""
        return float(0.5 * self.w @ (self.Q @ self.w) - self.q @ self.w + self.c) + float(
            self.spec.cost(self.w).sum())

    def move(self, i: int, v: int) -> None:
        """Set name ``i`` to ``v`` lots, updating accumulators in O(N + m)."""
        d = int(v) - int(self.z[i])
        if d == 0:
            return
        s = d * self.u[i]
        self.f += s * self.g[i] + 0.5 * s * s * self.dQ[i]
        if self.priced:
            one = np.array([i])
            dc = float(self.cost_change(one, np.array([float(v)]))[0])
            self.f += dc
            self.costs[i] += dc
        self.g += s * self.Q[:, i]
        if self.m:
            self.aw += s * self.A[:, i]
        for t in self.trackers:
            t.move(i, v)
        self.z[i] = v
        self.w[i] = self.u[i] * v

    def violation(self) -> float:
        """Total violation of the rows and the trackers' rules (bounds and holes are kept by
        moves)."""
        v = 0.0
        if self.m:
            v += float(np.maximum(self.lo - self.aw, 0).sum()
                       + np.maximum(self.aw - self.hi, 0).sum())
        for t in self.trackers:
            v += t.violation()
        return v
