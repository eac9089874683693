r"""The dense Hessian of one point of a lam frontier, formed only where the QP looks.

At ``lam`` the objective's Hessian is the instrument block of ``a H_1 + b H_0`` (``H_1``,
``H_0``: the augmented Grams of differences and levels, :class:`~hedgeopt.context.GramPair`;
``a = 2 (1 - lam) / s``, ``b = 2 lam / s``). Forming the whole ``N x N`` block at every point
costs three passes over it, while the active-set solver (:func:`~hedgeopt.solvers.activeset.
solve_qp`) reads only the rows of the free variables: the factor of ``Q_FF`` and the gradient
``Q[:, F] x_F`` (Q is symmetric), plus its diagonal. :class:`GramRows` gives it exactly that,
through the :class:`~hedgeopt.solvers.activeset.Hessian` protocol:

* ``rows(idx)`` = ``a H_1[idx, :N] + b H_0[idx, :N]``, each entry ``fl(fl(a h_1) + fl(b h_0))``;
* ``diagonal()`` and ``matvec(x, support)`` from the same entries;
* ``factor(...)`` is the dense solver's own factor, fed with those rows.

At N = 300 (a fifth of the names free) this costs about what forming the block does; the
saving grows with N: a 21-point sweep at N = 2000, T = 1260 took 0.38 s instead of 0.65 s
(loaded machine, same minutes). Everything else in the solver (working sets, Schur
complements, refinement, the KKT certificate) is unchanged, so a point solved on
:class:`GramRows` is the point solved on the formed array, up to the last bit of the entries
(``tests/solvers/test_gram_rows.py``).
"""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.activeset import _LARGE_SUPPORT, _Factor

__all__ = ["GramBorders", "GramRows"]


class GramRows:
    """``Q = a H_1[:N, :N] + b H_0[:N, :N]`` of two ``(N+1) x (N+1)`` Grams, never formed.

    Parameters
    ----------
    diffs, levels : numpy.ndarray
        ``H_1`` and ``H_0`` (read, never written; not copied).
    a, b : float
        Their weights (a zero weight drops its Gram).
    diagonals : (numpy.ndarray, numpy.ndarray), optional
        The instrument part of each Gram's diagonal (:attr:`GramBorders.diagonals`: read once
        per frontier); read from the Grams when not given.
    """

    def __init__(self, diffs: np.ndarray, levels: np.ndarray, a: float, b: float, *,
                 diagonals: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        n = diffs.shape[0] - 1
        self.shape = (n, n)
        if diagonals is None:
            diagonals = (np.diagonal(diffs)[:n], np.diagonal(levels)[:n])
        weighted = [(h, d, w) for h, d, w in zip((diffs, levels), diagonals, (a, b),
                                                 strict=True) if w != 0.0]
        self._parts = [(h, w) for h, _, w in weighted]
        self._diag = self._sum([d.copy() for _, d, _ in weighted], n)

    def _sum(self, blocks: list[np.ndarray], n: int) -> np.ndarray:
        """``sum_i w_i blocks_i`` into the first block (fresh arrays, summed in the order of the
        parts: the entries' one rounding)."""
        if not blocks:
            return np.zeros(n)
        out = blocks[0]
        out *= self._parts[0][1]
        for block, (_, w) in zip(blocks[1:], self._parts[1:], strict=True):
            block *= w
            out += block
        return out

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """``Q[idx, :]`` as a new C-ordered ``len(idx) x N`` array.

        Each Gram's rows are gathered into a fresh array and scaled in place, with no other
        temporary: at N = 300 a block of 60 rows then costs 40 us, against 300 us when the
        scaled copies are separate arrays (fresh blocks of this size are page-faulted in).
        """
        n = self.shape[0]
        if not self._parts:
            return np.zeros((len(idx), n))
        return self._sum([h[idx, :n] for h, _ in self._parts], n)

    def diagonal(self) -> np.ndarray:
        """``diag(Q)``."""
        return self._diag.copy()

    def matvec(self, x: np.ndarray, support: np.ndarray | None = None) -> np.ndarray:
        """``Q @ x``: each Gram's product with ``x`` (from the rows of the nonzeros of ``x``
        when they are few; no block of ``Q`` is formed), then their weighted sum."""
        n = self.shape[0]
        x = np.asarray(x, dtype=float)
        s = x.nonzero()[0] if support is None else support
        out = np.zeros(n)
        for h, w in self._parts:
            if s.size > _LARGE_SUPPORT * n:
                out += w * (h[:n, :n] @ x)  # a strided gemv: no copy of the block
            elif s.size:
                out += w * (x[s] @ h.take(s, 0))[:n]  # Q symmetric: x_S' Q[S, :]
        return out

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        return self.matvec(x)

    def factor(self, user_ridge: float, base_ridge: float, max_ridge: float) -> _Factor:
        """The dense factor of the free blocks, reading the rows it needs from here."""
        return _RowsFactor(self, user_ridge, base_ridge, max_ridge)


class _RowsFactor(_Factor):
    """:class:`~hedgeopt.solvers.activeset._Factor` whose rows of ``Q`` come from a
    :class:`GramRows` (formed when the factor asks for them)."""

    def __init__(self, hess: GramRows, user_ridge: float, base_ridge: float,
                 max_ridge: float) -> None:
        super().__init__(hess, user_ridge, base_ridge, max_ridge)  # type: ignore[arg-type]
        self.hess = hess

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        return self.hess.rows(idx)


class GramBorders:
    """What a frontier's points read from the two Grams besides their rows, whatever lam is:
    each Gram's instrument diagonal, border column ``H[:N, N]`` and corner ``H[N, N]``, as
    contiguous read-only copies taken once (not two strided reads per point).

    :meth:`quadratic` then applies the same operations to the same values as forming them
    from the Grams, so its ``(Q, q, c)`` is bit for bit that of the Grams at every lam.

    Parameters
    ----------
    diffs, levels : numpy.ndarray
        ``H_1`` and ``H_0`` (read, never written; the :class:`GramRows` keep them).
    """

    def __init__(self, diffs: np.ndarray, levels: np.ndarray) -> None:
        n = diffs.shape[0] - 1
        self.diffs, self.levels = diffs, levels
        self.diagonals = (_frozen(np.diagonal(diffs)[:n]), _frozen(np.diagonal(levels)[:n]))
        self.borders = (_frozen(diffs[:n, n]), _frozen(levels[:n, n]))
        self.corners = (diffs[n, n], levels[n, n])

    def quadratic(self, a: float, b: float) -> tuple[GramRows, np.ndarray, float]:
        """``(Q, q, c)`` of ``a H_1 + b H_0``: ``Q`` its :class:`GramRows`, ``q`` minus its
        border column, ``c`` half its corner (each entry ``fl(fl(a h_1) + fl(b h_0))``)."""
        Q = GramRows(self.diffs, self.levels, a, b, diagonals=self.diagonals)
        col = a * self.borders[0] + b * self.borders[1]
        corner = a * self.corners[0] + b * self.corners[1]
        return Q, -col, 0.5 * float(corner)


def _frozen(values: np.ndarray) -> np.ndarray:
    """A contiguous read-only copy."""
    out = np.array(values, dtype=float)
    out.flags.writeable = False
    return out
