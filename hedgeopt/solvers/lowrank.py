r"""The active-set QP on a low-rank Hessian ``Q = V'V + diag(d)``, never formed.

When a hedge has many more instruments than observations (``N`` stocks, ``T`` days,
``2T - 1 < N``), the objective's ``N x N`` Gram has rank at most ``k = 2T - 1``: it is
``V'V`` for the ``k x N`` stacked, centred and weighted levels and differences (see
:class:`~hedgeopt.context.HedgeContext`), and a ridge adds a diagonal ``d``. Forming the Gram
costs ``O(k N^2)`` and factoring a free block of ``f`` variables ``O(f^3)``; this module gives
:func:`~hedgeopt.solvers.activeset.solve_qp` the same matrix through ``V`` and ``d`` alone:

* ``Q x = V'(V x) + d x`` in ``O(k N)`` (gradients, KKT residuals: the certificate is computed
  from the operator itself, not from the factor);
* the free block ``Q_FF + \sigma I`` (``\sigma`` the user's and the automatic ridge) is factored
  in one of two exact ways:

  - **capacitance (Woodbury)** form, when the block has more variables than ``V`` has rows and
    its diagonal ``D = d_F + \sigma`` is positive: with ``W = V_F D^{-1/2}``,

    .. math::  (D + V_F^\top V_F)^{-1} = D^{-1/2} \bigl(I - W^\top (I_k + W W^\top)^{-1}
               W\bigr) D^{-1/2},

    one ``k x k`` Cholesky factor; freeing variables adds ``W_{new} W_{new}^\top`` to the
    ``k x k`` capacitance matrix (``O(k^2)`` per variable instead of ``O(f^2)``);
  - **block** form otherwise (a small free set, or no ridge): ``Q_FF = V_F^\top V_F + D``
    formed in ``O(f^2 k)`` and factored by Cholesky, bordered when variables are freed, exactly
    as the dense solver does (a singular block gets the same automatic ridge and iterative
    refinement).

Everything else (working sets, Schur complements of fixed variables and active rows, the
primal fallback, the tolerances) is the dense solver's, unchanged, so both give the same
optimum up to the KKT tolerance (tested against the dense solver and an independent cvxpy
model in ``tests/solvers/test_lowrank.py``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import lapack

from hedgeopt.solvers.activeset import _cholesky, _Factor, _Singular

__all__ = ["LowRankHessian", "plus_diagonal"]

#: The capacitance form needs every ``D_i`` at least this fraction of the mean ``diag(V'V)``
#: (below it ``I + W W'`` is too ill-conditioned; the block form is used instead).
_WOODBURY_MIN = 1e-8
#: ``Q[:, F] x_F`` gathers the columns ``V_F`` when ``|F|`` is below this fraction of ``N``.
_GATHER = 0.3


class LowRankHessian:
    """``Q = V'V + diag(d)`` given by ``V`` (``k x N``) and ``d`` (``N``, >= 0).

    Parameters
    ----------
    V : array_like, shape (k, N)
        The factor (stored transposed, so that its columns are contiguous).
    d : array_like, shape (N,), optional
        Non-negative diagonal (default 0).
    """

    def __init__(self, V: ArrayLike, d: ArrayLike | None = None) -> None:
        self._set(np.ascontiguousarray(np.asarray(V, dtype=float).T), d)

    @classmethod
    def from_transposed(cls, Vt: np.ndarray, d: ArrayLike | None = None) -> LowRankHessian:
        """The operator of ``V = Vt'`` given as a C-contiguous ``N x k`` array (not copied)."""
        out = cls.__new__(cls)
        out._set(np.ascontiguousarray(Vt, dtype=float), d)
        return out

    def _set(self, Vt: np.ndarray, d: ArrayLike | None,
             vdiag: np.ndarray | None = None) -> None:
        n = Vt.shape[0]
        self.Vt: np.ndarray = Vt
        self.d: np.ndarray = (np.zeros(n) if d is None
                              else np.broadcast_to(np.asarray(d, dtype=float), (n,)).copy())
        if np.any(self.d < 0) or not np.isfinite(self.d).all():
            raise ValueError("d must be finite and >= 0")
        self.shape: tuple[int, int] = (n, n)
        self._vdiag = np.einsum("ij,ij->i", Vt, Vt) if vdiag is None else vdiag
        self._grams = _GramCache(Vt)

    @property
    def rank(self) -> int:
        """Rows ``k`` of ``V`` (an upper bound of the rank of ``V'V``)."""
        return int(self.Vt.shape[1])

    def diagonal(self) -> np.ndarray:
        """``diag(Q)``."""
        return self._vdiag + self.d

    def matvec(self, x: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
        """``Q @ x`` in ``O(k N)`` (``O(k |support|)`` for the first product)."""
        x = np.asarray(x, dtype=float)
        if support is not None and support.size < 0.1 * x.size:
            u = x[support] @ self.Vt[support]
        else:
            u = x @ self.Vt
        out = self.Vt @ u
        out += self.d * x
        return out

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return self.matvec(x)

    def plus_diagonal(self, d: ArrayLike) -> LowRankHessian:
        """``Q + diag(d)`` sharing ``V``."""
        out = LowRankHessian.__new__(LowRankHessian)
        out._set(self.Vt, self.d + np.asarray(d, dtype=float), self._vdiag)
        out._grams = self._grams  # same V: the Grams of its column blocks are shared
        return out

    def dense(self) -> np.ndarray:
        """The ``N x N`` matrix (for tests and small problems)."""
        Q = self.Vt @ self.Vt.T
        Q[np.diag_indices_from(Q)] += self.d
        return Q

    def factor(self, user_ridge: float, base_ridge: float, max_ridge: float) -> _Factor:
        """The factor of its free blocks (see the module docstring)."""
        return _LowRankFactor(self, user_ridge, base_ridge, max_ridge)


def plus_diagonal(Q: np.ndarray | LowRankHessian, d: ArrayLike) -> np.ndarray | LowRankHessian:
    """``Q + diag(d)``: in place for an array (returned), a new operator otherwise."""
    if isinstance(Q, LowRankHessian):
        return Q.plus_diagonal(d)
    Q[np.diag_indices_from(Q)] += d
    return Q


class _GramCache:
    """The Gram ``V_F V_F'`` (``k x k``) of the last column block ``F`` asked for, updated for
    the next block by the columns that left and joined it.

    The capacitance matrix of a free block with a uniform diagonal is ``I + V_F V_F' / D``;
    re-solves with another ridge, and the first factor of a warm-started solve, ask for a block
    close to the last one, so the ``O(k^2 |F|)`` product becomes ``O(k^2 |changed|)``. The
    update is recomputed from scratch once the changes since the last exact product exceed the
    block's size (bounded round-off drift).
    """

    def __init__(self, Vt: np.ndarray) -> None:
        self.Vt = Vt
        self.mask: np.ndarray | None = None
        self.G = np.zeros((0, 0))
        self.drift = 0

    def gram(self, idx: np.ndarray) -> np.ndarray:
        """``V_F V_F'`` for the indices ``idx`` (a new array: callers may modify it)."""
        Vt = self.Vt
        mask = np.zeros(Vt.shape[0], dtype=bool)
        mask[idx] = True
        if self.mask is not None:
            gone = (self.mask & ~mask).nonzero()[0]
            came = (mask & ~self.mask).nonzero()[0]
            n_changed = gone.size + came.size
            if self.drift + n_changed <= idx.size:
                G = self.G.copy()
                if gone.size:
                    Vg = Vt[gone]
                    G -= Vg.T @ Vg
                if came.size:
                    Vc = Vt[came]
                    G += Vc.T @ Vc
                self.mask, self.G, self.drift = mask, G, self.drift + n_changed
                return G.copy()
        Vf = Vt[idx]
        self.mask, self.G, self.drift = mask, Vf.T @ Vf, 0
        return self.G.copy()


class _LowRankFactor(_Factor):
    """The factor of ``Q[F0, F0] + shift I`` for a :class:`LowRankHessian` (block or
    capacitance form, see the module docstring)."""

    def __init__(self, hess: LowRankHessian, user_ridge: float, base_ridge: float,
                 max_ridge: float) -> None:
        super().__init__(hess, user_ridge, base_ridge, max_ridge)  # type: ignore[arg-type]
        self.hess = hess
        self.Vt = hess.Vt
        self.k = hess.rank
        self.woodbury = False
        self.sD = np.zeros(0)                # sqrt(D) of the free block (capacitance form)
        self.Wt = np.zeros((0, self.k))      # W' = D^{-1/2} V_F'
        self.C = np.zeros((self.k, self.k))  # I + W W'
        vd = hess._vdiag
        self.floor = _WOODBURY_MIN * (float(vd.mean()) if vd.size and vd.mean() > 0 else 1.0)

    def _woodbury_ok(self, idx: np.ndarray) -> bool:
        return idx.size > self.k and float(np.min(self.hess.d[idx])) + self.shift >= self.floor

    def refactor(self, free: np.ndarray) -> None:
        idx = free.nonzero()[0] if free.dtype == bool else np.asarray(free, dtype=np.intp)
        G = self.Vt[idx]
        gram = None
        if idx.size > self.k and float(np.min(self.hess.d[idx])) == 0.0:
            # V_F'V_F has rank <= k < |F| and nothing lifts it: the block is singular, as the
            # dense factor would find after several failed Cholesky factorisations of the whole
            # block; start the automatic ridge (a preconditioner, see activeset) at the floor
            # of the capacitance form instead
            self.auto = max(self.auto, (self.floor - self.user_ridge) * (1.0 + 1e-9))
            if self.auto > self.max_ridge:
                raise _Singular
        while True:
            self.n_factor += 1
            if self._woodbury_ok(idx):
                Dv = self.hess.d[idx] + self.shift
                sD = np.sqrt(Dv)
                Wt = G / sD[:, None]
                if Dv[0] == Dv[-1] and np.all(Dv == Dv[0]):  # uniform: I + V_F V_F' / D
                    C = self.hess._grams.gram(idx)
                    C /= Dv[0]
                else:
                    C = Wt.T @ Wt
                C[np.diag_indices_from(C)] += 1.0
                L = _cholesky(np.asfortranarray(C), C.diagonal().copy())
                if L is not None:
                    self.woodbury, self.sD, self.Wt, self.C, self.R = True, sD, Wt, C, L
                    break
            else:
                if gram is None:
                    gram = G @ G.T
                M = np.array(gram, order="F")
                dg = self.hess.d[idx] + self.shift
                M[np.diag_indices_from(M)] += dg
                c = _cholesky(M, M.diagonal().copy()) if idx.size else M
                if c is not None:
                    self.woodbury, self.R = False, c
                    break
            self._bump()
        self.idx = idx
        self.mask = np.zeros(self.N, dtype=bool)
        self.mask[idx] = True

    def extend(self, new: np.ndarray) -> bool:
        both = np.concatenate([self.idx, new])
        if not self.woodbury and self._woodbury_ok(both):
            self.refactor(both)  # the block grew past the rank: switch to the capacitance form
            return True
        Gn = self.Vt[new]
        if self.woodbury:
            Dn = self.hess.d[new] + self.shift
            if float(np.min(Dn)) < self.floor:
                return False
            sDn = np.sqrt(Dn)
            Wn = Gn / sDn[:, None]
            C = self.C + Wn.T @ Wn
            L = _cholesky(np.asfortranarray(C), C.diagonal().copy())
            if L is None:
                return False
            self.C, self.R = C, L
            self.sD = np.concatenate([self.sD, sDn])
            self.Wt = np.vstack([self.Wt, Wn])
        else:  # bordering, as the dense factor does
            Sa = np.array(Gn @ Gn.T, order="F")
            dg = self.hess.d[new] + self.shift
            Sa[np.diag_indices_from(Sa)] += dg
            Qa = np.asfortranarray(self.Vt[self.idx] @ Gn.T) if self.n0 else None  # (n0, k)
            if not self._border(Qa, Sa, np.einsum("ij,ij->i", Gn, Gn) + dg):
                return False
        self.idx = both
        self.mask[new] = True
        return True

    def qx(self, x: np.ndarray) -> np.ndarray:
        """``Q[:, F0] @ x[F0]`` through ``V`` (``O(k N)``)."""
        idx = self.idx
        if idx.size == 0:
            return np.zeros(self.N)
        xi = x[idx]
        if idx.size < _GATHER * self.N:  # a few columns of V: gather them
            out = self.Vt @ (xi @ self.Vt[idx])
        else:  # most of V: stream it rather than copy it
            xm = np.zeros(self.N)
            xm[idx] = xi
            out = self.Vt @ (xm @ self.Vt)
        out[idx] += self.hess.d[idx] * xi
        return out

    def solve(self, B: np.ndarray) -> np.ndarray:
        if not self.woodbury or self.n0 == 0:
            return super().solve(B)
        Y = B / self.sD[:, None]
        Z = np.asfortranarray(self.Wt.T @ Y)
        Z, info = lapack.dpotrs(self.R, Z, lower=0, overwrite_b=1)
        if info != 0:  # pragma: no cover - only on invalid arguments
            raise RuntimeError(f"dpotrs failed with info={info}")
        Y -= self.Wt @ Z
        Y /= self.sD[:, None]
        return np.asfortranarray(Y)

    def costs(self, n_new: int, n_add: int, p: int, n_free: int, n_rows: int
              ) -> tuple[float, float]:
        k = self.k
        if n_free > k:
            fresh = k * k * n_free + k**3 / 3.0 + (4.0 * k * n_free + k * k) * (1 + n_rows)
        else:
            fresh = n_free * n_free * k + n_free**3 / 3.0 + 2.0 * n_free * n_free * (1 + n_rows)
        if self.woodbury:
            grow = k * k * n_add + k**3 / 3.0 if n_add else 0.0
            schur = (4.0 * k * n_new + k * k) * (1 + p) + grow + n_new * p * p
        else:
            grow = n_add * (self.n0 * self.n0 + (self.n0 + n_add) * k)
            schur = 2.0 * n_new * n_new * (1 + p) + grow + n_new * p * p
        return schur, fresh
