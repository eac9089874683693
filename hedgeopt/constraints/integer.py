"""Shared behaviour of the whole-share constraints (lots, cardinality, thresholds).

Their big-M values depend on the *other* constraints (a position's largest possible size follows
from bounds, the budget and sector rows), so they are not compiled one by one: the whole-share
backends formulate them from the complete set
(:class:`~hedgeopt.solvers.wholeshare.spec.WholeShareSpec`).
Their continuous relaxation imposes nothing, which :meth:`linear` says with a free form.
"""

from __future__ import annotations

from typing import Any, ClassVar

import cvxpy as cp

from hedgeopt.constraints.base import Constraint, LinearForm
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import SolverError

__all__ = ["IntegerConstraint"]


class IntegerConstraint(Constraint):
    """A constraint that makes the problem mixed-integer."""

    integer: ClassVar[bool] = True

    def compile(self, w: cp.Variable, ctx: HedgeContext) -> list[cp.Constraint]:
        raise SolverError(
            f"{self!r} is formulated by the whole-share backends (HEURISTIC, SCIP, GUROBI, MOSEK) "
            f"from the complete constraint set, whose bounds give its big-M values; solve the "
            f"problem with HedgeProblem.solve() rather than compiling it alone"
        )

    def linear(self, ctx: HedgeContext) -> LinearForm:
        """The continuous relaxation: no restriction."""
        return LinearForm.free(ctx.n_assets)

    def _repr_args(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
