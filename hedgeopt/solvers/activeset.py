"""Dense convex QP solver: primal-dual active set with a finite fallback.

Problem
-------
:func:`solve_qp` solves

.. math::

    \\min_x \\; \\tfrac12 x^\\top (Q + \\rho I) x - q^\\top x
    \\quad \\text{s.t.} \\quad l \\le x \\le u, \\qquad
    \\ell \\le A x \\le h,

with :math:`Q` (``N x N``) symmetric positive semidefinite, :math:`\\rho \\ge 0`
the ``ridge``, bounds that may be infinite and ``m`` dense general rows (``m`` small).
A row with :math:`\\ell_j = h_j` is an equality, a variable with :math:`l_i = u_i` is
pinned.

KKT conditions
--------------
With a single multiplier per variable, :math:`z_i`, and per row, :math:`\\mu_j`, signed
so that a positive value means "the upper side is active",

.. math::

    (Q + \\rho I) x - q + A^\\top \\mu + z = 0 \\quad \\text{(stationarity)}

    l \\le x \\le u, \\quad \\ell \\le A x \\le h \\quad \\text{(primal feasibility)}

    z_i \\ge 0 \\text{ if } x_i = u_i, \\; z_i \\le 0 \\text{ if } x_i = l_i, \\;
    z_i = 0 \\text{ if } l_i < x_i < u_i \\quad \\text{(dual sign, complementarity)}

and the same for :math:`\\mu_j` against :math:`A_j x \\in \\{\\ell_j, h_j\\}`; for pinned
variables and equality rows the multiplier has free sign. Writing
:math:`g = (Q + \\rho I) x - q + A^\\top \\mu` for the gradient of the Lagrangian without
the bound terms, the multiplier of a fixed variable is :math:`z_i = -g_i`.

Working sets and the equality-constrained subproblem
---------------------------------------------------
A working set marks every variable as free (set :math:`F`), at its lower or at its upper
bound (set :math:`B`), and every row as inactive or active at :math:`\\ell_j` or
:math:`h_j` (set :math:`E`; equality rows are always in :math:`E`). For a working set the
solver fixes :math:`x_B` at its bounds and solves

.. math::

    \\begin{bmatrix} Q_{FF} & A_{EF}^\\top \\\\ A_{EF} & 0 \\end{bmatrix}
    \\begin{bmatrix} x_F \\\\ \\mu_E \\end{bmatrix} =
    \\begin{bmatrix} q_F - Q_{FB} x_B \\\\ c_E - A_{EB} x_B \\end{bmatrix}

by the range-space method: one Cholesky factor :math:`R^\\top R` of :math:`Q_{FF}`
(LAPACK ``potrf``), one multi right-hand-side solve of :math:`Q_{FF} Y = [r_F,
A_{EF}^\\top]`, and the small Schur complement :math:`S = A_{EF} Q_{FF}^{-1}
A_{EF}^\\top` for :math:`\\mu_E` (a pseudo-inverse is used when :math:`S` is singular,
and the rows are then checked for consistency).

The factor is not recomputed at every iteration. The solver keeps the factor of a
superset :math:`F_0 \\supseteq F`; variables of :math:`F_0` that are fixed in the
current working set are imposed as extra equality rows :math:`e_i^\\top x = b_i` of the
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
function :math:`z - \\max(0, z + c(x - u)) - \\min(0, z + c(x - l))`):

* a free variable with :math:`x_i > u_i` (:math:`x_i < l_i`) is fixed at that bound;
* a variable at its lower bound with :math:`g_i < 0` or at its upper bound with
  :math:`g_i > 0` (multiplier of the wrong sign) is freed;
* an inactive row with :math:`A_j x > h_j` (:math:`< \\ell_j`) becomes active at that side;
* an active inequality row whose multiplier has the wrong sign becomes inactive.

The method stops when no index changes; the KKT conditions then hold up to ``tol``.

Safeguards
----------
PDAS is not globally convergent for a general positive definite :math:`Q`. The solver
counts the indices that violate the KKT conditions (the "infeasibilities"). As in the
block principal pivoting method of Júdice and Pires (1994) and Kim and Park (2011),
when that count has not improved for three block exchanges, or a working set repeats,
only the single infeasible index with the largest number is exchanged (Murty's least
index rule, finite for positive definite :math:`Q`); block exchanges resume as soon as
the count drops below its best value. If this still fails (iteration limit, a working
set repeats in single mode, or the row constraints of a working set are inconsistent
and cannot be repaired), a primal active-set method takes over: a feasible point is
found by one linear program (``scipy.optimize.linprog``, HiGHS; the L1 projection of
the best PDAS iterate onto the feasible set, which also proves infeasibility), then one
constraint is added (ratio test) or dropped (most negative multiplier) per iteration,
reusing the same Schur-complement factor.

Singular :math:`Q`
------------------
When :math:`Q_{FF} + \\rho I` is not numerically positive definite (``potrf`` fails or a
pivot falls below ``1e-14`` of its diagonal entry), a small automatic ridge
``1e-12 * mean(diag(Q))`` (multiplied by 100 on each further failure) is added for the
rest of the solve and reported as :attr:`QPSolution.ridge_used`. The KKT residual is
always measured against the problem as given (with ``ridge`` but without the automatic
part).

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

import numpy as np
from scipy.linalg import lapack

__all__ = ["QPSolution", "solve_qp"]

_PIVOT_TOL = 1e-14  # potrf pivot^2 / diagonal below this: treat the block as singular
_AUTO_RIDGE = 1e-12  # first automatic ridge, relative to mean(diag(Q))
_MAX_AUTO_RIDGE = 1e-4  # give up (status "singular") beyond this relative ridge
_BACKUPS = 3  # block exchanges allowed without progress before single exchanges
_LARGE_SUPPORT = 0.4  # fraction of nonzeros above which Q @ x is a full gemv


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
        complementarity (see :func:`solve_qp`).
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
        ``"pdas"``, ``"pdas+single"`` (Murty single exchanges were needed) or
        ``"primal"`` (the primal active-set fallback finished the solve).
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


def _flops_potrs(n: int, k: int) -> float:
    return 2.0 * n * n * k


class _Factor:
    """Cholesky factor ``R'R`` of ``Q[F0, F0] + shift * I`` for an index list ``F0``."""

    def __init__(self, Q: np.ndarray, user_ridge: float, base_ridge: float) -> None:
        self.Q = Q
        self.N = Q.shape[0]
        self.user_ridge = user_ridge
        self.base_ridge = base_ridge
        self.auto = 0.0
        self.idx = np.zeros(0, dtype=np.intp)
        self.mask = np.zeros(self.N, dtype=bool)
        self.R = np.zeros((0, 0), order="F")
        self.n_factor = 0

    @property
    def shift(self) -> float:
        return self.user_ridge + self.auto

    @property
    def n0(self) -> int:
        return self.idx.size

    def _bump(self) -> None:
        self.auto = self.base_ridge if self.auto == 0.0 else 100.0 * self.auto
        if self.auto > _MAX_AUTO_RIDGE * max(self.base_ridge / _AUTO_RIDGE, 1e-300):
            raise _Singular

    def _potrf(self, M: np.ndarray) -> np.ndarray | None:
        """Factor ``M`` (Fortran order, overwritten); ``None`` if not numerically PD."""
        n = M.shape[0]
        if n == 0:
            return M
        dg = M.diagonal().copy()
        c, info = lapack.dpotrf(M, lower=0, clean=1, overwrite_a=1)
        if info != 0:
            return None
        piv = c.diagonal()
        if np.any(piv * piv < _PIVOT_TOL * np.maximum(dg, 1e-300)):
            return None
        return c

    def refactor(self, free: np.ndarray) -> None:
        """Fresh factor of the block ``free`` (bool mask or index array)."""
        idx = np.flatnonzero(free) if free.dtype == bool else np.asarray(free, dtype=np.intp)
        n = idx.size
        while True:
            if n == self.N:
                M = np.array(self.Q, order="F", copy=True)
            else:
                M = np.asfortranarray(self.Q[np.ix_(idx, idx)])
            if n:
                M.flat[:: n + 1] += self.shift
            c = self._potrf(M)
            self.n_factor += 1
            if c is not None:
                break
            self._bump()
        self.R = c
        self.idx = idx
        self.mask = np.zeros(self.N, dtype=bool)
        self.mask[idx] = True

    def extend(self, new: np.ndarray) -> bool:
        """Append the indices ``new`` to the factor by bordering; False on failure."""
        k = new.size
        n0 = self.n0
        Qa = np.asfortranarray(self.Q[np.ix_(self.idx, new)]) if n0 else None
        Sa = np.asfortranarray(self.Q[np.ix_(new, new)])
        Sa.flat[:: k + 1] += self.shift
        if n0:
            C, info = lapack.dtrtrs(self.R, Qa, lower=0, trans=1, overwrite_b=1)
            if info != 0:
                return False
            Sa -= C.T @ C
        else:
            C = np.zeros((0, k), order="F")
        dg = self.Q[new, new] + self.shift
        c, info = lapack.dpotrf(Sa, lower=0, clean=1, overwrite_a=1)
        if info != 0:
            return False
        piv = c.diagonal()
        if np.any(piv * piv < _PIVOT_TOL * np.maximum(dg, 1e-300)):
            return False
        Rn = np.zeros((n0 + k, n0 + k), order="F")
        Rn[:n0, :n0] = self.R
        Rn[:n0, n0:] = C
        Rn[n0:, n0:] = c
        self.R = Rn
        self.idx = np.concatenate([self.idx, new])
        self.mask[new] = True
        return True

    def solve(self, B: np.ndarray) -> np.ndarray:
        """Solve ``(Q[F0,F0] + shift I) X = B`` (B Fortran order, overwritten)."""
        if self.n0 == 0:
            return B
        X, info = lapack.dpotrs(self.R, B, lower=0, overwrite_b=1)
        if info != 0:  # pragma: no cover - only on invalid arguments
            raise RuntimeError(f"dpotrs failed with info={info}")
        return X


def _sym_solve(S: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
    """Solve the small PSD system ``S y = b``; pseudo-inverse if singular.

    Returns the solution and whether ``S`` was treated as singular.
    """
    p = S.shape[0]
    if p == 0:
        return b.copy(), False
    S = 0.5 * (S + S.T)
    dg = S.diagonal().copy()
    if np.all(dg > 0):
        c, info = lapack.dpotrf(np.asfortranarray(S), lower=0, clean=1, overwrite_a=1)
        if info == 0:
            piv = c.diagonal()
            if np.all(piv * piv >= 1e-12 * dg):
                y, _ = lapack.dpotrs(c, b.reshape(p, 1).copy(order="F"), lower=0)
                return y[:, 0], False
    w, V = np.linalg.eigh(S)
    wmax = max(float(w[-1]), 0.0)
    keep = w > 1e-12 * wmax if wmax > 0 else np.zeros(p, dtype=bool)
    y = V[:, keep] @ ((V[:, keep].T @ b) / w[keep])
    return y, True


@dataclass
class _Iterate:
    x: np.ndarray
    g: np.ndarray  # (Q + ridge I) x - q + A_E' mu
    mu: np.ndarray  # (m,) row multipliers (0 on inactive rows)
    bad_rows: np.ndarray  # indices of active rows that the working set cannot satisfy


class _Problem:
    """Validated data, scales and the equality-constrained subproblem solver."""

    def __init__(self, Q, q, lb, ub, A, lo, hi, ridge: float, tol: float) -> None:
        Q = np.asarray(Q, dtype=float)
        if Q.ndim != 2 or Q.shape[0] != Q.shape[1]:
            raise ValueError(f"Q must be square, got shape {Q.shape}")
        N = Q.shape[0]
        q = np.asarray(q, dtype=float).reshape(-1)
        if q.size != N:
            raise ValueError(f"q must have {N} entries, got {q.size}")
        self.N = N
        self.Q = Q
        self.q = q
        self.lb = self._vec(lb, N, -np.inf, "lb")
        self.ub = self._vec(ub, N, np.inf, "ub")
        if A is None:
            A = np.zeros((0, N))
        A = np.asarray(A, dtype=float)
        if A.ndim == 1:
            A = A.reshape(1, -1)
        if A.ndim != 2 or A.shape[1] != N:
            raise ValueError(f"A must have shape (m, {N}), got {A.shape}")
        self.A = A
        m = A.shape[0]
        self.m = m
        self.lo = self._vec(lo, m, -np.inf, "lo")
        self.hi = self._vec(hi, m, np.inf, "hi")
        if ridge < 0 or not np.isfinite(ridge):
            raise ValueError(f"ridge must be finite and >= 0, got {ridge}")
        self.ridge = float(ridge)
        self.tol = float(tol)
        self.pinned = self.lb == self.ub
        self.has_lb = np.isfinite(self.lb)
        self.has_ub = np.isfinite(self.ub)
        self.eq = self.lo == self.hi
        self.row_lo = np.isfinite(self.lo)
        self.row_hi = np.isfinite(self.hi)
        dg = Q.diagonal()
        self.scale_d = max(1.0, float(np.max(np.abs(q), initial=0.0)),
                           float(np.max(np.abs(dg), initial=0.0)) + self.ridge)
        finite = np.concatenate([self.lb[self.has_lb], self.ub[self.has_ub],
                                 self.lo[self.row_lo], self.hi[self.row_hi]])
        self.scale_p = max(1.0, float(np.max(np.abs(finite), initial=0.0)))
        self.tau_p = 0.5 * tol * self.scale_p
        self.tau_d = 0.5 * tol * self.scale_d
        mean_dg = float(np.mean(dg)) if N else 1.0
        self.base_ridge = _AUTO_RIDGE * (mean_dg if mean_dg > 0 else 1.0)
        self.n_solves = 0

    @staticmethod
    def _vec(v, n: int, default: float, name: str) -> np.ndarray:
        if v is None:
            return np.full(n, default)
        v = np.asarray(v, dtype=float)
        if v.ndim == 0:
            return np.full(n, float(v))
        v = v.reshape(-1)
        if v.size != n:
            raise ValueError(f"{name} must have {n} entries, got {v.size}")
        if np.any(np.isnan(v)):
            raise ValueError(f"{name} contains NaN")
        return v

    # ------------------------------------------------------------------ helpers
    def qx(self, x: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
        """``Q @ x`` using only the nonzero entries of ``x`` when they are few."""
        s = np.flatnonzero(x) if support is None else support
        if s.size == 0:
            return np.zeros(self.N)
        if s.size > _LARGE_SUPPORT * self.N:
            return self.Q @ x
        return x[s] @ self.Q[s]

    def fixed_values(self, vs: np.ndarray) -> np.ndarray:
        return np.where(vs > 0, self.ub, self.lb)

    def row_targets(self, rs: np.ndarray) -> np.ndarray:
        return np.where(rs > 0, self.hi, self.lo)

    # --------------------------------------------------- equality-constrained QP
    def eqp(self, fac: _Factor, vs: np.ndarray, rs: np.ndarray) -> _Iterate:
        """Solve the subproblem of the working set ``(vs, rs)``; ``fac`` covers F."""
        self.n_solves += 1
        N = self.N
        fixed = vs != 0
        x = np.where(fixed, self.fixed_values(vs), 0.0)
        inF0 = fac.mask
        F0 = fac.idx
        out = ~inF0
        xb = np.where(out, x, 0.0)
        nzb = np.flatnonzero(xb)
        Qxb = self.qx(xb, nzb)
        E = np.flatnonzero(rs != 0)
        nE = E.size
        AE = self.A[E]
        cE = self.row_targets(rs)[E]
        dE = cE - AE @ xb
        Dpos = np.flatnonzero(fixed[F0])
        nD = Dpos.size
        n0 = F0.size
        xD = x[F0[Dpos]]
        mu = np.zeros(self.m)
        if n0:
            AEF = AE[:, F0]
            RHS = np.zeros((n0, 1 + nE + nD), order="F")
            RHS[:, 0] = self.q[F0] - Qxb[F0]
            RHS[:, 1:1 + nE] = AEF.T
            RHS[Dpos, 1 + nE + np.arange(nD)] = 1.0
            Y = fac.solve(RHS)
            x0 = Y[:, 0]
            p = nE + nD
            if p:
                W = Y[:, 1:]
                CW = np.empty((p, p))
                CW[:nE] = AEF @ W
                CW[nE:] = W[Dpos]
                rhs = np.empty(p)
                rhs[:nE] = AEF @ x0 - dE
                rhs[nE:] = x0[Dpos] - xD
                lam, _ = _sym_solve(CW, rhs)
                xF0 = x0 - W @ lam
                mu[E] = lam[:nE]
            else:
                xF0 = x0
            xF0[Dpos] = xD  # exact bound values
            x[F0] = xF0
        # consistency of the active rows
        bad = np.zeros(0, dtype=np.intp)
        if nE:
            res = AE @ x - cE
            scale = self.tau_p + 1e-12 * (np.abs(AE) @ np.abs(x) + np.abs(cE))
            bad = E[np.abs(res) > 10.0 * scale]
        g = self.qx(x) - self.q
        if self.ridge:
            g += self.ridge * x
        if nE:
            g += mu[E] @ AE
        return _Iterate(x=x, g=g, mu=mu, bad_rows=bad)

    # --------------------------------------------------------- KKT violations
    def violations(self, it: _Iterate, vs: np.ndarray, rs: np.ndarray):
        """Indices violating the KKT conditions for the working set, with new states.

        Returns ``(var_idx, var_new_state, row_idx, row_new_state, var_score, row_score)``.
        """
        x, g, mu = it.x, it.g, it.mu
        tp, td = self.tau_p, self.tau_d
        free = vs == 0
        over = free & (x > self.ub + tp)
        under = free & (x < self.lb - tp)
        wrong_lo = (vs < 0) & ~self.pinned & (g < -td)
        wrong_hi = (vs > 0) & ~self.pinned & (g > td)
        vidx = np.flatnonzero(over | under | wrong_lo | wrong_hi)
        vnew = np.zeros(vidx.size, dtype=np.int8)
        vnew[over[vidx]] = 1
        vnew[under[vidx]] = -1
        vscore = np.maximum.reduce([
            np.where(over, x - self.ub, 0.0) / self.scale_p,
            np.where(under, self.lb - x, 0.0) / self.scale_p,
            np.abs(np.where(wrong_lo | wrong_hi, g, 0.0)) / self.scale_d,
        ])[vidx] if vidx.size else np.zeros(0)
        if self.m:
            ax = self.A @ x
            inact = rs == 0
            r_over = inact & (ax > self.hi + tp)
            r_under = inact & (ax < self.lo - tp)
            r_wrong = ~self.eq & (((rs > 0) & (mu < -td)) | ((rs < 0) & (mu > td)))
            ridx = np.flatnonzero(r_over | r_under | r_wrong)
            rnew = np.zeros(ridx.size, dtype=np.int8)
            rnew[r_over[ridx]] = 1
            rnew[r_under[ridx]] = -1
            rscore = np.maximum.reduce([
                np.where(r_over, ax - self.hi, 0.0) / self.scale_p,
                np.where(r_under, self.lo - ax, 0.0) / self.scale_p,
                np.abs(np.where(r_wrong, mu, 0.0)) / self.scale_d,
            ])[ridx] if ridx.size else np.zeros(0)
        else:
            ridx = np.zeros(0, dtype=np.intp)
            rnew = np.zeros(0, dtype=np.int8)
            rscore = np.zeros(0)
        return vidx, vnew, ridx, rnew, vscore, rscore

    def kkt_residual(self, x: np.ndarray, z: np.ndarray, mu: np.ndarray,
                     vs: np.ndarray, rs: np.ndarray, qx: np.ndarray | None = None) -> float:
        """Relative KKT residual of ``(x, z, mu)``, independent of how it was found."""
        if qx is None:
            qx = self.qx(x)
        g = qx + self.ridge * x - self.q + z
        if self.m:
            g += mu @ self.A
        stat = float(np.max(np.abs(g), initial=0.0)) / self.scale_d
        with np.errstate(invalid="ignore"):
            pb = np.maximum(np.maximum(self.lb - x, x - self.ub), 0.0)
        prim = float(np.max(pb, initial=0.0))
        # dual sign (pinned variables have free sign)
        dz = np.where(self.pinned, 0.0, np.maximum(np.where(vs <= 0, z, 0.0), 0.0)
                      + np.maximum(np.where(vs >= 0, -z, 0.0), 0.0))
        dual = float(np.max(dz, initial=0.0))
        # complementarity of bounds: z_i * (distance to the bound it is attached to)
        with np.errstate(invalid="ignore"):
            dist = np.where(z > 0, self.ub - x, np.where(z < 0, x - self.lb, 0.0))
        dist = np.where(np.isfinite(dist), dist, np.inf)
        comp = float(np.max(np.abs(z) * np.abs(dist), initial=0.0)) if z.any() else 0.0
        if self.m:
            ax = self.A @ x
            with np.errstate(invalid="ignore"):
                pr = np.maximum(np.maximum(self.lo - ax, ax - self.hi), 0.0)
            prim = max(prim, float(np.max(pr, initial=0.0)))
            dmu = np.where(self.eq, 0.0, np.maximum(np.where(rs <= 0, mu, 0.0), 0.0)
                           + np.maximum(np.where(rs >= 0, -mu, 0.0), 0.0))
            dual = max(dual, float(np.max(dmu, initial=0.0)))
            with np.errstate(invalid="ignore"):
                rd = np.where(mu > 0, self.hi - ax, np.where(mu < 0, ax - self.lo, 0.0))
            rd = np.where(np.isfinite(rd), rd, np.inf)
            if mu.any():
                comp = max(comp, float(np.max(np.abs(mu) * np.abs(rd))))
        return max(stat, prim / self.scale_p, dual / self.scale_d,
                   comp / (self.scale_d * self.scale_p))
