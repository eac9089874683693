"""The dollar-space tracking objective.

With ``d_t = sum_i n_i P_{t,i} - B_t`` over the estimation window,

.. math::  J(n) = (1 - \\lambda)\\, \\mathrm{Var}[d_t - d_{t-1}] + \\lambda\\, \\mathrm{Var}[d_t]

in dollars^2 (sample variances, ddof=1). In the scaled weights ``w`` of
:class:`~hedgeopt.context.HedgeContext`, ``J = B_r^2 [w;1]^T H(\\lambda) [w;1]`` with
``H(\\lambda) = (1-\\lambda) H_1 + \\lambda H_0``.

Solvers see ``J / (B_r^2 s)`` where ``s = H_{N+1,N+1}(\\lambda)`` is the *unhedged* variance
(``J`` at ``w = 0`` in scaled units). That puts the optimum between 0 and 1 whatever the notional
and the price levels, so the solvers' tolerances are relative to the basket's own risk rather than
to an absolute 1e-6 that decides the answer.

When the window has fewer stacked rows than instruments (``k = 2T - 1 < N``, or ``T - 1`` / ``T``
at ``lam = 0`` / ``1``), the native solver gets ``Q`` as the low-rank operator ``V'V``
(:class:`~hedgeopt.solvers.lowrank.LowRankHessian`, ``V`` the ``k x N`` weighted blocks), and the
``N x N`` Gram is never formed.

cvxpy never sees the T x N data: it gets a factor ``F`` with ``F^T F = H / s`` of
``min(N + 1, 2T - 1)`` rows (a Cholesky factor of the Gram, or the R of a QR of the stacked data
when there are fewer observations than instruments) as a :class:`cvxpy.Parameter`, so that
changing ``lam`` or the data re-solves without re-canonicalising (DPP).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import scipy.linalg as sla

from hedgeopt.context import HedgeContext, validate_lam
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.solvers.lowrank import LowRankHessian

__all__ = ["TrackingObjective"]


class TrackingObjective:
    """``(1 - lam) Var[Δd] + lam Var[d]`` in dollars^2.

    Parameters
    ----------
    lam : float
        Weight of the level term, in [0, 1]. ``lam = 0`` only keeps daily dollar P&L in step;
        ``lam = 1`` only keeps the dollar level from drifting.
    """

    def __init__(self, lam: float = DEFAULT_LAM) -> None:
        self.lam = validate_lam(lam)
        self._M: cp.Parameter | None = None
        self._m: cp.Parameter | None = None
        # solve-side caches of the low-rank form: transposed blocks per context, the last form
        self._blocks_t: tuple[int, np.ndarray, np.ndarray] | None = None
        self._low_rank: tuple[tuple[int, float], tuple[LowRankHessian, np.ndarray, float]
                              ] | None = None

    def __repr__(self) -> str:
        return f"TrackingObjective(lam={self.lam:g})"

    # -- numpy side ------------------------------------------------------------------------
    def gram(self, ctx: HedgeContext) -> np.ndarray:
        """``H(lam)``, the (N+1) x (N+1) augmented Gram in scaled units."""
        return ctx.gram.combined(self.lam)

    def scale(self, ctx: HedgeContext) -> float:
        """The normaliser ``s``: unhedged variance in scaled units (1 if the basket is flat).

        It is ``H_{N+1,N+1}(lam)``: read from the Gram, or from the blocks' basket column when
        the solve uses the low-rank form (then no Gram is formed).
        """
        if self.low_rank_rows(ctx) < ctx.n_assets:
            levels, diffs = ctx.blocks
            lv, dv = levels[:, -1], diffs[:, -1]
            s = float((1.0 - self.lam) * (dv @ dv) + self.lam * (lv @ lv))
        else:
            g = ctx.gram
            s = float((1.0 - self.lam) * g.diffs[-1, -1] + self.lam * g.levels[-1, -1])
        return s if s > 0 and np.isfinite(s) else 1.0

    def quadratic(self, ctx: HedgeContext, *, low_rank: bool = False
                  ) -> tuple[np.ndarray | LowRankHessian, np.ndarray, float]:
        """``(Q, q, c)`` with ``J / (B_r^2 s) = 0.5 w'Qw - q'w + c`` (the native solvers' form).

        With ``low_rank`` and fewer weighted rows than instruments (:meth:`low_rank_rows`),
        ``Q`` is the :class:`~hedgeopt.solvers.lowrank.LowRankHessian` ``V'V`` of the ``k x N``
        blocks ``V = sqrt(2/s) [sqrt(1-lam) ΔX_c; sqrt(lam) X_c]`` (instrument columns; the
        basket column gives ``q = -V'v_b`` and ``c = |v_b|^2 / 2``); otherwise the dense
        ``N x N`` array.
        """
        s = self.scale(ctx)
        if low_rank and self.low_rank_rows(ctx) < ctx.n_assets:
            key = (ctx.version, self.lam)
            if self._low_rank is None or self._low_rank[0] != key:
                Vt = self._stacked_t(ctx, 2.0 / s)
                Va, vb = Vt[:-1], Vt[-1]
                self._low_rank = (key, (LowRankHessian.from_transposed(Va), -(Va @ vb),
                                        0.5 * float(vb @ vb)))
            low, q_low, c_low = self._low_rank[1]
            return low, q_low.copy(), c_low
        H = self.gram(ctx)
        Q = H[:-1, :-1] * (2.0 / s)
        q = H[:-1, -1] * (-2.0 / s)
        return Q, q, float(H[-1, -1] / s)

    def low_rank_rows(self, ctx: HedgeContext) -> int:
        """Rows of the weighted blocks at this ``lam``: ``T - 1`` differences (unless
        ``lam = 1``) plus ``T`` levels (unless ``lam = 0``)."""
        return (ctx.n_obs - 1 if self.lam < 1 else 0) + (ctx.n_obs if self.lam > 0 else 0)

    def diagonal(self, ctx: HedgeContext) -> np.ndarray:
        """``diag(Q)`` of :meth:`quadratic`: from the Gram's diagonal, or from the blocks' column
        norms when the solve uses the low-rank form (then no Gram is formed)."""
        if self.low_rank_rows(ctx) < ctx.n_assets:
            levels, diffs = ctx.blocks
            d1 = np.einsum("ij,ij->j", diffs, diffs)
            d0 = np.einsum("ij,ij->j", levels, levels)
        else:
            d1, d0 = np.diagonal(ctx.gram.diffs), np.diagonal(ctx.gram.levels)
        h = (1.0 - self.lam) * d1 + self.lam * d0
        return np.asarray(h[:-1] * (2.0 / self.scale(ctx)))

    def _stacked_t(self, ctx: HedgeContext, weight: float) -> np.ndarray:
        """``sqrt(weight) [sqrt(1-lam) diffs; sqrt(lam) levels]'`` as a C-contiguous
        ``(N+1) x k`` array, without zero-weight blocks (the transposed blocks are kept per
        context)."""
        if self._blocks_t is None or self._blocks_t[0] != ctx.version:
            levels, diffs = ctx.blocks
            self._blocks_t = (ctx.version, np.ascontiguousarray(diffs.T),
                              np.ascontiguousarray(levels.T))
        _, diffs_t, levels_t = self._blocks_t
        parts = []
        if self.lam < 1:
            parts.append((diffs_t, np.sqrt(weight * (1.0 - self.lam))))
        if self.lam > 0:
            parts.append((levels_t, np.sqrt(weight * self.lam)))
        out = np.empty((ctx.n_assets + 1, sum(b.shape[1] for b, _ in parts)))
        col = 0
        for block, a in parts:
            np.multiply(block, a, out=out[:, col:col + block.shape[1]])
            col += block.shape[1]
        return out

    def scaled_value(self, w: np.ndarray, ctx: HedgeContext) -> float:
        """``J / B_r^2`` at weights ``w`` from the Gram (the plain-numpy check lives in metrics)."""
        return ctx.scaled_objective(w, self.lam)

    def dollars2(self, scaled: float, ctx: HedgeContext) -> float:
        """Map a solver's normalised objective back to dollars^2."""
        return float(scaled) * self.scale(ctx) * ctx.notional**2

    def factor(self, ctx: HedgeContext) -> np.ndarray:
        """``F`` with ``F^T F = H(lam) / s``, of ``min(N + 1, 2T - 1)`` rows."""
        n_rows = _factor_rows(ctx)
        s = self.scale(ctx)
        if n_rows == ctx.n_assets + 1:
            H = self.gram(ctx) / s
            try:
                return sla.cholesky(H, lower=False, check_finite=False)
            except np.linalg.LinAlgError:
                jitter = 1e-13 * float(np.trace(H)) / H.shape[0]
                try:
                    return sla.cholesky(H + jitter * np.eye(H.shape[0]), lower=False)
                except np.linalg.LinAlgError:
                    vals, vecs = np.linalg.eigh(H)
                    return (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
        levels, diffs = ctx.blocks  # both blocks always: the parameter's shape must not change
        stacked = np.vstack(
            [diffs * np.sqrt((1.0 - self.lam) / s), levels * np.sqrt(self.lam / s)]
        )
        return np.asarray(np.linalg.qr(stacked, mode="r"))  # mode "r": R alone, an array

    # -- cvxpy side ------------------------------------------------------------------------
    def expression(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        """The normalised objective as a DPP cvxpy expression in the weight variable ``w``."""
        k = _factor_rows(ctx)
        self._M = cp.Parameter((k, ctx.n_assets), name="objective_factor")
        self._m = cp.Parameter(k, name="objective_offset")
        self.update(ctx)
        return cp.sum_squares(self._M @ w + self._m)

    def update(self, ctx: HedgeContext) -> None:
        """Refresh the parameter values after a change of ``lam`` or of the data."""
        if self._M is None or self._m is None:
            return
        F = self.factor(ctx)
        self._M.value = F[:, :-1]
        self._m.value = F[:, -1]

    def compatible(self, ctx: HedgeContext) -> bool:
        """Whether the compiled parameters have the right shapes for ``ctx``."""
        return self._M is not None and self._M.shape == (_factor_rows(ctx), ctx.n_assets)


def _factor_rows(ctx: HedgeContext) -> int:
    return min(ctx.n_assets + 1, 2 * ctx.n_obs - 1)
