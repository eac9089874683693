"""Gross and short exposure limits: ``sum |w_i| <= gross``, ``sum max(-w_i, 0) <= short``."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import AbsoluteRows, Constraint, as_fraction, shares_array
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["Leverage"]

#: Limits beyond this multiple of the notional need ``leverage=True`` (120 is a percent).
LEVERAGE_LIMIT = 10.0


class Leverage(Constraint):
    """Gross and short dollar exposure at reference prices, as fractions of the notional.

    .. math::  \\sum_i |n_i P_{r,i}| \\le g\\, B_r, \\qquad
               \\sum_i \\max(-n_i P_{r,i}, 0) \\le s\\, B_r

    Not polyhedral in the weights alone, but linear once each weight's sign is fixed: the
    native solver (ACTIVESET) takes it exactly by fixing signs and flipping them
    (:mod:`hedgeopt.solvers.signsplit`); the cvxpy backends take ``norm1`` and ``neg``.

    Parameters
    ----------
    gross : float, optional
        Largest gross exposure ``sum |dollars_i| / notional`` (>= 0; ``1.2`` = 120%).
    short : float, optional
        Largest short exposure ``sum max(-dollars_i, 0) / notional`` (>= 0).
    leverage : bool
        Allow limits beyond 10 times the notional (a ``gross=120`` is refused as a percent).
    """

    def __init__(self, gross: float | None = None, short: float | None = None, *,
                 leverage: bool = False) -> None:
        self.gross, self.short, self.leverage = gross, short, bool(leverage)
        self.limits()
        self._limit: cp.Parameter | None = None

    def limits(self) -> tuple[float | None, float | None]:
        """``(gross, short)`` validated: fractions of the notional >= 0 (None: no limit)."""
        if self.gross is None and self.short is None:
            raise InputError("Leverage: give gross, short or both", field="gross")
        out: list[float | None] = []
        for name in ("gross", "short"):
            value = getattr(self, name)
            if value is None:
                out.append(None)
                continue
            v = as_fraction(value, f"Leverage.{name}", LEVERAGE_LIMIT, leverage=self.leverage)
            if v < 0:
                raise InputError(f"Leverage.{name} must be >= 0, got {v:g}", field=name)
            out.append(v)
        return out[0], out[1]

    def validate(self, ctx: HedgeContext) -> None:
        self.limits()

    def absolute(self, ctx: HedgeContext) -> AbsoluteRows:
        n = ctx.n_assets
        gross, short = self.limits()
        pos, neg, limit, labels = [], [], [], []
        if gross is not None:
            pos.append(np.ones(n))
            neg.append(np.ones(n))
            limit.append(gross)
            labels.append("gross exposure")
        if short is not None:
            pos.append(np.zeros(n))
            neg.append(np.ones(n))
            limit.append(short)
            labels.append("short exposure")
        return AbsoluteRows(np.array(pos), np.array(neg), np.array(limit), labels)

    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        rows = self.absolute(ctx)
        self._limit = cp.Parameter(len(rows.limit), nonneg=True, name="Leverage.limit")
        self._limit.value = rows.limit
        expr = [cp.norm1(w) if p.any() else cp.sum(cp.neg(w)) for p in rows.pos]
        return [e <= self._limit[k] for k, e in enumerate(expr)]

    def update(self, ctx: HedgeContext) -> None:
        if self._limit is not None:
            self._limit.value = self.absolute(ctx).limit

    def exposures(self, shares: Any, ctx: HedgeContext) -> dict[str, float]:
        """Gross and short exposure of ``shares`` in dollars at reference prices."""
        dollars = shares_array(shares, ctx) * ctx.p_ref
        return {"gross": float(np.abs(dollars).sum()),
                "short": float(np.maximum(-dollars, 0.0).sum())}

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        got = self.exposures(shares, ctx)
        out = []
        for name, limit in zip(("gross", "short"), self.limits(), strict=True):
            if limit is not None and got[name] > (limit + tol) * ctx.notional:
                out.append(f"{self!r}: {name} exposure is ${got[name]:,.2f} "
                           f"({got[name] / ctx.notional:.6g} of the notional), above "
                           f"${limit * ctx.notional:,.2f} ({limit:g})")
        return out

    def _repr_args(self) -> dict[str, Any]:
        return {k: float(v) for k in ("gross", "short") if (v := getattr(self, k)) is not None}
