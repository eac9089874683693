"""Warm starts along a path of problems (a lam frontier): the working set the last two
solutions of :func:`~hedgeopt.solvers.activeset.solve_qp` extrapolate to."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hedgeopt.solvers.activeset import QPSolution

__all__ = ["extrapolated_warm_start"]


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
    x0, x1 = np.asarray(prev.x, dtype=float), np.asarray(cur.x, dtype=float)
    N = x1.size
    if x0.shape != x1.shape or np.shape(cur.bound_state) != (N,) or not np.isfinite(t):
        return cur
    lbv, ubv = _vector(lb, (N,)), _vector(ub, (N,))
    x = x1 + t * (x1 - x0)
    z = cur.bound_duals + t * (cur.bound_duals - prev.bound_duals)
    vs = np.asarray(cur.bound_state, dtype=np.int8).copy()
    free = vs == 0
    vs[free & (x < lbv)] = -1
    vs[free & (x > ubv)] = 1
    vs[vs * z < 0] = 0  # a multiplier of the wrong sign: z > 0 at a lower bound, < 0 at an upper
    rs = np.asarray(cur.active_rows, dtype=np.int8).copy()
    if A is not None and rs.size and np.shape(prev.row_duals) == rs.shape:
        Am = np.asarray(A, dtype=float).reshape(rs.size, N)
        lov = _vector(-np.inf if lo is None else lo, rs.shape)
        hiv = _vector(np.inf if hi is None else hi, rs.shape)
        mu = cur.row_duals + t * (cur.row_duals - prev.row_duals)
        ax = Am @ x
        off = rs == 0
        rs[off & (ax > hiv)] = 1
        rs[off & (ax < lov)] = -1
        rs[rs * mu < 0] = 0  # mu < 0 on an upper row, > 0 on a lower one: drop it
    return QPSolution(x=x, bound_duals=z, row_duals=cur.row_duals, status="guess",
                      iterations=0, kkt_residual=np.inf, free=vs == 0, active_rows=rs,
                      bound_state=vs)


def _vector(v: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """``v`` as floats of ``shape`` (a scalar or a broadcastable array is broadcast; an array of
    the shape is used as it is, without numpy's broadcasting machinery)."""
    a = np.asarray(v, dtype=float)
    return a if a.shape == shape else np.broadcast_to(a, shape)
