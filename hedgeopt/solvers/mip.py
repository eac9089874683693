"""Whole shares: one entry point over our own search and the MIP backends.

:func:`solve_whole_shares` takes a :class:`~hedgeopt.solvers.wholeshare.WholeShareSpec` and
returns a :class:`~hedgeopt.solvers.wholeshare.WholeShareOutcome` whose ``z`` satisfies every
constraint of the spec (checked with :func:`~hedgeopt.solvers.heuristics.feasible`).

Methods
-------
``"HEURISTIC"``
    Rounding, local search and large-neighbourhood search (:mod:`hedgeopt.solvers.heuristics`).
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
(:func:`~hedgeopt.solvers.heuristics.infeasibility_proof`), solves ``max_names == 1`` exactly
name by name, and keeps one deadline, ``time_limit`` seconds after the call, for every phase.
When the heuristic finds no point, ``"DEFAULT"`` gives SCIP (when installed) the rest of the
time at any N, to find one or prove that none exists. ``"infeasible"`` is only ever a proof
(cheap, or SCIP's complete search); no point and no proof is ``"failed"``.

MIP formulation
---------------
Integer lots ``z`` with bounds tightened by the rows (a long-only budget bounds every name);
``y = sigma (F[:, :N] (u * z) + F[:, N])`` with ``k = min(N+1, 2T-1)`` rows and the convex
quadratic constraint ``t >= ||y||^2``; minimise ``t``. ``sigma`` scales the objective so that the
incumbent is ``O(1)`` (the normalised objective can be 1e-7, below SCIP's tolerances).
Cardinality and minimum positions use binaries ``p_i`` (long) and ``n_i`` (short) with
``m_i p_i + l_i n_i <= z_i <= u_i p_i - m_i n_i``, whose big-M values ``l_i, u_i`` are the
propagated lot bounds (never a blind constant; names without finite bounds get SCIP indicator
constraints instead). Minimum trades use the same construction on ``z_i - h_i``; turnover
uses ``s_i >= |w_i - h_i|``, ``sum s_i <= tau``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hedgeopt.exceptions import InputError, SolverError, SolverNotAvailable
from hedgeopt.solvers.heuristics import (
    EPS,
    Searcher,
    feasible,
    infeasibility_proof,
    single_name_point,
    solve_heuristic,
)
from hedgeopt.solvers.wholeshare import WholeShareOutcome, WholeShareSpec

__all__ = ["solve_whole_shares", "find_feasible", "solve_scip", "METHODS"]

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
        (:func:`~hedgeopt.solvers.heuristics.infeasibility_proof`).
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
        _require(key)
    why = infeasibility_proof(spec, tol)
    if why is not None:
        return WholeShareOutcome(None, None, None, "infeasible", "proof",
                                 time.perf_counter() - t0, {"reason": why})
    one: WholeShareOutcome | None = None
    if spec.max_names == 1:
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
    scip_ok = _module_ok("pyscipopt")
    if key == "HEURISTIC":
        out = solve_heuristic(spec, time_limit=left(), seed=seed, verbose=verbose,
                              feasibility_only=feasibility_only)
        return _finish(spec, _unproven(out), gap, t0, tol)
    if key == "DEFAULT":
        small = spec.n <= 150 and scip_ok
        if feasibility_only:
            t_heur = 0.5 * left() if scip_ok else left()  # the rest: SCIP, to find or prove
        else:
            t_heur = 0.75 * left() if small else left()
        out = solve_heuristic(spec, time_limit=t_heur, seed=seed, verbose=verbose,
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
        warm = solve_heuristic(spec, time_limit=t_heur, seed=seed, verbose=verbose,
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

    A cheap proof first (:func:`~hedgeopt.solvers.heuristics.infeasibility_proof`), then the
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


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def _module_ok(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


_PIP = {
    "SCIP": 'pip install "hedgeopt[mip]"  (or: pip install pyscipopt)',
    "GUROBI": "pip install gurobipy  (needs a Gurobi licence)",
    "MOSEK": "pip install mosek  (needs a MOSEK licence)",
}
_MODULE = {"SCIP": "pyscipopt", "GUROBI": "gurobipy", "MOSEK": "mosek"}


def _require(key: str) -> None:
    if not _module_ok(_MODULE[key]):
        have = [m for m in ("SCIP", "GUROBI", "MOSEK") if _module_ok(_MODULE[m])]
        raise SolverNotAvailable(
            f"solver {key} is not installed: {_PIP[key]}. Installed whole-share solvers: "
            f"{', '.join(['HEURISTIC'] + have)}"
        )


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
    cands = [x for x in (a, b) if x.z is not None and not feasible(spec, x.z, max(tol, 1e-9))]
    if not cands:
        status = "infeasible" if "infeasible" in (a.status, b.status) else "failed"
        return WholeShareOutcome(None, None, bound, status, b.method, 0.0, {**a.info, **b.info})
    win = min(cands, key=lambda x: spec.value(x.z))
    info = {**a.info, **b.info}
    return WholeShareOutcome(win.z, spec.value(win.z), bound, win.status, win.method, 0.0, info)


def _factor_constant(spec: WholeShareSpec) -> tuple[np.ndarray, float] | None:
    """``(F, c_F)`` with ``f(w) = ||F [w; 1]||^2 + c_F``, or None if the factor disagrees."""
    F = np.asarray(spec.factor, dtype=float)
    n = spec.n
    if F.ndim != 2 or F.shape[1] != n + 1:
        return None
    cF = spec.value(np.zeros(n)) - float(F[:, n] @ F[:, n])
    rng = np.random.default_rng(12345)
    for _ in range(2):
        z = rng.integers(-3, 4, n)
        w = spec.unit * z
        r = F[:, :n] @ w + F[:, n]
        a, b = float(r @ r) + cF, spec.value(z)
        if abs(a - b) > 1e-8 * max(abs(a), abs(b), 1e-12):
            return None
    return F, cF


def _finish(spec: WholeShareSpec, out: WholeShareOutcome, gap: float, t0: float,
            tol: float = 1e-9) -> WholeShareOutcome:
    """Check the incumbent (within ``tol``, at least 1e-9), fill value / bound (>= the
    relaxation) / status / seconds."""
    if out.z is not None:
        z = np.asarray(np.round(out.z), dtype=np.int64)
        bad = feasible(spec, z, max(tol, 1e-9))
        if bad:
            raise SolverError(f"{out.method} returned an infeasible point: {bad[:3]}")
        out.z = z
        out.value = spec.value(z)
    bounds = [b for b in (out.bound, spec.relaxed_value) if b is not None]
    const = _factor_constant(spec)
    if const is not None:
        bounds.append(const[1])  # f is a sum of squares plus this constant
    out.bound = max(bounds) if bounds else None
    if out.z is not None:
        if out.bound is not None:
            out.bound = min(out.bound, out.value)
        closed = out.bound is not None and (out.value - out.bound) <= gap * max(
            abs(out.value), 1e-300)
        out.status = "optimal" if closed else "feasible"
    out.seconds = time.perf_counter() - t0
    return out


# ------------------------------------------------------------------------------------------
# SCIP
# ------------------------------------------------------------------------------------------

def solve_scip(spec: WholeShareSpec, *, time_limit: float = 10.0, gap: float = 1e-4,
               threads: int = 1, verbose: bool = False, seed: int = 0,
               start: np.ndarray | None = None, options: dict[str, Any] | None = None,
               feasibility_only: bool = False) -> WholeShareOutcome:
    """Solve with PySCIPOpt on the factor form (see the module docstring).

    ``start`` (lots, feasible) is given to SCIP as a solution; the outcome's bound is SCIP's
    dual bound mapped back to ``f``. ``time_limit`` covers the model build too (it is checked
    between the constraint blocks; SCIP gets what is left). With ``feasibility_only`` the
    model has no objective and SCIP stops at its first solution: a quick search for any
    point, or a proof that there is none (``status == "infeasible"``).
    """
    _require("SCIP")
    import pyscipopt as scip

    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)

    def late() -> bool:
        return time.perf_counter() >= deadline

    srch = Searcher(spec)
    n, u = spec.n, np.asarray(spec.unit, dtype=float)
    fc = _factor_constant(spec)
    ref = spec.value(start) if start is not None else max(abs(spec.value(np.zeros(n))), 1e-300)
    sigma = 1.0 / np.sqrt(max(abs(ref), 1e-300))
    m = scip.Model("hedgeopt-whole-shares")
    if not verbose:
        m.hideOutput()
    m.setParam("limits/time", max(float(time_limit), 0.01))
    if feasibility_only:
        m.setParam("limits/solutions", 1)
    m.setParam("limits/gap", float(gap))
    # SCIP asks SoPlex for 1e-3 x feastol on LPs; below 1e-10 SoPlex needs GMP and complains.
    # Lots are integral and every answer is re-verified, so 1e-7 costs no accuracy.
    m.setParam("numerics/feastol", 1e-7)
    m.setParam("randomization/randomseedshift", int(seed) % 2**31)
    if threads and threads > 1:
        try:
            m.setParam("lp/threads", int(threads))
        except Exception:  # noqa: BLE001 - optional parameter
            pass
    for k, v in (options or {}).items():
        if "/" in str(k):  # SCIP parameter names ("limits/nodes"); other options are not SCIP's
            m.setParam(k, v)

    def lim(x: float) -> float | None:
        return None if not np.isfinite(x) else float(x)

    z = [m.addVar(f"z{i}", vtype="I", lb=lim(srch.zl[i]), ub=lim(srch.zu[i])) for i in range(n)]
    w = [u[i] * z[i] for i in range(n)]
    sol_vals = _SolVals()
    zs = np.asarray(start, dtype=float) if start is not None else None
    if zs is not None:
        for i in range(n):
            sol_vals[z[i]] = zs[i]
    # objective
    t = None if feasibility_only else m.addVar("t", lb=0.0, ub=None)
    const = 0.0
    if feasibility_only:
        pass
    elif fc is not None:
        F, cF = fc
        Fw = F[:, :n] * u[None, :] * sigma
        r0 = F[:, n] * sigma
        keep = np.flatnonzero(np.abs(Fw).max(axis=1) > 0)
        ys = []
        for r in keep:
            if late():
                return _build_timeout(spec, start, t0, "the objective rows")
            y = m.addVar(f"y{r}", lb=None, ub=None)
            nzc = np.flatnonzero(Fw[r])
            m.addCons(scip.quicksum(Fw[r, i] * z[i] for i in nzc) + r0[r] == y)
            ys.append(y)
            if zs is not None:
                sol_vals[y] = float(Fw[r] @ zs + r0[r])
        m.addCons(scip.quicksum(y * y for y in ys) <= t)
        if zs is not None:
            yv = Fw[keep] @ zs + r0[keep]
            sol_vals[t] = float(yv @ yv) * (1 + 1e-12)
        const = cF
    else:
        H = np.asarray(spec.Q) * np.outer(u, u) * 0.5 * sigma**2
        lin = -np.asarray(spec.q) * u * sigma**2
        quad = scip.quicksum(H[i, j] * z[i] * z[j] for i in range(n) for j in range(n)
                             if H[i, j] != 0)
        m.addCons(quad + scip.quicksum(lin[i] * z[i] for i in range(n)) <= t)
        const = float(spec.c)
        if zs is not None:
            sol_vals[t] = float(0.5 * (u * zs) @ spec.Q @ (u * zs) - spec.q @ (u * zs)) * sigma**2
    if t is not None:
        m.setObjective(t, "minimize")
    # rows
    f = spec.form
    for j in range(f.A.shape[0]):
        if late():
            return _build_timeout(spec, start, t0, "the rows")
        nzc = np.flatnonzero(f.A[j])
        expr = scip.quicksum(f.A[j, i] * w[i] for i in nzc)
        lo, hi = f.lo[j], f.hi[j]
        if np.isfinite(lo) and np.isfinite(hi) and lo == hi:
            m.addCons(expr == lo)
        else:
            if np.isfinite(lo):
                m.addCons(expr >= lo)
            if np.isfinite(hi):
                m.addCons(expr <= hi)
    # turnover
    if spec.turnover is not None:
        h, tau = spec.turnover
        sv = []
        for i in range(n):
            s_ = m.addVar(f"s{i}", lb=0.0, ub=None)
            m.addCons(s_ >= w[i] - h[i])
            m.addCons(s_ >= h[i] - w[i])
            sv.append(s_)
            if zs is not None:
                sol_vals[s_] = abs(u[i] * zs[i] - h[i])
        m.addCons(scip.quicksum(sv) <= tau)
    # cardinality / minimum position: p (long) and n (short) binaries
    need_b = spec.max_names is not None or srch.mw is not None
    held = []
    if need_b:
        mwl = srch.mw if srch.mw is not None else np.zeros(n)
        for i in range(n):
            if late():
                return _build_timeout(spec, start, t0, "the cardinality binaries")
            p_, n_ = _sign_binaries(m, scip, z[i], 0.0, srch.zl[i], srch.zu[i], max(mwl[i], 1.0),
                                    f"h{i}", sol_vals, zs[i] if zs is not None else None)
            held.append((p_, n_))
        if spec.max_names is not None:
            m.addCons(scip.quicksum(v for pair in held for v in pair if v is not None)
                      <= int(spec.max_names))
    if srch.mt is not None:
        for i in range(n):
            if srch.mt[i] <= 0:
                continue
            hz = srch.h_trade[i] / u[i]
            tm = np.ceil((srch.mt[i] - EPS) / u[i] - 1e-9)
            _sign_binaries(m, scip, z[i], hz, srch.zl[i], srch.zu[i], max(tm, 1.0), f"t{i}",
                           sol_vals, zs[i] if zs is not None else None)
    if zs is not None:
        sol = m.createSol()
        for var, val in sol_vals.items:
            m.setSolVal(sol, var, float(val))
        try:
            m.addSol(sol, free=True)
        except Exception:  # noqa: BLE001 - a rejected start only costs time
            pass
    if late():
        return _build_timeout(spec, start, t0, "the warm start")
    m.setParam("limits/time", max(deadline - time.perf_counter(), 0.01))
    m.optimize()
    status = m.getStatus()
    info: dict[str, Any] = {"scip_status": status, "scip_nodes": m.getNNodes()}
    bound = None
    try:
        db = m.getDualbound()
        if np.isfinite(db) and not feasibility_only:
            bound = db / sigma**2 + const
    except Exception:  # noqa: BLE001
        pass
    if status == "infeasible":
        info["reason"] = ("SCIP's complete branch-and-bound search proved that no whole-share "
                          "point meets every constraint")
        return WholeShareOutcome(None, None, None, "infeasible", "SCIP", time.perf_counter() - t0,
                                 info)
    zbest, method = None, "SCIP"
    if m.getNSols() > 0:
        sol = m.getBestSol()
        zc = np.array([round(m.getSolVal(sol, v)) for v in z], dtype=np.int64)
        if not feasible(spec, zc):
            zbest = zc
    if zs is not None:
        zst = np.asarray(start, dtype=np.int64)
        if zbest is None or spec.value(zst) <= spec.value(zbest) + 1e-15 * abs(spec.value(zst)):
            zbest, method = zst, "warm start"
    if zbest is None:
        info["reason"] = (f"SCIP found no whole-share point in the time and did not prove that "
                          f"none exists (status {status})")
        return WholeShareOutcome(None, None, bound, "failed", "SCIP", time.perf_counter() - t0,
                                 info)
    value = spec.value(zbest)
    st = "optimal" if status == "optimal" and not feasibility_only else "feasible"
    return WholeShareOutcome(zbest, value, bound, st, method, time.perf_counter() - t0, info)


def _build_timeout(spec: WholeShareSpec, start: np.ndarray | None, t0: float, part: str
                   ) -> WholeShareOutcome:
    """The outcome when the time limit ran out while SCIP's model was being built."""
    info = {"scip_status": "not run",
            "reason": f"the time limit ran out while SCIP's model was being built ({part})"}
    if start is None:
        return WholeShareOutcome(None, None, None, "failed", "SCIP", time.perf_counter() - t0,
                                 info)
    z = np.asarray(start, dtype=np.int64)
    return WholeShareOutcome(z, spec.value(z), None, "feasible", "warm start",
                             time.perf_counter() - t0, info)


class _SolVals:
    """(variable, value) pairs of the warm start (SCIP variables are not hashable)."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, float]] = []

    def __setitem__(self, var: Any, val: float) -> None:
        self.items.append((var, float(val)))


def _sign_binaries(m: Any, scip: Any, z: Any, c: float, zl: float, zu: float, mlots: float,
                   name: str, sol_vals: _SolVals, zstart: float | None) -> tuple[Any, Any]:
    """``v = z - c`` is 0, or in ``[mlots, zu - c]`` (p = 1), or in ``[zl - c, -mlots]`` (n = 1).

    Big-M values are the (propagated) lot bounds; without a finite bound, indicator
    constraints are used instead (no blind constant).
    """
    up, dn = zu - c, zl - c
    p = m.addVar(f"{name}p", vtype="B") if up >= mlots else None
    q = m.addVar(f"{name}n", vtype="B") if dn <= -mlots else None
    P = p if p is not None else 0
    N = q if q is not None else 0
    if p is not None and q is not None:
        m.addCons(p + q <= 1)
    v = z - c
    if np.isfinite(up) and np.isfinite(dn):
        m.addCons(v <= max(up, 0.0) * P - mlots * N)
        m.addCons(v >= mlots * P + min(dn, 0.0) * N)
    else:
        o = m.addVar(f"{name}o", vtype="B")
        m.addCons(o + P + N == 1)
        m.addConsIndicator(v <= 0, o)
        m.addConsIndicator(-v <= 0, o)
        if p is not None:
            m.addConsIndicator(-v <= -mlots, p)
        else:
            m.addCons(v <= 0)
        if q is not None:
            m.addConsIndicator(v <= -mlots, q)
        else:
            m.addCons(v >= 0)
        if zstart is not None:
            sol_vals[o] = 1.0 if abs(zstart - c) < 0.5 else 0.0
    if zstart is not None:
        vs = zstart - c
        if p is not None:
            sol_vals[p] = 1.0 if vs > 0.5 else 0.0
        if q is not None:
            sol_vals[q] = 1.0 if vs < -0.5 else 0.0
    return p, q


# ------------------------------------------------------------------------------------------
# GUROBI / MOSEK through cvxpy
# ------------------------------------------------------------------------------------------

def solve_cvxpy_mip(spec: WholeShareSpec, solver: str, *, time_limit: float = 10.0,
                    gap: float = 1e-4, threads: int = 1, verbose: bool = False,
                    start: np.ndarray | None = None, options: dict[str, Any] | None = None
                    ) -> WholeShareOutcome:
    """The MIP through cvxpy with a commercial solver (same model as SCIP's)."""
    import cvxpy as cp

    _require(solver)
    t0 = time.perf_counter()
    srch = Searcher(spec)
    n, u = spec.n, np.asarray(spec.unit, dtype=float)
    fc = _factor_constant(spec)
    if fc is None:
        raise SolverError("the spec's factor does not reproduce its objective")
    F, cF = fc
    ref = spec.value(start) if start is not None else 1.0
    sigma = 1.0 / np.sqrt(max(abs(ref), 1e-300))
    z = cp.Variable(n, integer=True)
    w = cp.multiply(u, z)
    cons = []
    fin_l, fin_u = np.isfinite(srch.zl), np.isfinite(srch.zu)
    if fin_l.any():
        cons.append(z[fin_l] >= srch.zl[fin_l])
    if fin_u.any():
        cons.append(z[fin_u] <= srch.zu[fin_u])
    f = spec.form
    if f.A.shape[0]:
        fl, fh = np.isfinite(f.lo), np.isfinite(f.hi)
        if fl.any():
            cons.append(f.A[fl] @ w >= f.lo[fl])
        if fh.any():
            cons.append(f.A[fh] @ w <= f.hi[fh])
    if spec.turnover is not None:
        h, tau = spec.turnover
        cons.append(cp.sum(cp.abs(w - h)) <= tau)
    binaries = []
    mwl = srch.mw if srch.mw is not None else np.zeros(n)
    if spec.max_names is not None or srch.mw is not None:
        if not (np.all(np.isfinite(srch.zl)) and np.all(np.isfinite(srch.zu))):
            raise SolverError("cardinality / minimum position need finite bounds for this backend")
        p = cp.Variable(n, boolean=True)
        q = cp.Variable(n, boolean=True)
        mm = np.maximum(mwl, 1.0)
        cons += [p + q <= 1, z <= cp.multiply(np.maximum(srch.zu, 0), p) - cp.multiply(mm, q),
                 z >= cp.multiply(mm, p) + cp.multiply(np.minimum(srch.zl, 0), q)]
        if spec.max_names is not None:
            cons.append(cp.sum(p + q) <= spec.max_names)
        binaries += [p, q]
    if srch.mt is not None:
        hz = srch.h_trade / u
        tm = np.maximum(np.ceil((srch.mt - EPS) / u - 1e-9), 1.0)
        a = cp.Variable(n, boolean=True)
        b = cp.Variable(n, boolean=True)
        act = srch.mt > 0
        v = z - hz
        cons += [a + b <= 1,
                 v[act] <= cp.multiply((srch.zu - hz)[act], a[act]) - cp.multiply(tm[act], b[act]),
                 v[act] >= cp.multiply(tm[act], a[act]) + cp.multiply((srch.zl - hz)[act], b[act])]
    obj = cp.sum_squares(sigma * (F[:, :n] @ w + F[:, n]))
    prob = cp.Problem(cp.Minimize(obj), cons)
    if start is not None:
        z.value = np.asarray(start, dtype=float)
    kw: dict[str, Any] = {}
    if solver == "GUROBI":
        kw = {"TimeLimit": float(time_limit), "MIPGap": float(gap), "Threads": int(threads)}
    else:
        kw = {"mosek_params": {"MSK_DPAR_OPTIMIZER_MAX_TIME": float(time_limit),
                               "MSK_DPAR_MIO_TOL_REL_GAP": float(gap),
                               "MSK_IPAR_NUM_THREADS": int(threads)}}
    kw.update(options or {})
    try:
        prob.solve(solver=solver, warm_start=start is not None, verbose=verbose, **kw)
    except cp.error.SolverError as exc:
        raise SolverError(f"{solver} failed: {exc}") from exc
    info: dict[str, Any] = {"cvxpy_status": prob.status}
    bound = None
    stats = prob.solver_stats
    extra = getattr(stats, "extra_stats", None)
    try:
        if solver == "GUROBI" and extra is not None:
            bound = float(extra.ObjBound) / sigma**2 + cF
    except Exception:  # noqa: BLE001
        bound = None
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return WholeShareOutcome(None, None, None, "infeasible", solver, time.perf_counter() - t0,
                                 info)
    zbest, method = None, solver
    if z.value is not None:
        zc = np.round(z.value).astype(np.int64)
        if not feasible(spec, zc):
            zbest = zc
    if start is not None:
        zst = np.asarray(start, dtype=np.int64)
        if zbest is None or spec.value(zst) < spec.value(zbest):
            zbest, method = zst, "warm start"
    if zbest is None:
        return WholeShareOutcome(None, None, bound, "failed", solver, time.perf_counter() - t0,
                                 info)
    st = "optimal" if prob.status == "optimal" else "feasible"
    del binaries
    return WholeShareOutcome(zbest, spec.value(zbest), bound, st, method,
                             time.perf_counter() - t0, info)
