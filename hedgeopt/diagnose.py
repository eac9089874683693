"""Why a hedging problem is infeasible: culprits, conflicting pairs, undecided candidates.

:func:`infeasible_error` builds the :class:`~hedgeopt.exceptions.InfeasibleError` of a problem
known to be infeasible; :func:`undecided_message` the text of a whole-share search that neither
found a point nor proved that none exists. The problem is read through the small
:class:`Diagnosable` protocol (its context, constraints, and sub-problems on fewer
constraints), so this module imports nothing of :mod:`hedgeopt.problem`.
"""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any, Protocol

import cvxpy as cp
import numpy as np

from hedgeopt.constraints.base import Constraint, feasible_point, merge_forms
from hedgeopt.context import HedgeContext
from hedgeopt.defaults import DEFAULT_TOL
from hedgeopt.exceptions import HedgeOptError, InfeasibleError, SolverError
from hedgeopt.solvers.wholeshare import find_feasible
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["Diagnosable", "feasible", "infeasible_error", "relaxed_point", "undecided_message"]

#: Least time (seconds) the culprit search of an infeasible whole-share problem gets, even when
#: the proof used up the time limit (within the one second of overhead the limit allows).
_DIAGNOSIS_SECONDS = 0.3
#: Most seconds the whole-share feasibility check of one culprit candidate gets.
_CULPRIT_SECONDS = 2.0


class Diagnosable(Protocol):
    """What the diagnosis reads of a :class:`~hedgeopt.problem.HedgeProblem`."""

    ctx: HedgeContext
    constraints: list[Constraint]

    def _sibling(self, constraints: list[Constraint]) -> Diagnosable: ...

    def whole_share_spec(self, relaxed: tuple[np.ndarray, float] | None = None, *,
                         factor: np.ndarray | None = None) -> WholeShareSpec: ...


def feasible(prob: Diagnosable, constraints: list[Constraint]) -> bool:
    """Whether ``constraints`` (integrality relaxed) admit a hedge: LP or conic check."""
    return relaxed_point(prob, constraints) is not None


def relaxed_point(prob: Diagnosable, constraints: list[Constraint]) -> np.ndarray | None:
    """Weights of a hedge meeting ``constraints`` with integrality relaxed, or None.

    Linear constraints: a HiGHS LP; otherwise a zero-objective cvxpy problem (CLARABEL,
    ECOS, OSQP in turn).

    Raises
    ------
    SolverError
        When no backend decides feasibility.
    """
    maybe = [c.linear(prob.ctx) for c in constraints if not c.integer]
    forms = [f for f in maybe if f is not None]
    if len(forms) == len(maybe):
        return feasible_point(merge_forms([("", f) for f in forms], prob.ctx.n_assets))
    w = cp.Variable(prob.ctx.n_assets)
    cons = [k for c in constraints if not c.integer for k in copy.copy(c).compile(w, prob.ctx)]
    zero = cp.Problem(cp.Minimize(0), cons)
    for name in ("CLARABEL", "ECOS", "OSQP"):
        try:
            zero.solve(solver=name)
        except (cp.error.SolverError, ValueError):
            continue
        if zero.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
            return (np.asarray(w.value, dtype=float) if w.value is not None
                    else np.zeros(prob.ctx.n_assets))
        if zero.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            return None
    raise SolverError("could not decide feasibility with CLARABEL, ECOS or OSQP")


def infeasible_error(prob: Diagnosable, integer: bool = False, proof: str | None = None,
                     deadline: float | None = None, tol: float = DEFAULT_TOL) -> InfeasibleError:
    """The :class:`InfeasibleError` of a problem known to be infeasible.

    Continuous problems: a constraint is a culprit when the others are feasible (LP or
    conic check). Whole-share problems (``integer``): a culprit only when a hedge is found
    that meets all the other constraints, in whole lots where some other constraint still
    asks for them (:func:`_whole_share_culprits`, up to ``deadline``); candidates that are
    neither shown feasible nor proven infeasible in the time are listed as undecided.
    ``proof`` is the reason the whole-share problem was proven infeasible, if known.
    """
    names = [repr(c) for c in prob.constraints]
    relaxed_ok = integer and feasible(prob, prob.constraints)
    undecided: list[str] = []
    if integer:
        culprits, undecided = _whole_share_culprits(prob, deadline, tol)
    else:
        culprits = [
            repr(c) for i, c in enumerate(prob.constraints)
            if feasible(prob, prob.constraints[:i] + prob.constraints[i + 1:])
        ]
    what = "whole-share hedge" if relaxed_ok else "hedge"
    msg = f"no {what} satisfies all {len(names)} constraints [{', '.join(names)}]."
    if relaxed_ok:
        ints = [repr(c) for c in prob.constraints if c.integer]
        others = [n for n, c in zip(names, prob.constraints, strict=True)
                  if n in culprits and not c.integer]
        with_what = f"[{', '.join(others)}]" if others else "the other constraints"
        msg += (f" The continuous relaxation is feasible: the whole-share restrictions "
                f"[{', '.join(ints)}] conflict with {with_what}")
        msg += f" ({proof})." if proof else "."
    elif proof:
        msg += f" Proof: {proof}."
    if culprits:
        checked = " (each checked by a hedge that meets all the others)" if integer else ""
        msg += f" Dropping any one of [{', '.join(culprits)}] makes it feasible{checked}."
    elif not undecided:
        msg += " No single constraint's removal restores feasibility."
    if undecided:
        msg += (f" Undecided in the time: whether dropping one of [{', '.join(undecided)}] "
                f"helps (no whole-share hedge found without it, and no proof that none "
                f"exists).")
    if len(prob.constraints) <= 10:
        pairs = [
            f"{a!r} + {b!r}" for a, b in itertools.combinations(prob.constraints, 2)
            if not feasible(prob, [a, b])
        ]
        singles = [repr(c) for c in prob.constraints if not feasible(prob, [c])]
        if singles:
            msg += f" Infeasible on its own: {', '.join(singles)}."
        elif pairs:
            msg += f" Conflicting pairs: {'; '.join(pairs)}."
    return InfeasibleError(msg, constraints=names, culprits=culprits)


def _whole_share_culprits(prob: Diagnosable, deadline: float | None, tol: float
                          ) -> tuple[list[str], list[str]]:
    """``(culprits, undecided)`` of an infeasible whole-share problem.

    Dropping constraint ``c`` leaves the others; ``c`` is a culprit when a hedge meeting
    them is found and re-checked with their own ``check``: an LP / conic point when no other
    constraint asks for whole shares, else a whole-share point from
    :func:`~hedgeopt.solvers.wholeshare.find_feasible` (a cheap proof, rounding and repair, then
    SCIP on the constraints alone). The others being infeasible with integrality relaxed,
    or a proof, rules ``c`` out. The whole-share checks share the time left until
    ``deadline`` (at least :data:`_DIAGNOSIS_SECONDS` in all); what is not decided in it is
    undecided, never guessed.
    """

    culprits: dict[int, bool | None] = {}
    pending: list[tuple[int, list[Constraint]]] = []
    for i in range(len(prob.constraints)):
        rest = prob.constraints[:i] + prob.constraints[i + 1:]
        w = relaxed_point(prob, rest)
        if w is None:
            culprits[i] = False  # even the relaxation of the others is infeasible
        elif not any(k.integer for k in rest):
            culprits[i] = _meets(prob, rest, prob.ctx.shares_from_weights(w), tol) or None
        else:
            pending.append((i, rest))
    now = time.perf_counter()
    end = max(deadline if deadline is not None else now + 2.0, now + _DIAGNOSIS_SECONDS)
    factor = None  # the objective's factor, computed once for all candidates
    for k, (i, rest) in enumerate(pending):
        budget = min(max(end - time.perf_counter(), 0.0) / (len(pending) - k),
                     _CULPRIT_SECONDS)
        try:
            spec = prob._sibling(rest).whole_share_spec(factor=factor)
            factor = spec.factor
            out = find_feasible(spec, time_limit=budget, tol=tol)
        except HedgeOptError:
            culprits[i] = None
            continue
        if out.status == "infeasible":
            culprits[i] = False
        elif out.z is None:
            culprits[i] = None
        else:
            culprits[i] = _meets(prob, rest, spec.lots * out.z, tol) or None
    yes = [repr(prob.constraints[i]) for i in sorted(culprits) if culprits[i]]
    maybe = [repr(prob.constraints[i]) for i in sorted(culprits) if culprits[i] is None]
    return yes, maybe


def _meets(prob: Diagnosable, constraints: list[Constraint], shares: np.ndarray, tol: float
           ) -> bool:
    """Whether ``shares`` pass every constraint's own check (the verification of results)."""
    return not any(c.check(shares, prob.ctx, tol) for c in constraints)


def undecided_message(limit: float, attempts: list[str], requested: str | None,
                       spec: Any) -> str:
    """The :class:`SolverError` text when no whole-share point was found and none was proven
    impossible: it says so, what ran, and what may help."""
    msg = (f"no whole-share solution found in {limit:g} s; feasibility not decided (the "
           f"continuous relaxation is feasible)")
    if attempts:
        msg += ": " + " | ".join(attempts)
    msg += "."
    f = spec.form
    eq = [f.labels[j] if j < len(f.labels) else f"row {j}" for j in range(f.A.shape[0])
          if np.isfinite(f.lo[j]) and f.lo[j] == f.hi[j]]
    if eq:
        msg += (f" The rows [{', '.join(eq)}] are equalities, which whole lots rarely meet "
                f"exactly; a band, e.g. Budget(band=(0.99, 1.0)), usually makes the problem "
                f"feasible.")
    if requested is not None and str(requested).upper() == "HEURISTIC":
        msg += (" The heuristic finds points but does not prove that none exist; "
                "solver=None or solver='SCIP' can decide it.")
    else:
        msg += " A longer time_limit may decide it."
    return msg
