"""The held binaries of the SCIP model in other formulations than big-M (issue 15).

A name is held (``z_i != 0``) when its binary is 1: ``p_i`` long, ``n_i`` short. The name
count (``sum p + n <= K``) and the minimum positions (``|z_i| >= m_i`` when held) read these
binaries. :mod:`.scip` builds them with big-M rows on the propagated lot bounds
(``"bigm"``); this module holds the alternatives measured against it:

``"indicator"``
    SCIP indicator constraints ``p_i = 0 => z_i <= 0`` and ``n_i = 0 => z_i >= 0``, with the
    minimum position as indicators ``p_i = 1 => z_i >= m_i`` and ``n_i = 1 => z_i <= -m_i``:
    no constant in the rows at all (SCIP derives its own relaxation from the bounds).
``"sos1"``
    For names that cannot go short: ``o_i = 1 - p_i`` and an SOS1 constraint on
    ``(z_i, o_i)`` (at most one of them nonzero), with ``z_i >= m_i p_i``; names that can
    go short keep big-M.
``"tight"``
    big-M rows whose constants are the smallest valid ones from the linear part of the
    problem: per name, ``max z_i`` (and ``min z_i``) over the continuous box and rows (an LP
    with HiGHS, :func:`tightened_bounds`), floored to whole lots and intersected with the
    propagated lot bounds.

All are exact formulations of the same set, so SCIP's answer is the same problem's; which
one SCIP can use is a matter of measurement (``benchmarks/cardinality.py``, the SCIP rows).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["FORMULATIONS", "held_indicator", "held_sos1", "tightened_bounds"]

#: slack (in weights) added to an LP optimum before it is floored to whole lots
LP_SLACK = 1e-6

#: the formulations of the held binaries :func:`~.scip.solve_scip` knows
FORMULATIONS = ("bigm", "indicator", "sos1", "tight")


def _start_signs(zstart: float | None) -> tuple[float, float] | None:
    """``(p, n)`` of the warm start's value (None without a start)."""
    if zstart is None:
        return None
    return (1.0 if zstart > 0.5 else 0.0), (1.0 if zstart < -0.5 else 0.0)


def held_indicator(m: Any, z: Any, zl: float, zu: float, mlots: float, name: str,
                   sol_vals: Any, zstart: float | None) -> tuple[Any, Any]:
    """The held binaries ``(p, n)`` of ``z`` (None for a sign ``z`` cannot take) by indicator
    constraints; warm-start values (with the indicators' slack variables) into
    ``sol_vals``."""
    p = m.addVar(f"{name}p", vtype="B") if zu >= mlots else None
    q = m.addVar(f"{name}n", vtype="B") if zl <= -mlots else None
    if p is not None and q is not None:
        m.addCons(p + q <= 1)
    sv = _start_signs(zstart)
    # (constraint, its row value minus right-hand side at the start) for the slack values
    made: list[tuple[Any, float]] = []
    zs = float(zstart) if zstart is not None else 0.0
    if p is not None:
        made.append((m.addConsIndicator(z <= 0, p, activeone=False), zs))
        made.append((m.addConsIndicator(-z <= -mlots, p), mlots - zs))
    else:
        m.addCons(z <= 0)
    if q is not None:
        made.append((m.addConsIndicator(-z <= 0, q, activeone=False), -zs))
        made.append((m.addConsIndicator(z <= -mlots, q), zs + mlots))
    else:
        m.addCons(z >= 0)
    if sv is not None:
        if p is not None:
            sol_vals[p] = sv[0]
        if q is not None:
            sol_vals[q] = sv[1]
        for cons, excess in made:
            sol_vals[m.getSlackVarIndicator(cons)] = max(excess, 0.0)
    return p, q


def held_sos1(m: Any, z: Any, zl: float, zu: float, mlots: float, name: str,
              sol_vals: Any, zstart: float | None) -> tuple[Any, Any] | None:
    """The long binary ``(p, None)`` of a name that cannot go short (``zl >= 0``) by an
    SOS1 constraint on ``(z, 1 - p)``; None for a name that can (the caller uses big-M)."""
    if zl < 0:
        return None
    if zu < mlots:
        m.addCons(z <= 0)
        return None, None
    p = m.addVar(f"{name}p", vtype="B")
    o = m.addVar(f"{name}o", vtype="B")
    m.addCons(o + p == 1)
    m.addConsSOS1([z, o])
    m.addCons(z >= mlots * p)
    sv = _start_signs(zstart)
    if sv is not None:
        sol_vals[p], sol_vals[o] = sv[0], 1.0 - sv[0]
    return p, None


def tightened_bounds(spec: WholeShareSpec, zl: np.ndarray, zu: np.ndarray,
                     deadline: float | None = None, margin: float = EPS
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The lot bounds ``zl, zu`` tightened by one LP per finite big-M side.

    ``max z_i`` (and ``min z_i`` for a name that can go short) over ``zl <= z <= zu`` and the
    spec's rows (``lo - margin <= A (u z) <= hi + margin``, the slack the search and the
    checker allow), floored (ceiled) to whole lots. Every point the checker accepts lies in
    the box of the continuous LP, so the floored values are valid big-M constants.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, dict)
        The tightened ``zl``, ``zu`` and a record: ``lps`` solved, ``tightened`` sides and
        ``seconds``. Sides left when ``deadline`` passes keep their propagated bound.
    """
    from scipy.optimize import linprog

    t0 = time.perf_counter()
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    zl, zu = np.array(zl, dtype=float), np.array(zu, dtype=float)
    form = spec.form
    A = np.asarray(form.A, dtype=float).reshape(-1, n)  # in weights w = u z: well scaled
    lo, hi = np.asarray(form.lo, dtype=float), np.asarray(form.hi, dtype=float)
    fh, fl = np.isfinite(hi), np.isfinite(lo)
    A_ub = np.vstack([A[fh], -A[fl]])
    b_ub = np.concatenate([hi[fh] + margin, -(lo[fl] - margin)])
    box = [(None if not np.isfinite(a) else float(a), None if not np.isfinite(b) else float(b))
           for a, b in zip(u * zl, u * zu, strict=True)]
    rec: dict[str, Any] = {"lps": 0, "tightened": 0}
    if A_ub.shape[0] == 0:
        rec["seconds"] = time.perf_counter() - t0
        return zl, zu, rec
    for i in range(n):
        for sign in ((-1.0, 1.0) if zl[i] < 0 else (-1.0,)):  # -1: max z_i
            if deadline is not None and time.perf_counter() >= deadline:
                rec["seconds"] = time.perf_counter() - t0
                rec["stopped"] = "deadline"
                return zl, zu, rec
            side = zu[i] if sign < 0 else zl[i]
            if not np.isfinite(side) or (sign < 0 and side <= 0) or (sign > 0 and side >= 0):
                continue
            c = np.zeros(n)
            c[i] = sign
            r = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=box, method="highs")
            rec["lps"] += 1
            if r.status != 0:
                continue  # not solved (or infeasible: the checker and the proofs say so)
            # HiGHS's tolerances are ~1e-7 in weights: widen by LP_SLACK before flooring
            if sign < 0:
                v = math.floor((float(r.x[i]) + LP_SLACK) / u[i])
                if v < zu[i]:
                    zu[i] = v
                    rec["tightened"] += 1
            else:
                v = math.ceil((float(r.x[i]) - LP_SLACK) / u[i])
                if v > zl[i]:
                    zl[i] = v
                    rec["tightened"] += 1
    rec["seconds"] = time.perf_counter() - t0
    return zl, zu, rec
