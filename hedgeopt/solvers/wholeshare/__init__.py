"""Whole shares: one entry point over our own search and the MIP backends.

:func:`solve_whole_shares` takes a :class:`WholeShareSpec` and
returns a :class:`WholeShareOutcome` whose ``z`` satisfies every
constraint of the spec (checked with :func:`~hedgeopt.solvers.wholeshare.violations`).

Methods
-------
``"HEURISTIC"``
    Rounding, local search and large-neighbourhood search (:mod:`.heuristic`); when the
    problem chooses names (a binding ``MaxNames``, or ``MinPosition``), the subset selection
    first and that search on the chosen names (:mod:`.cardinality`).
``"SCIP"``
    PySCIPOpt on the factor form, warm-started by a short heuristic run (a quarter of the time
    limit, at most 5 s), with the rest of the time for SCIP.
``"GUROBI"`` / ``"MOSEK"``
    The same model through cvxpy (when installed and licensed), warm-started the same way.
``"DEFAULT"``
    Our best pipeline: the heuristic (which stops early when its exhaustive enumeration proves
    optimality); on small problems (N <= 150) the last quarter of the time goes to SCIP,
    warm-started with the heuristic's incumbent, to close the gap or raise the bound.

Every method first tries the cheap proofs of infeasibility
(:func:`~hedgeopt.solvers.wholeshare.infeasibility_proof`), solves a name limit of 1 (any
rule's :meth:`~.restrictions.base.Restriction.name_limit`) exactly name by name, and keeps one
deadline, ``time_limit`` seconds after the call, for every phase. When the heuristic finds
no point, ``"DEFAULT"`` gives SCIP (when installed) the rest of the time at any N, to find one
or prove that none exists. ``"infeasible"`` is only ever a proof
(cheap, or SCIP's complete search); no point and no proof is ``"failed"``.

Modules, bottom to top (imports only point down)
------------------------------------------------
``spec`` (the problem and the outcome), ``bounds`` (integer bounds, thresholds), ``check``
(the checker), ``proofs`` (cheap proofs of infeasibility), ``state`` (search state),
``local`` (moves and repair), ``lattice`` and ``enumeration`` (exact subproblems),
``rounding`` (rounding, dive), ``lns``, ``heuristic`` (the search pipeline), ``subsetqp``,
``selection``, ``subspec`` and ``cardinality`` (which names to hold, then the lots on them),
``backends`` (installed MIP solvers), ``model`` (solver-neutral MIP data), ``scip``,
``cvxpy_mip``, ``translate`` (a :class:`~hedgeopt.problem.HedgeProblem` to a spec) and this
module, the pipeline over all of them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hedgeopt.exceptions import InputError, SolverError
from hedgeopt.solvers.registry import BACKENDS, get_backend
from hedgeopt.solvers.wholeshare.bounds import lot_bounds
from hedgeopt.solvers.wholeshare.cardinality import solve_search
from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.cvxpy_mip import solve_cvxpy_mip
from hedgeopt.solvers.wholeshare.enumeration import Searcher
from hedgeopt.solvers.wholeshare.heuristic import solve_heuristic
from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.model import _factor_constant
from hedgeopt.solvers.wholeshare.proofs import infeasibility_proof, single_name_point
from hedgeopt.solvers.wholeshare.scip import solve_scip
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec
from hedgeopt.solvers.wholeshare.translate import whole_share_spec

__all__ = ["solve_whole_shares", "find_feasible", "solve_scip", "solve_cvxpy_mip",
           "solve_heuristic", "METHODS", "WholeShareSpec", "WholeShareOutcome", "Searcher",
           "EPS", "violations", "infeasibility_proof", "lot_bounds", "single_name_point",
           "whole_share_spec"]

METHODS = ("DEFAULT", "HEURISTIC", "SCIP", "GUROBI", "MOSEK")


def solve_whole_shares(spec: WholeShareSpec, method: str = "DEFAULT", *,
                       time_limit: float = 10.0, gap: float = 1e-4, threads: int = 1,
                       verbose: bool = False, seed: int = 0, tol: float = 1e-9,
                       feasibility_only: bool = False, **options: Any) -> WholeShareOutcome:
    """Solve the whole-share problem ``spec`` with ``method``.

    Parameters
    ----------
    spec : WholeShareSpec
        The problem in lots.
    method : str
        ``"DEFAULT"``, ``"HEURISTIC"``, ``"SCIP"``, ``"GUROBI"`` or ``"MOSEK"``.
    time_limit : float
        Wall-clock seconds for the whole call (proofs, heuristic warm start and model build
        included): every phase checks the one deadline ``time_limit`` seconds after the call.
    gap : float
        Relative gap ``(value - bound) / |value|`` at which the answer counts as optimal.
    threads : int
        Threads for the MIP backends.
    verbose : bool
        Print progress (heuristic log, solver output).
    seed : int
        Seed of the heuristic's random choices and of SCIP's permutations.
    tol : float
        Slack (in weights) under which a cheap proof of infeasibility must still hold
        (:func:`~hedgeopt.solvers.wholeshare.proofs.infeasibility_proof`).
    feasibility_only : bool
        Stop at the first point that meets every constraint (see :func:`find_feasible`).
    **options
        Backend parameters passed through: SCIP parameter names such as
        ``{"limits/nodes": 1000}`` (keys without a ``/`` are ignored by SCIP); cvxpy solver
        keywords for GUROBI/MOSEK.

    Returns
    -------
    WholeShareOutcome
        ``z`` (int64 lots) satisfying every constraint, ``value = spec.value(z)``, the best
        proven lower bound (at least ``spec.relaxed_value``), the status and which method
        found the incumbent. ``status == "infeasible"`` only with a proof: a cheap one
        (``method == "proof"``) or SCIP's complete search (``method == "SCIP"``), the reason in
        ``info["reason"]``. No incumbent and no proof gives ``"failed"``.
    """
    key = str(method).upper()
    if key not in METHODS:
        raise InputError(f"unknown whole-share method {method!r}; use one of {METHODS}",
                         field="solver")
    if (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float, np.number))
            or not np.isfinite(time_limit) or time_limit < 0):
        raise InputError(f"time_limit must be a finite number >= 0, got {time_limit!r}",
                         field="time_limit")
    if not gap >= 0:
        raise InputError(f"gap must be >= 0, got {gap!r}", field="gap")
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit)

    def left() -> float:
        return max(deadline - time.perf_counter(), 0.0)

    if key != "HEURISTIC" and key != "DEFAULT":
        get_backend(key)
    why = infeasibility_proof(spec, tol)
    if why is not None:
        return WholeShareOutcome(None, None, None, "infeasible", "proof",
                                 time.perf_counter() - t0, {"reason": why})
    one: WholeShareOutcome | None = None
    if spec.name_limit() == 1:
        # one name at most: decided exactly, name by name (feasible within tol; a hair less,
        # so that verification at tol never meets a point on its edge)
        z1 = single_name_point(spec, 0.999 * tol, best=not feasibility_only)
        if z1 is not None:
            one = WholeShareOutcome(z1, spec.value(z1), None, "feasible", "one name", 0.0,
                                    {"one_name": "exact: every name and holding nothing tried"})
            if not feasibility_only:
                one.bound = one.value  # exhaustive
            if feasibility_only or key in ("HEURISTIC", "DEFAULT"):
                return _finish(spec, one, gap, t0, tol)
    scip_ok = BACKENDS["SCIP"].available()
    if key == "HEURISTIC":
        out = solve_search(spec, time_limit=left(), seed=seed, verbose=verbose,
                              feasibility_only=feasibility_only)
        return _finish(spec, _unproven(out), gap, t0, tol)
    if key == "DEFAULT":
        small = spec.n <= 150 and scip_ok
        if feasibility_only:
            t_heur = 0.5 * left() if scip_ok else left()  # the rest: SCIP, to find or prove
        else:
            t_heur = 0.75 * left() if small else left()
        out = solve_search(spec, time_limit=t_heur, seed=seed, verbose=verbose,
                              feasibility_only=feasibility_only)
        out = _finish(spec, _unproven(out), gap, t0, tol)
        if out.z is None and scip_ok and left() > 0:
            # nothing found: SCIP gets the rest of the time, to find a point or prove there
            # is none
            polish = True
        else:
            polish = small and not feasibility_only and out.status != "optimal" and left() >= 0.2
        if not polish:
            return out
        try:
            mip = solve_scip(spec, time_limit=left(), gap=gap, threads=threads, verbose=verbose,
                             seed=seed, start=out.z, options=options,
                             feasibility_only=feasibility_only and out.z is None)
        except SolverError as exc:
            out.info["scip_error"] = str(exc)
            return out
        return _finish(spec, _best(spec, out, mip, tol), gap, t0, tol)
    # MIP backends: a short heuristic warm start, then the solver
    if one is not None:
        warm = _finish(spec, one, gap, t0, tol)
    else:
        t_heur = min(0.25 * left(), 5.0)
        warm = solve_search(spec, time_limit=t_heur, seed=seed, verbose=verbose,
                               feasibility_only=feasibility_only)
        warm = _finish(spec, _unproven(warm), gap, t0, tol)
    if warm.status == "optimal" or (feasibility_only and warm.z is not None):
        return warm
    if key == "SCIP":
        mip = solve_scip(spec, time_limit=left(), gap=gap, threads=threads, verbose=verbose,
                         seed=seed, start=warm.z, options=options,
                         feasibility_only=feasibility_only)
    else:
        mip = solve_cvxpy_mip(spec, key, time_limit=max(left(), 0.01), gap=gap,
                              threads=threads, verbose=verbose, start=warm.z, options=options)
    return _finish(spec, _best(spec, warm, mip, tol), gap, t0, tol)


def find_feasible(spec: WholeShareSpec, *, time_limit: float = 1.0, tol: float = 1e-9,
                  seed: int = 0) -> WholeShareOutcome:
    """Decide, within ``time_limit`` seconds, whether ``spec`` has a whole-share point.

    A cheap proof first (:func:`~hedgeopt.solvers.wholeshare.proofs.infeasibility_proof`), then the
    heuristic's rounding and repair (no improvement phase), then SCIP on the constraints
    alone (no objective, stopping at its first solution) for the rest of the time.

    Returns
    -------
    WholeShareOutcome
        ``status`` is ``"infeasible"`` (proven; reason in ``info["reason"]``), ``"feasible"``
        or ``"optimal"`` with a checked ``z``, or ``"failed"`` (undecided in the time).
    """
    return solve_whole_shares(spec, "DEFAULT", time_limit=time_limit, tol=tol, seed=seed,
                              feasibility_only=True)


def _unproven(out: WholeShareOutcome) -> WholeShareOutcome:
    """The heuristic's ``"infeasible"`` (lot bounds at its internal margin) as ``"failed"``.

    Only :func:`infeasibility_proof` (at the caller's tolerance) and SCIP's complete search
    count as proofs; the heuristic's bound check uses a tighter margin than verification.
    """
    if out.status == "infeasible":
        out.status = "failed"
    return out


def _best(spec: WholeShareSpec, a: WholeShareOutcome, b: WholeShareOutcome,
          tol: float = 1e-9) -> WholeShareOutcome:
    """Merge two outcomes: the better feasible incumbent (within ``tol``), the larger bound."""
    bounds = [x.bound for x in (a, b) if x.bound is not None]
    bound = max(bounds) if bounds else None
    cands = [(x, x.z) for x in (a, b)
             if x.z is not None and not violations(spec, x.z, max(tol, 1e-9))]
    if not cands:
        status = "infeasible" if "infeasible" in (a.status, b.status) else "failed"
        return WholeShareOutcome(None, None, bound, status, b.method, 0.0, {**a.info, **b.info})
    win, zw = min(cands, key=lambda c: spec.value(c[1]))
    info = {**a.info, **b.info}
    return WholeShareOutcome(zw, spec.value(zw), bound, win.status, win.method, 0.0, info)


def _finish(spec: WholeShareSpec, out: WholeShareOutcome, gap: float, t0: float,
            tol: float = 1e-9) -> WholeShareOutcome:
    """Check the incumbent (within ``tol``, at least 1e-9), fill value / bound (>= the
    relaxation) / status / seconds."""
    if out.z is not None:
        z = np.asarray(np.round(out.z), dtype=np.int64)
        bad = violations(spec, z, max(tol, 1e-9))
        if bad:
            raise SolverError(f"{out.method} returned an infeasible point: {bad[:3]}")
        out.z = z
        out.value = spec.value(z)
    bounds = [b for b in (out.bound, spec.relaxed_value) if b is not None]
    const = _factor_constant(spec)
    if const is not None:
        bounds.append(const[1])  # f is a sum of squares plus this constant
    out.bound = max(bounds) if bounds else None
    if out.z is not None and out.value is not None:
        if out.bound is not None:
            out.bound = min(out.bound, out.value)
        closed = out.bound is not None and (out.value - out.bound) <= gap * max(
            abs(out.value), 1e-300)
        out.status = "optimal" if closed else "feasible"
    out.seconds = time.perf_counter() - t0
    return out
