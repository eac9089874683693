"""The solve of a problem with dollar costs: find the exchange rate, report the dollars.

See :mod:`hedgeopt.costs.base` for the rate: each cost term ``c`` is priced at
``mu_c = 2 weight_c sqrt(J)`` dollars squared per dollar at the optimum; the fixed point
``mu_{k+1} = 2 weight sqrt(J(n_k))`` from ``mu_0 = 0`` is iterated with re-solves through
parameters until ``mu`` moves by less than :data:`RATE_TOL` (relative) or than the rate of a
tracking std of :data:`STD_FLOOR` times the notional (absolute). A whole-share problem takes
the rate of its continuous relaxation's fixed point and is solved once at it: the whole-share
backends price the linear costs exactly (:mod:`hedgeopt.solvers.wholeshare.spec`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from hedgeopt.costs.base import CostTerm, whole_share_refusal
from hedgeopt.exceptions import InputError, SolverError

__all__ = ["costs_of", "solve_priced"]

#: Relative change of the exchange rate below which the fixed point has converged.
RATE_TOL = 1e-7
#: Tracking std (fraction of the notional) below which the rate counts as settled absolutely.
STD_FLOOR = 1e-9
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


def solve_priced(problem: Priced, solve: Callable[[], Any],
                 relax: Callable[[], Any] | None = None) -> Any:
    """Run ``solve()`` (the problem's own solve) at the fixed-point exchange rate.

    Continuous problems iterate ``mu_{k+1} = 2 weight sqrt(J(n_k))`` to the fixed point.
    Whole-share problems take the rate of the continuous relaxation's fixed point (``relax()``
    solves it, priced) and solve ``J + mu C`` once in whole shares: the search and SCIP take
    the linear costs exactly (:mod:`hedgeopt.solvers.wholeshare`); ``res.bound`` and
    ``res.gap`` are then those of that priced objective (``res.info["priced_objective"]``,
    dollars^2), whose bound the relaxation at the same rate gives.

    Returns the last :class:`~hedgeopt.result.HedgeResult`, with ``info["costs"]`` (dollars per
    cost term), ``info["cost_dollars"]`` (their sum), ``info["cost_exchange"]`` (``mu`` per
    term, dollars^2 per dollar) and ``info["cost_solves"]``.

    Raises
    ------
    InputError
        For whole-share problems with a cost that is not linear per name (market impact, soft
        constraints), naming it and the backends that take it.
    """
    costs = costs_of(problem)
    scale = problem.objective.scale(problem.ctx)
    try:
        for c in costs:
            c.scale_ = scale
            c.exchange = 0.0
        if problem.integer:
            res, solves = _whole_shares(problem, costs, solve, relax)
        else:
            res, solves = _fixed_point(costs, solve, float(problem.ctx.notional))
        rates = {repr(c): float(c.exchange or 0.0) for c in costs}
        mus = [float(c.exchange or 0.0) for c in costs]
    finally:
        for c in costs:
            c.exchange = None
    n = res.shares.to_numpy(dtype=float)
    dollars = {repr(c): c.dollars(n, problem.ctx) for c in costs}
    res.info.update({"costs": dollars, "cost_dollars": float(sum(dollars.values())),
                     "cost_exchange": rates, "cost_solves": solves})
    if problem.integer:
        total = float(res.objective) + sum(mu * c.dollars(n, problem.ctx)
                                           for mu, c in zip(mus, costs, strict=True))
        res.info["priced_objective"] = total
        bound = res.info.get("solver_bound")
        if bound is not None:
            res.bound = min(float(bound), total)
            res.gap = (total - res.bound) / total if total > 0 else 0.0
    soft = {repr(c): c.report(n, problem.ctx) for c in costs if hasattr(c, "report")}
    if soft:
        res.info["soft"] = soft
        res.soft = soft
    return res


def _fixed_point(costs: list[CostTerm], solve: Callable[[], Any], notional: float
                 ) -> tuple[Any, int]:
    """Re-solve at ``mu = 2 weight sqrt(J)`` until ``mu`` settles: ``(result, solves)``.

    Settled means a relative change below :data:`RATE_TOL`, or an absolute one below the rate
    of a tracking std of :data:`STD_FLOOR` times the notional (a hedge that tracks to the
    solver's noise, where ``mu`` is that noise).
    """
    res = solve()
    solves = 1
    for _ in range(1, MAX_SOLVES):
        sigma = float(np.sqrt(max(res.objective, 0.0)))
        new = [2.0 * c.weight * sigma for c in costs]
        old = [c.exchange or 0.0 for c in costs]
        floor = [2.0 * c.weight * STD_FLOOR * notional for c in costs]
        if all(abs(a - b) <= RATE_TOL * max(a, 1e-300) + f
               for a, b, f in zip(new, old, floor, strict=True)):
            return res, solves
        for c, mu in zip(costs, new, strict=True):
            c.exchange = mu
        res = solve()
        solves += 1
    raise SolverError(f"the cost exchange rate did not settle in {MAX_SOLVES} solves")


def _whole_shares(problem: Priced, costs: list[CostTerm], solve: Callable[[], Any],
                  relax: Callable[[], Any] | None) -> tuple[Any, int]:
    """The rate of the continuous relaxation's fixed point, then one whole-share solve."""
    for c in costs:
        if c.linear_cost(problem.ctx) is None:
            raise whole_share_refusal(f"{c!r}: {c.nonlinear_part()} is not linear per name")
    if relax is None:
        raise InputError("whole-share costs need the continuous relaxation's rate: "
                         "solve_priced(..., relax=) was not given one", field="penalties")
    for c in costs:
        c.exchange = None  # the relaxation finds its own fixed point
    relaxed = relax()
    sigma = float(np.sqrt(max(relaxed.objective, 0.0)))
    for c in costs:
        c.exchange = 2.0 * c.weight * sigma  # = its fixed point's rate
    return solve(), int(relaxed.info.get("cost_solves", 1)) + 1
