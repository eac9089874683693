"""The solve of a problem with dollar costs: find the exchange rate, report the dollars.

See :mod:`hedgeopt.costs.base` for the rate: each cost term ``c`` is priced at
``mu_c = 2 weight_c sqrt(J)`` dollars squared per dollar at the optimum; the fixed point
``mu_{k+1} = 2 weight sqrt(J(n_k))`` from ``mu_0 = 0`` is iterated with re-solves through
parameters until ``mu`` moves by less than :data:`RATE_TOL` (relative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from hedgeopt.costs.base import CostTerm
from hedgeopt.exceptions import InputError, SolverError

__all__ = ["costs_of", "solve_priced"]

#: Relative change of the exchange rate below which the fixed point has converged.
RATE_TOL = 1e-7
#: Most re-solves of the fixed point.
MAX_SOLVES = 40


class Priced(Protocol):
    """What :func:`solve_priced` reads of a problem."""

    penalties: list[Any]
    ctx: Any
    objective: Any

    @property
    def integer(self) -> bool:
        """Whether some constraint asks for whole shares."""
        ...


def costs_of(problem: Priced) -> list[CostTerm]:
    """The problem's cost terms."""
    return [p for p in problem.penalties if isinstance(p, CostTerm)]


def solve_priced(problem: Priced, solve: Callable[[], Any]) -> Any:
    """Run ``solve()`` (the problem's own solve) at the fixed-point exchange rate.

    Returns the last :class:`~hedgeopt.result.HedgeResult`, with ``info["costs"]`` (dollars per
    cost term), ``info["cost_dollars"]`` (their sum), ``info["cost_exchange"]`` (``mu`` per
    term, dollars^2 per dollar) and ``info["cost_solves"]``.

    Raises
    ------
    InputError
        For whole-share problems, naming the cost terms and the backends that take them.
    """
    costs = costs_of(problem)
    if problem.integer:
        names = ", ".join(repr(c) for c in costs)
        raise InputError(f"{names}: dollar cost terms are not taken by the whole-share "
                         f"backends (HEURISTIC, SCIP); solve the continuous problem (without "
                         f"ShareLots / MaxNames / MinPosition / MinTrade) with "
                         f"{' / '.join(CostTerm.backends)} or ACTIVESET (linear costs whose "
                         f"trades all have one side)", field="penalties")
    scale = problem.objective.scale(problem.ctx)
    try:
        for c in costs:
            c.scale_ = scale
            c.exchange = 0.0
        res = solve()
        solves = 1
        for _ in range(1, MAX_SOLVES):
            sigma = float(np.sqrt(max(res.objective, 0.0)))
            new = [2.0 * c.weight * sigma for c in costs]
            old = [c.exchange or 0.0 for c in costs]
            if all(abs(a - b) <= RATE_TOL * max(a, 1e-300) for a, b in zip(new, old,
                                                                            strict=True)):
                break
            for c, mu in zip(costs, new, strict=True):
                c.exchange = mu
            res = solve()
            solves += 1
        else:
            raise SolverError(f"the cost exchange rate did not settle in {MAX_SOLVES} solves")
        rates = {repr(c): float(c.exchange or 0.0) for c in costs}
    finally:
        for c in costs:
            c.exchange = None
    n = res.shares.to_numpy(dtype=float)
    dollars = {repr(c): c.dollars(n, problem.ctx) for c in costs}
    res.info.update({"costs": dollars, "cost_dollars": float(sum(dollars.values())),
                     "cost_exchange": rates, "cost_solves": solves})
    soft = {repr(c): c.report(n, problem.ctx) for c in costs if hasattr(c, "report")}
    if soft:
        res.info["soft"] = soft
        res.soft = soft
    return res
