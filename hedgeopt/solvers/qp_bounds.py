"""The bounds and rows of a dense QP, validated once and kept across the solves of a loop.

:func:`~hedgeopt.solvers.activeset.solve_qp` reads ``lb <= x <= ub`` and ``lo <= A x <= hi``
through :func:`_feasible`: a frontier or a tuning path re-solves with the same bounds and rows
while only ``Q`` and ``q`` change, so the last validated set is reused when the next call's arrays
are equal to it **by value** (never by identity: an array changed in place is rebuilt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["_Feasible", "_amax", "_feasible"]


def _amax(a: np.ndarray) -> float:
    """Largest entry of ``a``, 0 for an empty array."""
    return float(a.max()) if a.size else 0.0


def _vec(v: ArrayLike | None, n: int, default: float, name: str) -> np.ndarray:
    """``v`` as ``n`` floats (None: ``default``; a scalar: repeated); NaN is refused."""
    if v is None:
        return np.full(n, default)
    v = np.asarray(v, dtype=float)
    if v.ndim == 0:
        v = np.full(n, float(v))
    v = v.reshape(-1)
    if v.size != n:
        raise ValueError(f"{name} must have {n} entries, got {v.size}")
    if np.isnan(v).any():
        raise ValueError(f"{name} contains NaN")
    return v


@dataclass(frozen=True)
class _Feasible:
    """The validated bounds and rows of a QP and what the solver derives from them alone
    (independent of ``Q``, ``q`` and ``tol``): kept between the solves of a re-solve loop
    (:func:`_feasible`). Its arrays are private read-only copies."""

    lb: np.ndarray
    ub: np.ndarray
    A: np.ndarray
    absA: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    pinned: np.ndarray
    has_lb: np.ndarray
    has_ub: np.ndarray
    lbz: np.ndarray
    ubz: np.ndarray
    eq: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    any_pinned: bool
    zero_bounds: bool
    crossed: bool  # some lb > ub or lo > hi: infeasible
    scale_p: float
    #: the admissible working-set states, ``(vs_min, vs_max, rs_min, rs_max)`` (int8): a bound
    #: state is clipped into ``[vs_min, vs_max]`` (``-1`` only at a finite lower bound, ``+1``
    #: only at a finite upper one, pinned variables ``-1`` only), a row state into
    #: ``[rs_min, rs_max]`` (equality rows ``+1`` only); see ``activeset._sanitize``
    states: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def build(cls, N: int, lb: ArrayLike | None, ub: ArrayLike | None, A: ArrayLike | None,
              lo: ArrayLike | None, hi: ArrayLike | None) -> _Feasible:
        lbv = _vec(lb, N, -np.inf, "lb").copy()
        ubv = _vec(ub, N, np.inf, "ub").copy()
        Am = np.zeros((0, N)) if A is None else np.array(A, dtype=float)
        if Am.ndim == 1:
            Am = Am.reshape(1, -1)
        if Am.ndim != 2 or Am.shape[1] != N:
            raise ValueError(f"A must have shape (m, {N}), got {Am.shape}")
        m = Am.shape[0]
        lov = _vec(lo, m, -np.inf, "lo").copy()
        hiv = _vec(hi, m, np.inf, "hi").copy()
        has_lb, has_ub = np.isfinite(lbv), np.isfinite(ubv)
        row_lo, row_hi = np.isfinite(lov), np.isfinite(hiv)
        lbz, ubz = np.where(has_lb, lbv, 0.0), np.where(has_ub, ubv, 0.0)
        pinned = lbv == ubv
        finite = np.concatenate([lbv[has_lb], ubv[has_ub], lov[row_lo], hiv[row_hi]])
        eq = lov == hiv
        vs_min, vs_max = -has_lb.astype(np.int8), has_ub.astype(np.int8)
        vs_min[pinned], vs_max[pinned] = -1, -1
        rs_min, rs_max = -row_lo.astype(np.int8), row_hi.astype(np.int8)
        rs_min[eq], rs_max[eq] = 1, 1
        out = cls(lb=lbv, ub=ubv, A=Am, absA=np.abs(Am), lo=lov, hi=hiv, pinned=pinned,
                  has_lb=has_lb, has_ub=has_ub, lbz=lbz, ubz=ubz, eq=eq,
                  row_lo=row_lo, row_hi=row_hi, any_pinned=bool(pinned.any()),
                  zero_bounds=not (lbz.any() or ubz.any()),
                  crossed=bool((lbv > ubv).any() or (lov > hiv).any()),
                  scale_p=max(1.0, _amax(np.abs(finite))),
                  states=(vs_min, vs_max, rs_min, rs_max))
        for v in [*vars(out).values(), *out.states]:
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        return out

    def same(self, N: int, lb: ArrayLike | None, ub: ArrayLike | None, A: ArrayLike | None,
             lo: ArrayLike | None, hi: ArrayLike | None) -> bool:
        """Whether these are the arguments it was built from (compared by value)."""
        if self.lb.size != N:
            return False
        for given, mine in ((lb, self.lb), (ub, self.ub), (lo, self.lo), (hi, self.hi),
                            (A, self.A)):
            if not (isinstance(given, np.ndarray) and given.shape == mine.shape
                    and _equal(given, mine)):
                return False
        return True


def _equal(given: np.ndarray, mine: np.ndarray) -> bool:
    """Whether ``given`` is the input ``mine`` was built from, entry by entry.

    Equal bytes of two float64 arrays are the same input (building again gives the same set),
    compared in one ``memcmp`` (5x cheaper than ``==`` and ``all`` for 300 entries); otherwise
    (another dtype, or ``0.0`` against ``-0.0``) by value. The bounds never hold NaN (refused
    when built), so a NaN given there is never equal: it is rebuilt, and refused.
    """
    if given.dtype == mine.dtype and given.tobytes() == mine.tobytes():
        return True
    return bool((given == mine).all())


#: The last :class:`_Feasible` built: a frontier or a tuning path re-solves with the same bounds
#: and rows, and only ``Q`` and ``q`` change (compared by value, never by identity alone).
_LAST_FEASIBLE: list[_Feasible] = []


def _feasible(N: int, lb: ArrayLike | None, ub: ArrayLike | None, A: ArrayLike | None,
              lo: ArrayLike | None, hi: ArrayLike | None) -> _Feasible:
    """The :class:`_Feasible` of these bounds and rows (the last one when they are equal)."""
    last = _LAST_FEASIBLE[-1] if _LAST_FEASIBLE else None
    if last is not None and last.same(N, lb, ub, A, lo, hi):
        return last
    out = _Feasible.build(N, lb, ub, A, lo, hi)
    _LAST_FEASIBLE[:] = [out]
    return out
