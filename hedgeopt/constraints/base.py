"""The constraint protocol and the shared machinery of linear constraints.

Every constraint speaks two languages:

- ``compile(w, ctx)``: cvxpy constraints in the problem's scaled variable ``w`` (dollar weights
  relative to the notional, see :class:`~hedgeopt.context.HedgeContext`). Numbers that depend on
  the data are :class:`cvxpy.Parameter` values, refreshed by ``update(ctx)``, so that a re-solve on
  new data or a new ``lam`` does not re-canonicalise.
- ``check(shares, ctx, tol)``: the violations of a share vector, in shares and dollars, as
  readable strings. :class:`~hedgeopt.result.HedgeResult` re-checks every constraint with it.

Polyhedral constraints describe themselves once as a :class:`LinearForm`
(``lb <= w <= ub``, ``lo <= A w <= hi``); :class:`LinearConstraint` derives ``compile``,
``update`` and ``check`` from it, and the native active-set solver consumes the forms directly.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import cvxpy as cp
import numpy as np
import pandas as pd
import scipy.optimize as sopt

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError
from hedgeopt.keys import arguments_key
from hedgeopt.validation import as_dollars, as_float, as_fraction

__all__ = [
    "AbsoluteRows", "Constraint", "LinearConstraint", "LinearForm", "arguments_fixed", "as_dollars",
    "as_float", "as_fraction", "feasible_point", "held_key", "merge_forms", "piecewise_form",
    "shares_array", "shares_matrix",
]


def shares_matrix(shares: Any, ctx: HedgeContext) -> np.ndarray:
    """An N x K matrix of share vectors (one per column, rows in the order of ``ctx.tickers``)
    as a float array; another shape or a NaN or infinite entry raises :class:`InputError`."""
    out = np.asarray(shares, dtype=float)
    if out.ndim != 2 or out.shape[0] != ctx.n_assets or not np.isfinite(out).all():
        raise InputError(f"shares must be a matrix of finite numbers with {ctx.n_assets} rows "
                         f"(one per ticker, in their order) and one column per share vector",
                         field="shares")
    return out


def shares_array(shares: Any, ctx: HedgeContext) -> np.ndarray:
    """A share vector as a float array in the order of ``ctx.tickers`` (tickers absent from a
    Series or dict hold 0; NaN, infinite or unknown entries raise :class:`InputError`)."""
    if isinstance(shares, (pd.Series, dict)):
        return as_ticker_series(shares, ctx.tickers, "shares", fill=0.0, finite=True).to_numpy()
    out = np.asarray(shares, dtype=float).reshape(-1)
    if out.shape != (ctx.n_assets,) or not np.isfinite(out).all():
        raise InputError(f"shares must be {ctx.n_assets} finite numbers in the order of the "
                         f"tickers", field="shares")
    return out


@dataclass
class LinearForm:
    """``lb <= w <= ub`` and ``lo <= A w <= hi`` in scaled weights (``lo == hi``: equality).

    Attributes
    ----------
    lb, ub : numpy.ndarray
        Per-instrument bounds on ``w`` (``-inf`` / ``+inf`` where absent).
    A : numpy.ndarray
        m x N row matrix (m may be 0).
    lo, hi : numpy.ndarray
        Row limits (``-inf`` / ``+inf`` where absent).
    labels : list of str
        One description per row, used in messages (e.g. ``"sector 'Energy'"``).
    owners : list of str
        Which constraint each row came from (filled by :func:`merge_forms`).
    """

    lb: np.ndarray
    ub: np.ndarray
    A: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    labels: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    #: piecewise-linear rows of the constraints that are not polyhedral (gross / short
    #: leverage), set by :func:`piecewise_form`; None: the form is the whole set
    absolute: AbsoluteRows | None = None

    @classmethod
    def free(cls, n: int) -> LinearForm:
        """No restriction on ``n`` weights."""
        return cls(
            lb=np.full(n, -np.inf), ub=np.full(n, np.inf), A=np.zeros((0, n)),
            lo=np.zeros(0), hi=np.zeros(0),
        )

    @classmethod
    def rows(cls, n: int, A: np.ndarray, lo: Any, hi: Any, labels: list[str]) -> LinearForm:
        """Only row constraints."""
        A = np.atleast_2d(np.asarray(A, dtype=float))
        m = A.shape[0]
        return cls(
            lb=np.full(n, -np.inf), ub=np.full(n, np.inf), A=A,
            lo=np.broadcast_to(np.asarray(lo, dtype=float), (m,)).copy(),
            hi=np.broadcast_to(np.asarray(hi, dtype=float), (m,)).copy(),
            labels=list(labels),
        )


def merge_forms(forms: list[tuple[str, LinearForm]], n: int) -> LinearForm:
    """Intersect several linear forms: tightest bounds, stacked rows (with their owners)."""
    out = LinearForm.free(n)
    A, lo, hi, labels, owners = [out.A], [out.lo], [out.hi], [], []
    for name, form in forms:
        out.lb = np.maximum(out.lb, form.lb)
        out.ub = np.minimum(out.ub, form.ub)
        A.append(form.A)
        lo.append(form.lo)
        hi.append(form.hi)
        labels += form.labels
        owners += [name] * form.A.shape[0]
    out.A, out.lo, out.hi = np.vstack(A), np.concatenate(lo), np.concatenate(hi)
    out.labels, out.owners = labels, owners
    return out


def _copied(form: LinearForm) -> LinearForm:
    """A copy of ``form`` that shares no array or list with it."""
    return replace(form, lb=form.lb.copy(), ub=form.ub.copy(), A=form.A.copy(),
                   lo=form.lo.copy(), hi=form.hi.copy(), labels=list(form.labels),
                   owners=list(form.owners),
                   absolute=None if form.absolute is None else replace(
                       form.absolute, pos=form.absolute.pos.copy(),
                       neg=form.absolute.neg.copy(), limit=form.absolute.limit.copy(),
                       labels=list(form.absolute.labels)))


def feasible_point(form: LinearForm) -> np.ndarray | None:
    """A point of ``lb <= w <= ub, lo <= A w <= hi`` by a HiGHS LP (zero objective), or None."""
    n = form.lb.shape[0]
    if np.any(form.lb > form.ub + 1e-12):
        return None
    eq = np.isfinite(form.lo) & (form.lo == form.hi)
    up = np.isfinite(form.hi) & ~eq
    dn = np.isfinite(form.lo) & ~eq
    A_ub = np.vstack([form.A[up], -form.A[dn]])
    b_ub = np.concatenate([form.hi[up], -form.lo[dn]])
    res = sopt.linprog(
        np.zeros(n), A_ub=A_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
        A_eq=form.A[eq] if eq.any() else None, b_eq=form.lo[eq] if eq.any() else None,
        bounds=list(zip(_finite_or_none(form.lb), _finite_or_none(form.ub), strict=True)),
        method="highs",
    )
    return np.asarray(res.x, dtype=float) if res.status == 0 else None


def _finite_or_none(b: np.ndarray) -> list[float | None]:
    """Bounds for ``linprog``: None where a side is unbounded."""
    return [float(x) if np.isfinite(x) else None for x in b]


@dataclass
class AbsoluteRows:
    """Piecewise-linear rows ``sum_i pos_ki max(w_i, 0) + neg_ki max(-w_i, 0) <= limit_k``.

    Convex when ``pos, neg >= 0``: gross leverage is ``pos = neg = 1``, short exposure
    ``pos = 0, neg = 1``. Linear once the sign of every ``w_i`` is fixed, which is how the
    native solver takes them (:mod:`hedgeopt.solvers.signsplit`).

    Attributes
    ----------
    pos, neg : numpy.ndarray
        m x N non-negative coefficients of the long and the short part of each weight.
    limit : numpy.ndarray
        m limits (fractions of the notional).
    labels : list of str
        One description per row, used in messages.
    """

    pos: np.ndarray
    neg: np.ndarray
    limit: np.ndarray
    labels: list[str] = field(default_factory=list)

    @classmethod
    def stack(cls, parts: list[AbsoluteRows], n: int) -> AbsoluteRows:
        """All rows of ``parts`` in one block."""
        return cls(
            pos=np.vstack([np.zeros((0, n)), *[p.pos for p in parts]]),
            neg=np.vstack([np.zeros((0, n)), *[p.neg for p in parts]]),
            limit=np.concatenate([np.zeros(0), *[p.limit for p in parts]]),
            labels=[label for p in parts for label in p.labels],
        )

    def values(self, w: np.ndarray) -> np.ndarray:
        """The rows' left-hand sides at ``w``."""
        return self.pos @ np.maximum(w, 0.0) + self.neg @ np.maximum(-w, 0.0)


def piecewise_form(constraints: list[Constraint], ctx: HedgeContext) -> LinearForm | None:
    """The constraints as a merged :class:`LinearForm` whose :attr:`~LinearForm.absolute`
    holds the :class:`AbsoluteRows` of those that are piecewise linear (None when there are
    none), or None when some constraint is neither."""
    forms, parts = [], []
    for c in constraints:
        f = c.linear(ctx)
        if f is not None:
            forms.append((repr(c), f))
            continue
        a = c.absolute(ctx)
        if a is None:
            return None
        parts.append(a)
    merged = merge_forms(forms, ctx.n_assets)
    merged.absolute = AbsoluteRows.stack(parts, ctx.n_assets) if parts else None
    return merged


class Constraint(ABC):
    """A constraint on the hedge.

    Subclasses implement :meth:`compile` and :meth:`check`; polyhedral ones subclass
    :class:`LinearConstraint` instead and implement :meth:`linear` only.
    """

    #: True when the constraint needs a mixed-integer solver (lots, cardinality, thresholds).
    integer: ClassVar[bool] = False

    def validate(self, ctx: HedgeContext) -> None:  # noqa: B027 - optional hook
        """Raise :class:`~hedgeopt.exceptions.InputError` if the arguments do not fit ``ctx``."""

    @abstractmethod
    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        """cvxpy constraints in the scaled weight variable ``w``."""

    def update(self, ctx: HedgeContext) -> None:  # noqa: B027 - optional hook
        """Refresh the values of the parameters created by :meth:`compile`."""

    @abstractmethod
    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        """Violations of ``shares`` in user units; ``tol`` is relative to the notional."""

    def check_many(self, shares: np.ndarray, ctx: HedgeContext, tol: float = 1e-6
                   ) -> list[list[str]]:
        """:meth:`check` of each column of an N x K share matrix: one list of violations per
        column, each the list ``check`` gives for that column (here: by calling it)."""
        S = shares_matrix(shares, ctx)
        return [self.check(S[:, k], ctx, tol) for k in range(S.shape[1])]

    def linear(self, ctx: HedgeContext) -> LinearForm | None:
        """The constraint as a :class:`LinearForm`, or None when it is not polyhedral."""
        return None

    def absolute(self, ctx: HedgeContext) -> AbsoluteRows | None:
        """The constraint as :class:`AbsoluteRows` when it is piecewise linear in the signs of
        the weights (gross and short leverage), else None."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short(v)}" for k, v in self._repr_args().items())
        return f"{type(self).__name__}({args})"

    def _repr_args(self) -> dict[str, Any]:
        return {}


class LinearConstraint(Constraint):
    """A polyhedral constraint defined by :meth:`_linear`; compile, update and check follow.

    :meth:`linear` caches the form per data context and per argument *value* (see
    :func:`hedgeopt.keys.arguments_key`), so a solve that compiles and snaps builds each form
    once, and re-assigning or mutating an argument (``cap.max_weight = 0.2``,
    ``upper.iloc[0] = 1e5``) takes effect at the next solve. :meth:`check` never reads that
    cache: it verifies against a form of its own, kept in a separate cache with the same keys,
    so verification shares no object with the solve it verifies. One :meth:`_linear` call per
    key fills both: the cache that asked gets the form, the other (when its key is not that one)
    a private copy of every array made before the form is returned to anyone, so no solver can
    reach the copy; a form mutated after that (``form.lb[:] = -inf``) changes one cache only.
    :meth:`_linear` also validates the arguments, so :meth:`validate` is building the form.
    """

    def __init__(self) -> None:
        self._params: list[tuple[str, np.ndarray, cp.Parameter]] = []
        self._structure: Any = None
        self._cached: tuple[Any, LinearForm] | None = None
        self._verified: tuple[Any, LinearForm] | None = None

    def linear(self, ctx: HedgeContext) -> LinearForm:
        """This constraint as ``lb <= w <= ub``, ``lo <= A w <= hi`` (cached, do not mutate)."""
        key = (ctx.version, held_key(self))
        if self._cached is None or self._cached[0] != key:
            self._build(key, ctx, "_cached")
        assert self._cached is not None
        return self._cached[1]

    def _check_form(self, ctx: HedgeContext) -> LinearForm:
        """The form :meth:`check` verifies against: built by :meth:`_linear` from the arguments
        and kept in a cache of its own (per context and argument value, like :meth:`linear`),
        so re-solves are verified cheaply and never against the object the solve used."""
        key = (ctx.version, held_key(self))
        mine = getattr(self, "_verified", None)
        if mine is None or mine[0] != key:
            self._build(key, ctx, "_verified")
        assert self._verified is not None
        return self._verified[1]

    def _build(self, key: Any, ctx: HedgeContext, asked: str) -> None:
        """One :meth:`_linear` call for ``key``: the form into the cache ``asked``
        (``"_cached"`` or ``"_verified"``), a deep copy into the other unless it already holds
        ``key``. (A first solve validates in ``add`` and verifies after the solve, so a
        constraint whose :meth:`check` reads this form built it twice: SectorCap at N=500,
        ~0.3 ms to build against ~20 us to copy. Checks that recompute from the arguments,
        as ExposureLimit's and MaxParticipation's do, are unchanged.)"""
        form = self._linear(ctx)
        other = "_verified" if asked == "_cached" else "_cached"
        held = getattr(self, other, None)
        if held is None or held[0] != key:
            setattr(self, other, (key, _copied(form)))
        setattr(self, asked, (key, form))

    @abstractmethod
    def _linear(self, ctx: HedgeContext) -> LinearForm:
        """Validate the arguments and build the form (subclasses implement this)."""

    def validate(self, ctx: HedgeContext) -> None:
        self.linear(ctx)

    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        form = self.linear(ctx)
        self._structure = _structure(form)
        self._params = []
        out: list[cp.Constraint] = []
        for key, idx, values in _pieces(form):
            p = cp.Parameter(len(idx), name=f"{type(self).__name__}.{key}")
            p.value = values
            self._params.append((key, idx, p))
            if key == "lb":
                out.append(w[idx] >= p)
            elif key == "ub":
                out.append(w[idx] <= p)
            elif key == "eq":
                out.append(form.A[idx] @ w == p)
            elif key == "lo":
                out.append(form.A[idx] @ w >= p)
            else:
                out.append(form.A[idx] @ w <= p)
        return out

    def update(self, ctx: HedgeContext) -> None:
        form = self.linear(ctx)
        if _structure(form) != self._structure:
            raise _StructureChanged(repr(self))
        values = {key: vals for key, _, vals in _pieces(form)}
        for key, _, p in self._params:
            p.value = values[key]

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        n = shares_array(shares, ctx)
        form = self._check_form(ctx)  # never the form object the solve used
        w = ctx.weights_from_shares(n)
        # every comparison in one pass per side; messages are built for the violators only
        with np.errstate(invalid="ignore"):
            below = form.lb - w > tol
            above = w - form.ub > tol
        out: list[str] = []
        if below.any() or above.any():
            below &= np.isfinite(form.lb)  # an infinite bound is never violated (-inf never
            above &= np.isfinite(form.ub)  # is flagged; only +inf lower, -inf upper bounds)
            for side, bound, bad in (("below lower", form.lb, below),
                                     ("above upper", form.ub, above)):
                for i in bad.nonzero()[0]:
                    b_sh = bound[i] * ctx.notional / ctx.p_ref[i]
                    out.append(
                        f"{self!r}: {ctx.tickers[i]} holds {n[i]:,.6g} shares "
                        f"(${n[i] * ctx.p_ref[i]:,.2f}), {side} bound {b_sh:,.6g} shares "
                        f"(${bound[i] * ctx.notional:,.2f})"
                    )
        if form.A.shape[0]:
            value = form.A @ w
            low = value < form.lo - tol
            high = value > form.hi + tol
            for j in (low | high).nonzero()[0]:
                label = form.labels[j] if j < len(form.labels) else f"row {j}"
                if low[j]:
                    out.append(
                        f"{self!r}: {label} is ${value[j] * ctx.notional:,.2f}, below "
                        f"${form.lo[j] * ctx.notional:,.2f}"
                    )
                if high[j]:
                    out.append(
                        f"{self!r}: {label} is ${value[j] * ctx.notional:,.2f}, above "
                        f"${form.hi[j] * ctx.notional:,.2f}"
                    )
        return out


    def check_many(self, shares: np.ndarray, ctx: HedgeContext, tol: float = 1e-6
                   ) -> list[list[str]]:
        """:meth:`check` of each column of an N x K share matrix, the comparisons of all
        columns in one pass.

        The bounds are compared with the same floating-point operations as :meth:`check`
        (elementwise, so bit for bit). The rows' products come from one matrix product, whose
        sums may round differently from the vector product ``check`` forms; any summation of
        ``N`` terms is within ``N eps sum_i |a_i w_i|`` of the exact one, so a column whose
        every row clears its limits by twice that is one that ``check`` passes too. Every other
        column (a bound flagged, a row violated or within that margin of its limit) is handed
        to :meth:`check` itself, which builds the messages: the result is exactly
        ``[check(S[:, k]) for k]``. A subclass that overrides :meth:`check` is checked column
        by column through its own method.
        """
        if type(self).check is not LinearConstraint.check:
            return super().check_many(shares, ctx, tol)
        S = shares_matrix(shares, ctx)
        form = self._check_form(ctx)  # never the form object the solve used
        W = S * ctx.p_ref[:, None] / ctx.notional  # weights_from_shares, column by column
        with np.errstate(invalid="ignore"):
            below = form.lb[:, None] - W > tol
            above = W - form.ub[:, None] > tol
        flagged = below.any(axis=0) | above.any(axis=0)
        if flagged.any():  # an infinite bound is never violated (see check)
            flagged = ((below & np.isfinite(form.lb)[:, None]).any(axis=0)
                       | (above & np.isfinite(form.ub)[:, None]).any(axis=0))
        if form.A.shape[0]:
            V = form.A @ W
            margin = (2.0 * form.A.shape[1] * np.finfo(float).eps) * (np.abs(form.A)
                                                                        @ np.abs(W))
            flagged |= ((V - margin < (form.lo - tol)[:, None])
                        | (V + margin > (form.hi + tol)[:, None])).any(axis=0)
        out: list[list[str]] = [[] for _ in range(S.shape[1])]
        for k in flagged.nonzero()[0]:
            out[k] = self.check(S[:, k], ctx, tol)
        return out


@contextlib.contextmanager
def arguments_fixed(constraints: Iterable[Any]) -> Iterator[None]:
    """Take each linear constraint's argument key once, for the :meth:`LinearConstraint.linear`
    and :meth:`LinearConstraint.check` calls (and :func:`held_key`) inside the block.

    For a span that reads its inputs once with no user code in between that could change them:
    one :meth:`~hedgeopt.problem.HedgeProblem.solve` (its checks, forms and verification),
    one ``add``, a :meth:`~hedgeopt.problem.HedgeProblem.frontier`'s points. Every answer is
    still verified against a form built from the arguments by :meth:`LinearConstraint._linear`
    in the check's own cache (never the solve's form), without hashing the arguments again.
    The keys are dropped on exit (also on an exception), so a change of an argument between
    two solves is seen; no key is ever carried from one solve to the next. Only linear
    constraints are held (a :class:`~hedgeopt.constraints.custom.Custom` runs user code: its
    arguments are read afresh every time).
    """
    held = {id(c): c for c in constraints if isinstance(c, LinearConstraint)}
    keys = _fixed_keys()
    before = {i: keys.get(i) for i in held}
    keys.update({i: (c, arguments_key(c)) for i, c in held.items()})
    try:
        yield
    finally:
        for i, old in before.items():
            if old is None:
                keys.pop(i, None)
            else:
                keys[i] = old


def held_key(item: Any) -> Any:
    """The argument key of ``item``: the one :func:`arguments_fixed` took on entry when this
    thread is inside a block that holds ``item`` itself (by identity), else computed now by
    :func:`~hedgeopt.keys.arguments_key`."""
    fixed = _fixed_keys().get(id(item))
    return fixed[1] if fixed is not None and fixed[0] is item else arguments_key(item)


#: per thread, ``id(constraint) -> (constraint, argument key)`` inside :func:`arguments_fixed`
#: (by identity: a copy of a constraint, e.g. a compiled problem's private one, never inherits a
#: key; per thread: two threads' frontiers over one shared constraint list, e.g. a book's baskets
#: on Dask's threaded scheduler, neither see nor restore each other's keys)
_FIXED = threading.local()


def _fixed_keys() -> dict[int, tuple[LinearConstraint, Any]]:
    keys: dict[int, tuple[LinearConstraint, Any]] | None = getattr(_FIXED, "keys", None)
    if keys is None:
        keys = _FIXED.keys = {}
    return keys


class _StructureChanged(Exception):
    """The constraint's sparsity pattern changed with the data: the problem must be rebuilt."""


def _pieces(form: LinearForm) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Split a form into parameterised pieces over finite entries only."""
    eq = np.isfinite(form.lo) & (form.lo == form.hi)
    pieces = [
        ("lb", np.flatnonzero(np.isfinite(form.lb)), form.lb),
        ("ub", np.flatnonzero(np.isfinite(form.ub)), form.ub),
        ("eq", np.flatnonzero(eq), form.lo),
        ("lo", np.flatnonzero(np.isfinite(form.lo) & ~eq), form.lo),
        ("hi", np.flatnonzero(np.isfinite(form.hi) & ~eq), form.hi),
    ]
    return [(k, idx, vals[idx]) for k, idx, vals in pieces if len(idx)]


def _structure(form: LinearForm) -> tuple:
    return tuple((k, idx.tobytes()) for k, idx, _ in _pieces(form)) + (form.A.tobytes(),)


def _short(v: Any) -> str:
    if isinstance(v, (pd.Series, dict)):
        return f"<{len(v)} entries>"
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)
