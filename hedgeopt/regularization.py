"""Regularisation terms that compose with the tracking objective.

When there are more instruments than observations (or nearly so) the in-sample fit is exact along
many directions and which exact fit a solver lands on decides the out-of-sample hedge. A penalty
makes the answer unique and solver-independent. Both terms are written in the scaled weights ``w``
(dollar position / notional) and added to the *normalised* objective (tracking variance as a
fraction of the unhedged variance), so their strengths are scale-free: the same value means the
same on a $1M and on a $1B basket, on $5 and on $1000 stocks.

.. math::  f(w) = \\frac{J(w)}{B_r^2 s} + \\rho \\|w - w_0\\|_2^2 + \\kappa \\|w - w_0\\|_1
"""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError

__all__ = ["L1", "Penalty", "Ridge"]


class Penalty:
    """A term added to the normalised objective (``prob.add(ho.Ridge(...))``).

    Parameters
    ----------
    strength : float
        Non-negative multiplier.
    prior : None, "equal", dict or pandas.Series
        The point the term pulls toward, in dollar weights (fractions of the notional): None is
        zero; ``"equal"`` is equal dollar weights summing to 1; a Series gives weights per ticker
        (absent tickers 0).
    """

    def __init__(self, strength: float, prior: Any = None) -> None:
        if not np.isfinite(strength) or strength < 0:
            raise InputError(f"{type(self).__name__}: strength must be >= 0, got {strength!r}",
                             field="strength")
        if isinstance(prior, str) and prior != "equal":
            raise InputError(f"{type(self).__name__}: prior must be None, 'equal' or weights "
                             f"per ticker, got {prior!r}", field="prior")
        self.strength = float(strength)
        self.prior = prior
        self._scale: cp.Parameter | None = None
        self._shift: cp.Parameter | None = None

    def target(self, ctx: HedgeContext) -> np.ndarray:
        """The prior ``w_0`` aligned to ``ctx.tickers``."""
        if self.prior is None:
            return np.zeros(ctx.n_assets)
        if isinstance(self.prior, str):
            return np.full(ctx.n_assets, 1.0 / ctx.n_assets)
        return as_ticker_series(self.prior, ctx.tickers, f"{type(self).__name__}.prior",
                                fill=0.0).to_numpy()

    def validate(self, ctx: HedgeContext) -> None:
        """Raise InputError if the prior does not fit the universe."""
        self.target(ctx)

    def value(self, w: np.ndarray, ctx: HedgeContext) -> float:  # pragma: no cover - abstract
        """The term at ``w`` (normalised units)."""
        raise NotImplementedError

    def expression(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        """The term as a DPP cvxpy expression (strength and prior are parameters)."""
        self._scale = cp.Parameter(nonneg=True, name=f"{type(self).__name__}.scale")
        self._shift = cp.Parameter(ctx.n_assets, name=f"{type(self).__name__}.shift")
        self.update(ctx)
        return self._atom(self._scale * w - self._shift)

    def update(self, ctx: HedgeContext) -> None:
        """Refresh parameter values (new strength, prior or data)."""
        if self._scale is not None and self._shift is not None:
            k = self._coefficient()
            self._scale.value = k
            self._shift.value = k * self.target(ctx)

    def _coefficient(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _atom(self, x: cp.Expression) -> cp.Expression:  # pragma: no cover - abstract
        raise NotImplementedError

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        """``(d, g, c)``: the term as ``0.5 d ||w||^2 - g'w + c`` on the feasible set, or None."""
        return None

    def __repr__(self) -> str:
        prior = "" if self.prior is None else (
            f", prior={self.prior!r}" if isinstance(self.prior, str) else ", prior=<weights>")
        return f"{type(self).__name__}({self.strength:g}{prior})"


class Ridge(Penalty):
    """``strength * ||w - w_0||_2^2``: shrinks dollar weights toward zero or a prior."""

    def value(self, w: np.ndarray, ctx: HedgeContext) -> float:
        return self.strength * float(np.sum((w - self.target(ctx)) ** 2))

    def _coefficient(self) -> float:
        return float(np.sqrt(self.strength))

    def _atom(self, x: cp.Expression) -> cp.Expression:
        return cp.sum_squares(x)

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        w0 = self.target(ctx)
        return 2.0 * self.strength, 2.0 * self.strength * w0, self.strength * float(w0 @ w0)


class L1(Penalty):
    """``strength * ||w - w_0||_1``: fewer, larger positions (sparse departures from the prior)."""

    def value(self, w: np.ndarray, ctx: HedgeContext) -> float:
        return self.strength * float(np.sum(np.abs(w - self.target(ctx))))

    def _coefficient(self) -> float:
        return self.strength

    def _atom(self, x: cp.Expression) -> cp.Expression:
        return cp.norm1(x)

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        w0 = self.target(ctx)
        if np.all(lower >= w0):  # |w - w0| = w - w0 on the feasible set: a linear term
            return 0.0, -self.strength * np.ones(ctx.n_assets), -self.strength * float(w0.sum())
        return None
