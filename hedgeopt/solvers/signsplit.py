r"""Absolute-value rows for the active-set QP: fix the signs, solve, flip, repeat.

Problem
-------
The native solver takes ``min 0.5 w'Qw - q'w`` over a :class:`LinearForm` plus
:class:`~hedgeopt.constraints.base.AbsoluteRows`

.. math::  \sum_i p_{ki} \max(w_i, 0) + m_{ki} \max(-w_i, 0) \le L_k

(gross leverage: ``p = m = 1``; short exposure: ``p = 0, m = 1``). With a **sign pattern**
``s_i`` in ``{+1, -1}`` fixed (``w_i >= 0`` or ``w_i <= 0`` added to the bounds) every such row
is linear, ``sum_i c_ki w_i <= L_k`` with ``c_ki = p_ki`` or ``-m_ki``, so the dense active-set
QP (:func:`~hedgeopt.solvers.activeset.solve_qp`) solves it exactly, with multipliers.

Optimality and the flips
------------------------
The signed subproblem's optimum ``w`` solves the original problem iff, for every name held at
0 by its sign bound (and free to take the other sign), the bound's multiplier ``z_i`` satisfies
``|z_i| <= sum_k mu_k (p_ki + m_ki)`` (the subgradient of the rows at 0 covers the gradient;
``mu_k >= 0`` are the rows' multipliers). Every name that violates it gets the other sign and
the subproblem is solved again, warm-started. The current point stays feasible after a flip
(its flipped entries are 0), so the objective never increases, and it decreases strictly when
the point was not optimal: a finite method, like the sign-based active sets of the LASSO.
Rows are added lazily, the most violated one first: a subproblem carries only the absolute
rows that some iterate has violated (gross and short limits are linearly dependent with an
equality budget, and a row that does not bind only makes the working sets degenerate); the
answer meets every row and the problem with fewer rows is a relaxation, so it is optimal.
A pattern whose subproblem is
infeasible (only possible at the start) is replaced by the signs
of one feasible point, found by a linear program in ``w = u - v`` (HiGHS), which also proves
infeasibility.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.optimize as sopt

from hedgeopt.constraints.base import AbsoluteRows, LinearForm
from hedgeopt.solvers.activeset import Hessian, QPSolution, solve_qp

__all__ = ["solve_signed"]

#: Most signed subproblems before giving up (status "max_iter": the next backend is tried).
MAX_ROUNDS = 60


def solve_signed(Q: np.ndarray | Hessian, q: np.ndarray, form: LinearForm, rows: AbsoluteRows, *,
                 warm: QPSolution | None = None, tol: float = 1e-9, **options: Any
                 ) -> tuple[QPSolution, int]:
    """Solve the QP over ``form`` and ``rows``; returns the solution and the rounds taken.

    The returned :class:`QPSolution` is the last signed subproblem's (its ``row_duals`` cover
    the form's rows then the absolute rows it carries); ``status`` is ``"optimal"`` only when the
    optimality condition above holds for every flippable name.
    """
    sol = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi, warm=_fit(warm, form),
                   tol=tol, **options)
    if sol.status != "optimal":
        return sol, 1
    use = _worst(rows, sol.x, tol)
    if not use.any():
        return sol, 1
    flippable = (form.lb < 0) & (form.ub > 0)
    sign = np.where(form.ub <= 0, -1, np.where(form.lb >= 0, 1, np.where(sol.x < 0, -1, 1)))
    scale = max(1.0, float(np.max(np.abs(q))), float(np.max(Q.diagonal())))  # array or operator
    # a cold start: the unrestricted working set (with or without the new row active) was
    # measured slower on the tracking problems of the benchmarks (primal fallbacks)
    sub_warm: QPSolution | None = None
    restarted = False
    for rounds in range(2, MAX_ROUNDS + 2):
        part = _subset(rows, use)
        sub = _signed(form, part, sign)
        sol = solve_qp(Q, q, sub.lb, sub.ub, sub.A, sub.lo, sub.hi, warm=sub_warm, tol=tol,
                       **options)
        if sol.status == "infeasible" and not restarted:
            restarted = True
            point = _feasible_point(form, rows)
            if point is None:
                return sol, rounds
            sign = np.where(form.ub <= 0, -1, np.where(form.lb >= 0, 1,
                                                       np.where(point < 0, -1, 1)))
            sub_warm = None
            continue
        if sol.status != "optimal":
            return sol, rounds
        mu = np.maximum(sol.row_duals[form.A.shape[0]:], 0.0)
        room = mu @ (part.pos + part.neg)
        at_zero = flippable & (np.abs(sol.x) <= 1e-15) & (sol.bound_state != 0)
        excess = np.where(at_zero, np.abs(sol.bound_duals) - room, 0.0)
        flip = excess > tol * scale
        more = _worst(rows, sol.x, tol, ~use)
        if not flip.any() and not more.any():
            return sol, rounds
        sign = np.where(flip, -sign, sign)
        sub_warm = None if more.any() else sol
        use |= more
    return replace(sol, status="max_iter"), MAX_ROUNDS + 1


def _worst(rows: AbsoluteRows, x: np.ndarray, tol: float,
           among: np.ndarray | None = None) -> np.ndarray:
    """Mask of the one row (of ``among``) that ``x`` violates most, relative to its limit
    (all False when ``x`` meets them all within ``tol``)."""
    scale = np.maximum(1.0, np.abs(rows.limit))
    excess = (rows.values(x) - rows.limit) / scale
    if among is not None:
        excess = np.where(among, excess, -np.inf)
    out = np.zeros(rows.limit.shape[0], dtype=bool)
    if excess.size and excess.max() > tol:
        out[int(np.argmax(excess))] = True
    return out


def _subset(rows: AbsoluteRows, keep: np.ndarray) -> AbsoluteRows:
    """The rows of ``rows`` where ``keep``."""
    return AbsoluteRows(rows.pos[keep], rows.neg[keep], rows.limit[keep],
                        [label for label, k in zip(rows.labels, keep, strict=True) if k])


def _fit(warm: QPSolution | None, form: LinearForm) -> QPSolution | None:
    """A warm start only when it has the form's shape (not a signed subproblem's rows)."""
    if warm is None or warm.x.shape[0] != form.lb.shape[0]:
        return None
    return warm if warm.active_rows.shape[0] == form.A.shape[0] else None


def _signed(form: LinearForm, rows: AbsoluteRows, sign: np.ndarray) -> LinearForm:
    """``form`` with ``w_i >= 0`` (``sign = 1``) or ``w_i <= 0`` (``-1``) and the rows made
    linear under those signs."""
    pos = sign > 0
    C = np.where(pos[None, :], rows.pos, -rows.neg)
    return LinearForm(
        lb=np.where(pos, np.maximum(form.lb, 0.0), form.lb),
        ub=np.where(pos, form.ub, np.minimum(form.ub, 0.0)),
        A=np.vstack([form.A, C]),
        lo=np.concatenate([form.lo, np.full(C.shape[0], -np.inf)]),
        hi=np.concatenate([form.hi, rows.limit]),
        labels=[*form.labels, *rows.labels],
    )


def _feasible_point(form: LinearForm, rows: AbsoluteRows) -> np.ndarray | None:
    """A point of the form and the rows by one LP in ``w = u - v``, ``u, v >= 0``, or None."""
    n = form.lb.shape[0]
    eq = np.isfinite(form.lo) & (form.lo == form.hi)
    up = np.isfinite(form.hi) & ~eq
    dn = np.isfinite(form.lo) & ~eq
    A2 = np.hstack([form.A, -form.A])
    A_ub = np.vstack([A2[up], -A2[dn], np.hstack([rows.pos, rows.neg])])
    b_ub = np.concatenate([form.hi[up], -form.lo[dn], rows.limit])
    # bounds on w = u - v through rows on u - v (u, v >= 0 themselves)
    eye = np.hstack([np.eye(n), -np.eye(n)])
    fin_ub, fin_lb = np.isfinite(form.ub), np.isfinite(form.lb)
    A_ub = np.vstack([A_ub, eye[fin_ub], -eye[fin_lb]])
    b_ub = np.concatenate([b_ub, form.ub[fin_ub], -form.lb[fin_lb]])
    res = sopt.linprog(np.ones(2 * n), A_ub=A_ub, b_ub=b_ub,
                       A_eq=A2[eq] if eq.any() else None, b_eq=form.lo[eq] if eq.any() else None,
                       bounds=(0, None), method="highs")
    return None if res.status != 0 else np.asarray(res.x[:n] - res.x[n:], dtype=float)
