"""The pipeline's search for problems that choose names: select the names, then the lots.

With a name limit that binds (``MaxNames(K)`` with fewer than ``K`` names in the continuous
optimum would not need it) or with minimum positions, choosing *which* names are held is the
hard part. :func:`solve_search` then runs the subset selection (:mod:`.selection`) for most
of the time and the whole-share search (:func:`~.heuristic.solve_heuristic`) on the problem
restricted to the best subsets (:mod:`.subspec`): the best one first, then the runners-up
while time remains; every answer is lifted to the full problem and checked there. When the
lots end early (they often prove their optimum on a few names within a fraction of a second),
the selection resumes where it stopped (:class:`~.selection.Selector`) until the time limit
less a reserve for the lots of a better subset, so the whole time limit is used. Problems
that choose no names (and a selection that finds no subset) go to the whole-share search on
the full problem as before.
"""

from __future__ import annotations

import time

import numpy as np

from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.heuristic import solve_heuristic
from hedgeopt.solvers.wholeshare.selection import Selector
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec
from hedgeopt.solvers.wholeshare.subsetqp import SubsetValue, selection_limits
from hedgeopt.solvers.wholeshare.subspec import lift, restrict_spec

__all__ = ["chooses_names", "solve_search"]

#: share of the time limit the selection gets (the lots on the chosen names get the rest)
SELECTION_SHARE = 0.85
#: runners-up whose lots are searched after the best subset, time permitting
RUNNERS_UP = 3
#: whether time left after the lots goes back to the selection (and the lots of a better set)
RESUME = True
#: the lots of a better subset get this many times what the first subset's lots took
RESERVE = 2.0
#: the selection resumes only when at least this share of the time limit is left for it
RESUME_LEAST = 0.01
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
    selector = Selector(spec, seed=seed, log=log)
    sel = selector.run(t0 + SELECTION_SHARE * max(float(time_limit), 0.0))
    if sel is None:
        out = solve_heuristic(spec, time_limit=max(deadline - time.perf_counter(), 0.0),
                              seed=seed, verbose=verbose)
        out.info["selection"] = "no subset with a continuous point found"
        return out
    pool = [p for p in sel.pool if p.w is not None][: 1 + RUNNERS_UP]
    best, tried, lot_secs = _lots(spec, pool, deadline, seed)
    resumed = 0
    lotted = sel.value
    # time left when the lots ended early (proven on the few names): back to the selection,
    # keeping RESERVE times what the best subset's lots took for the lots of a better one
    while RESUME and best is not None:
        until = deadline - RESERVE * lot_secs
        if until - time.perf_counter() <= RESUME_LEAST * max(float(time_limit), 0.0):
            break
        sel = selector.run(until)
        resumed += 1
        assert sel is not None
        if not sel.value < lotted:
            continue
        lotted = sel.value
        more, n, secs = _lots(spec, [p for p in sel.pool if p.w is not None][:1], deadline,
                              seed, share=1.0)
        tried += n
        lot_secs = max(lot_secs, secs)
        if more is not None and more[0] < best[0]:
            best = more
    info = {"selection": sel.stats, "subsets": tried, "selection_value": sel.value,
            "selection_resumed": resumed}
    if best is None:
        out = solve_heuristic(spec, time_limit=max(deadline - time.perf_counter(), 0.0),
                              seed=seed, verbose=verbose)
        out.info.update(info)
        return out
    return WholeShareOutcome(best[1], best[0], None, "feasible", "selection",
                             time.perf_counter() - t0, info)


def _lots(spec: WholeShareSpec, pool: list[SubsetValue], deadline: float, seed: int,
          share: float = 0.5) -> tuple[tuple[float, np.ndarray] | None, int, float]:
    """The whole-share search on each subset of ``pool`` (restricted problem, lifted and
    checked on the full one): the first gets ``share`` of the time left, each later one an
    equal share of the rest. Returns the best ``(value, lots)`` (None when no answer passed
    the check), the subsets searched and the seconds the first one took."""
    best: tuple[float, np.ndarray] | None = None
    tried = 0
    first = 0.0
    for a, cand in enumerate(pool):
        left = deadline - time.perf_counter()
        if left <= 0 and best is not None:
            break
        lim = share * left if a == 0 else left / (len(pool) - a)
        t = time.perf_counter()
        out = solve_heuristic(restrict_spec(spec, cand.S, cand.w), time_limit=max(lim, 0.0),
                              seed=seed + a)
        if a == 0:
            first = time.perf_counter() - t
        tried += 1
        if out.z is None:
            continue
        z = lift(out.z, cand.S, spec.n)
        if violations(spec, z, 1e-10):
            continue
        v = spec.value(z)
        if best is None or v < best[0]:
            best = (v, z)
    return best, tried, first
