"""The rule protocol: what a whole-share restriction provides to the translation, the
checker, the bounds, the proofs, the search (:class:`Tracker`) and the MIP builders.

A rule instance owns its restriction's data, in weights (fractions of the notional): the
spec holds a tuple of them (:attr:`~.spec.WholeShareSpec.rules`). The lot-dependent numbers
(minimum positions in lots, ...) come from :meth:`Restriction.bind`, which the spec calls with
its lot values (:meth:`~.spec.WholeShareSpec.restrictions`), so a rule is never out of step
with the spec's ``unit``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from hedgeopt.constraints.base import Constraint
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

_R = TypeVar("_R", bound="Restriction")


class PointState(Protocol):
    """What a :class:`Tracker` reads of the search state it follows
    (:class:`~hedgeopt.solvers.wholeshare.state.SearchState`)."""

    z: np.ndarray
    w: np.ndarray
    u: np.ndarray
    zl: np.ndarray
    zu: np.ndarray
    hole_rules: list[Any]


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
    """Base of the whole-share rules: every hook does nothing unless a rule overrides it.

    A rule's constructor takes its data in weights; :meth:`build` makes one from the user's
    constraints. Hooks that need the lot values read :attr:`u`, set by :meth:`bind`.
    """

    #: the user constraint the rule translates
    constraint: ClassVar[type[Constraint]]
    #: the restriction in plain words, for messages ("the turnover limit")
    label: ClassVar[str] = "a whole-share restriction"
    #: whether the rule cuts holes in the allowed lot counts
    holes: ClassVar[bool] = False
    #: whether the holes lie around the holdings (minimum trades), so that the lot nearest
    #: them may be cut (the turnover's bound in the enumeration then does not count on it)
    holes_at_holdings: ClassVar[bool] = False
    #: the weight of one lot per name (set by :meth:`bind`)
    u: np.ndarray

    @classmethod
    def build(cls, constraints: Sequence[Any], ctx: HedgeContext, lots: np.ndarray
              ) -> Restriction | None:
        """The rule of the user's ``constraints`` (every one an instance of
        :attr:`constraint`, in the problem's order; ``lots``: lot sizes in shares), or None
        when together they restrict nothing."""
        raise NotImplementedError

    def bind(self: _R, unit: np.ndarray) -> _R:
        """A copy of the rule for the lot values ``unit`` (its lot-dependent numbers set)."""
        out = copy.copy(self)
        out.u = np.asarray(unit, dtype=float)
        for name, arr in self.arrays().items():
            if np.shape(arr) != out.u.shape:
                raise InputError(f"{type(self).__name__}: {name} has shape {np.shape(arr)}, "
                                 f"expected one entry per name {out.u.shape}", field=name)
        out.prepare()
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """The rule's per-name data by name (their shapes are checked by :meth:`bind`)."""
        return {}

    def prepare(self) -> None:
        """Compute the lot-dependent numbers from :attr:`u` (called by :meth:`bind`)."""

    def name_limit(self) -> int | None:
        """At most this many names held under the rule (None: no limit). The proofs (forced
        names, reach with ``K`` names) and the exact one-name path read the least of them."""
        return None

    def held_lots(self) -> np.ndarray | None:
        """Least ``|z_i|`` in lots whenever name ``i`` is held (None: no such threshold); the
        MIP builders' held binaries take the largest over the rules."""
        return None

    def start(self) -> np.ndarray | None:
        """A point in weights the search rounds as a start (None: none)."""
        return None

    def restrict(self: _R, keep: np.ndarray) -> _R | None:
        """The rule on the names ``keep`` (a boolean mask) with every other name held at 0
        (the subset selection's restricted problem, :mod:`..subspec`); None when it then
        restricts nothing. The default slices the per-name data of :meth:`arrays` (whose
        keys are the attribute names); a rule whose other numbers depend on the names left
        out overrides it."""
        out = copy.copy(self)
        for name, arr in self.arrays().items():
            setattr(out, name, np.asarray(arr)[keep].copy())
        return out

    def l1_limit(self) -> tuple[np.ndarray, float] | None:
        """``(h, tau)`` when the rule is the convex limit ``sum_i |w_i - h_i| <= tau`` (in
        weights), which the continuous subset problems of the selection then keep
        (:mod:`..subsetqp`); None for other rules."""
        return None

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

    def tracker(self, st: PointState) -> Tracker | None:
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
    st : PointState
        The search state whose point the tracker follows.
    """

    def __init__(self, st: PointState) -> None:
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


def _any_positive(x: np.ndarray | None) -> bool:
    """Whether the thresholds ``x`` are given and at least one is positive."""
    return x is not None and bool(np.any(np.asarray(x) > 0))
