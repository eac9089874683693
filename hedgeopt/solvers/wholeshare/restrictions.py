"""One object per whole-share restriction: turnover, name count, minimum position, minimum trade.

Each rule holds its restriction's arithmetic for the translation, the checker, the bound
propagation, the search's allowed lot counts and the MIP builders:

``absorb``
    Reads the user's constraint (:mod:`hedgeopt.constraints`) into the spec's fields.
``violations``
    Readable messages for a lot vector (the checker, :func:`.check.violations`).
``propagate``
    Tightens integer lot bounds (:func:`.bounds.lot_bounds`).
``allowed`` / ``fix``
    Whether a lot count is allowed, and the nearest allowed one in a direction (the "holes"
    that minimum positions and trades cut; used by the search state).
``scip_rows`` / ``cvxpy_rows``
    The restriction's rows in the MIP (:mod:`.scip`, :mod:`.cvxpy_mip`) through a small
    builder interface (:class:`ScipBuild`, :class:`CvxpyBuild`).

:data:`RULES` is the registration: a new restriction is one class here (or in its own file),
one entry there and its data fields on :class:`~.spec.WholeShareSpec`. Not yet here: the
search's incremental move evaluation of the turnover and the name count (:mod:`.state`,
:mod:`.local`, :mod:`.enumeration`) and the single-name proof's candidate lot counts
(:mod:`.proofs`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np

from hedgeopt.constraints.base import Constraint
from hedgeopt.constraints.cardinality import MaxNames, MinPosition
from hedgeopt.constraints.trading import MinTrade, Turnover
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["Restriction", "TurnoverRule", "MaxNamesRule", "MinPositionRule", "MinTradeRule",
           "RULES", "restrictions_of", "rule_for", "ScipBuild", "CvxpyBuild"]


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

    def scip_rows(self, b: ScipBuild) -> None:
        """Add the rule's variables and rows to the SCIP model."""

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        """The rule's cvxpy constraints."""
        return []


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

    def scip_rows(self, b: ScipBuild) -> None:
        held = b.held()
        b.m.addCons(b.scip.quicksum(v for pair in held for v in pair if v is not None)
                    <= int(self.k))

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        import cvxpy as cp

        p, q, rows = b.held()
        return [*rows, cp.sum(p + q) <= self.k]


class MinPositionRule(Restriction):
    """``z_i = 0`` or ``|w_i| >= min_weight_i``."""

    constraint = MinPosition
    holes = True

    def __init__(self, spec: WholeShareSpec) -> None:
        u = np.asarray(spec.unit, dtype=float)
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

    def scip_rows(self, b: ScipBuild) -> None:
        b.held()

    def cvxpy_rows(self, b: CvxpyBuild) -> list[Any]:
        return b.held()[2]


class MinTradeRule(Restriction):
    """``w_i = h_i`` or ``|w_i - h_i| >= min_trade_i`` (``h``: the current holdings)."""

    constraint = MinTrade
    holes = True

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
