"""User-written constraints as a function of the scaled weight variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import Constraint, _StructureChanged, shares_array
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["Custom"]

ConstraintFn = Callable[[cp.Variable, HedgeContext], "list[cp.Constraint] | cp.Constraint"]


class Custom(Constraint):
    """Any cvxpy constraints, written as ``fn(w, ctx)``.

    ``w`` is the dollar-weight variable (position / notional at reference prices); use
    ``ctx.shares(w)`` and ``ctx.dollars(w)`` to speak shares or dollars, e.g.
    ``ho.Custom(lambda w, ctx: ctx.dollars(w)[0] <= 1e6, name="first name <= $1M")``.

    The check re-evaluates the same constraints at the solution with cvxpy's ``violation()``,
    relative to the size of the expressions involved.
    """

    def __init__(self, fn: ConstraintFn, name: str | None = None) -> None:
        if not callable(fn):
            raise InputError("Custom: fn must be callable (w, ctx) -> constraints", field="fn")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "custom")

    def validate(self, ctx: HedgeContext) -> None:
        self.compile(cp.Variable(ctx.n_assets), ctx)

    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        """``fn(w, ctx)`` as a list of convex (DCP) cvxpy constraints on ``w``.

        Raises
        ------
        InputError
            Naming this ``Custom`` when ``fn`` raises (chained from its exception), returns
            something that is not cvxpy constraints, constrains a variable other than ``w``
            or of another shape, or returns a non-convex (non-DCP) constraint.
        """
        if not callable(self.fn):
            raise InputError(f"{self!r}: fn must be callable (w, ctx) -> constraints", "fn")
        try:
            out = self.fn(w, ctx)
        except Exception as exc:  # noqa: BLE001 - any error of user code is reported as input
            raise InputError(f"{self!r}: fn(w, ctx) raised {type(exc).__name__}: {exc}",
                             field="fn") from exc
        if isinstance(out, cp.constraints.constraint.Constraint):
            out = [out]
        if not isinstance(out, (list, tuple)) or not all(
            isinstance(c, cp.constraints.constraint.Constraint) for c in out
        ):
            raise InputError(
                f"{self!r}: fn must return cvxpy constraints (one or a list), "
                f"got {type(out).__name__}", field="fn")
        for c in out:
            others = [v for v in c.variables() if v is not w]
            if others:
                raise InputError(f"{self!r}: {c} uses a variable other than w "
                                 f"({others[0].name()}, shape {others[0].shape}): a Custom "
                                 f"constraint is in w alone, so that check() can evaluate it at "
                                 f"the solution", field="fn")
            if not c.is_dcp():
                raise InputError(f"{self!r}: {c} is not convex (not DCP), so no convex solver "
                                 f"can take it; rewrite it with cvxpy's DCP rules", field="fn")
        return list(out)

    def update(self, ctx: HedgeContext) -> None:
        """Numbers ``fn`` took from the old data are baked in: the problem is rebuilt."""
        raise _StructureChanged(repr(self))

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        w = cp.Variable(ctx.n_assets)
        w.value = ctx.weights_from_shares(shares_array(shares, ctx))
        out = []
        for c in self.compile(w, ctx):
            scale = max(1.0, *(float(np.max(np.abs(a.value))) for a in c.args))
            excess = float(np.max(c.violation()))
            if excess > tol * scale:
                out.append(f"{self!r}: {c} violated by {excess:.3g}")
        return out

    def _repr_args(self) -> dict[str, Any]:
        return {"name": self.name}
