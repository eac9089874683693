"""The pipeline's search for problems that choose names: select the names, then the lots.

With a name limit that binds (``MaxNames(K)`` with fewer than ``K`` names in the continuous
optimum would not need it) or with minimum positions, choosing *which* names are held is the
hard part. :func:`solve_search` then runs the subset selection (:mod:`.selection`) for most
of the time and the whole-share search (:func:`~.heuristic.solve_heuristic`) on the problem
restricted to the best subsets (:mod:`.subspec`): the best one first, then the runners-up
while time remains; every answer is lifted to the full problem and checked there. Problems
that choose no names (and a selection that finds no subset) go to the whole-share search on
the full problem as before.
"""

from __future__ import annotations

import time

import numpy as np

from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.heuristic import solve_heuristic
from hedgeopt.solvers.wholeshare.selection import select_names
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec
from hedgeopt.solvers.wholeshare.subsetqp import selection_limits
from hedgeopt.solvers.wholeshare.subspec import lift, restrict_spec

__all__ = ["chooses_names", "solve_search"]

#: share of the time limit the selection gets (the lots on the chosen names get the rest)
SELECTION_SHARE = 0.85
#: runners-up whose lots are searched after the best subset, time permitting
RUNNERS_UP = 3
#: problems with at most this many names go to the whole-share search, whose exhaustive
#: enumeration of them proves optimality (the selection would not)
SMALL = 12


def chooses_names(spec: WholeShareSpec) -> bool:
    """Whether ``spec`` asks which names to hold: a name limit below the names that the
    continuous optimum holds (all names when it is unknown), or minimum positions; and has
    more than :data:`SMALL` names."""
    if spec.n <= SMALL:
        return False
    K, mw, _ = selection_limits(spec)
    if mw is not None:
        return True
    if K is None or K >= spec.n:
        return False
    if spec.relaxed is None:
        return True
    x = np.abs(np.asarray(spec.relaxed, dtype=float))
    return int(np.count_nonzero(x > 1e-9 * max(float(x.max(initial=0.0)), 1e-300))) > K


def solve_search(spec: WholeShareSpec, *, time_limit: float = 10.0, seed: int = 0,
                 verbose: bool = False, feasibility_only: bool = False
                 ) -> WholeShareOutcome:
    """The pipeline's own search: selection then lots (module docstring), or the whole-share
    search alone when ``spec`` chooses no names or only a feasible point is asked for.

    Parameters and return as :func:`~.heuristic.solve_heuristic`; ``info["selection"]``
    holds the selection's counts and ``info["subsets"]`` how many subsets got lots.
    """
    if feasibility_only or not chooses_names(spec):
        return solve_heuristic(spec, time_limit=time_limit, seed=seed, verbose=verbose,
                               feasibility_only=feasibility_only)
    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)
    log = (lambda msg: print(f"[selection {time.perf_counter() - t0:7.3f}s] {msg}")) \
        if verbose else None
    sel = select_names(spec, t0 + SELECTION_SHARE * max(float(time_limit), 0.0), seed=seed,
                       log=log)
    if sel is None:
        out = solve_heuristic(spec, time_limit=max(deadline - time.perf_counter(), 0.0),
                              seed=seed, verbose=verbose)
        out.info["selection"] = "no subset with a continuous point found"
        return out
    best: tuple[float, np.ndarray] | None = None
    tried = 0
    pool = [p for p in sel.pool if p.w is not None][: 1 + RUNNERS_UP]
    for a, cand in enumerate(pool):
        left = deadline - time.perf_counter()
        if left <= 0 and best is not None:
            break
        # the best subset gets half of what is left, each runner-up an equal share of the rest
        share = 0.5 * left if a == 0 else left / (len(pool) - a)
        sub = restrict_spec(spec, cand.S, cand.w)
        out = solve_heuristic(sub, time_limit=max(share, 0.0), seed=seed + a)
        tried += 1
        if out.z is None:
            continue
        z = lift(out.z, cand.S, spec.n)
        if violations(spec, z, 1e-10):
            continue
        v = spec.value(z)
        if best is None or v < best[0]:
            best = (v, z)
    info = {"selection": sel.stats, "subsets": tried, "selection_value": sel.value}
    if best is None:
        out = solve_heuristic(spec, time_limit=max(deadline - time.perf_counter(), 0.0),
                              seed=seed, verbose=verbose)
        out.info.update(info)
        return out
    return WholeShareOutcome(best[1], best[0], None, "feasible", "selection",
                             time.perf_counter() - t0, info)
