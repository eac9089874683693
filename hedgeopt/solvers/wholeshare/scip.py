"""PySCIPOpt on the factor form of the objective (see :mod:`.model` for the formulation)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hedgeopt.solvers.registry import get_backend
from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.model import _factor_constant, mip_bounds
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec

__all__ = ["solve_scip"]


def solve_scip(spec: WholeShareSpec, *, time_limit: float = 10.0, gap: float = 1e-4,
               threads: int = 1, verbose: bool = False, seed: int = 0,
               start: np.ndarray | None = None, options: dict[str, Any] | None = None,
               feasibility_only: bool = False) -> WholeShareOutcome:
    """Solve with PySCIPOpt on the factor form (see the module docstring).

    ``start`` (lots, feasible) is given to SCIP as a solution; the outcome's bound is SCIP's
    dual bound mapped back to ``f``. ``time_limit`` covers the model build too (it is checked
    between the constraint blocks; SCIP gets what is left). With ``feasibility_only`` the
    model has no objective and SCIP stops at its first solution: a quick search for any
    point, or a proof that there is none (``status == "infeasible"``). ``info`` records
    SCIP's own dual bound (``scip_dual_bound``, in the units of ``f``; the outcome's
    ``bound`` is the same number) and whether SCIP took the warm start
    (``scip_start_accepted``; None without one).

    The held binaries of the name count and the minimum positions are big-M rows on the
    propagated lot bounds. Indicator constraints, SOS1 on ``(z_i, 1 - p_i)`` and big-M
    constants from one LP per name were measured against them (issue 15,
    ``benchmarks/cardinality.py --scip``): none gave a better answer or bound on indtrack5 or
    synthetic800 (the root relaxation is ~0 in every formulation, since an unrestricted
    combination of the names tracks the basket), SOS1 overran the time limit and the LPs
    cost 3-4 s without tightening a single constant, so big-M stays.
    """
    get_backend("SCIP")
    import pyscipopt as scip

    t0 = time.perf_counter()
    deadline = t0 + max(float(time_limit), 0.0)

    def late() -> bool:
        return time.perf_counter() >= deadline

    srch = mip_bounds(spec)
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
        except Exception:  # noqa: BLE001 - PySCIPOpt raises bare Exception; optional parameter
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
        priced = _cost_terms(m, scip, spec, w, u, zs, sol_vals, sigma)
        m.setObjective(t + priced if priced is not None else t, "minimize")
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
    # turnover, name count, minimum positions and trades: each rule adds its rows
    build = _ScipBuild(m, scip, z, w, u, srch.zl, srch.zu, zs, sol_vals, late, srch.mw)
    try:
        for rule in srch.rules:
            rule.scip_rows(build)
    except _Late as exc:
        return _build_timeout(spec, start, t0, str(exc))
    accepted = None
    if zs is not None:
        sol = m.createSol()
        for var, val in sol_vals.items:
            m.setSolVal(sol, var, float(val))
        try:
            accepted = bool(m.addSol(sol, free=True))
        except Exception:  # noqa: BLE001 - PySCIPOpt raises bare Exception; a rejected start
            accepted = False
    if late():
        return _build_timeout(spec, start, t0, "the warm start")
    m.setParam("limits/time", max(deadline - time.perf_counter(), 0.01))
    m.optimize()
    status = m.getStatus()
    info: dict[str, Any] = {"scip_status": status, "scip_nodes": m.getNNodes(),
                            "scip_start_accepted": accepted}
    bound = None
    try:
        db = m.getDualbound()
        if np.isfinite(db) and abs(db) < m.infinity() and not feasibility_only:
            bound = db / sigma**2 + const
            info["scip_dual_bound"] = bound
    except Exception:  # noqa: BLE001 - PySCIPOpt raises bare Exception: no bound then
        pass
    if status == "infeasible":
        info["reason"] = ("SCIP's complete branch-and-bound search proved that no whole-share "
                          "point meets every constraint")
        return WholeShareOutcome(None, None, None, "infeasible", "SCIP", time.perf_counter() - t0,
                                 info)
    zbest, method = None, "SCIP"
    if m.getNSols() > 0:
        best = m.getBestSol()
        zc = np.array([round(m.getSolVal(best, v)) for v in z], dtype=np.int64)
        if not violations(spec, zc):
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


def _cost_terms(m: Any, scip: Any, spec: WholeShareSpec, w: list[Any], u: np.ndarray,
                zs: np.ndarray | None, sol_vals: _SolVals, sigma: float) -> Any:
    """The spec's linear costs as objective terms (scaled by ``sigma^2`` like the quadratic):
    ``p_i - m_i = w_i - h_i`` (``p, m >= 0``) priced ``trade_rate_i (p_i + m_i)``, and
    ``s_i >= -w_i`` (``s >= 0``) priced ``short_rate_i s_i``; None without costs."""
    if not spec.has_costs:
        return None
    terms = []
    wz = None if zs is None else u * zs
    for i in range(spec.n):
        if spec.trade_rate is not None and spec.trade_rate[i] > 0:
            assert spec.trade_ref is not None
            h = float(spec.trade_ref[i])
            p, q = m.addVar(f"tp{i}", lb=0.0), m.addVar(f"tm{i}", lb=0.0)
            m.addCons(p - q == w[i] - h)
            terms.append(float(spec.trade_rate[i]) * sigma**2 * (p + q))
            if wz is not None:
                sol_vals[p], sol_vals[q] = max(wz[i] - h, 0.0), max(h - wz[i], 0.0)
        if spec.short_rate is not None and spec.short_rate[i] > 0:
            sh = m.addVar(f"sh{i}", lb=0.0)
            m.addCons(sh >= -w[i])
            terms.append(float(spec.short_rate[i]) * sigma**2 * sh)
            if wz is not None:
                sol_vals[sh] = max(-wz[i], 0.0)
    return scip.quicksum(terms) if terms else None


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


class _Late(Exception):
    """The time limit ran out while building (the argument names the part)."""


class _ScipBuild:
    """The model being built, as the rules see it (:class:`.restrictions.base.ScipBuild`)."""

    def __init__(self, m: Any, scip: Any, z: list[Any], w: list[Any], u: np.ndarray,
                 zl: np.ndarray, zu: np.ndarray, zs: np.ndarray | None, sol_vals: _SolVals,
                 late: Callable[[], bool], mw: np.ndarray | None) -> None:
        self.m, self.scip, self.z, self.w, self.u = m, scip, z, w, u
        self.zl, self.zu, self.zs = zl, zu, zs
        self.sol_vals, self.late, self.mw = sol_vals, late, mw
        self._held: list[tuple[Any, Any]] | None = None

    def start(self, var: Any, val: float) -> None:
        """Give ``var`` the value ``val`` in the warm start."""
        self.sol_vals[var] = val

    def sign_binaries(self, i: int, c: float, mlots: float, name: str) -> tuple[Any, Any]:
        """:func:`_sign_binaries` of ``z_i - c``."""
        zs = self.zs
        return _sign_binaries(self.m, self.scip, self.z[i], c, self.zl[i], self.zu[i], mlots,
                              name, self.sol_vals, zs[i] if zs is not None else None)

    def held(self) -> list[tuple[Any, Any]]:
        """The p (long) and n (short) binaries of every name, shared by the name count and
        the minimum positions (built on first use; raises :class:`_Late` at the deadline)."""
        if self._held is None:
            held = []
            mwl = self.mw if self.mw is not None else np.zeros(len(self.z))
            for i in range(len(self.z)):
                if self.late():
                    raise _Late("the cardinality binaries")
                held.append(self.sign_binaries(i, 0.0, max(mwl[i], 1.0), f"h{i}"))
            self._held = held
        return self._held


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
