r"""Dense convex QP solver: primal-dual active set with a finite fallback.

Problem
-------
:func:`solve_qp` solves

.. math::

    \min_x \; \tfrac12 x^\top (Q + \rho I) x - q^\top x
    \quad \text{s.t.} \quad l \le x \le u, \qquad
    \ell \le A x \le h,

with :math:`Q` (``N x N``) symmetric positive semidefinite, :math:`\rho \ge 0`
the ``ridge``, bounds that may be infinite and ``m`` dense general rows (``m`` small).
A row with :math:`\ell_j = h_j` is an equality, a variable with :math:`l_i = u_i` is
pinned.

KKT conditions
--------------
With a single multiplier per variable, :math:`z_i`, and per row, :math:`\mu_j`, signed
so that a positive value means "the upper side is active",

.. math::

    (Q + \rho I) x - q + A^\top \mu + z = 0 \quad \text{(stationarity)}

    l \le x \le u, \quad \ell \le A x \le h \quad \text{(primal feasibility)}

    z_i \ge 0 \text{ if } x_i = u_i, \; z_i \le 0 \text{ if } x_i = l_i, \;
    z_i = 0 \text{ if } l_i < x_i < u_i \quad \text{(dual sign, complementarity)}

and the same for :math:`\mu_j` against :math:`A_j x \in \{\ell_j, h_j\}`; for pinned
variables and equality rows the multiplier has free sign. Writing
:math:`g = (Q + \rho I) x - q + A^\top \mu` for the gradient of the Lagrangian without
the bound terms, the multiplier of a fixed variable is :math:`z_i = -g_i`.

Working sets and the equality-constrained subproblem
---------------------------------------------------
A working set marks every variable as free (set :math:`F`), at its lower or at its upper
bound (set :math:`B`), and every row as inactive or active at :math:`\ell_j` or
:math:`h_j` (set :math:`E`; equality rows are always in :math:`E`). For a working set the
solver fixes :math:`x_B` at its bounds and solves

.. math::

    \begin{bmatrix} Q_{FF} & A_{EF}^\top \\ A_{EF} & 0 \end{bmatrix}
    \begin{bmatrix} x_F \\ \mu_E \end{bmatrix} =
    \begin{bmatrix} q_F - Q_{FB} x_B \\ c_E - A_{EB} x_B \end{bmatrix}

by the range-space method: one Cholesky factor :math:`R^\top R` of :math:`Q_{FF}`
(LAPACK ``potrf``), one multi right-hand-side solve of :math:`Q_{FF} Y = [r_F,
A_{EF}^\top]`, and the small Schur complement :math:`S = A_{EF} Q_{FF}^{-1}
A_{EF}^\top` for :math:`\mu_E` (a pseudo-inverse is used when :math:`S` is singular,
and the rows are then checked for consistency).

The factor is not recomputed at every iteration. The solver keeps the factor of a
superset :math:`F_0 \supseteq F`; variables of :math:`F_0` that are fixed in the
current working set are imposed as extra equality rows :math:`e_i^\top x = b_i` of the
Schur complement (their Schur multipliers are exactly :math:`z_i`), newly freed
variables are appended to the factor by bordering (``trtrs`` plus a small ``potrf``).
A fresh factor of :math:`Q_{FF}` is taken whenever a flop count says it is cheaper.
This is the Schur-complement active-set technique of Gill, Murray, Saunders and Wright
(1990); each iteration after the first costs :math:`O(|F_0|^2 k)` for ``k`` changed
constraints instead of :math:`O(|F|^3)`.

Primal-dual active-set rule
---------------------------
From the solution of the subproblem the working set is updated all at once
(Hintermüller, Ito and Kunisch, 2002, a semismooth Newton step on the complementarity
function :math:`z - \max(0, z + c(x - u)) - \min(0, z + c(x - l))`):

* a free variable with :math:`x_i > u_i` (:math:`x_i < l_i`) is fixed at that bound;
* a variable at its lower bound with :math:`g_i < 0` or at its upper bound with
  :math:`g_i > 0` (multiplier of the wrong sign) is freed;
* an inactive row with :math:`A_j x > h_j` (:math:`< \ell_j`) becomes active at that side;
* an active inequality row whose multiplier has the wrong sign becomes inactive.

The method stops when no index changes; the KKT conditions then hold up to ``tol``.

Starting guess
--------------
Without a warm start, every variable starts at the projection of the origin onto its
bounds (long-only weights at ``lb = 0``, boxes around 0 free) and every inequality row
inactive. On the tracking problems of the test suite this is 1.2 to 5 times faster than
starting with every variable free, which costs one full ``N x N`` Cholesky (a failing
one when ``N`` exceeds the number of observations). A warm start reuses the working set
of a previous :class:`QPSolution`.

Safeguards
----------
PDAS is not globally convergent for a general positive definite :math:`Q`; three guards
keep it fast and finite:

* **growth cap** - one block exchange frees at most ``max(16, |F|)`` variables, those
  with the largest :math:`|g_i| / \sqrt{Q_{ii}}` (from a small free set, PDAS would free
  almost everything at once and then shrink the free set over many steps);
* **partial exchanges** - the KKT violations (the "infeasibilities") are counted; when
  their number does not fall below its best value, only the ``k`` largest violations are
  exchanged, ``k`` halving at each step without progress down to one; ``k`` doubles again
  after a step that lowers the count below the previous step's while every violation left
  is dual (a bound to release or a row to drop: the free set is still growing), and full
  block exchanges resume as soon as the count falls below its best value (in the spirit of
  the block principal pivoting safeguards of Júdice and Pires, 1994, and Kim and Park,
  2011). The doubling matters when the optimal free set is much larger than the rank of
  ``Q`` (``N >> T`` with a small ridge): the count then falls by a few per step from above
  its early best, and halving alone would free one variable per subproblem (OR-Library 7,
  ``N = 1317``, ``T = 145``, lam 0 and relative ridge 0.001, ~900 free at the optimum:
  100 PDAS steps and ~1,150 primal ones without it, 30 PDAS steps with it). Doubling after
  any progress instead lets problems whose free set is near the rank thrash;
* **primal fallback** - if the iteration limit is hit, a working set repeats with single
  exchanges, or the active rows cannot be satisfied, a primal active-set method takes
  over: a feasible point is found by one linear program (``scipy.optimize.linprog``,
  HiGHS: the L1 projection of the best PDAS iterate onto the feasible set, which also
  proves infeasibility), then one constraint is added (ratio test) or dropped (worst
  multiplier) per iteration, reusing the Schur-complement factor. Each step decreases
  the objective, so the method terminates (barring degenerate cycling).

Singular :math:`Q`
------------------
When :math:`Q_{FF} + \rho I` is not numerically positive definite (``potrf`` fails or a
pivot falls below ``1e-14`` of its diagonal entry), an automatic ridge
:math:`\delta = \max(10^{-12}\,\overline{\mathrm{diag}\,Q},\; 10^{-10} s_d / s_p)` is
added to the factored block for the rest of the solve (multiplied by 100 after each
further failure, up to ``1e-4 * mean(diag(Q))``) and reported as
:attr:`QPSolution.ridge_used`. The regularized block only serves as a preconditioner:
every subproblem solution is corrected by iterative refinement against the residual of
the true KKT system (at most 4 steps, kept only while they converge). The reported point
therefore solves the problem as given (with ``ridge``, without the automatic part)
whenever the reduced KKT system is nonsingular; otherwise it is the regularized
(minimum-norm-like) solution, ``x`` is not unique but the objective is. An unbounded
problem ends with status ``"singular"``.

Tolerances
----------
With :math:`s_d = \max(1, \|q\|_\infty, \max_i Q_{ii} + \rho, \|(Q + \rho I) x\|_\infty,
\|A^\top\mu\|_\infty)` and :math:`s_p = \max(1, \text{largest finite bound})`,
``kkt_residual`` is the largest of: the stationarity residual and the dual-sign
violations divided by :math:`s_d`; the bound violations divided by :math:`s_p` and each
row violation divided by :math:`\max(s_p, |A_j| |x|)`; the complementarity products
divided by :math:`s_d \max_j(s_p, |A_j||x|)`. The working-set decisions use half of
``tol`` on (nearly) the same scales, so a converged working set has ``kkt_residual <= tol`` up to
rounding.

References
----------
M. Hintermüller, K. Ito, K. Kunisch, "The primal-dual active set strategy as a
semismooth Newton method", SIAM J. Optim. 13 (2002) 865-888.

M. Bergounioux, K. Ito, K. Kunisch, "Primal-dual strategy for constrained optimal control
problems", SIAM J. Control Optim. 37 (1999) 1176-1194.

J. J. Júdice, F. M. Pires, "A block principal pivoting algorithm for large-scale strictly
monotone linear complementarity problems", Comput. Oper. Res. 21 (1994) 587-596.

J. Kim, H. Park, "Fast nonnegative matrix factorization: an active-set-like method and
comparisons", SIAM J. Sci. Comput. 33 (2011) 3261-3281.

P. E. Gill, W. Murray, M. A. Saunders, M. H. Wright, "A Schur-complement method for
sparse quadratic programming", in Reliable Numerical Computation, OUP (1990) 113-138.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import lapack

from hedgeopt.solvers.qp_bounds import _amax, _feasible
from hedgeopt.solvers.small_solve import SymSolver

__all__ = ["Hessian", "QPSolution", "solve_qp"]

_PIVOT_TOL = 1e-14  # potrf pivot^2 / diagonal below this: treat the block as singular
_AUTO_RIDGE = 1e-12  # first automatic ridge, relative to mean(diag(Q)) ...
_AUTO_RIDGE_REL = 1e-10  # ... or to the dual scale, whichever is larger
_MAX_AUTO_RIDGE = 1e-4  # give up (status "singular") beyond this relative ridge
_LARGE_SUPPORT = 0.4  # fraction of nonzeros above which Q @ x is a full gemv
_REFINE = 4  # at most this many steps of iterative refinement per subproblem


@dataclass
class QPSolution:
    """Result of :func:`solve_qp`.

    Attributes
    ----------
    x : numpy.ndarray
        Primal solution, shape ``(N,)``.
    bound_duals : numpy.ndarray
        Multiplier ``z`` of the bounds, shape ``(N,)``: ``> 0`` upper bound active,
        ``< 0`` lower bound active, ``0`` free (pinned variables: free sign).
    row_duals : numpy.ndarray
        Multiplier ``mu`` of the rows, shape ``(m,)``: ``> 0`` at ``hi``, ``< 0`` at ``lo``.
    status : str
        ``"optimal"``, ``"infeasible"``, ``"max_iter"`` or ``"singular"``.
    iterations : int
        Number of equality-constrained subproblems solved (all phases).
    kkt_residual : float
        Largest relative violation of stationarity, primal feasibility, dual sign and
        complementarity (scales in the module docstring, section Tolerances).
    free : numpy.ndarray
        Boolean mask ``(N,)`` of the variables not fixed at a bound.
    active_rows : numpy.ndarray
        ``int8`` array ``(m,)``: ``-1`` at ``lo``, ``+1`` at ``hi``, ``0`` inactive.
        Equality rows always report ``+1``.
    bound_state : numpy.ndarray
        ``int8`` array ``(N,)``: ``-1`` at lower bound, ``+1`` at upper bound, ``0`` free
        (pinned variables report ``-1``). Used, with ``active_rows``, as a warm start.
    ridge_used : float
        Automatic ridge that had to be added to singular reduced blocks (0 if none);
        the user's ``ridge`` is not included.
    objective : float
        ``0.5 x'(Q + ridge I)x - q'x`` at ``x``.
    method : str
        ``"pdas"``, ``"pdas+partial"`` (partial exchanges were needed) or ``"primal"``
        (the primal active-set fallback finished the solve).
    factorizations : int
        Number of fresh Cholesky factorizations of a reduced block.
    """

    x: np.ndarray
    bound_duals: np.ndarray
    row_duals: np.ndarray
    status: str
    iterations: int
    kkt_residual: float
    free: np.ndarray
    active_rows: np.ndarray
    bound_state: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    ridge_used: float = 0.0
    objective: float = float("nan")
    method: str = "pdas"
    factorizations: int = 0


class _Singular(Exception):
    """Raised when the automatic ridge would exceed its limit."""


@runtime_checkable
class Hessian(Protocol):
    """A structured ``Q`` that :func:`solve_qp` uses without an ``N x N`` array.

    It provides the diagonal, products ``Q x`` and the factor of its free blocks (a
    :class:`_Factor` subclass); see :class:`hedgeopt.solvers.lowrank.LowRankHessian`.
    """

    shape: tuple[int, int]

    def diagonal(self) -> np.ndarray:
        """``diag(Q)``."""

    def matvec(self, x: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
        """``Q @ x`` (``support``: the indices of the nonzeros of ``x``, if known)."""

    def factor(self, user_ridge: float, base_ridge: float, max_ridge: float) -> _Factor:
        """The factor of the free blocks ``Q[F, F] + shift I``."""


def _as_hessian(Q: object) -> Hessian | None:
    """``Q`` if it is a :class:`Hessian` operator, else None (an array-like).

    The protocol's members are looked up directly: ``isinstance(Q, Hessian)`` does the same
    but costs ~20 us (typing walks the protocol's attributes at every call), twice per solve.
    """
    ok = all(hasattr(Q, name) for name in ("shape", "diagonal", "matvec", "factor"))
    return cast(Hessian, Q) if ok else None


class _Factor:
    """Cholesky factor ``R'R`` of ``Q[F0, F0] + shift * I`` for an index list ``F0``."""

    def __init__(self, Q: np.ndarray, user_ridge: float, base_ridge: float,
                 max_ridge: float) -> None:
        self.Q = Q
        self.N = Q.shape[0]
        self.user_ridge = user_ridge
        self.base_ridge = base_ridge
        self.max_ridge = max_ridge
        self.auto = 0.0
        self.idx = np.zeros(0, dtype=np.intp)
        self.mask = np.zeros(self.N, dtype=bool)
        self.R = np.zeros((0, 0), order="F")
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []  # (indices, Q[indices, :])
        self.n_factor = 0
        # reusable memory of the fresh factors' row blocks and square blocks (see _refactor_rows)
        self._row_space: np.ndarray | None = None
        self._block_space: np.ndarray | None = None

    @property
    def shift(self) -> float:
        return self.user_ridge + self.auto

    @property
    def n0(self) -> int:
        return self.idx.size

    def _bump(self) -> None:
        self.auto = self.base_ridge if self.auto == 0.0 else 100.0 * self.auto
        if self.auto > self.max_ridge:
            raise _Singular

    def _potrf(self, M: np.ndarray) -> np.ndarray | None:
        """Factor ``M`` (Fortran order, overwritten); ``None`` if not numerically PD."""
        n = M.shape[0]
        if n == 0:
            return M
        return _cholesky(M, M.diagonal().copy())

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        """``Q[idx, :]``, a new C-ordered block (a structured ``Q`` forms only these rows)."""
        return self.Q.take(idx, 0)

    def _refactor_rows(self, idx: np.ndarray) -> np.ndarray:
        """``Q[idx, :]`` for a fresh factor: a dense ``Q``'s rows go into memory that every
        fresh factor of this solve reuses (they are dropped at the next one), a structured
        ``Q``'s come from :meth:`_rows`.

        A new ``n x N`` block per factor can be fresh memory that the kernel maps page by
        page as it is written (up to about 380 page faults and 1.2 ms of system time per solve
        on the desk row's subproblem at N = 500, more than its Cholesky factors take); memory
        kept from the first factor is written without faults.
        """
        if not isinstance(self.Q, np.ndarray):
            return self._rows(idx)
        n = idx.size
        self._row_space = _space(self._row_space, n * self.N, self.N * self.N)
        out = self._row_space[:n * self.N].reshape(n, self.N)
        return np.take(self.Q, idx, axis=0, out=out, mode="clip")  # idx is in range

    def _square_block(self, rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """``rows[:, idx]`` as a Fortran-ordered array in the block memory that every fresh
        factor of this solve reuses (a C-ordered copy of a symmetric block is its own F-ordered
        transpose); ``potrf`` overwrites it with the factor, which stays there until the next
        fresh factor (bordering copies it out)."""
        n = idx.size
        self._block_space = _space(self._block_space, n * n, self.N * self.N)
        out = self._block_space[:n * n].reshape(n, n)
        return np.take(rows, idx, axis=1, out=out, mode="clip").T

    def refactor(self, free: np.ndarray) -> None:
        """Fresh factor of the block ``free`` (bool mask or index array)."""
        idx = free.nonzero()[0] if free.dtype == bool else np.asarray(free, dtype=np.intp)
        n = idx.size
        whole = n == self.N and isinstance(self.Q, np.ndarray)
        rows = self.Q if whole else self._refactor_rows(idx)
        while True:
            if whole:
                M = np.array(self.Q, order="F", copy=True)
            else:
                M = self._square_block(rows, idx)
            if n and self.shift:
                M[np.arange(n), np.arange(n)] += self.shift
            c = self._potrf(M)
            self.n_factor += 1
            if c is not None:
                break
            try:
                self._bump()
            except _Singular:  # the reused memory no longer holds the old factor and rows:
                self._clear()  # leave an empty factor, never a stale one
                raise
        self.R = c
        self.idx = idx
        self.rows = [(idx, rows)] if n else []
        self.mask = np.zeros(self.N, dtype=bool)
        self.mask[idx] = True

    def _clear(self) -> None:
        """The factor of the empty block."""
        self.idx = np.zeros(0, dtype=np.intp)
        self.mask = np.zeros(self.N, dtype=bool)
        self.R = np.zeros((0, 0), order="F")
        self.rows = []

    def extend(self, new: np.ndarray) -> bool:
        """Append the indices ``new`` to the factor by bordering; False on failure."""
        k = new.size
        n0 = self.n0
        Qn = self._rows(new)
        Qa = Qn.take(self.idx, 1).T if n0 else None  # (n0, k), Fortran order
        Sa = Qn.take(new, 1).T
        if self.shift:
            Sa[np.arange(k), np.arange(k)] += self.shift
        if not self._border(Qa, Sa, Qn[np.arange(k), new] + self.shift):
            return False
        self.idx = np.concatenate([self.idx, new])
        self.rows.append((new, Qn))
        self.mask[new] = True
        return True

    def _border(self, Qa: np.ndarray | None, Sa: np.ndarray, dg: np.ndarray) -> bool:
        """Border ``R`` with the block ``[[., Qa], [Qa', Sa]]`` (``Qa``: ``(n0, k)`` Fortran
        order or None when empty; ``Sa``: the shifted new block, overwritten; ``dg`` its
        diagonal); False when the new pivots are not numerically positive."""
        n0, k = self.n0, Sa.shape[0]
        if n0:
            C, info = lapack.dtrtrs(self.R, Qa, lower=0, trans=1, overwrite_b=1)
            if info != 0:
                return False
            Sa -= C.T @ C
        else:
            C = np.zeros((0, k), order="F")
        c = _cholesky(Sa, dg)
        if c is None:
            return False
        Rn = np.zeros((n0 + k, n0 + k), order="F")
        Rn[:n0, :n0] = self.R
        Rn[:n0, n0:] = C
        Rn[n0:, n0:] = c
        self.R = Rn
        return True

    def qx(self, x: np.ndarray) -> np.ndarray:
        """``Q[:, F0] @ x[F0]`` from the cached rows of ``Q`` (Q is symmetric)."""
        out: np.ndarray | None = None
        for idx, rows in self.rows:
            xi = x[idx] if rows is not self.Q else x
            if out is None:  # the first block's product is the sum so far (0 + v is v)
                out = xi @ rows
            else:
                out += xi @ rows
        return np.zeros(self.N) if out is None else out

    def costs(self, n_new: int, n_add: int, p: int, n_free: int, n_rows: int
              ) -> tuple[float, float]:
        """Flops of keeping this factor (``n_new`` indices after appending ``n_add``, ``p``
        Schur rows) against a fresh factor of the ``n_free`` free variables and ``n_rows``
        active rows: ``(schur, fresh)``."""
        schur = 2.0 * n_new * n_new * (1 + p) + 1.0 * n_add * self.n0 * self.n0 + n_new * p * p
        fresh = n_free ** 3 / 3.0 + 2.0 * n_free * n_free * (1 + n_rows)
        return schur, fresh

    def solve(self, B: np.ndarray) -> np.ndarray:
        """Solve ``(Q[F0,F0] + shift I) X = B`` (B Fortran order, overwritten)."""
        if self.n0 == 0:
            return B
        X, info = lapack.dpotrs(self.R, B, lower=0, overwrite_b=1)
        if info != 0:  # pragma: no cover - only on invalid arguments
            raise RuntimeError(f"dpotrs failed with info={info}")
        return X


def _space(buf: np.ndarray | None, size: int, most: int) -> np.ndarray:
    """``buf`` if it holds ``size`` floats, else a new buffer with a quarter more room (at most
    ``most``). Sized to the need, not to ``most``: a buffer of ``N * N`` floats would be mapped
    afresh by the allocator at every solve (and faulted in), a smaller one is recycled."""
    if buf is not None and buf.size >= size:
        return buf
    return np.empty(min(most, size + size // 4))


@dataclass
class _Iterate:
    x: np.ndarray
    g: np.ndarray  # (Q + ridge I) x - q + A_E' mu
    mu: np.ndarray  # (m,) row multipliers (0 on inactive rows)
    bad_rows: np.ndarray  # indices of active rows that the working set cannot satisfy
    qx: np.ndarray  # Q @ x


class _Problem:
    """Validated data, scales and the equality-constrained subproblem solver."""

    def __init__(self, Q: ArrayLike | Hessian, q: ArrayLike, lb: ArrayLike | None,
                 ub: ArrayLike | None, A: ArrayLike | None, lo: ArrayLike | None,
                 hi: ArrayLike | None, ridge: float, tol: float) -> None:
        self.op: Hessian | None = None if isinstance(Q, np.ndarray) else _as_hessian(Q)
        if self.op is None:  # C order: the factor takes row blocks (numpy's take on a strided
            Q = np.ascontiguousarray(Q, dtype=float)  # view is ~17x slower)
            if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
                raise ValueError(f"Q must be square, got shape {Q.shape}")
        else:
            Q = self.op
        N = Q.shape[0]
        q = np.asarray(q, dtype=float).reshape(-1)
        if q.size != N:
            raise ValueError(f"q must have {N} entries, got {q.size}")
        if not (q_max := _amax(np.abs(q))) < np.inf:  # max propagates NaN and inf
            raise ValueError("q must be finite")
        self.N = N
        self.Q: Any = Q  # an array, or the Hessian operator self.op
        self.q = q
        fs = _feasible(N, lb, ub, A, lo, hi)
        self.lb, self.ub, self.A, self.absA = fs.lb, fs.ub, fs.A, fs.absA
        self.m = fs.A.shape[0]
        self.lo, self.hi = fs.lo, fs.hi
        if ridge < 0 or not np.isfinite(ridge):
            raise ValueError(f"ridge must be finite and >= 0, got {ridge}")
        self.ridge = float(ridge)
        self.tol = float(tol)
        self.pinned, self.any_pinned = fs.pinned, fs.any_pinned
        self.has_lb, self.has_ub = fs.has_lb, fs.has_ub
        self.lbz, self.ubz, self.zero_bounds = fs.lbz, fs.ubz, fs.zero_bounds
        self.eq, self.row_lo, self.row_hi = fs.eq, fs.row_lo, fs.row_hi
        self.crossed, self.states = fs.crossed, fs.states
        dg = Q.diagonal().copy()
        self.qdiag = dg
        self.scale_d = max(1.0, q_max, _amax(np.abs(dg)) + self.ridge)
        self.scale_p = fs.scale_p
        self.tau_p = 0.5 * tol * self.scale_p
        self.tau_d = 0.5 * tol * self.scale_d
        mean_dg = float(dg.sum()) / N if N else 1.0
        mean_dg = mean_dg if mean_dg > 0 else 1.0
        self.base_ridge = max(_AUTO_RIDGE * mean_dg, _AUTO_RIDGE_REL * self.scale_d / self.scale_p)
        self.max_ridge = _MAX_AUTO_RIDGE * mean_dg
        self.n_solves = 0

    # ------------------------------------------------------------------ helpers
    def factor(self) -> _Factor:
        """An empty factor of the free blocks of ``Q`` (dense, or the structured one)."""
        if self.op is not None:
            return self.op.factor(self.ridge, self.base_ridge, self.max_ridge)
        assert isinstance(self.Q, np.ndarray)
        return _Factor(self.Q, self.ridge, self.base_ridge, self.max_ridge)

    def qx(self, x: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
        """``Q @ x`` using only the nonzero entries of ``x`` when they are few."""
        s = x.nonzero()[0] if support is None else support
        if s.size == 0:
            return np.zeros(self.N)
        if self.op is not None:
            return self.op.matvec(x, s)
        if s.size > _LARGE_SUPPORT * self.N:
            return self.Q @ x
        return x[s] @ self.Q[s]

    def _gradient(self, fac: _Factor, x: np.ndarray, Qxb: np.ndarray | None,
                  row_term: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """``Qx`` and the Lagrangian gradient ``Qx - q + ridge x + A_E' mu`` at ``x``."""
        qx = fac.qx(x)
        if Qxb is not None:
            qx += Qxb
        g = qx - self.q
        if self.ridge:
            g += self.ridge * x
        if row_term is not None:
            g += row_term
        return qx, g

    def fixed_values(self, vs: np.ndarray) -> np.ndarray:
        return np.where(vs > 0, self.ub, self.lb)

    def row_targets(self, rs: np.ndarray) -> np.ndarray:
        return np.where(rs > 0, self.hi, self.lo)

    # --------------------------------------------------- equality-constrained QP
    def eqp(self, fac: _Factor, vs: np.ndarray, rs: np.ndarray) -> _Iterate:
        """Solve the subproblem of the working set ``(vs, rs)``; ``fac`` covers F."""
        self.n_solves += 1
        F0 = fac.idx
        if self.zero_bounds:  # every finite bound is 0: fixed variables are 0
            x = np.zeros(self.N)
            nzb = F0[:0]
            Qxb = None
        else:
            x = np.where(vs > 0, self.ubz, np.where(vs < 0, self.lbz, 0.0))
            xb = np.where(fac.mask, 0.0, x)
            nzb = xb.nonzero()[0]
            Qxb = self.qx(xb, nzb) if nzb.size else None
        E = rs.nonzero()[0]
        nE = E.size
        AE = self.A[E]
        cE = np.where(rs > 0, self.hi, self.lo)[E]
        dE = cE - AE[:, nzb] @ x[nzb] if nzb.size else cE
        Dpos = vs[F0].nonzero()[0]
        nD = Dpos.size
        n0 = F0.size
        xD = x[F0[Dpos]]
        mu = np.zeros(self.m)
        p = nE + nD
        if n0:
            AEF = AE[:, F0]
            RHS = np.zeros((n0, 1 + p), order="F")
            RHS[:, 0] = self.q[F0] if Qxb is None else self.q[F0] - Qxb[F0]
            RHS[:, 1:1 + nE] = AEF.T
            RHS[Dpos, 1 + nE + np.arange(nD)] = 1.0
            Y = fac.solve(RHS)
            x0 = Y[:, 0]
            W = Y[:, 1:]
            if p:
                CW = np.empty((p, p))
                CW[:nE] = AEF @ W
                CW[nE:] = W[Dpos]
                schur = SymSolver(CW)
                rhs = np.empty(p)
                rhs[:nE] = AEF @ x0 - dE
                rhs[nE:] = x0[Dpos] - xD
                lam = schur.solve(rhs)
                xF0 = x0 - W @ lam
                mu[E] = lam[:nE]
            else:
                xF0 = x0
            xF0[Dpos] = xD  # exact bound values
            x[F0] = xF0
        qx, g = self._gradient(fac, x, Qxb, mu[E] @ AE if nE else None)
        res_e = AE @ x - cE if nE else np.zeros(0)
        if n0:
            # iterative refinement: the range-space solve loses accuracy when Q_FF is
            # (nearly) singular; correct with the same factors against the true residual
            best = None
            for k in range(_REFINE + 1):
                res_f = g[F0]
                res_f[Dpos] = 0.0
                err = max(float(np.abs(res_f).max()) / self.scale_d,
                          (float(np.abs(res_e).max()) if nE else 0.0) / self.scale_p)
                if best is not None and err > 0.5 * best[0]:  # no longer converging
                    err, x, mu, qx, g, res_e = best
                    break
                if err <= 0.01 * self.tol or k == _REFINE:
                    break
                best = (err, x.copy(), mu.copy(), qx, g, res_e)
                B = np.asfortranarray(-res_f.reshape(n0, 1))
                dx = fac.solve(B)[:, 0]
                if p:
                    rhs = np.empty(p)
                    rhs[:nE] = AEF @ dx + res_e
                    rhs[nE:] = dx[Dpos]
                    dlam = schur.solve(rhs)
                    dx -= W @ dlam
                    mu[E] += dlam[:nE]
                x[F0] += dx
                x[F0[Dpos]] = xD
                qx, g = self._gradient(fac, x, Qxb, mu[E] @ AE if nE else None)
                if nE:
                    res_e = AE @ x - cE
        # consistency of the active rows
        bad = _NO_INDEX
        # each row's limit is at least 10 tau_p: the rows only when one residual is larger
        if nE and float(np.abs(res_e).max()) > 10.0 * self.tau_p:
            scale = self.tau_p + 1e-12 * (self.absA[E] @ np.abs(x) + np.abs(cE))
            bad = E[np.abs(res_e) > 10.0 * scale]
        return _Iterate(x=x, g=g, mu=mu, bad_rows=bad, qx=qx)

    # --------------------------------------------------------- KKT violations
    def violations(self, it: _Iterate, vs: np.ndarray, rs: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """KKT violations of the subproblem solution ``it`` for the working set.

        Returns ``(idx, new, score)``: the violating indices (variables ``0..N-1``, rows
        ``N..N+m-1``), the state the PDAS rule gives each of them, and the size of the
        violation relative to its scale.
        """
        tp = self.tau_p
        x, g = it.x, it.g
        # dual decisions relative to the gradient's own size (round-off grows with |Qx|)
        td = max(self.tau_d, 0.5 * self.tol * _amax(np.abs(it.qx)))
        # whole-vector masks, no gathers: a free variable out of its box; a multiplier of the
        # wrong sign, vs * g > td (at a lower bound g < -td, at an upper one g > td; a free
        # variable has vs * g = 0 and a pinned one has free sign)
        free = vs == 0
        over = x > self.ub + tp
        over &= free
        under = x < self.lb - tp
        under &= free
        wrong = vs * g > td
        if self.any_pinned:
            wrong &= ~self.pinned
        parts_i: list[np.ndarray] = [_NO_INDEX]
        parts_n: list[np.ndarray] = [_NO_STATE]
        parts_s: list[np.ndarray] = [_NO_SCORE]
        if over.any() or under.any() or wrong.any():  # else (at the optimum) no pieces
            fo, fu, bw = over.nonzero()[0], under.nonzero()[0], wrong.nonzero()[0]
            parts_i = [fo, fu, bw]
            parts_n = [np.ones(fo.size, np.int8), -np.ones(fu.size, np.int8),
                       np.zeros(bw.size, np.int8)]
            parts_s = [(x[fo] - self.ub[fo]) / self.scale_p,
                       (self.lb[fu] - x[fu]) / self.scale_p,
                       np.abs(g[bw]) / self.scale_d]
        if self.m:
            ax = self.A @ x
            mu = it.mu
            # row decisions relative to the size of the terms of A x (round-off)
            tr = np.maximum(tp, 0.5 * self.tol * (self.absA @ np.abs(x)))
            up = ax - self.hi
            down = self.lo - ax
            # inactive: out of range by more than tr; active: -rs * mu > td (a wrong sign)
            viol = np.where(rs == 0, np.maximum(up, down) - tr, -rs * mu - td)
            viol[self.eq] = -1.0
            k = (viol > 0).nonzero()[0]
            if k.size:
                act = rs[k] != 0
                new = np.where(act, 0, np.where(up[k] > down[k], 1, -1)).astype(np.int8)
                sc = np.where(act, np.abs(mu[k]) / self.scale_d,
                              np.maximum(up[k], down[k]) / self.scale_p)
                parts_i.append(self.N + k)
                parts_n.append(new)
                parts_s.append(sc)
        if len(parts_i) == 1:
            return parts_i[0], parts_n[0], parts_s[0]
        return np.concatenate(parts_i), np.concatenate(parts_n), np.concatenate(parts_s)

    def kkt_residual(self, x: np.ndarray, z: np.ndarray, mu: np.ndarray,
                     vs: np.ndarray, rs: np.ndarray, qx: np.ndarray | None = None) -> float:
        """Relative KKT residual of ``(x, z, mu)``, independent of how it was found."""
        if qx is None:
            qx = self.qx(x)
        hx = qx + self.ridge * x if self.ridge else qx
        m = self.m  # each vector term is a row of t, the rows' terms rows of r: one max call each
        t = np.empty((7, self.N))  # rows |Hx|, |A'mu|, |g|, lb-x, x-ub, dual signs, compl.
        np.abs(hx, out=t[0])  # (row 1 is left unset without rows: its max is discarded)
        g = np.subtract(hx, self.q, out=t[2])
        g += z
        if m:
            g += np.matmul(mu, self.A, out=t[1])
            np.abs(t[1], out=t[1])
        np.abs(g, out=g)
        # dual signs (pinned variables have free sign) and complementarity, whole-vector: at a
        # lower bound the sign is violated by z > 0, at an upper one by z < 0, both -vs * z > 0;
        # a free variable by |z|; complementarity |z (x - bound)| over the fixed ones
        fixed = vs != 0
        t[5] = np.where(fixed, -(vs * z), np.abs(z))
        with np.errstate(invalid="ignore"):  # one context for all: it costs as much as a pass
            np.subtract(self.lb, x, out=t[3])
            np.subtract(x, self.ub, out=t[4])
            if m:  # rows: excess / scale, scale, dual signs (as the bounds'), complementarity
                ax, r = self.A @ x, np.empty((4, m))
                np.maximum(self.scale_p, self.absA @ np.abs(x), out=r[1])
                np.maximum(self.lo - ax, ax - self.hi, out=r[0])
                act = rs != 0  # -rs mu on active rows, |mu| on the others, none if equal
                r[2] = np.where(act, -(rs * mu), np.abs(mu))
                r[2, self.eq] = 0.0
                r[3] = np.where(act, mu * (ax - np.where(rs > 0, self.hi, self.lo)), 0.0)
            comp_v = np.abs(z * (x - np.where(vs < 0, self.lb, self.ub)), out=t[6])  # NaN if free
        comp_v[~fixed] = 0.0
        if self.any_pinned:  # a pinned variable at its "lower" bound has no sign (vs > 0 does);
            # its complementarity term stays: |z| |x - lb| / (sd sp) <= |x - lb| / sp <= prim / sp
            t[5, self.pinned & (vs <= 0)] = 0.0
        hx_max, atmu, stat, low, high, dual, comp = t.max(axis=1).tolist() if self.N else [0.0] * 7
        sd = max(max(self.scale_d, hx_max), atmu) if m else max(self.scale_d, hx_max)
        prim, dual, sp = max(low, high, 0.0), max(dual, 0.0), self.scale_p
        if m:  # rows relative to the size of the terms of A x, at least the bound scale
            r[0] /= r[1]
            np.abs(r[3], out=r[3])
            excess, scale, row_dual, row_comp = r.max(axis=1).tolist()
            prim, sp = max(prim, excess * self.scale_p), max(sp, scale)
            dual, comp = max(dual, row_dual), max(comp, row_comp)
        return max(stat / sd, prim / self.scale_p, dual / sd, comp / (sd * sp))


# empty results of _Problem.violations (read-only: returned, never written)
_NO_INDEX = np.zeros(0, dtype=np.intp)
_NO_INDEX.flags.writeable = False
_NO_STATE = np.zeros(0, dtype=np.int8)
_NO_STATE.flags.writeable = False
_NO_SCORE = np.zeros(0)
_NO_SCORE.flags.writeable = False

# ---------------------------------------------------------------------------- driver
_GROW_MIN = 16  # at most max(_GROW_MIN, |F|) variables are freed by one block exchange


def _sanitize(prob: _Problem, vs: np.ndarray, rs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make a working-set guess admissible (finite bounds, pinned, equality rows): each state
    clipped into the limits of ``_Feasible.states`` (a state beyond +-1 lands on +-1)."""
    vs_min, vs_max, rs_min, rs_max = prob.states
    vs = np.maximum(vs.astype(np.int8, copy=False), vs_min)
    np.minimum(vs, vs_max, out=vs)
    rs = np.maximum(rs.astype(np.int8, copy=False), rs_min)
    np.minimum(rs, rs_max, out=rs)
    return vs, rs


def _cold_start(prob: _Problem) -> tuple[np.ndarray, np.ndarray]:
    """Working set of the projection of the origin onto the bounds, all rows inactive.

    Long-only variables (``lb = 0``) start at their bound, boxes around 0 start free.
    Measured on tracking problems, this beats an all-free start (one full Cholesky, and a
    singular one when ``N`` exceeds the number of observations) by 1.2 to 5 times.
    """
    vs = np.zeros(prob.N, dtype=np.int8)
    vs[prob.lb >= 0] = -1
    vs[prob.ub <= 0] = 1
    return _sanitize(prob, vs, np.zeros(prob.m, dtype=np.int8))


def _warm_start(prob: _Problem, warm: QPSolution | None
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """Working set of a previous solution, or None if it does not fit this problem."""
    N, m = prob.N, prob.m
    if warm is None or np.shape(warm.x) != (N,):
        return None
    bs = getattr(warm, "bound_state", None)
    if bs is not None and np.shape(bs) == (N,):
        vs = np.asarray(bs, dtype=np.int8)
    else:
        free = np.asarray(warm.free, dtype=bool)
        x = np.asarray(warm.x, dtype=float)
        with np.errstate(invalid="ignore"):
            near_ub = np.abs(x - prob.ub) < np.abs(x - prob.lb)
        vs = np.where(free, 0, np.where(near_ub, 1, -1)).astype(np.int8)
    ar = getattr(warm, "active_rows", None)
    if ar is not None and np.shape(ar) == (m,):
        rs = np.asarray(ar, dtype=np.int8)
    else:
        rs = np.zeros(m, dtype=np.int8)
    return _sanitize(prob, vs, rs)


def _update_factor(prob: _Problem, fac: _Factor, vs: np.ndarray, rs: np.ndarray) -> None:
    """Make ``fac`` cover the free set of ``vs``: extend it or refactor, whichever is cheaper."""
    newfree = vs == 0
    add = (newfree & ~fac.mask).nonzero()[0]
    nF = int(np.count_nonzero(newfree))
    nD = fac.n0 - int(np.count_nonzero(newfree[fac.idx])) if fac.n0 else 0
    nE = int(np.count_nonzero(rs))
    schur, fresh = fac.costs(fac.n0 + add.size, add.size, nE + nD, nF, nE)
    if schur > fresh:
        fac.refactor(newfree)
    elif add.size and not fac.extend(add):
        fac.refactor(newfree)


def _rows_consistent(prob: _Problem, rs: np.ndarray) -> bool:
    """Whether the active rows, as equations, have a solution at all (bounds ignored)."""
    E = (rs != 0).nonzero()[0]
    if E.size == 0:
        return True
    AE = prob.A[E]
    c = prob.row_targets(rs)[E]
    y = SymSolver(AE @ AE.T).solve(c)
    res = AE @ (AE.T @ y) - c
    return bool(np.max(np.abs(res)) <= 10.0 * prob.tau_p + 1e-12 * np.max(np.abs(c)))


def _repair(prob: _Problem, it: _Iterate, vs: np.ndarray, rs: np.ndarray,
            again: np.ndarray) -> bool:
    """Change a working set whose active rows cannot be satisfied; False if impossible.

    For each unsatisfiable active row, an inequality row that the fixed variables already
    satisfy is dropped; otherwise fixed variables of the row that can move the right way
    are freed, cheapest first (all of them if the row was already repaired last time).
    """
    if not _rows_consistent(prob, rs):
        return False
    changed = False
    x, g = it.x, it.g
    for j in it.bad_rows:
        a = prob.A[j]
        target = prob.hi[j] if rs[j] > 0 else prob.lo[j]
        val = float(a @ x)
        need = target - val
        if not prob.eq[j]:
            # an inequality row the current point keeps inside its range: drop it
            if prob.lo[j] - prob.tau_p <= val <= prob.hi[j] + prob.tau_p:
                rs[j] = 0
                changed = True
                continue
        direction = np.sign(need) * np.sign(a)  # direction each x_i must move
        cand = (~prob.pinned & (a != 0)
                & (((vs < 0) & (direction > 0)) | ((vs > 0) & (direction < 0))))
        ci = cand.nonzero()[0]
        if ci.size == 0:
            continue
        if j in again:
            vs[ci] = 0
            changed = True
            continue
        # cheapest first: objective increase per unit of row change
        rate = g[ci] * direction[ci] / np.abs(a[ci])
        order = ci[np.argsort(rate, kind="stable")]
        room = np.abs(a[order]) * (prob.ub[order] - prob.lb[order])
        cum = np.cumsum(room)
        k = int(np.searchsorted(cum, 2.0 * abs(need))) + 1
        vs[order[:k]] = 0
        changed = True
    return changed


def _result(prob: _Problem, fac: _Factor, it: _Iterate, vs: np.ndarray, rs: np.ndarray,
            status: str, method: str) -> QPSolution:
    x = it.x.copy()
    free = vs == 0
    x_free = x[free]
    xf = np.minimum(np.maximum(x_free, prob.lb[free]), prob.ub[free])  # np.clip, 2x cheaper
    moved = bool((xf != x_free).any())
    x[free] = xf
    z = np.where(free, 0.0, -it.g)
    mu = np.where(rs != 0, it.mu, 0.0)
    qx = it.qx
    if moved:  # clipping moved a few free variables by at most tau_p: update Q x
        qx = qx + prob.qx(x - it.x)
    kkt = prob.kkt_residual(x, z, mu, vs, rs, qx=qx)
    ridged = 0.5 * prob.ridge * float(x @ x) if prob.ridge else 0.0  # x finite: the same sum
    obj = 0.5 * float(x @ qx) + ridged - float(prob.q @ x)
    if status == "optimal" and not kkt <= prob.tol:  # a NaN residual is no certificate
        status = "singular" if fac.auto > 0 else "max_iter"
    return QPSolution(x=x, bound_duals=z, row_duals=mu, status=status, iterations=prob.n_solves,
                      kkt_residual=kkt, free=free, active_rows=np.where(prob.eq, np.int8(1), rs),
                      bound_state=vs.copy(), ridge_used=fac.auto, objective=obj, method=method,
                      factorizations=fac.n_factor)


def solve_qp(Q: ArrayLike | Hessian, q: ArrayLike, lb: ArrayLike | None = None,
             ub: ArrayLike | None = None, A: ArrayLike | None = None,
             lo: ArrayLike | None = None, hi: ArrayLike | None = None, *,
             warm: QPSolution | None = None, ridge: float = 0.0, tol: float = 1e-9,
             max_iter: int = 100) -> QPSolution:
    """Solve a dense convex QP with bounds and a few general rows.

    Parameters
    ----------
    Q : array_like, shape (N, N), or Hessian
        Symmetric positive semidefinite matrix (not modified; not copied if a C-ordered
        float64 array: a strided view is copied once, since the solver takes its row blocks), or a
        structured one that is never formed (:class:`Hessian`, e.g. the low-rank
        ``V'V + diag(d)`` of :class:`hedgeopt.solvers.lowrank.LowRankHessian`).
    q : array_like, shape (N,)
        Linear term; the objective is ``0.5 x'(Q + ridge I)x - q'x``.
    lb, ub : array_like or float, optional
        Bounds on ``x`` (``-inf`` / ``+inf`` allowed; ``lb == ub`` pins a variable).
    A : array_like, shape (m, N), optional
        Dense general rows.
    lo, hi : array_like or float, optional
        Row bounds, ``lo <= A x <= hi`` (``lo == hi`` is an equality).
    warm : QPSolution, optional
        Previous solution whose working set (``bound_state`` / ``free`` and
        ``active_rows``) is the first guess.
    ridge : float, default 0
        Adds ``ridge * I`` to ``Q``.
    tol : float, default 1e-9
        Relative KKT tolerance: stationarity and dual signs relative to
        ``max(1, |q|_inf, max diag(Q) + ridge, |(Q + ridge I) x|_inf, |A' mu|_inf)``,
        primal feasibility relative to ``max(1, largest finite bound)`` (rows: at least
        ``|A_j| |x|``); see the module docstring.
    max_iter : int, default 100
        Subproblem solves allowed for the primal-dual phase; the primal fallback may
        continue up to ``max_iter + 3 (N + m)`` solves in total.

    Returns
    -------
    QPSolution
        ``status`` is ``"optimal"`` when the KKT residual is below ``tol``;
        ``"infeasible"`` when no point satisfies the bounds and rows (proved by the
        phase-1 linear program; no exception is raised); ``"max_iter"`` when the
        iteration limits are hit or ``tol`` cannot be reached; ``"singular"`` when the
        reduced problem stays singular (an unbounded objective, or a tolerance that the
        automatic ridge prevents reaching). ``x`` is always returned; it is a feasible
        point only for ``"optimal"``.

    Examples
    --------
    Long-only weights with a budget:

    >>> import numpy as np
    >>> Q = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> sol = solve_qp(Q, np.array([1.0, -1.0]), lb=0.0, A=np.ones((1, 2)), lo=1.0, hi=1.0)
    >>> sol.status, sol.x.round(6).tolist(), sol.bound_state.tolist()
    ('optimal', [1.0, 0.0], [0, -1])
    """
    prob = _Problem(Q, q, lb, ub, A, lo, hi, ridge, tol)
    N, m = prob.N, prob.m
    fac = prob.factor()
    if prob.crossed:
        return _infeasible(prob, fac)
    start = _warm_start(prob, warm)
    vs, rs = _cold_start(prob) if start is None else start
    method = "pdas"
    best: _Iterate | None = None
    best_count = N + m + 1
    prev_count = N + m + 1
    k_allow = N + m
    polished = False
    last_bad = np.zeros(0, dtype=np.intp)
    seen: set[bytes] = set()
    qdiag = prob.qdiag
    try:
        fac.refactor(vs == 0)
        while prob.n_solves < max_iter:
            it = prob.eqp(fac, vs, rs)
            if it.bad_rows.size:
                if not _repair(prob, it, vs, rs, last_bad):
                    break
                last_bad = it.bad_rows
                _update_factor(prob, fac, vs, rs)
                continue
            last_bad = it.bad_rows
            idx, new, score = prob.violations(it, vs, rs)
            n_inf = idx.size
            if n_inf == 0:
                sol = _result(prob, fac, it, vs, rs, "optimal", method)
                if sol.status == "optimal" or polished:
                    return sol
                polished = True  # accuracy lost in Schur updates: fresh factor, re-solve
                fac.refactor(vs == 0)
                continue
            key = vs.tobytes() + rs.tobytes()
            repeated = key in seen
            seen.add(key)
            if n_inf < best_count:
                best_count, best, k_allow = n_inf, it, n_inf
            elif n_inf < prev_count and not repeated and not np.any(new != 0):
                # fewer violations than last step and all of them dual (a bound to release,
                # a row to drop): the free set is still growing toward the optimum, widen again
                k_allow = min(n_inf, 2 * k_allow)
            else:  # no progress: exchange fewer indices (halving), down to one
                if repeated and k_allow <= 1:
                    break
                k_allow = max(1, min(k_allow, n_inf) // 2)
            prev_count = n_inf
            # freeing many variables at once overshoots: at most max(16, |F|) per step
            rel = (new == 0) & (idx < N)
            cap = max(_GROW_MIN, N - int(np.count_nonzero(vs)))
            if np.count_nonzero(rel) > cap:
                ri = rel.nonzero()[0]
                pri = score[ri] / np.sqrt(np.maximum(qdiag[idx[ri]], 1e-300))
                drop = ri[np.argsort(-pri, kind="stable")[cap:]]
                keep = np.ones(n_inf, dtype=bool)
                keep[drop] = False
                idx, new, score = idx[keep], new[keep], score[keep]
            if idx.size > k_allow:
                top = np.argsort(-score, kind="stable")[:k_allow]
                idx, new = idx[top], new[top]
                method = "pdas+partial"
            isv = idx < N
            vs[idx[isv]] = new[isv]
            rs[idx[~isv] - N] = new[~isv]
            _update_factor(prob, fac, vs, rs)
    except _Singular:
        pass
    return _fallback(prob, fac, best, max_iter + 3 * (N + m))


def _infeasible(prob: _Problem, fac: _Factor) -> QPSolution:
    N, m = prob.N, prob.m
    x = np.clip(np.zeros(N), prob.lb, prob.ub)
    return QPSolution(x=x, bound_duals=np.zeros(N), row_duals=np.zeros(m),
                      status="infeasible", iterations=prob.n_solves, kkt_residual=np.inf,
                      free=np.ones(N, dtype=bool), active_rows=np.zeros(m, dtype=np.int8),
                      bound_state=np.zeros(N, dtype=np.int8), ridge_used=fac.auto,
                      objective=float("nan"), method="primal",
                      factorizations=fac.n_factor)


def _independent_rows(prob: _Problem, rs: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Drop active rows whose restriction to the free variables depends on earlier ones.

    Rows are taken equalities first (Gram-Schmidt on ``A[E, F]``); a dropped equality is
    implied by the kept equalities and stays satisfied, a dropped inequality is left to
    the ratio test.
    """
    act = (rs != 0).nonzero()[0]
    if act.size == 0:
        return rs
    order = act[np.argsort(~prob.eq[act], kind="stable")]
    M = prob.A[np.ix_(order, free.nonzero()[0])]
    basis: list[np.ndarray] = []
    out = np.zeros_like(rs)
    for k, j in enumerate(order):
        v = M[k].copy()
        nv = float(np.linalg.norm(v))
        for b in basis:
            v -= (b @ v) * b
        r = float(np.linalg.norm(v))
        if r > 1e-9 * max(nv, 1e-300):
            basis.append(v / r)
            out[j] = rs[j]
    return out


def _phase1(prob: _Problem, x0: np.ndarray) -> tuple[np.ndarray | None, bool]:
    """Feasible point nearest to ``x0`` in the L1 norm (one LP, HiGHS).

    Returns ``(x, infeasible)``; ``x`` is None when no point was found.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    N = prob.N
    x0 = np.where(np.isfinite(x0), x0, 0.0)
    if prob.m == 0:
        return np.clip(x0, prob.lb, prob.ub), False
    eye = sparse.identity(N, format="csr")
    blocks = [sparse.hstack([eye, -eye]), sparse.hstack([-eye, -eye])]
    rhs = [x0, -x0]
    ineq_hi = prob.row_hi & ~prob.eq
    ineq_lo = prob.row_lo & ~prob.eq
    if ineq_hi.any():
        blocks.append(sparse.hstack([sparse.csr_matrix(prob.A[ineq_hi]),
                                     sparse.csr_matrix((int(ineq_hi.sum()), N))]))
        rhs.append(prob.hi[ineq_hi])
    if ineq_lo.any():
        blocks.append(sparse.hstack([sparse.csr_matrix(-prob.A[ineq_lo]),
                                     sparse.csr_matrix((int(ineq_lo.sum()), N))]))
        rhs.append(-prob.lo[ineq_lo])
    A_eq = b_eq = None
    if prob.eq.any():
        A_eq = sparse.hstack([sparse.csr_matrix(prob.A[prob.eq]),
                              sparse.csr_matrix((int(prob.eq.sum()), N))])
        b_eq = prob.lo[prob.eq]
    c = np.concatenate([np.zeros(N), np.ones(N)])
    bounds = np.concatenate([np.column_stack([prob.lb, prob.ub]),
                             np.column_stack([np.zeros(N), np.full(N, np.inf)])])
    tol = max(1e-10, min(1e-7, 0.1 * prob.tau_p))
    res = linprog(c, A_ub=sparse.vstack(blocks, format="csr"), b_ub=np.concatenate(rhs),
                  A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs",
                  options={"primal_feasibility_tolerance": tol})
    if res.status == 2:
        return None, True
    if res.x is None:
        return None, False
    return np.clip(res.x[:N], prob.lb, prob.ub), False


def _fallback(prob: _Problem, fac: _Factor, best: _Iterate | None, budget: int) -> QPSolution:
    """Primal active-set method from the L1 projection of the best PDAS iterate."""
    N = prob.N
    x0 = best.x if best is not None else np.clip(np.zeros(N), prob.lb, prob.ub)
    x, infeasible = _phase1(prob, x0)
    if x is None:
        if infeasible:
            return _infeasible(prob, fac)
        x = np.clip(x0, prob.lb, prob.ub)
    tp = prob.tau_p
    with np.errstate(invalid="ignore"):
        at_lb = prob.has_lb & (x <= prob.lb + tp)
        at_ub = prob.has_ub & (x >= prob.ub - tp) & ~at_lb
    vs = np.where(at_lb | prob.pinned, -1, np.where(at_ub, 1, 0)).astype(np.int8)
    x = np.where(vs != 0, prob.fixed_values(vs), x)
    rs = np.zeros(prob.m, dtype=np.int8)
    if prob.m:
        ax = prob.A @ x
        rs[prob.row_lo & (ax <= prob.lo + tp)] = -1
        rs[prob.row_hi & (ax >= prob.hi - tp)] = 1
        rs[prob.eq] = 1
        # a degenerate point has dependent active rows: keep an independent subset
        # (equalities first) so that the multipliers are unique and cannot cycle
        rs = _independent_rows(prob, rs, vs == 0)
    vs, _ = _sanitize(prob, vs, rs)
    last: _Iterate | None = None
    polished = False
    try:
        while prob.n_solves < budget:
            _update_factor(prob, fac, vs, rs)
            it = prob.eqp(fac, vs, rs)
            last = it
            step = it.x - x
            # ratio test along the step to the subproblem minimiser
            alpha, block_v, block_r, side = 1.0, -1, -1, 0
            free = (vs == 0).nonzero()[0]
            if free.size:
                pf = step[free]
                xf = x[free]
                with np.errstate(divide="ignore", invalid="ignore"):
                    r_lo = np.where((pf < 0) & prob.has_lb[free], (prob.lb[free] - xf) / pf,
                                    np.inf)
                    r_hi = np.where((pf > 0) & prob.has_ub[free], (prob.ub[free] - xf) / pf,
                                    np.inf)
                r = np.minimum(r_lo, r_hi)
                k = int(np.argmin(r))
                if r[k] < alpha:
                    alpha, block_v = max(float(r[k]), 0.0), int(free[k])
                    side = -1 if r_lo[k] <= r_hi[k] else 1
            if prob.m:
                inact = (rs == 0).nonzero()[0]
                if inact.size:
                    ap = prob.A[inact] @ step
                    ax = prob.A[inact] @ x
                    with np.errstate(divide="ignore", invalid="ignore"):
                        r_hi = np.where((ap > tp) & prob.row_hi[inact],
                                        (prob.hi[inact] - ax) / ap, np.inf)
                        r_lo = np.where((ap < -tp) & prob.row_lo[inact],
                                        (prob.lo[inact] - ax) / ap, np.inf)
                    r = np.minimum(r_lo, r_hi)
                    k = int(np.argmin(r))
                    if r[k] < alpha:
                        alpha, block_v, block_r = max(float(r[k]), 0.0), -1, int(inact[k])
                        side = -1 if r_lo[k] <= r_hi[k] else 1
            if block_v >= 0 or block_r >= 0:  # blocked: move and add the constraint
                x = x + alpha * step
                if block_v >= 0:
                    vs[block_v] = side
                    x[block_v] = prob.lb[block_v] if side < 0 else prob.ub[block_v]
                else:
                    rs[block_r] = side
                continue
            # full step: x minimises the objective on the working set; check multipliers
            x = it.x
            idx, new, score = prob.violations(it, vs, rs)
            if idx.size == 0:
                sol = _result(prob, fac, it, vs, rs, "optimal", "primal")
                if sol.status == "optimal" or polished:
                    return sol
                polished = True
                fac.refactor(vs == 0)
                continue
            dual = new == 0
            if dual.any():  # drop the constraint with the worst multiplier
                k = int(idx[dual][np.argmax(score[dual])])
                if k < N:
                    vs[k] = 0
                else:
                    rs[k - N] = 0
            else:  # primal violations of round-off size at the minimiser: add them
                isv = idx < N
                vs[idx[isv]] = new[isv]
                rs[idx[~isv] - N] = new[~isv]
    except _Singular:
        if last is not None:
            return _result(prob, fac, last, vs, rs, "singular", "primal")
    if last is None:
        return _infeasible(prob, fac)
    return _result(prob, fac, last, vs, rs, "max_iter", "primal")


def _cholesky(M: np.ndarray, dg: np.ndarray) -> np.ndarray | None:
    """Upper Cholesky factor of ``M`` (overwritten), or None when a pivot is below
    ``_PIVOT_TOL`` of the original diagonal ``dg`` (numerically singular)."""
    c, info = lapack.dpotrf(M, lower=0, clean=1, overwrite_a=1)
    if info != 0:
        return None
    piv = c.diagonal()
    if (piv * piv < _PIVOT_TOL * np.maximum(dg, 1e-300)).any():
        return None
    return np.asarray(c)
