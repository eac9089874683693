"""A user objective term: any convex cvxpy expression of the weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import _StructureChanged
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError
from hedgeopt.regularization import Penalty

__all__ = ["Term"]

TermFn = Callable[[cp.Variable, HedgeContext], Any]


class Term(Penalty):
    """``fn(w, ctx)``, a convex scalar cvxpy expression, added to the normalised objective.

    ``w`` is the dollar-weight variable and the objective is the tracking variance as a
    fraction of the unhedged variance (:mod:`hedgeopt.objective`), so a term of ``0.01`` costs
    1% of the basket's own variance. Only the cvxpy backends take it.

    Raises
    ------
    InputError
        Naming the term when ``fn`` raises, returns something that is not a scalar cvxpy
        expression of ``w``, or returns a non-convex (non-DCP) one.
    """

    def __init__(self, fn: TermFn, name: str | None = None) -> None:
        if not callable(fn):
            raise InputError("Term: fn must be callable (w, ctx) -> cvxpy expression",
                             field="fn")
        super().__init__(0.0)
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "term")

    def validate(self, ctx: HedgeContext) -> None:
        self.expression(cp.Variable(ctx.n_assets), ctx)

    def expression(self, w: cp.Variable, ctx: HedgeContext) -> cp.Expression:
        try:
            out = self.fn(w, ctx)
        except Exception as exc:  # noqa: BLE001 - any error of user code is reported as input
            raise InputError(f"{self!r}: fn(w, ctx) raised {type(exc).__name__}: {exc}",
                             field="fn") from exc
        if not isinstance(out, cp.Expression) or out.size != 1:
            raise InputError(f"{self!r}: fn must return a scalar cvxpy expression, got "
                             f"{type(out).__name__}", field="fn")
        if any(v is not w for v in out.variables()):
            raise InputError(f"{self!r}: the expression uses a variable other than w",
                             field="fn")
        if not (out.is_dcp() and out.is_convex()):
            raise InputError(f"{self!r}: {out} is not convex (not DCP), so no convex solver "
                             f"can minimise it; rewrite it with cvxpy's DCP rules", field="fn")
        return out

    def update(self, ctx: HedgeContext) -> None:
        """Numbers ``fn`` took from the old data are baked in: the problem is rebuilt."""
        raise _StructureChanged(repr(self))

    def value(self, w: np.ndarray, ctx: HedgeContext) -> float:
        x = cp.Variable(ctx.n_assets)
        x.value = np.asarray(w, dtype=float)
        value = self.expression(x, ctx).value
        return float(np.asarray(value, dtype=float).reshape(-1)[0])

    def __repr__(self) -> str:
        return f"Term({self.name!r})"
