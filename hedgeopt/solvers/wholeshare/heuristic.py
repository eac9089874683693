"""Fast whole-share search: constraint-respecting rounding, local moves, large neighbourhoods.

The problem is the one of :mod:`hedgeopt.solvers.wholeshare`: integer lots ``z``, weights
``w = u * z``, objective ``f(w) = 0.5 w'Qw - q'w + c`` plus the spec's linear costs (trading and
borrow, separable: every move prices them exactly), a merged linear form, and the optional
turnover, cardinality, minimum-position and minimum-trade restrictions.

Pipeline (:func:`solve_heuristic`)
----------------------------------
1. **Rounding that respects every constraint.** The continuous optimum (or ``start``) is
   truncated toward zero to whole lots inside the bounds, the largest ``max_names`` positions
   are kept, every lot count is moved to its nearest allowed value (minimum position / minimum
   trade holes), and a greedy repair walks single-lot moves that reduce the total constraint
   violation, ties broken by the objective. When ``Q`` has far fewer directions than names
   (rank < 0.8 N, N >= 150) and lots are fine (the relaxation's median held name is a lot or
   more), a continuous-then-fix **dive** (:func:`dive`) is tried too: batches of held names
   are rounded and fixed while the bounded QP over the free names is re-solved, so the free
   names absorb the rounding error; the better start after local search seeds the LNS.
2. **Local search.** With the gradient ``g = Q w - q`` kept up to date, moving name ``i`` by
   ``delta`` lots changes ``f`` by ``delta u_i g_i + 0.5 delta^2 u_i^2 Q_ii`` and ``g`` by
   ``delta u_i Q[:, i]`` (O(N)). All single moves (next allowed lot count up or down) are scored
   at once, then all pairs (``+-1`` step on ``i`` and on ``j``, which adds the cross term
   ``delta_i delta_j u_i u_j Q_ij``; a swap is how the search moves along a tight budget).
   Only moves that keep every constraint satisfied are taken.
3. **Large-neighbourhood search (LNS).** A subset ``S`` of names is freed (chosen at random,
   by correlation with a random name through ``Q``, or by gradient), the others stay fixed, and
   the small integer problem over ``S`` is solved by an exact, vectorised sphere-decoding
   enumeration (Schnorr-Euchner style, breadth first): with ``H = diag(u_S) Q_SS diag(u_S)``
   factored as ``R'R`` the change of ``f`` is ``0.5 ||R (x - x*)||^2 - const``; partial sums
   over fixed levels are lower bounds, so a branch is cut as soon as it cannot beat the
   incumbent, or cannot reach the rows, turnover or cardinality limits with its remaining
   variables. If the tree grows beyond a cap the best partial nodes are kept (the solve is then
   heuristic). The neighbourhood size adapts to how hard the last solves were.

Everything is deterministic for a given ``seed`` and time-independent except for when the
time limit stops the LNS.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.enumeration import Searcher
from hedgeopt.solvers.wholeshare.lns import _LNS
from hedgeopt.solvers.wholeshare.rounding import (
    _degenerate,
    _fine_lots,
    dive,
    relaxation,
    round_feasible,
)
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec

__all__ = ["solve_heuristic"]


def solve_heuristic(spec: WholeShareSpec, *, time_limit: float = 10.0, seed: int = 0,
                    start: np.ndarray | None = None, verbose: bool = False,
                    max_iter: int | None = None, feasibility_only: bool = False
                    ) -> WholeShareOutcome:
    """Whole-share search: rounding, local search, then LNS until ``time_limit``.

    Every phase (rounding and repair, its enumeration fallback, the dive, local search, the
    LNS and its enumerations and lattice reductions) checks one deadline, ``time_limit``
    seconds after the call, so the search returns within a few milliseconds of it (one
    uninterruptible step: a bounded QP of the dive or of an enumeration's centre).

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    time_limit : float
        Seconds (wall clock) for the whole search.
    seed : int
        Seed of the random choices (neighbourhoods); the result is deterministic for a seed
        as long as the time limit is not what stops it (see ``max_iter``).
    start : numpy.ndarray, optional
        Lot counts to start from (used when feasible, else ignored).
    verbose : bool
        Print progress.
    max_iter : int, optional
        Cap on LNS iterations: with it (and a time limit that is not reached) the result does
        not depend on the machine's speed.
    feasibility_only : bool
        Return the first point that meets every constraint (after rounding and repair),
        without improving it: a quick test of whether the restrictions can be met at all.

    Returns
    -------
    WholeShareOutcome
        ``z`` (int64 lots) satisfying every constraint, its value, a lower bound (the
        relaxation, or the value itself when an exhaustive enumeration of the whole problem
        proved optimality), the status and the method that found the incumbent.
    """
    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)
    log = (lambda msg: print(f"[heuristic {time.perf_counter() - t0:7.3f}s] {msg}")) if verbose \
        else None
    rng = np.random.default_rng(seed)
    srch = Searcher(spec, seed)
    info: dict[str, Any] = {}
    if np.any(srch.zl > srch.zu):
        return WholeShareOutcome(None, None, None, "infeasible", "bounds",
                                 time.perf_counter() - t0,
                                 {"reason": "no whole lot fits a name's bounds and rows"})
    xr, rv = relaxation(spec)
    bound = rv
    method = "rounding"
    ok = False
    f_round: float | None = None  # the current point's value from the spec, once computed
    if start is not None:
        zs = np.asarray(start, dtype=np.int64)
        if zs.shape == (spec.n,) and not violations(spec, zs, 1e-10):
            srch.set(zs)
            ok, method = True, "start"
            if feasibility_only:
                return _found(spec, srch.z.copy(), bound, t0)
    if not ok:
        # round the relaxation, and the current holdings when given; keep the best
        starts = [xr] + srch.starts()
        best_z = None
        for x0 in starts:
            for nearest in (True, False):
                if time.perf_counter() >= deadline:
                    break
                if round_feasible(srch, x0, deadline, nearest):
                    if feasibility_only:
                        return _found(spec, srch.z.copy(), bound, t0)
                    srch.descend_singles(1e-12 * abs(srch.f), deadline=deadline)
                    if best_z is None or srch.f < spec.value(best_z):
                        best_z = srch.z.copy()
        ok = best_z is not None
        if best_z is not None:
            srch.set(best_z)
        if (xr is not None and not srch.trackers and not srch.holes
                and not feasibility_only and time.perf_counter() < deadline
                and _fine_lots(srch, xr) and _degenerate(srch)):
            # degenerate continuous problem: a continuous-then-fix dive rounds far better
            t_dive = time.perf_counter() + 0.25 * max(deadline - time.perf_counter(), 0.0)
            zd = dive(srch, xr, t_dive, 0.05)
            if zd is not None and round_feasible(srch, srch.u * zd, deadline, True):
                srch.local_search(1e-12 * abs(srch.f), deadline)
                zd = srch.z.copy()
                # both starts are compared, and reported, by the value recomputed from the
                # spec: the search's running ``f`` drifts by rounding (1e-9 relative here)
                f_dive = spec.value(zd)
                if best_z is not None:
                    srch.set(best_z)
                    srch.local_search(1e-12 * abs(srch.f), deadline)
                f_round = spec.value(srch.z)
                if not ok or f_dive < f_round:
                    srch.set(zd)
                    best_z = zd
                    method = "rounding"
                    info["start"] = "dive"
                    ok = True
                    f_round = f_dive
                info["dive_value"] = f_dive
            elif best_z is not None:
                srch.set(best_z)
    if not ok:
        late = time.perf_counter() >= deadline
        why = ("the time limit stopped rounding and repair before they found a feasible point"
               if late else "rounding and repair found no feasible point")
        return WholeShareOutcome(None, None, bound, "failed", "rounding", time.perf_counter() - t0,
                                 {"reason": why})
    if feasibility_only:
        return _found(spec, srch.z.copy(), bound, t0)
    thr_rel = 1e-12
    if f_round is None:
        f_round = spec.value(srch.z)
    srch.local_search(thr_rel * abs(srch.f), deadline)
    info["rounding_value"] = f_round
    f_ls = spec.value(srch.z)
    if f_ls < f_round - 1e-15 * abs(f_round):
        method = "local search"
    info["local_search_value"] = f_ls
    if log:
        log(f"rounding f={f_round:.10g}; local search f={f_ls:.10g}")
    f_now = f_ls  # the current point's value, recomputed from the spec
    proven = False
    # tiny problems: one exhaustive enumeration proves optimality
    if srch.n <= 12 and time.perf_counter() < deadline and not srch.priced:
        # (the enumeration minimises the quadratic part: with linear costs the LNS takes its
        # answers as proposals instead, and nothing is proven)
        x, exact, _ = srch.solve_subset(np.arange(srch.n), cap=20000, thr=0.0,
                                        deadline=deadline)
        if x is not None:
            srch.set(x)
            f_now = spec.value(srch.z)
            method = "enumeration"
        proven = exact and not srch.last_ridge
    lns_ran = not proven
    if lns_ran:
        lns = _LNS(srch, rng)
        info["lns"] = lns.run(deadline, thr_rel, log, max_iter)
        proven = lns.proven
    srch.set(srch.z)  # fresh accumulators
    z = srch.z.copy()
    value = spec.value(z)
    if lns_ran and value < f_now - 1e-15 * abs(f_now):
        method = "LNS"
    if proven:
        bound = value if bound is None else max(bound, value)
    info["proven"] = proven
    status = _status(value, bound, 1e-4)
    return WholeShareOutcome(z, value, bound, status, method, time.perf_counter() - t0, info)


def _found(spec: WholeShareSpec, z: np.ndarray, bound: float | None, t0: float
           ) -> WholeShareOutcome:
    """The outcome of a feasibility-only run that found ``z``."""
    value = spec.value(z)
    return WholeShareOutcome(z, value, bound, _status(value, bound, 1e-4), "rounding",
                             time.perf_counter() - t0, {"feasibility_only": True})


def _status(value: float, bound: float | None, gap: float) -> str:
    if bound is None:
        return "feasible"
    return "optimal" if value - bound <= gap * max(abs(value), 1e-12) else "feasible"
