"""Warm starts along a path of problems (a lam frontier): the working set the last two or three
solutions of :func:`~hedgeopt.solvers.activeset.solve_qp` extrapolate to."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from hedgeopt.solvers.activeset import QPSolution

__all__ = ["extrapolated_warm_start", "path_warm_start"]


def extrapolated_warm_start(prev: QPSolution, cur: QPSolution, t: float, lb: ArrayLike,
                            ub: ArrayLike, A: ArrayLike | None = None,
                            lo: ArrayLike | None = None, hi: ArrayLike | None = None
                            ) -> QPSolution:
    """A warm start for the next problem of a path, from the last two solutions.

    Along a path of problems (a lam frontier), the solution and its multipliers move
    smoothly between changes of the working set; the working set of ``cur + t (cur - prev)``
    (``t``: the next step over the last one) predicts the next change: a free variable that
    would cross its bound is fixed there, a fixed one whose multiplier would change sign is
    freed, an active inequality row whose multiplier would change sign is dropped and an
    inactive row that would be violated is activated. A first guess only (see ``warm`` of
    :func:`solve_qp`: the answer does not depend on it); ``cur`` itself when the two do not
    fit together.
    """
    return _extrapolated(prev, cur, t, None, 0.0, 0.0, lb, ub, A, lo, hi)


def path_warm_start(path: Sequence[tuple[float, QPSolution]], lam: float, lb: ArrayLike,
                    ub: ArrayLike, A: ArrayLike | None = None, lo: ArrayLike | None = None,
                    hi: ArrayLike | None = None) -> QPSolution | None:
    r"""A warm start at ``lam`` from the last points ``(lam_k, solution_k)`` of a path.

    With two points, :func:`extrapolated_warm_start` (the line through them). With three
    (:math:`\lambda_0, \lambda_1, \lambda_2`, the last one last), the parabola through them in
    Newton's form, the line plus a curvature term,

    .. math::

        v(\lambda) = v_2 + t (v_2 - v_1) + c \left[(v_2 - v_1) - r (v_1 - v_0)\right],
        \quad t = \frac{\lambda - \lambda_2}{\lambda_2 - \lambda_1},
        \; c = \frac{(\lambda - \lambda_2)(\lambda - \lambda_1)}
                    {(\lambda_2 - \lambda_0)(\lambda_2 - \lambda_1)},
        \; r = \frac{\lambda_2 - \lambda_1}{\lambda_1 - \lambda_0},

    for the solution and its multipliers (equal steps: :math:`3 v_2 - 3 v_1 + v_0`): along a
    lam frontier the multipliers bend toward zero before a variable leaves its bound, and the
    line misses the change (measured on the continuous benchmark's 21-point frontiers at
    N = 300, seeds 7 / 3 / 11: 35 / 38 / 39 subproblems with the line, 33 / 37 / 36 with the
    parabola). A first guess only (the answer does not depend on it); None with fewer than two
    points or repeated lams.
    """
    if len(path) < 2:
        return None
    (l1, s1), (l2, s2) = path[-2], path[-1]
    if l2 == l1:
        return None
    t = (lam - l2) / (l2 - l1)
    if len(path) < 3 or path[-3][0] in (l1, l2):
        return extrapolated_warm_start(s1, s2, t, lb, ub, A, lo, hi)
    l0, s0 = path[-3]
    c = (lam - l2) * (lam - l1) / ((l2 - l0) * (l2 - l1))
    return _extrapolated(s1, s2, t, s0, c, (l2 - l1) / (l1 - l0), lb, ub, A, lo, hi)


def _extrapolated(prev: QPSolution, cur: QPSolution, t: float, older: QPSolution | None,
                  c: float, r: float, lb: ArrayLike, ub: ArrayLike, A: ArrayLike | None,
                  lo: ArrayLike | None, hi: ArrayLike | None) -> QPSolution:
    """The guess of :func:`extrapolated_warm_start`, with the curvature term of
    :func:`path_warm_start` when ``older`` is given; ``cur`` when the points do not fit."""
    x0, x1 = np.asarray(prev.x, dtype=float), np.asarray(cur.x, dtype=float)
    N = x1.size
    if x0.shape != x1.shape or np.shape(cur.bound_state) != (N,) or not math.isfinite(t):
        return cur
    if older is not None and (np.shape(older.x) != (N,) or not math.isfinite(c * r)):
        older = None
    lbv, ubv = _vector(lb, (N,)), _vector(ub, (N,))
    x = _step(x1, x0, t, c, r, None if older is None else np.asarray(older.x, dtype=float))
    z = _step(cur.bound_duals, prev.bound_duals, t, c, r,
              None if older is None else older.bound_duals)
    vs = np.asarray(cur.bound_state, dtype=np.int8).copy()
    free = vs == 0
    below = x < lbv
    below &= free
    vs[below] = -1
    above = x > ubv
    above &= free
    vs[above] = 1
    vs[vs * z < 0] = 0  # a multiplier of the wrong sign: z > 0 at a lower bound, < 0 at an upper
    rs = np.asarray(cur.active_rows, dtype=np.int8).copy()
    if A is not None and rs.size and np.shape(prev.row_duals) == rs.shape:
        Am = np.asarray(A, dtype=float).reshape(rs.size, N)
        lov = _vector(-np.inf if lo is None else lo, rs.shape)
        hiv = _vector(np.inf if hi is None else hi, rs.shape)
        mu_old = (older.row_duals if older is not None
                  and np.shape(older.row_duals) == rs.shape else None)
        mu = _step(cur.row_duals, prev.row_duals, t, c, r, mu_old)
        ax = Am @ x
        off = rs == 0
        rs[off & (ax > hiv)] = 1
        rs[off & (ax < lov)] = -1
        rs[rs * mu < 0] = 0  # mu < 0 on an upper row, > 0 on a lower one: drop it
    return QPSolution(x=x, bound_duals=z, row_duals=cur.row_duals, status="guess",
                      iterations=0, kkt_residual=np.inf, free=vs == 0, active_rows=rs,
                      bound_state=vs)


def _step(v1: np.ndarray, v0: np.ndarray, t: float, c: float, r: float,
          older: np.ndarray | None) -> np.ndarray:
    """``v1 + t d + c (d - r (v0 - older))`` with ``d = v1 - v0`` (the curvature term only when
    ``older`` is given), each difference formed once and the sums in place: the same roundings
    as the formula written out (``fl(v1 + fl(t d))``, then ``+ fl(c fl(d - fl(r e)))``)."""
    d = v1 - v0
    out = t * d
    out += v1
    if older is not None:
        e = v0 - older
        e *= r
        np.subtract(d, e, out=e)
        e *= c
        out += e
    return out


def _vector(v: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """``v`` as floats of ``shape`` (a scalar or a broadcastable array is broadcast; an array of
    the shape is used as it is, without numpy's broadcasting machinery)."""
    a = np.asarray(v, dtype=float)
    return a if a.shape == shape else np.broadcast_to(a, shape)
