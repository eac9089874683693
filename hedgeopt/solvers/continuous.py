"""Continuous QP/SOCP through cvxpy: OSQP, Clarabel, ECOS (and any cvxpy solver by name)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import cvxpy as cp

from hedgeopt.exceptions import SolverError
from hedgeopt.solvers.registry import Backend

__all__ = ["Outcome", "solve_cvxpy"]

_STATUS = {
    cp.OPTIMAL: "optimal",
    cp.OPTIMAL_INACCURATE: "inaccurate",
    cp.INFEASIBLE: "infeasible",
    cp.INFEASIBLE_INACCURATE: "infeasible",
    cp.UNBOUNDED: "unbounded",
    cp.UNBOUNDED_INACCURATE: "unbounded",
}


@dataclass
class Outcome:
    """What a backend returned, before verification (weights in scaled units)."""

    status: str
    weights: Any = None
    objective: float | None = None  # normalised objective as the backend saw it
    iterations: int | None = None
    seconds: float = 0.0
    detail: Any = None


def solve_cvxpy(problem: cp.Problem, w: cp.Variable, backend: Backend, *, verbose: bool = False,
                warm_start: bool = True, **options: Any) -> Outcome:
    """Solve a compiled cvxpy problem with one backend and map its status."""
    opts = {**backend.options, **options}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # the status is mapped below; no UserWarning noise
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=backend.name, verbose=verbose, warm_start=warm_start, **opts)
    except cp.error.SolverError as exc:
        raise SolverError(f"{backend.name} failed: {exc}") from exc
    except MemoryError as exc:  # canonicalising a large dense problem for a conic backend
        raise SolverError(f"{backend.name} ran out of memory: {exc}") from exc
    seconds = time.perf_counter() - start
    status = _STATUS.get(problem.status, str(problem.status))
    stats = problem.solver_stats
    return Outcome(
        status=status,
        weights=None if w.value is None else w.value.copy(),
        objective=None if problem.value is None else float(problem.value),
        iterations=getattr(stats, "num_iters", None),
        seconds=seconds,
    )
