"""Soft constraints: a limit's violation priced in dollars instead of enforced."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import Constraint, LinearForm, shares_array
from hedgeopt.constraints.trading import Turnover
from hedgeopt.context import HedgeContext
from hedgeopt.costs.base import CostTerm
from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_float

__all__ = ["Soft"]


class Soft(CostTerm):
    """``constraint`` with its violation penalised instead of enforced.

    The violation is measured in dollars at reference prices: for a linear constraint, the sum
    over its bounds and rows of how far ``w`` lies outside them, times the notional (dollars
    of position, of sector or factor exposure, of dollar beta; share limits through their
    dollar value); for :class:`~hedgeopt.constraints.Turnover`, ``max(traded - limit, 0)``;
    for :class:`~hedgeopt.constraints.Leverage`, the excess gross and short dollars. Each
    dollar of violation costs ``penalty`` dollars, priced like every cost
    (:mod:`hedgeopt.costs.base`: one dollar of cost is worth ``weight`` dollars of tracking
    std). ``res.soft`` reports each soft constraint's violations in its own units (its
    ``check`` messages) and in dollars.

    Parameters
    ----------
    constraint : Constraint
        A linear constraint (Budget, SectorCap, Bounds, MaxWeight, FactorExposure, Beta,
        MaxParticipation, ...), a Turnover or a Leverage.
    penalty : float
        Dollars of cost per dollar of violation (> 0).
    weight : float
        Dollars of tracking std one dollar of cost is worth.
    """

    def __init__(self, constraint: Constraint, penalty: float, weight: float = 1.0) -> None:
        if not isinstance(constraint, Constraint) or constraint.integer:
            raise InputError(f"Soft: {constraint!r} is not a continuous hedgeopt constraint "
                             f"(lots, name counts and thresholds cannot be soft)",
                             field="constraint")
        p = as_float(penalty, "Soft.penalty", finite=True)
        if p <= 0:
            raise InputError(f"Soft.penalty must be > 0 dollars per dollar, got {p:g}",
                             field="penalty")
        super().__init__(weight)
        self.constraint, self.penalty = constraint, p

    def _parts(self, ctx: HedgeContext) -> tuple[str, Any]:
        c = self.constraint
        if isinstance(c, Turnover):
            return "turnover", (ctx.weights_from_shares(c.held(ctx)), c.limit() / ctx.notional)
        form = c.linear(ctx)
        if form is not None:
            return "form", form
        rows = c.absolute(ctx)
        if rows is not None:
            return "absolute", rows
        raise InputError(f"Soft: {c!r} is neither linear, a Turnover nor a Leverage",
                         field="constraint")

    def validate(self, ctx: HedgeContext) -> None:
        self.constraint.validate(ctx)
        self._parts(ctx)

    def excess(self, shares: Any, ctx: HedgeContext) -> float:
        """The violation of ``shares`` in dollars (0 when the constraint holds)."""
        w = ctx.weights_from_shares(shares_array(shares, ctx))
        kind, part = self._parts(ctx)
        if kind == "turnover":
            h, tau = part
            return float(max(np.abs(w - h).sum() - tau, 0.0) * ctx.notional)
        if kind == "absolute":
            return float(np.maximum(part.values(w) - part.limit, 0.0).sum() * ctx.notional)
        f: LinearForm = part
        out = _outside(w, f.lb, f.ub)
        if f.A.shape[0]:
            out += _outside(f.A @ w, f.lo, f.hi)
        return float(out * ctx.notional)

    def dollars(self, shares: np.ndarray, ctx: HedgeContext) -> float:
        return self.penalty * self.excess(shares, ctx)

    def _dollar_expr(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        kind, part = self._parts(ctx)
        k = self.penalty * ctx.notional
        if kind == "turnover":
            h, tau = part
            return k * cp.pos(cp.norm1(w - h) - tau)
        if kind == "absolute":
            return k * cp.sum(cp.pos(part.pos @ cp.pos(w) + part.neg @ cp.neg(w) - part.limit))
        f = part
        terms = [cp.sum(cp.pos(w[idx] - f.ub[idx])) for idx in [np.flatnonzero(np.isfinite(f.ub))]
                 if len(idx)]
        terms += [cp.sum(cp.pos(f.lb[idx] - w[idx])) for idx in
                  [np.flatnonzero(np.isfinite(f.lb))] if len(idx)]
        for side, lim in (("hi", f.hi), ("lo", f.lo)):
            idx = np.flatnonzero(np.isfinite(lim))
            if len(idx):
                Aw = f.A[idx] @ w
                terms.append(cp.sum(cp.pos(Aw - lim[idx]) if side == "hi"
                                    else cp.pos(lim[idx] - Aw)))
        return k * cp.sum(cp.hstack(terms)) if terms else cp.Constant(0.0)

    def nonlinear_part(self) -> str:
        return "its priced violation (not separable per name)"

    def report(self, shares: Any, ctx: HedgeContext) -> dict[str, Any]:
        """The violation in the constraint's own units (its check messages) and in dollars."""
        return {"dollars": self.excess(shares, ctx),
                "violations": self.constraint.check(shares_array(shares, ctx), ctx)}

    def __repr__(self) -> str:
        return f"Soft({self.constraint!r}, penalty={self.penalty:g})"


def _outside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """``sum max(x - hi, 0) + max(lo - x, 0)`` over the finite sides."""
    up = np.where(np.isfinite(hi), np.maximum(x - hi, 0.0), 0.0)
    dn = np.where(np.isfinite(lo), np.maximum(lo - x, 0.0), 0.0)
    return float(up.sum() + dn.sum())
