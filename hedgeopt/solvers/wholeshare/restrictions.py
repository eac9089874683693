"""One object per whole-share restriction: turnover, name count, minimum position, minimum trade.

Each rule holds all of its restriction's arithmetic, for the translation, the checker, the
bound propagation, the search and the MIP builders:

``absorb``
    Reads the user's constraint (:mod:`hedgeopt.constraints`) into the spec's fields.
``violations``
    Readable messages for a lot vector (the checker, :func:`.check.violations`).
``propagate``
    Tightens integer lot bounds (:func:`.bounds.lot_bounds`).
``allowed`` / ``fix``
    Whether a lot count is allowed, and the nearest allowed one in a direction (the "holes"
    that minimum positions and trades cut; used by the search state).
``tracker``
    The search's incremental move evaluation (a :class:`Tracker`: the rule's accumulator in
    the :class:`~.state.SearchState`, updated per move, and its test of single moves, pair
    moves, repair steps and the subset enumeration's partial points; :mod:`.state`,
    :mod:`.local`, :mod:`.enumeration`, :mod:`.rounding`).
``alone`` / ``alone_values``
    The lot counts a name may take when it is the only one held (the single-name proof,
    :mod:`.proofs`).
``scip_rows`` / ``cvxpy_rows``
    The restriction's rows in the MIP (:mod:`.scip`, :mod:`.cvxpy_mip`) through a small
    builder interface (:class:`ScipBuild`, :class:`CvxpyBuild`).

:data:`RULES` is the registration: a new restriction is one class here (or in its own file)
with the hooks it needs (and its :class:`Tracker` when it limits a sum over the names), one
entry there and its data fields on :class:`~.spec.WholeShareSpec`. Nothing else names a rule:
the search, the checker, the proofs and the MIP builders iterate over the spec's rules.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from hedgeopt.constraints.base import Constraint
from hedgeopt.constraints.cardinality import MaxNames, MinPosition
from hedgeopt.constraints.trading import MinTrade, Turnover
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

if TYPE_CHECKING:
    from hedgeopt.solvers.wholeshare.state import SearchState

__all__ = ["Restriction", "TurnoverRule", "MaxNamesRule", "MinPositionRule", "MinTradeRule",
           "RULES", "restrictions_of", "rule_for", "ScipBuild", "CvxpyBuild", "Tracker",
           "SubsetTracker"]


class ScipBuild(Protocol):
    """What a rule may use of the SCIP model being built (see :mod:`.scip`)."""

    m: Any
    scip: Any
    z: list[Any]
    w: list[Any]
    u: np.ndarray
    zl: np.ndarray
    zu: np.ndarray
    zs: np.ndarray | None

    def start(self, var: Any, val: float) -> None:
        """Give ``var`` the value ``val`` in the warm start."""
        ...

    def sign_binaries(self, i: int, c: float, mlots: float, name: str) -> tuple[Any, Any]:
        """Binaries for ``z_i - c`` in ``{0} | [mlots, ..] | [.., -mlots]``."""
        ...

    def held(self) -> list[tuple[Any, Any]]:
        """The (long, short) binaries of every name (built on first use)."""
        ...


class CvxpyBuild(Protocol):
    """What a rule may use of the cvxpy MIP being built (see :mod:`.cvxpy_mip`)."""

    n: int
    z: Any
    w: Any
    u: np.ndarray
    zl: np.ndarray
    zu: np.ndarray

    def held(self) -> tuple[Any, Any, list[Any]]:
        """The (long, short) binary vectors and their rows (built on first use)."""
        ...


class Restriction:
    """Base of the whole-share rules: every hook does nothing unless a rule overrides it."""

    #: the user constraint the rule translates
    constraint: ClassVar[type[Constraint]]
    #: whether the rule cuts holes in the allowed lot counts
    holes: ClassVar[bool] = False
    #: whether the holes lie around the holdings (minimum trades), so that the lot nearest
    #: them may be cut (the turnover's bound in the enumeration then does not count on it)
    holes_at_holdings: ClassVar[bool] = False

    @staticmethod
    def fields(ctx: HedgeContext) -> dict[str, Any]:
        """The spec's fields of the rule before any constraint is read."""
        raise NotImplementedError

    @staticmethod
    def absorb(c: Any, ctx: HedgeContext, fields: dict[str, Any]) -> None:
        """Add the user constraint ``c`` to the spec's ``fields``."""
        raise NotImplementedError

    @staticmethod
    def complete(fields: dict[str, Any], ctx: HedgeContext, lots: np.ndarray) -> None:
        """Check and finish ``fields`` once every constraint is read (``lots``: shares)."""

    @classmethod
    def of(cls, spec: WholeShareSpec) -> Restriction | None:
        """The rule of ``spec``, or None when ``spec`` does not restrict it."""
        raise NotImplementedError

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        """Messages for the lots ``z`` (weights ``w``) beyond ``tol``."""
        return []

    def propagate(self, zl: np.ndarray, zu: np.ndarray, margin: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Lot bounds tightened by the rule (every point within ``margin`` stays inside)."""
        return zl, zu

    def allowed(self, idx: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether the lot counts ``v`` of names ``idx`` avoid the rule's holes."""
        return np.ones(np.shape(v), dtype=bool)

    def fix(self, idx: np.ndarray, v: np.ndarray, up: bool) -> np.ndarray:
        """``v`` moved out of the rule's holes, in direction ``up``."""
        return v

    def tracker(self, st: SearchState) -> Tracker | None:
        """The rule's incremental move evaluation in the search state ``st``.

        None (the default) when the search's bounds and holes (:meth:`allowed`) already keep
        the rule: only rules that limit a sum over the names need a :class:`Tracker`.
        """
        return None

    def alone(self, vl: np.ndarray, vh: np.ndarray, tol: float
              ) -> tuple[np.ndarray, np.ndarray]:
        """The lot intervals ``[vl, vh]`` of each name held alone, tightened by the rule."""
        return vl, vh

    def alone_values(self, i: int, tol: float) -> set[float]:
        """Lot counts of name ``i`` (held alone) where a piece of its allowed set starts or
        ends (the edges of the rule's holes; the single-name proof checks them)."""
        return set()

    def scip_rows(self, b: ScipBuild) -> None:
        """Add the rule's variables and rows to the SCIP model."""

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        """The rule's cvxpy constraints."""
        return []


class Tracker:
    """The search's running account of one rule (built by :meth:`Restriction.tracker`).

    It keeps the rule's accumulator for the current point of the search state ``st`` (read
    through ``self.st`` at every call: ``st.z``, ``st.w``, ``st.u``, the bounds) and tests the
    moves of the search with it. The search state holds a list of the active trackers and
    calls them in :data:`RULES` order, so a rule's arithmetic is done exactly once per move.

    Parameters
    ----------
    st : SearchState
        The search state whose point the tracker follows.
    """

    def __init__(self, st: SearchState) -> None:
        self.st = st

    def reset(self) -> None:
        """Recompute the accumulator from scratch at the point ``st.z``."""
        raise NotImplementedError

    def move(self, i: int, v: int) -> None:
        """Update the accumulator for ``z_i -> v`` (called before ``st.z`` changes)."""
        raise NotImplementedError

    def violation(self) -> float:
        """The rule's violation at the current point (0 when kept)."""
        raise NotImplementedError

    def single_ok(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Whether moving each name ``i`` alone to ``vals[i]`` keeps the rule (``ok``: the
        names that have a value)."""
        raise NotImplementedError

    def single_violation(self, vals: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """The rule's violation after each single move of :meth:`single_ok`."""
        raise NotImplementedError

    def pair_ok(self, idx: np.ndarray, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        """Whether moving ``idx[a]`` to ``va[a]`` and ``idx[b]`` to ``vb[b]`` keeps the rule
        (an ``len(idx) x len(idx)`` matrix)."""
        raise NotImplementedError

    def pair_violation(self, va: np.ndarray, oka: np.ndarray, vb: np.ndarray, okb: np.ndarray
                       ) -> np.ndarray:
        """The rule's violation after moving name ``a`` to ``va[a]`` and ``b`` to ``vb[b]``
        (names without a value stay put; an ``N x N`` matrix)."""
        raise NotImplementedError

    def line_violation(self, i: int, s: np.ndarray) -> np.ndarray | float:
        """The rule's violation after weight changes ``s`` of name ``i`` beyond a first step
        (the repair's jump along a line, :func:`.local._extend`)."""
        raise NotImplementedError

    def line_breaks(self, i: int, step: float) -> list[float]:
        """Step counts near which :meth:`line_violation` bends (``step``: one step's weight)."""
        return []

    def subset(self, S: np.ndarray, x0: np.ndarray, zl: np.ndarray, zu: np.ndarray
               ) -> SubsetTracker:
        """The account of the enumeration over the names ``S`` (now at ``x0``, within
        ``[zl, zu]``; the others fixed; :meth:`.enumeration.Searcher.solve_subset`)."""
        raise NotImplementedError

    def points_ok(self, S: np.ndarray, X: np.ndarray, W: np.ndarray, x0: np.ndarray
                  ) -> np.ndarray:
        """Whether each row of ``X`` (new lots of ``S``, weights ``W``; now ``x0``) keeps the
        rule."""
        raise NotImplementedError

    def trim(self, z: np.ndarray, x: np.ndarray) -> None:
        """Cut a rounded start ``z`` (of the weights ``x``) in place toward the rule."""


class SubsetTracker:
    """A rule's account of the partial points of the subset enumeration, level by level.

    ``acc`` holds one accumulator per surviving node; :meth:`level` tests the candidates of
    one level, :meth:`select` keeps the chosen ones.
    """

    acc: np.ndarray

    def level(self, j: int, rep: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Whether node ``rep[k]`` with value ``v[k]`` at level ``j`` can still keep the rule
        (with the least the levels below ``j`` can add)."""
        raise NotImplementedError

    def select(self, sel: np.ndarray) -> None:
        """Keep the candidates ``sel`` of the last :meth:`level` as the new nodes."""
        raise NotImplementedError


class TurnoverRule(Restriction):
    """``sum_i |w_i - h_i| <= tau``."""

    constraint = Turnover

    def __init__(self, spec: WholeShareSpec, h: np.ndarray, tau: float) -> None:
        self.u = np.asarray(spec.unit, dtype=float)
        self.h = np.asarray(h, dtype=float)
        self.tau = float(tau)

    @staticmethod
    def fields(ctx: HedgeContext) -> dict[str, Any]:
        return {"turnover": None}

    @staticmethod
    def absorb(c: Any, ctx: HedgeContext, fields: dict[str, Any]) -> None:
        if fields["turnover"] is not None:
            raise InputError("at most one Turnover constraint with whole shares",
                             field="Turnover")
        fields["turnover"] = (ctx.weights_from_shares(c.held(ctx)), c.max_dollars / ctx.notional)

    @classmethod
    def of(cls, spec: WholeShareSpec) -> Restriction | None:
        if spec.turnover is None:
            return None
        h, tau = spec.turnover
        return cls(spec, h, tau)

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        t = float(np.abs(w - self.h).sum())
        return [f"turnover {t:.12g} above {self.tau:.12g}"] if t > self.tau + tol else []

    def propagate(self, zl: np.ndarray, zu: np.ndarray, margin: float
                  ) -> tuple[np.ndarray, np.ndarray]:
        h, tau, u = self.h, self.tau, self.u
        zu = np.minimum(zu, np.floor((h + tau + margin) / u + 1e-9))
        zl = np.maximum(zl, np.ceil((h - tau - margin) / u - 1e-9))
        return zl, zu

    def tracker(self, st: SearchState) -> Tracker:
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
        import cvxpy as cp

        return [cp.sum(cp.abs(b.w - self.h)) <= self.tau]


class TurnoverTracker(Tracker):
    """The turnover ``tv = sum_i |w_i - h_i|`` of the current point, against ``tau``."""

    def __init__(self, st: SearchState, h: np.ndarray, tau: float) -> None:
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


class MaxNamesRule(Restriction):
    """At most ``K`` non-zero lot counts."""

    constraint = MaxNames

    def __init__(self, k: int) -> None:
        self.k = k

    @staticmethod
    def fields(ctx: HedgeContext) -> dict[str, Any]:
        return {"max_names": None}

    @staticmethod
    def absorb(c: Any, ctx: HedgeContext, fields: dict[str, Any]) -> None:
        fields["max_names"] = c.k if fields["max_names"] is None else min(fields["max_names"],
                                                                             c.k)

    @classmethod
    def of(cls, spec: WholeShareSpec) -> Restriction | None:
        return None if spec.max_names is None else cls(spec.max_names)

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        k = int(np.count_nonzero(z))
        return [f"{k} names held, more than max_names={self.k}"] if k > self.k else []

    def tracker(self, st: SearchState) -> Tracker:
        return NamesTracker(st, self.k)

    def scip_rows(self, b: ScipBuild) -> None:
        held = b.held()
        b.m.addCons(b.scip.quicksum(v for pair in held for v in pair if v is not None)
                    <= int(self.k))

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        import cvxpy as cp

        p, q, rows = b.held()
        return [*rows, cp.sum(p + q) <= self.k]


class NamesTracker(Tracker):
    """The number of names held ``nz`` of the current point, against ``K``."""

    def __init__(self, st: SearchState, k: int) -> None:
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


class MinTradeRule(Restriction):
    """``w_i = h_i`` or ``|w_i - h_i| >= min_trade_i`` (``h``: the current holdings)."""

    constraint = MinTrade
    holes = True
    holes_at_holdings = True

    def __init__(self, spec: WholeShareSpec) -> None:
        self.u = np.asarray(spec.unit, dtype=float)
        #: minimum trade per name in weights
        self.mt = np.asarray(spec.min_trade, dtype=float)
        #: the holdings in weights the trades are measured from
        self.h = trade_origin(spec)

    @staticmethod
    def fields(ctx: HedgeContext) -> dict[str, Any]:
        return {"current": None, "min_trade": None}

    @staticmethod
    def absorb(c: Any, ctx: HedgeContext, fields: dict[str, Any]) -> None:
        held = ctx.weights_from_shares(c.held(ctx))
        current = fields["current"]
        if current is not None and not np.allclose(current, held):
            raise InputError("two MinTrade constraints with different holdings", "current")
        fields["current"] = held
        thr = np.full(ctx.n_assets, c.dollars / ctx.notional)
        fields["min_trade"] = thr if fields["min_trade"] is None else np.maximum(
            fields["min_trade"], thr)

    @staticmethod
    def complete(fields: dict[str, Any], ctx: HedgeContext, lots: np.ndarray) -> None:
        current = fields["current"]
        if current is not None:
            held_lots = ctx.shares_from_weights(current) / lots
            if np.any(np.abs(held_lots - np.round(held_lots)) > 1e-9):
                raise InputError("MinTrade: current holdings must be whole lots of ShareLots",
                                 field="current")

    @classmethod
    def of(cls, spec: WholeShareSpec) -> Restriction | None:
        return cls(spec) if _any_positive(spec.min_trade) else None

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
        import cvxpy as cp

        hz = self.h / b.u
        tm = np.maximum(self.trade_lots(), 1.0)
        a = cp.Variable(b.n, boolean=True)
        c = cp.Variable(b.n, boolean=True)
        act = self.mt > 0
        v = b.z - hz
        return [a + c <= 1,
                v[act] <= cp.multiply((b.zu - hz)[act], a[act]) - cp.multiply(tm[act], c[act]),
                v[act] >= cp.multiply(tm[act], a[act]) + cp.multiply((b.zl - hz)[act], c[act])]


def _any_positive(x: np.ndarray | None) -> bool:
    """Whether the thresholds ``x`` are given and at least one is positive."""
    return x is not None and bool(np.any(np.asarray(x) > 0))


def trade_origin(spec: WholeShareSpec) -> np.ndarray:
    """The holdings in weights that trades are measured from (``spec.current``, else 0)."""
    return np.asarray(spec.current, dtype=float) if spec.current is not None else np.zeros(spec.n)


#: The registration, in the order the checker reports and the MIP builders add rows.
RULES: tuple[type[Restriction], ...] = (TurnoverRule, MaxNamesRule, MinPositionRule,
                                        MinTradeRule)


def restrictions_of(spec: WholeShareSpec) -> list[Restriction]:
    """The rules that ``spec`` restricts, in :data:`RULES` order."""
    return [r for r in (cls.of(spec) for cls in RULES) if r is not None]


def rule_for(c: Constraint) -> type[Restriction] | None:
    """The rule that translates the user constraint ``c`` (None for other constraints)."""
    for cls in RULES:
        if isinstance(c, cls.constraint):
            return cls
    return None
