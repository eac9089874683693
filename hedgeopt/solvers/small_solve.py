r"""Solves of the small symmetric positive semidefinite systems of the active-set QP.

:func:`~hedgeopt.solvers.activeset.solve_qp` solves one Schur complement
:math:`S = C Q_{FF}^{-1} C^\top` per subproblem (``p`` = active rows plus the variables of
the factor that are fixed, typically 2 to 10), and a few right-hand sides with it (the
subproblem and its iterative refinement). For such sizes LAPACK's per-call cost (the f2py
argument checks, Fortran copies and the small temporaries around them, about 20 us) is many
times the arithmetic, so up to :data:`_SMALL` rows the Cholesky factor and its triangular
solves run on Python floats; larger systems go to LAPACK (``potrf`` / ``potrs``). Both take the
same decisions: a factor is used when every pivot :math:`r_{jj}` has :math:`r_{jj}^2 \ge
10^{-12} S_{jj}`, else (dependent rows) the pseudo-inverse from an eigendecomposition.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack

__all__ = ["SymSolver"]

_PIVOT = 1e-12  # pivot^2 / diagonal below this: S is treated as singular
_SMALL = 4  # up to this many rows, the factor and its solves run on Python floats


class SymSolver:
    """Solver for a small symmetric PSD system ``S y = b`` (the Schur complement).

    Cholesky when ``S`` is numerically positive definite, else the pseudo-inverse from an
    eigendecomposition (dependent rows); ``singular`` tells which. ``S`` is symmetrised
    (``(S + S') / 2``) first and is not modified.

    Parameters
    ----------
    S : numpy.ndarray
        Square ``(p, p)`` float array.

    Examples
    --------
    >>> import numpy as np
    >>> s = SymSolver(np.array([[4.0, 2.0], [2.0, 3.0]]))
    >>> s.singular, s.solve(np.array([2.0, 1.0])).round(6).tolist()
    (False, [0.5, 0.0])
    """

    def __init__(self, S: np.ndarray) -> None:
        p = S.shape[0]
        self.p = p
        self.c: np.ndarray | None = None  # LAPACK's upper factor (p > _SMALL)
        self.r: list[list[float]] | None = None  # the upper factor as Python rows (p <= _SMALL)
        self.singular = False
        if p == 0:
            return
        if p == 1:
            s00 = float(S[0, 0])
            self.inv11 = 1.0 / s00 if s00 > 0 else 0.0
            self.singular = not s00 > 0
            return
        if p <= _SMALL:
            self.r = _small_cholesky(S.tolist(), p)
            if self.r is not None:
                return
            S = 0.5 * (S + S.T)
        else:
            S = 0.5 * (S + S.T)
            dg = S.diagonal().copy()
            if (dg > 0).all():
                c, info = lapack.dpotrf(np.asfortranarray(S), lower=0, clean=1, overwrite_a=1)
                if info == 0:
                    piv = c.diagonal()
                    if (piv * piv >= _PIVOT * dg).all():
                        self.c = c
                        return
        self.singular = True
        w, V = np.linalg.eigh(S)
        wmax = max(float(w[-1]), 0.0)
        keep = w > _PIVOT * wmax if wmax > 0 else np.zeros(p, dtype=bool)
        self.V = V[:, keep]
        self.w = w[keep]

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``S^{-1} b`` (pseudo-inverse when ``singular``), a new array of ``p`` floats."""
        if self.p == 0:
            return b.copy()
        if self.p == 1:
            return b * self.inv11
        if self.r is not None:
            return np.array(_small_solve(self.r, b.tolist(), self.p))
        if self.c is not None:
            y, _ = lapack.dpotrs(self.c, b.reshape(self.p, 1).copy(order="F"), lower=0)
            return y[:, 0]
        return self.V @ ((self.V.T @ b) / self.w)


def _small_cholesky(S: list[list[float]], p: int) -> list[list[float]] | None:
    """Upper factor ``R`` (rows of Python floats, ``R'R = (S + S')/2``) or None when a pivot
    fails: ``r_jj^2 = s <= 0``, ``s < _PIVOT S_jj`` or NaN (the decisions of the LAPACK path)."""
    R = [[0.0] * p for _ in range(p)]
    for j in range(p):
        d = S[j][j]
        if not d > 0:  # also NaN
            return None
        Rj = R[j]
        s = d
        for k in range(j):
            s -= R[k][j] * R[k][j]
        if not (s > 0 and s >= _PIVOT * d):
            return None
        r = math.sqrt(s)
        Rj[j] = r
        for i in range(j + 1, p):
            t = 0.5 * (S[j][i] + S[i][j])
            for k in range(j):
                t -= R[k][j] * R[k][i]
            Rj[i] = t / r
    return R


def _small_solve(R: list[list[float]], b: list[float], p: int) -> list[float]:
    """``(R'R)^{-1} b``: the forward solve with ``R'``, then the back solve with ``R``."""
    w = [0.0] * p
    for i in range(p):
        t = b[i]
        for k in range(i):
            t -= R[k][i] * w[k]
        w[i] = t / R[i][i]
    y = [0.0] * p
    for i in range(p - 1, -1, -1):
        t = w[i]
        Ri = R[i]
        for k in range(i + 1, p):
            t -= Ri[k] * y[k]
        y[i] = t / Ri[i]
    return y
