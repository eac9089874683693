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

Two options change what the Gram holds (both in the same normalised dollar units):

* ``value_horizon = H`` replaces the level term ``Var[d_t]`` by ``Var[d_{t+H} - d_t]``, the
  sample variance (ddof=1, the same observation weights) of the ``T - H`` overlapping
  ``H``-period changes of the gap: the value drift over a hold of ``H`` periods, instead of the
  level over an arbitrary window. ``H_0`` becomes the Gram of the centred ``H``-period
  differences of ``X``; ``H = 1`` is the price P&L term.
* ``shrinkage = a`` (with ``shrink_factors = k``) shrinks the objective's augmented Gram (the
  covariance of the instruments *and* the basket, i.e. of the active position) toward a
  statistical factor model: ``(1 - a) H + a (L L' + D)`` with ``L`` the first ``k`` principal
  components of ``H`` (eigenvectors times the square roots of their eigenvalues) and ``D`` the
  diagonal of the rest, so that every variance (and the normaliser ``s``) is kept and only the
  covariances the ``k`` factors do not explain are pulled toward zero.

cvxpy never sees the T x N data: it gets a factor ``F`` with ``F^T F = H / s`` of
``min(N + 1, 2T - 1)`` rows (a Cholesky factor of the Gram, or the R of a QR of the stacked data
when there are fewer observations than instruments) as a :class:`cvxpy.Parameter`, so that
changing ``lam`` or the data re-solves without re-canonicalising (DPP).
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import scipy.linalg as sla

from hedgeopt.context import HedgeContext, _weighted_centred, validate_lam
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.gram_rows import GramBorders, GramRows
from hedgeopt.solvers.lowrank import LowRankHessian
from hedgeopt.validation import check_number

__all__ = ["TrackingObjective", "validate_horizon"]


class TrackingObjective:
    """``(1 - lam) Var[Δd] + lam Var[d]`` in dollars^2.

    Parameters
    ----------
    lam : float
        Weight of the level term, in [0, 1]. ``lam = 0`` only keeps daily dollar P&L in step;
        ``lam = 1`` only keeps the dollar level from drifting.
    value_horizon : int, optional
        Periods (rows: days on daily data) of the holding horizon ``H``: the value term becomes
        ``Var[d_{t+H} - d_t]`` (sample variance of the ``T - H`` overlapping ``H``-period changes
        of the gap, ddof=1) instead of ``Var[d_t]``. None (default): the level ``Var[d_t]``.
    shrinkage : float
        Intensity ``a`` in [0, 1] of the shrinkage of the objective's Gram toward its
        ``shrink_factors``-factor model (see the module docstring); 0 (default) is none.
    shrink_factors : int
        Principal components ``k >= 1`` kept by the factor-model target (default 1: the market).
    """

    def __init__(self, lam: float = DEFAULT_LAM, value_horizon: int | None = None,
                 shrinkage: float = 0.0, shrink_factors: int = 1) -> None:
        self.lam = validate_lam(lam)
        self._horizon = validate_horizon(value_horizon)
        self._shrinkage = check_number(shrinkage, "shrinkage", lo=0.0, hi=1.0)
        self._factors = int(check_number(shrink_factors, "shrink_factors", lo=1,
                                         integer=True))
        self._value: tuple[int, np.ndarray, np.ndarray | None] | None = None
        self._gram: tuple[tuple[Any, ...], np.ndarray] | None = None
        self._M: cp.Parameter | None = None
        self._m: cp.Parameter | None = None
        # solve-side caches of the low-rank form: transposed blocks per context, the last form
        self._blocks_t: tuple[int, np.ndarray, np.ndarray] | None = None
        self._low_rank: tuple[tuple[int, float], tuple[LowRankHessian, np.ndarray, float]
                              ] | None = None
        self._borders: tuple[int, GramBorders] | None = None  # gram_rows' lam-free parts

    @property
    def value_horizon(self) -> int | None:
        """``H`` of the value term ``Var[d_{t+H} - d_t]`` (None: the level ``Var[d_t]``)."""
        return self._horizon

    @property
    def shrinkage(self) -> float:
        """Intensity of the shrinkage toward the factor model (0: none)."""
        return self._shrinkage

    @property
    def shrink_factors(self) -> int:
        """Principal components of the factor-model target."""
        return self._factors

    def __repr__(self) -> str:
        extra = "" if self._horizon is None else f", value_horizon={self._horizon}"
        if self._shrinkage > 0:
            extra += f", shrinkage={self._shrinkage:g}, shrink_factors={self._factors}"
        return f"TrackingObjective(lam={self.lam:g}{extra})"

    def _key(self, ctx: HedgeContext) -> tuple[Any, ...]:
        return (ctx.version, self.lam)

    def validate(self, ctx: HedgeContext) -> None:
        """Raise :class:`InputError` if the window is too short for ``value_horizon``."""
        if self._horizon is not None and ctx.n_obs - self._horizon < 2:
            raise InputError(
                f"value_horizon = {self._horizon} needs at least {self._horizon + 2} rows "
                f"(two {self._horizon}-period changes of the gap), the window has {ctx.n_obs}",
                field="value_horizon")

    # -- numpy side ------------------------------------------------------------------------
    def value_block(self, ctx: HedgeContext) -> np.ndarray:
        """Weighted, centred rows of the value term: the levels of ``X`` (``T`` rows), or with
        ``value_horizon = H`` their ``H``-period changes (``T - H`` rows)."""
        if self._horizon is None:
            return ctx.blocks[0]
        if self._value is None or self._value[0] != ctx.version:
            self.validate(ctx)
            X, h = ctx.augmented, self._horizon
            self._value = (ctx.version, _weighted_centred(X[h:] - X[:-h], ctx.half_life), None)
        return self._value[1]

    def value_gram(self, ctx: HedgeContext) -> np.ndarray:
        """The Gram of :meth:`value_block`: ``H_0``, or that of the ``H``-period changes."""
        if self._horizon is None:
            return ctx.gram.levels
        block = self.value_block(ctx)
        assert self._value is not None
        if self._value[2] is None:
            self._value = (self._value[0], block, block.T @ block)
        gram = self._value[2]
        assert gram is not None
        return gram

    def gram(self, ctx: HedgeContext) -> np.ndarray:
        """``H(lam)``, the (N+1) x (N+1) augmented Gram in scaled units (shrunk toward the
        factor model when ``shrinkage > 0``)."""
        if self._horizon is None and self._shrinkage == 0:
            return ctx.gram.combined(self.lam)
        key = self._key(ctx)
        if self._gram is None or self._gram[0] != key:
            H = (1.0 - self.lam) * ctx.gram.diffs + self.lam * self.value_gram(ctx)
            if self._shrinkage > 0:
                vals, vecs = np.linalg.eigh(H)
                L = vecs[:, -self._factors:] * np.sqrt(np.clip(vals[-self._factors:], 0, None))
                H = shrunk(H, L, np.diagonal(H), self._shrinkage)
            self._gram = (key, H)
        return self._gram[1]

    def scale(self, ctx: HedgeContext) -> float:
        """The normaliser ``s``: unhedged variance in scaled units (1 if the basket is flat).

        It is ``H_{N+1,N+1}(lam)``: read from the Gram, or from the blocks' basket column when
        the solve uses the low-rank form (then no Gram is formed).
        """
        if self.low_rank_rows(ctx) < ctx.n_assets:
            lv, dv = self.value_block(ctx)[:, -1], ctx.blocks[1][:, -1]
            s = float((1.0 - self.lam) * (dv @ dv) + self.lam * (lv @ lv))
        else:
            s = float((1.0 - self.lam) * ctx.gram.diffs[-1, -1]
                      + self.lam * self.value_gram(ctx)[-1, -1])
        return s if s > 0 and np.isfinite(s) else 1.0

    def quadratic(self, ctx: HedgeContext, *, low_rank: bool = False
                  ) -> tuple[np.ndarray | LowRankHessian, np.ndarray, float]:
        """``(Q, q, c)`` with ``J / (B_r^2 s) = 0.5 w'Qw - q'w + c`` (the native solvers' form).

        With ``low_rank`` and fewer weighted rows than instruments (:meth:`low_rank_rows`),
        ``Q`` is the :class:`~hedgeopt.solvers.lowrank.LowRankHessian` ``V'V`` of the ``k x N``
        blocks ``V = sqrt(2/s) [sqrt(1-lam) ΔX_c; sqrt(lam) X_c]`` (instrument columns; the
        basket column gives ``q = -V'v_b`` and ``c = |v_b|^2 / 2``); otherwise the dense
        ``N x N`` array. With ``shrinkage = a`` the low-rank form is
        ``(1-a) V'V + a (L L' + D)``: the factor rows of ``L`` (from the SVD of ``V``) are
        stacked under ``sqrt(1-a) V`` and ``a D`` is the operator's diagonal.
        """
        s = self.scale(ctx)
        if low_rank and self.low_rank_rows(ctx) < ctx.n_assets:
            key = self._key(ctx)
            if self._low_rank is None or self._low_rank[0] != key:
                Vt = self._stacked_t(ctx, 2.0 / s)
                d = None
                if self._shrinkage > 0:
                    U, sv, _ = np.linalg.svd(Vt, full_matrices=False)
                    L = U[:, :self._factors] * sv[:self._factors]
                    a = self._shrinkage
                    d = a * np.clip(np.einsum("ij,ij->i", Vt, Vt)
                                    - np.einsum("ij,ij->i", L, L), 0.0, None)
                    Vt = np.ascontiguousarray(np.hstack([np.sqrt(1.0 - a) * Vt,
                                                         np.sqrt(a) * L]))
                Va, vb = Vt[:-1], Vt[-1]
                low = LowRankHessian.from_transposed(Va, None if d is None else d[:-1])
                c = float(vb @ vb) + (0.0 if d is None else float(d[-1]))
                self._low_rank = (key, (low, -(Va @ vb), 0.5 * c))
            low, q_low, c_low = self._low_rank[1]
            return low, q_low.copy(), c_low
        if self._horizon is None and self._shrinkage == 0:  # scaled as it is formed
            # Q in C order: every QP of the solve (the sign rounds) takes row blocks of it
            col = ctx.gram.border(self.lam, 2.0 / s)
            return ctx.gram.instruments(self.lam, 2.0 / s), -col[:-1], 0.5 * float(col[-1])
        H = self.gram(ctx)
        Q = H[:-1, :-1] * (2.0 / s)
        q = H[:-1, -1] * (-2.0 / s)
        return Q, q, float(H[-1, -1] / s)

    def gram_rows(self, ctx: HedgeContext) -> tuple[GramRows, np.ndarray, float] | None:
        """:meth:`quadratic`'s dense form with ``Q`` a :class:`~hedgeopt.solvers.gram_rows.
        GramRows`, whose rows are formed only when the QP reads them (a frontier's points);
        None when the objective forms another Gram (value horizon, shrinkage) or takes the
        low-rank form.

        ``Q``, ``q`` and ``c`` are those of :meth:`quadratic` up to the rounding of their
        entries (each ``fl(fl(a h_1) + fl(b h_0))`` here).
        """
        if (self._horizon is not None or self._shrinkage > 0
                or self.low_rank_rows(ctx) < ctx.n_assets):
            return None
        w = 2.0 / self.scale(ctx)
        g = ctx.gram
        a, b = g.weights(self.lam, w)  # as g.combined(lam, w)
        if self._borders is None or self._borders[0] != ctx.version or (
                self._borders[1].diffs is not g.diffs or self._borders[1].levels is not g.levels):
            self._borders = (ctx.version, GramBorders(g.diffs, g.levels))  # once per context
        return self._borders[1].quadratic(a, b)

    def low_rank_rows(self, ctx: HedgeContext) -> int:
        """Rows of the weighted blocks at this ``lam``: ``T - 1`` differences (unless
        ``lam = 1``) plus the value rows (``T`` levels, or ``T - H`` changes; unless
        ``lam = 0``), plus the factor rows of the shrinkage target."""
        rows = (ctx.n_obs - 1 if self.lam < 1 else 0) + (self._value_rows(ctx)
                                                         if self.lam > 0 else 0)
        return rows + (self._factors if self._shrinkage > 0 else 0)

    def _value_rows(self, ctx: HedgeContext) -> int:
        return ctx.n_obs - (self._horizon or 0)

    def diagonal(self, ctx: HedgeContext) -> np.ndarray:
        """``diag(Q)`` of :meth:`quadratic`: from the Gram's diagonal, or from the blocks' column
        norms when the solve uses the low-rank form (then no Gram is formed)."""
        if self.low_rank_rows(ctx) < ctx.n_assets:
            levels, diffs = self.value_block(ctx), ctx.blocks[1]
            d1 = np.einsum("ij,ij->j", diffs, diffs)
            d0 = np.einsum("ij,ij->j", levels, levels)
        else:  # the shrinkage keeps the diagonal
            d1, d0 = np.diagonal(ctx.gram.diffs), np.diagonal(self.value_gram(ctx))
        h = (1.0 - self.lam) * d1 + self.lam * d0
        return np.asarray(h[:-1] * (2.0 / self.scale(ctx)))

    def _stacked_t(self, ctx: HedgeContext, weight: float) -> np.ndarray:
        """``sqrt(weight) [sqrt(1-lam) diffs; sqrt(lam) levels]'`` as a C-contiguous
        ``(N+1) x k`` array, without zero-weight blocks (the transposed blocks are kept per
        context)."""
        if self._blocks_t is None or self._blocks_t[0] != ctx.version:
            levels, diffs = self.value_block(ctx), ctx.blocks[1]
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
        if self._horizon is None and self._shrinkage == 0:
            return ctx.scaled_objective(w, self.lam)
        z = np.append(np.asarray(w, dtype=float), 1.0)
        return float(z @ self.gram(ctx) @ z)

    def dollars2(self, scaled: float, ctx: HedgeContext) -> float:
        """Map a solver's normalised objective back to dollars^2."""
        return float(scaled) * self.scale(ctx) * ctx.notional**2

    def factor(self, ctx: HedgeContext) -> np.ndarray:
        """``F`` with ``F^T F = H(lam) / s``, of ``min(N + 1, 2T - 1)`` rows."""
        n_rows = self._factor_rows(ctx)
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
        # both blocks always: the parameter's shape must not change with lam
        levels, diffs = self.value_block(ctx), ctx.blocks[1]
        stacked = np.vstack(
            [diffs * np.sqrt((1.0 - self.lam) / s), levels * np.sqrt(self.lam / s)]
        )
        return np.asarray(np.linalg.qr(stacked, mode="r"))  # mode "r": R alone, an array

    # -- cvxpy side ------------------------------------------------------------------------
    def expression(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        """The normalised objective as a DPP cvxpy expression in the weight variable ``w``."""
        k = self._factor_rows(ctx)
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
        return self._M is not None and self._M.shape == (self._factor_rows(ctx), ctx.n_assets)

    def _factor_rows(self, ctx: HedgeContext) -> int:
        """Rows of :meth:`factor`: ``N + 1`` (a Cholesky factor; always with shrinkage, whose
        diagonal makes the Gram full rank), or the stacked blocks' rows when fewer."""
        if self._shrinkage > 0:
            return ctx.n_assets + 1
        return min(ctx.n_assets + 1, ctx.n_obs - 1 + self._value_rows(ctx))


def validate_horizon(value_horizon: Any) -> int | None:
    """``value_horizon`` as an integer >= 1 (periods), or None; else :class:`InputError`."""
    if value_horizon is None:
        return None
    return int(check_number(value_horizon, "value_horizon", lo=1, integer=True))


def shrunk(H: np.ndarray, L: np.ndarray, diag: np.ndarray, a: float) -> np.ndarray:
    """``(1 - a) H + a (L L' + D)``, ``D`` the diagonal that makes the target's diagonal
    ``diag`` (the diagonal of ``H``: variances are kept)."""
    target = L @ L.T
    target[np.diag_indices_from(target)] = diag
    return (1.0 - a) * H + a * target
