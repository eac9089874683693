"""Constraint-respecting rounding of a continuous point, and the continuous-then-fix dive."""

from __future__ import annotations

import math
import time

import numpy as np

from hedgeopt.solvers.wholeshare.enumeration import Searcher
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["relaxation", "round_feasible", "dive"]


def relaxation(spec: WholeShareSpec) -> tuple[np.ndarray | None, float | None]:
    """The continuous optimum under the linear form (weights, f), computed when not given."""
    if spec.relaxed is not None:
        return np.asarray(spec.relaxed, dtype=float), spec.relaxed_value
    from hedgeopt.solvers.activeset import solve_qp

    f = spec.form
    try:
        sol = solve_qp(spec.Q, spec.q, f.lb, f.ub, f.A, f.lo, f.hi)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):  # only a starting point
        return None, None
    if sol.x is None or sol.status != "optimal":
        return (sol.x if sol.x is not None else None), None
    x = sol.x
    # a valid bound: it only dropped restrictions (integrality, turnover, thresholds)
    return x, float(0.5 * x @ (spec.Q @ x) - spec.q @ x + spec.c)


def round_feasible(srch: Searcher, x: np.ndarray | None, deadline: float,
                   nearest: bool = True) -> bool:
    """Constraint-respecting rounding of weights ``x`` into ``srch`` (True when feasible).

    ``nearest``: start from the nearest lot counts (else truncate toward zero); keep the
    ``max_names`` largest positions; move every count to its nearest allowed value; then
    repair (cheapest moves that reduce the violation), falling back on the enumeration.
    """
    n, u = srch.n, srch.u
    if x is None:
        starts = srch.starts()
        x = starts[0] if starts else np.zeros(n)
    r = x / u
    z = np.round(r) if nearest else np.trunc(r)
    z = np.clip(z, srch.zl_f, srch.zu_f)
    for t in srch.trackers:
        t.trim(z, x)
    if srch.holes:
        idx = np.arange(n)
        bad = ~srch.allowed(idx, z)
        if np.any(bad):
            upv = srch._fix(idx, z, True)
            dnv = srch._fix(idx, z, False)
            oku = srch.allowed(idx, upv)
            okd = srch.allowed(idx, dnv)
            pick = np.where(oku & (~okd | (np.abs(upv - r) <= np.abs(dnv - r))), upv, dnv)
            z = np.where(bad, pick, z)
    srch.set(np.round(z).astype(np.int64))
    ok = srch.repair_min_cost(deadline)
    if not ok:
        # fall back on the enumeration: any feasible point near the continuous centre
        order = np.argsort(-(np.abs(x) + (srch.z != 0)))
        S = np.sort(order[: min(n, 60)])
        xs, _, _ = srch.solve_subset(S, cap=20000, any_feasible=True, deadline=deadline)
        if xs is not None:
            for i, v in zip(S, xs, strict=True):
                srch.move(int(i), int(v))
            srch.set(srch.z)
            ok = srch.violation() <= 0
    return ok


def _degenerate(srch: Searcher) -> bool:
    """Whether ``Q`` has (many) more names than rank: many exact continuous fits exist."""
    n = srch.n
    if n < 150:
        return False
    try:
        ev = np.linalg.eigvalsh(srch.Q)
    except np.linalg.LinAlgError:
        return False
    rank = int(np.count_nonzero(ev > 1e-10 * max(float(ev[-1]), 1e-300)))
    return rank < 0.8 * n


def _fine_lots(srch: Searcher, x: np.ndarray) -> bool:
    """Whether the continuous optimum ``x`` holds a lot or more in its typical held name.

    Then rounding is a small perturbation the free names of a dive can absorb; with coarse
    lots (most held names below one lot) the dive's start is a poorer seed for the LNS.
    """
    held = np.abs(x) > 1e-12
    if not np.any(held):
        return False
    return float(np.median(np.abs(x[held]) / srch.u[held])) >= 1.0


def dive(srch: Searcher, x: np.ndarray, deadline: float, frac: float = 0.05,
         rng: np.random.Generator | None = None) -> np.ndarray | None:
    """Continuous-then-fix dive: round a batch of held names, re-solve the rest, repeat.

    While more names are free than ``Q`` has rank, the free names absorb the rounding error
    of the fixed ones (the continuous problem is degenerate), so the error only builds up in
    the last few rounds. Each round fixes ``frac`` of the free held names (those nearest a
    whole lot first, or at random when ``rng`` is given) at their nearest lot count and
    re-solves the bounded, row-constrained QP over the free names (warm started). Returns
    lot counts (not yet repaired) or None. Only for specs without turnover, cardinality or
    threshold restrictions (the QP ignores those).
    """
    from hedgeopt.solvers.activeset import solve_qp

    spec, u, n = srch.spec, srch.u, srch.n
    f = spec.form
    lb = np.asarray(f.lb, dtype=float).copy()
    ub = np.asarray(f.ub, dtype=float).copy()
    A = srch.A if srch.m else None
    lo = srch.lo if srch.m else None
    hi = srch.hi if srch.m else None
    fixed = np.zeros(n, dtype=bool)
    z = np.zeros(n)
    sol = None
    x = np.asarray(x, dtype=float)
    while time.perf_counter() < deadline:
        P = np.flatnonzero(~fixed & (np.abs(x) > 1e-12))
        if P.size == 0:
            break
        k = min(P.size, max(3, int(math.ceil(frac * P.size))))
        r = x[P] / u[P]
        if rng is None:
            B = P[np.argsort(np.abs(r - np.round(r)), kind="stable")[:k]]
        else:
            B = rng.choice(P, k, replace=False)
        z[B] = np.clip(np.round(x[B] / u[B]), srch.zl_f[B], srch.zu_f[B])
        fixed[B] = True
        lb[B] = ub[B] = u[B] * z[B]
        try:
            sol = solve_qp(srch.Q, srch.q, lb, ub, A, lo, hi, warm=sol)
        except Exception:  # noqa: BLE001 - stop diving, round what is left
            break
        if sol.x is None:
            break
        x = sol.x
    rest = ~fixed
    z[rest] = np.clip(np.round(x[rest] / u[rest]), srch.zl_f[rest], srch.zu_f[rest])
    return np.round(z)
