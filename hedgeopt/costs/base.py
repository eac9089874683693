r"""Dollar costs against dollars squared of tracking: the exchange rate.

The tracking objective ``J(n)`` is a variance (dollars squared); a cost ``C(n)`` is dollars.
hedgeopt prices them in the one unit a desk quotes both in, **dollars of tracking std**:

.. math::  \min_n \; \sqrt{J(n)} + \text{weight} \cdot C(n)

i.e. *one dollar of cost is worth* ``weight`` *dollars of* ``sqrt(J)``, the std of the P&L gap
the objective measures (the daily P&L-gap std at ``lam = 0``). To quote it against the std
over a horizon of ``H`` days of independent daily gaps, ``sqrt(H J)``, pass
``weight = w_H / sqrt(H)``. ``weight = 0`` ignores the cost (it is still reported).

That problem is convex but not a QP. Its minimiser is the minimiser of the QP-shaped

.. math::  J(n) + \mu\, C(n), \qquad \mu = 2\,\text{weight}\,\sqrt{J(n^*)}

(same stationarity conditions), so :func:`hedgeopt.costs.pricing.solve_priced` solves the latter
for ``mu`` found by the fixed point ``mu_{k+1} = 2 weight sqrt(J(n_k))`` from ``mu_0 = 0``
(``J`` grows with ``mu``, so the iterates increase to the fixed point), re-solving through
parameters. The result reports every cost in dollars (``res.info["costs"]``) and the rate used
(``res.info["cost_exchange"]``, dollars squared per dollar).

In the solvers' normalised units (``J / (B_r^2 s)``, see :mod:`hedgeopt.objective`) a cost
term is ``mu C / (B_r^2 s)``; :attr:`CostTerm.exchange` holds ``mu`` while a solve runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError
from hedgeopt.regularization import Penalty
from hedgeopt.validation import as_float

__all__ = ["CostTerm", "LinearCost", "per_ticker", "shown", "whole_share_refusal"]


def whole_share_refusal(what: str) -> InputError:
    """The error for a term the whole-share backends cannot take: ``what`` says which term
    and why ("Term('x') is not quadratic"); the message names the backends that can."""
    return InputError(f"{what}, so the whole-share backends (HEURISTIC, SCIP) cannot take it; "
                      f"the cvxpy backends ({' / '.join(CostTerm.backends)}) take it on the "
                      f"continuous problem (without ShareLots / MaxNames / MinPosition / "
                      f"MinTrade)", field="penalties")


@dataclass(frozen=True)
class LinearCost:
    """A cost that is piecewise linear per name, in dollars per unit of dollar weight:

    ``C(w) = sum_i trade_rate_i |w_i - trade_ref_i| + short_rate_i max(-w_i, 0)``

    What the whole-share backends take exactly (:mod:`hedgeopt.solvers.wholeshare`); None
    fields are absent parts.
    """

    trade_ref: np.ndarray | None = None
    trade_rate: np.ndarray | None = None
    short_rate: np.ndarray | None = None

    def dollars(self, w: np.ndarray) -> float:
        """``C(w)`` in dollars (for tests and checks)."""
        out = 0.0
        if self.trade_rate is not None:
            assert self.trade_ref is not None
            out += float(self.trade_rate @ np.abs(w - self.trade_ref))
        if self.short_rate is not None:
            out += float(self.short_rate @ np.maximum(-w, 0.0))
        return out


def shown(value: Any) -> str:
    """A scalar as ``%g``, anything per ticker as ``<per ticker>`` (for reprs)."""
    return f"{float(value):g}" if isinstance(value, (int, float)) else "<per ticker>"


def per_ticker(value: Any, ctx: HedgeContext, field: str, *, fill: float | None = 0.0
               ) -> np.ndarray:
    """A scalar or per-ticker value, finite and >= 0, aligned to ``ctx.tickers``."""
    v = as_ticker_series(value, ctx.tickers, field, fill=fill, finite=True).to_numpy()
    if (v < 0).any():
        raise InputError(f"{field} must be >= 0; negative for {list(ctx.tickers[v < 0][:10])}",
                         field=field.split(".")[-1])
    return v


class CostTerm(Penalty):
    """A dollar cost ``C(w)`` priced into the objective (see the module docstring).

    Subclasses implement :meth:`dollars` (numpy, the reported cost) and :meth:`_dollar_expr`
    (the same cost as a convex cvxpy expression of the weights, in dollars).

    Parameters
    ----------
    weight : float
        Dollars of tracking std ``sqrt(J)`` that one dollar of cost is worth (>= 0).
    """

    #: Solvers that take the term when it is not linear on the feasible set.
    backends = ("OSQP", "CLARABEL", "ECOS")

    def __init__(self, weight: float = 1.0) -> None:
        w = as_float(weight, f"{type(self).__name__}.weight", finite=True)
        if w < 0:
            raise InputError(f"{type(self).__name__}.weight must be >= 0, got {w:g}",
                             field="weight")
        super().__init__(0.0)
        self.weight = w
        #: ``mu``, dollars^2 of J per dollar of cost, set by the pricing solve (None: find it).
        self.exchange: float | None = None
        #: The objective's normaliser ``s`` at the solve's lam, set by the pricing solve.
        self.scale_: float = 1.0
        self._mu: cp.Parameter | None = None

    def dollars(self, shares: np.ndarray, ctx: HedgeContext) -> float:  # pragma: no cover
        """The cost of holding ``shares`` (from the current holdings), in dollars."""
        raise NotImplementedError

    def _dollar_expr(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        raise NotImplementedError  # pragma: no cover

    def linear_cost(self, ctx: HedgeContext) -> LinearCost | None:
        """The cost as a :class:`LinearCost` (dollars per unit of weight), or None when it is
        not piecewise linear per name (market impact, soft constraints)."""
        return None

    def nonlinear_part(self) -> str:
        """What makes the term nonlinear, for messages (``"its market impact"``)."""
        return "its violation of several names at once"

    def _per_weight(self, ctx: HedgeContext, scale: float) -> float:
        """``mu / (B_r^2 s)``: normalised objective per dollar of cost."""
        mu = self.exchange or 0.0
        return mu / (ctx.notional**2 * scale)

    def expression(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        self._mu = cp.Parameter(nonneg=True, name=f"{type(self).__name__}.price")
        self.update(ctx)
        return self._mu * self._dollar_expr(w, ctx)

    def update(self, ctx: HedgeContext) -> None:
        if self._mu is not None:
            self._mu.value = self._per_weight(ctx, self._scale_of(ctx))

    def _scale_of(self, ctx: HedgeContext) -> float:
        """The objective's normaliser ``s`` (set by the pricing solve with the problem's lam)."""
        return float(self.scale_)

    def value(self, w: np.ndarray, ctx: HedgeContext) -> float:
        return self._per_weight(ctx, self._scale_of(ctx)) * self.dollars(
            ctx.shares_from_weights(w), ctx)

    def quadratic(self, ctx: HedgeContext, lower: np.ndarray
                  ) -> tuple[float, np.ndarray, float] | None:
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(weight={self.weight:g})"
