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
the subproblem is solved again, warm-started from the previous working set with the flipped
names freed (at most as many as the free set holds: :func:`_freed`). The current point stays
feasible after a flip (its flipped entries are 0), so the objective never increases, and it
decreases strictly when the point was not optimal: a finite method, like the sign-based
active sets of the LASSO.

The first pattern and the rows carried
--------------------------------------
Every subproblem carries all the absolute rows, and the first pattern is the sign of the
descent direction at ``w = 0``, ``s_i = sign(q_i)`` (of a warm start's weights where they are
nonzero): under a binding gross limit the optimum is a LASSO-like point whose names enter with
the sign of their correlation with the basket, so 3-5 rounds of small free sets suffice. On a dense
``Q`` of moderate size a cold start takes the signs of the ridge solution ``(Q + r I)^{-1} q``
instead (one Cholesky; the ridge stands in for the gross limit): 1-2 rounds; on a low-rank
``Q`` the same solution by Woodbury (one ``k x k`` Cholesky): 2-3 rounds instead of 4-5. (The
first version solved the problem without the rows first and took its signs; with long-short
boxes and ``N`` near or above ``T`` that QP has a large, ill-conditioned free set, and its
solve was 95% of the time of the benchmarks' desk row.) When two signed optima in a row (a
pattern's and the flipped one's) leave every row slack, the rows are not what shapes the
answer: the problem without them (a relaxation) is solved once, and its answer is returned
when it meets every row; otherwise its signs restart the flips. One slack round is not enough
evidence: a poor first pattern (``sign(q)``) restricts the hedge so much that a gross limit
binding at the optimum is slack there, and the relaxation, with every name free to take
either sign, is the hardest QP of the solve (desk constraints at N=2000, T=1260 and the default
lam=0: 19 of the solve's 20 s, for an answer that broke the limit; without it, 0.9 s). A
pattern whose subproblem is infeasible (only possible at the start) is replaced by the signs
of one feasible point, found by a linear program in ``w = u - v`` (HiGHS), which also proves
infeasibility. Each restart happens at most once, so the method stays finite.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.optimize as sopt
from scipy.linalg import lapack

from hedgeopt.constraints.base import AbsoluteRows, LinearForm
from hedgeopt.solvers.activeset import Hessian, QPSolution, solve_qp
from hedgeopt.solvers.lowrank import LowRankHessian

__all__ = ["solve_signed"]

#: Most signed subproblems before giving up (status "max_iter": the next backend is tried).
MAX_ROUNDS = 60


def solve_signed(Q: np.ndarray | Hessian, q: np.ndarray, form: LinearForm, rows: AbsoluteRows, *,
                 warm: QPSolution | None = None, tol: float = 1e-9, **options: Any
                 ) -> tuple[QPSolution, int]:
    """Solve the QP over ``form`` and ``rows``; returns the solution and the QPs solved.

    The returned :class:`QPSolution` is the last signed subproblem's (its ``row_duals`` cover
    the form's rows then every absolute row), or the relaxation's when that meets the rows (its
    ``row_duals`` cover the form's rows only); ``status`` is ``"optimal"`` only when the
    optimality condition above holds for every flippable name.
    """
    k = rows.limit.shape[0]
    if k == 0:
        return _relaxation(Q, q, form, warm, tol, options), 1
    form = _zero_limits_as_bounds(form, rows)
    flippable = (form.lb < 0) & (form.ub > 0)
    sign, ridged = _first_signs(form, Q, q, warm)
    scale = max(1.0, float(np.max(np.abs(q))), float(np.max(Q.diagonal())))  # array or operator
    slack_at = np.maximum(1.0, np.abs(rows.limit)) * tol
    sub_warm = _relabelled(warm, sign) if _fits(warm, form.A.shape[0] + k) else None
    given = sub_warm is not None  # the caller's working set: its round is solved directly
    guess = None
    if sub_warm is None and ridged is not None:
        sub_warm = guess = _guessed_working_set(ridged, sign, form, rows)
    restarted = relaxed = slack_last = near = False
    solves = 0
    while solves < MAX_ROUNDS:
        solves += 1
        sub = _signed(form, rows, sign)
        direct = given or (near and sub_warm is not None)  # a restart has no working set
        sol = _solve(Q, q, sub, sub_warm, tol, options, continuation=not direct)
        if guess is not None and sub_warm is guess and sol.status != "optimal":
            # the guess misled PDAS (e.g. rows that are dependent at the optimum, all taken
            # active: budget 1 and gross 1): the same subproblem again from the cold start
            solves += 1
            sol = _solve(Q, q, sub, None, tol, options, continuation=not given)
        given = False
        if sol.status == "infeasible" and not restarted:
            restarted = True
            point = _feasible_point(form, rows)
            if point is None:
                return sol, solves
            sign = _signs_of(point, sign, form)
            sub_warm = None
            continue
        if sol.status != "optimal":
            return sol, solves
        mu = np.maximum(sol.row_duals[form.A.shape[0]:], 0.0)
        room = mu @ (rows.pos + rows.neg)
        at_zero = flippable & (np.abs(sol.x) <= 1e-15) & (sol.bound_state != 0)
        excess = np.where(at_zero, np.abs(sol.bound_duals) - room, 0.0)
        flip = excess > tol * scale
        if not flip.any():
            return sol, solves
        slack = bool(np.all(rows.values(sol.x) < rows.limit - slack_at))
        slack_twice, slack_last = slack and slack_last, slack
        if not relaxed and slack_twice:
            relaxed = True  # no row shaped this point nor the last: try the problem without them
            solves += 1
            rel = _relaxation(Q, q, form, warm, tol, options)
            if rel.status == "optimal" and np.all(rows.values(rel.x) <= rows.limit + slack_at):
                return rel, solves
            if rel.status == "optimal":
                sign = _signs_of(rel.x, sign, form)
                sub_warm = None
                continue
        sign = np.where(flip, -sign, sign)
        sub_warm = _freed(sol, flip, excess, sign)
        near = int(np.count_nonzero(flip)) <= FREED_MIN
    return replace(sol, status="max_iter"), solves


def _relaxation(Q: np.ndarray | Hessian, q: np.ndarray, form: LinearForm,
                warm: QPSolution | None, tol: float, options: dict[str, Any]) -> QPSolution:
    """The QP over ``form`` alone (no absolute rows), from the caller's working set if it fits."""
    fits = _fits(warm, form.A.shape[0])
    return _solve(Q, q, form, warm if fits else None, tol, options, continuation=not fits)


#: Ridges of the continuation on a low-rank ``Q`` (see :func:`_solve`), relative to
#: ``mean(diag(Q))``, largest first.
CONTINUATION = (1e-2, 1e-3, 1e-4)


def _solve(Q: np.ndarray | Hessian, q: np.ndarray, form: LinearForm, warm: QPSolution | None,
           tol: float, options: dict[str, Any], *, continuation: bool = True) -> QPSolution:
    """:func:`~hedgeopt.solvers.activeset.solve_qp` over ``form``; on a low-rank ``Q``
    (:class:`~hedgeopt.solvers.lowrank.LowRankHessian` of rank below ``N``: ``N >> T``) through
    a continuation on the ridge.

    With more names than observations a signed subproblem's ``Q`` is singular on most free
    sets, and PDAS from a cold or flipped working set thrashes: on the continuous suite's desk
    row at N=3000 T=252 the first two rounds ran out of PDAS steps (100) and the primal
    fallback took 1,267 and 876 single exchanges (5-6 s of the ~6 s). With a ridge of
    ``1e-2 mean(diag(Q))`` the problem is well conditioned and PDAS converges in about 10 steps;
    each smaller ridge of :data:`CONTINUATION` starts from the last working set, and so does the
    problem itself (the ridge the caller gave, 1-2 steps): 0.76 s for the same optimum. Only the
    last solve's answer is returned, so it is exact and KKT-certified as before; a ridged solve
    that fails only loses its warm start. Any other ``Q`` (a dense array, or an operator of
    full rank, ``N < T``) is solved directly: there the extra solves cost more than they save
    (N=500: 38 PDAS steps instead of 22). Without
    ``continuation`` (a working set the caller gave, as a re-solve from the last answer does:
    typically one PDAS step; or the last round's, where at most :data:`FREED_MIN` names flipped)
    the problem is solved directly too: from a working set that near the optimum the
    continuation's four QPs cost ~4x the one (desk constraints at lam=0: N=2000 T=1260 0.76 ->
    0.61 s, N=3000 T=252 0.33 -> 0.20 s).
    """
    if not (continuation and isinstance(Q, LowRankHessian) and Q.rank < Q.shape[0]):
        return solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi, warm=warm, tol=tol,
                        **options)
    ridge = float(options.get("ridge", 0.0))
    rest = {k: v for k, v in options.items() if k != "ridge"}
    mean_diag = float(np.mean(Q.diagonal()))
    for rel in CONTINUATION:
        step = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi, warm=warm, tol=tol,
                        ridge=ridge + rel * mean_diag, **rest)
        if step.status == "infeasible":
            break  # the problem itself says so (and proves it) below
        if step.status == "optimal":
            warm = step
    return solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi, warm=warm, tol=tol,
                    ridge=ridge, **rest)


#: Ridge of the cold first pattern's solve (:func:`_ridge_solution`), relative to
#: ``mean(diag(Q))``.
RIDGE_START = 0.1
#: Largest dense ``N`` whose cold first pattern comes from the ridge solve: its Cholesky costs
#: ``N^3 / 3`` flops (desk row, N=500: ~2.5 ms for two sign rounds fewer, backend ~0.75x ->
#: ~0.5x floor A; N=1000: about even; N=2000: ~100 ms, more than the rounds it saves), so larger
#: problems start from ``sign(q)``.
RIDGE_START_MAX_N = 1000
#: Whether a cold start on a :class:`~hedgeopt.solvers.lowrank.LowRankHessian` takes the ridge
#: solution's signs too (:func:`_low_rank_ridge_solution`, by Woodbury in the factor's ``k``
#: dimensions: ``k^2 N + k^3 / 3`` flops, below the ``k N^2`` of the Gram it stands for).
RIDGE_START_LOW_RANK = True


def _first_signs(form: LinearForm, Q: np.ndarray | Hessian, q: np.ndarray,
                 warm: QPSolution | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The first sign pattern and the ridge solution it came from (None if none).

    A warm start's signs where its weights are nonzero; cold, on a dense ``Q`` of at most
    :data:`RIDGE_START_MAX_N` names, those of :func:`_ridge_solution`, on a low-rank one those
    of :func:`_low_rank_ridge_solution`; else the sign of the descent direction ``q`` at 0
    (bounds that fix a sign win).
    """
    descent = np.where(q < 0, -1, 1)
    ridged = None
    if warm is not None and warm.x.shape == q.shape:
        x = warm.x
    elif isinstance(Q, np.ndarray) and q.shape[0] <= RIDGE_START_MAX_N:
        x = ridged = _ridge_solution(Q, q)
    elif isinstance(Q, LowRankHessian) and RIDGE_START_LOW_RANK:
        x = ridged = _low_rank_ridge_solution(Q, q)
    else:
        x = descent
    return _signs_of(x, descent, form), ridged


def _ridge_solution(Q: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``(Q + r I)^{-1} q`` with ``r =`` :data:`RIDGE_START` ``mean(diag(Q))``, in single
    precision (zeros where the ridge solve fails or is not finite: then ``q`` decides the
    signs).

    The ridge stands in for the gross limit (an L2 instead of an L1 penalty): on the desk row at
    N=500 its signs are right on every name the optimum holds where ``sign(q)`` misses 45 of
    141, and the sign rounds go from 3-5 to 1-2. It only chooses where the flips start (and
    the first working set, :func:`_guessed_working_set`): the answer is the certified optimum
    of the last signed subproblem whatever the first pattern.
    """
    n = q.shape[0]
    ridge = RIDGE_START * float(np.mean(np.diagonal(Q)))
    if not (np.isfinite(ridge) and ridge > 0):
        return np.zeros(n)
    # in single precision (N=500: 1.7 ms instead of 2.8): only the signs and the order of
    # |x_i| are used, and the ridge bounds the condition number (~1e3-1e4 on the desk row: x to
    # ~1e-5 relative); a copy LAPACK factors in place, through its transpose (the same
    # symmetric matrix, in the column order LAPACK wants)
    # LAPACK ``sposv`` (``potrf`` + ``potrs``, what ``cho_factor`` / ``cho_solve`` call) in one
    # call: scipy's two wrappers cost ~0.1 ms of their own at N=500
    H = np.array(Q, dtype=np.float32)
    H.flat[:: n + 1] += np.float32(ridge)
    _, xs, info = lapack.sposv(H.T, q.astype(np.float32), lower=0, overwrite_a=1,
                               overwrite_b=1)
    if info != 0:  # not numerically positive definite (info > 0), or a bad argument
        return np.zeros(n)
    x = xs.astype(float)
    return np.where(np.isfinite(x), x, 0.0)


def _low_rank_ridge_solution(Q: LowRankHessian, q: np.ndarray) -> np.ndarray:
    """:func:`_ridge_solution` for ``Q = V'V + diag(d)`` (``V``: ``k x N``, ``k < N``), by
    the Woodbury identity in single precision: with ``D = d + r``, ``W = D^{-1/2} V'`` and
    ``b = D^{-1/2} q``, ``x = D^{-1/2} (b - W (I + W'W)^{-1} W'b)`` (one ``k x k`` Cholesky).

    On the desk constraints at lam=0, where the Gram of the differences has rank ``T - 2``,
    the cold start from ``sign(q)`` took 4-5 sign rounds: with these signs 2-3, for the same
    optimum (N=800 T=252: 79 -> 48 ms; N=800 T=756: 122 -> 83 ms; N=2000 T=504: 278 -> 162 ms;
    N=2000 T=1260: 569 -> 406 ms). Zeros where the solve fails or is not finite.
    """
    n, k = Q.Vt.shape
    ridge = RIDGE_START * float(np.mean(Q.diagonal()))
    if not (np.isfinite(ridge) and ridge > 0):
        return np.zeros(n)
    root = np.sqrt(Q.d + ridge)
    W = (Q.Vt / root[:, None]).astype(np.float32)
    b = (q / root).astype(np.float32)
    C = W.T @ W  # I + W'W: condition ~ 1 + max eig(Q) / r, as the dense ridge system's
    C.flat[:: k + 1] += np.float32(1.0)
    _, y, info = lapack.sposv(C, W.T @ b, lower=0, overwrite_a=1, overwrite_b=1)
    if info != 0:
        return np.zeros(n)
    x = (b - W @ y).astype(float) / root
    return np.where(np.isfinite(x), x, 0.0)


#: Share of ``sum |x|`` of the ridge solution held by the names the first working set frees.
GUESS_SHARE = 0.7


def _guessed_working_set(x: np.ndarray, sign: np.ndarray, form: LinearForm,
                         rows: AbsoluteRows) -> QPSolution | None:
    """A first working set for the signed subproblem from the ridge solution ``x``.

    Free: the largest ``|x_i|`` that together make :data:`GUESS_SHARE` of ``sum |x|``; every
    other name at the bound 0 of its sign (its lower bound when long, its upper when short);
    the form's equalities active, and the one absolute row that ``x`` loads most relative to its
    limit (a gross limit that binds, as on a desk; one row only: several can contradict the
    equalities, e.g. budget 1, gross 1 and any short limit > 0 taken active together). On the
    desk row at N=500 (four seeds) the first subproblem then takes 7-8 PDAS steps instead of
    11-16, to the same optimum: PDAS corrects a wrong guess, so only the steps depend on it
    (:func:`solve_signed` solves the round again from the cold start if it fails from here).
    None when ``x`` is zero.
    """
    a = np.abs(x)
    total = float(a.sum())
    if not (total > 0 and np.isfinite(total)):
        return None
    order = np.argsort(-a, kind="stable")
    k = int(np.searchsorted(np.cumsum(a[order]), GUESS_SHARE * total)) + 1
    free = np.zeros(x.shape[0], dtype=bool)
    free[order[:k]] = True
    state = np.where(free, 0, np.where(sign > 0, -1, 1)).astype(np.int8)
    eq = np.isfinite(form.lo) & (form.lo == form.hi)
    binding = np.zeros(rows.limit.shape[0], dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        load = rows.values(x) / rows.limit
    if np.isfinite(load).any():
        binding[int(np.nanargmax(np.where(np.isfinite(load), load, np.nan)))] = True
    active = np.concatenate([eq, binding]).astype(np.int8)
    m = active.shape[0]
    return QPSolution(x=np.zeros_like(x), bound_duals=np.zeros_like(x), row_duals=np.zeros(m),
                      status="guess", iterations=0, kkt_residual=float("inf"), free=free,
                      active_rows=active, bound_state=state)


def _zero_limits_as_bounds(form: LinearForm, rows: AbsoluteRows) -> LinearForm:
    """``form`` with the signs that rows of limit <= 0 fix made bounds: such a row is a sum of
    non-negative terms, so each term is 0 (``Leverage(short=0)``: ``w_i >= 0`` for every name
    it counts). The same feasible set; without it a pattern that gives such a name the sign
    -1 pins it at 0 twice (its sign bound and the row), a degenerate subproblem on which
    PDAS and its primal fallback ran out of steps (random desk problems, N=289 T=230 and N=259
    T=200, short=0: no answer from ACTIVESET). ``form`` itself when no row has such a limit."""
    zero = rows.limit <= 0
    if not zero.any():
        return form
    no_long = (rows.pos[zero] > 0).any(axis=0)
    no_short = (rows.neg[zero] > 0).any(axis=0)
    return replace(form, lb=np.where(no_short, np.maximum(form.lb, 0.0), form.lb),
                   ub=np.where(no_long, np.minimum(form.ub, 0.0), form.ub))


def _signs_of(x: np.ndarray, default: np.ndarray, form: LinearForm) -> np.ndarray:
    """The signs of ``x`` (``default`` where it is 0) within what the bounds allow."""
    sign = np.where(x > 0, 1, np.where(x < 0, -1, default))
    return np.where(form.ub <= 0, -1, np.where(form.lb >= 0, 1, sign))


def _fits(warm: QPSolution | None, m: int) -> bool:
    """Whether ``warm`` is a working set of a problem with ``m`` rows."""
    return warm is not None and warm.active_rows.shape[0] == m


def _relabelled(sol: QPSolution | None, sign: np.ndarray) -> QPSolution | None:
    """``sol``'s working set for the pattern ``sign``: a name held at 0 is at the bound 0 of
    its new sign (the lower bound when long, the upper when short)."""
    if sol is None:
        return None
    zero = (sol.bound_state != 0) & (sol.x == 0.0)
    state = np.where(zero, np.where(sign > 0, -1, 1), sol.bound_state).astype(np.int8)
    return replace(sol, bound_state=state)


#: At most ``max(FREED_MIN, |F|)`` flipped names are freed in the next round's working set.
FREED_MIN = 16


def _freed(sol: QPSolution, flip: np.ndarray, excess: np.ndarray, sign: np.ndarray
           ) -> QPSolution:
    """``sol``'s working set for the flipped pattern ``sign``: the names of ``flip`` (held at
    0, changing sign) freed, at most ``max(FREED_MIN, |F|)`` of them (the largest ``excess``
    first); the others wait at the bound 0 of their new sign, for PDAS to free.

    The cap is PDAS's own growth cap (:mod:`~hedgeopt.solvers.activeset`): when the rows are
    slack every name at 0 that leans to the other sign flips, and freeing them all made a
    free set of nearly the whole universe (desk constraints at N=2000, T=1260, lam=0: 1,991
    of 2,000 names, ~0.45 s of factors in the second round's first QP).
    """
    cap = max(FREED_MIN, int(np.count_nonzero(sol.free)))
    free = flip
    if np.count_nonzero(flip) > cap:
        top = np.argsort(-np.where(flip, excess, -np.inf), kind="stable")[:cap]
        free = np.zeros_like(flip)
        free[top] = True
    waiting = flip & ~free
    state = np.where(free, 0, np.where(waiting, np.where(sign > 0, -1, 1), sol.bound_state))
    return replace(sol, free=sol.free | free, bound_state=state.astype(np.int8))


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
