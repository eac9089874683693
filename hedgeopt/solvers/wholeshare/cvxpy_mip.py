"""The same MIP through cvxpy, for GUROBI and MOSEK (when installed and licensed)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hedgeopt.exceptions import InputError, SolverError
from hedgeopt.solvers.registry import get_backend
from hedgeopt.solvers.wholeshare.check import violations
from hedgeopt.solvers.wholeshare.model import _factor_constant, mip_bounds
from hedgeopt.solvers.wholeshare.spec import WholeShareOutcome, WholeShareSpec

__all__ = ["solve_cvxpy_mip"]


def solve_cvxpy_mip(spec: WholeShareSpec, solver: str, *, time_limit: float = 10.0,
                    gap: float = 1e-4, threads: int = 1, verbose: bool = False,
                    start: np.ndarray | None = None, options: dict[str, Any] | None = None
                    ) -> WholeShareOutcome:
    """The MIP through cvxpy with a commercial solver (same model as SCIP's)."""
    import cvxpy as cp

    if spec.has_costs:
        raise InputError(f"{solver}: the cvxpy MIP model does not take linear costs yet; use "
                         f"the HEURISTIC or SCIP whole-share backend", field="solver")
    get_backend(solver)
    t0 = time.perf_counter()
    srch = mip_bounds(spec)
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
    build = _CvxpyBuild(n, z, w, u, srch.zl, srch.zu, srch.mw)
    for rule in srch.rules:
        cons += rule.cvxpy_rows(build)
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
    except (AttributeError, TypeError, ValueError):  # no bound in the solver's stats
        bound = None
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return WholeShareOutcome(None, None, None, "infeasible", solver, time.perf_counter() - t0,
                                 info)
    zbest, method = None, solver
    if z.value is not None:
        zc = np.round(z.value).astype(np.int64)
        if not violations(spec, zc):
            zbest = zc
    if start is not None:
        zst = np.asarray(start, dtype=np.int64)
        if zbest is None or spec.value(zst) < spec.value(zbest):
            zbest, method = zst, "warm start"
    if zbest is None:
        return WholeShareOutcome(None, None, bound, "failed", solver, time.perf_counter() - t0,
                                 info)
    st = "optimal" if prob.status == "optimal" else "feasible"
    return WholeShareOutcome(zbest, spec.value(zbest), bound, st, method,
                             time.perf_counter() - t0, info)


class _CvxpyBuild:
    """The model being built, as the rules see it (:class:`.restrictions.base.CvxpyBuild`)."""

    def __init__(self, n: int, z: Any, w: Any, u: np.ndarray, zl: np.ndarray, zu: np.ndarray,
                 mw: np.ndarray | None) -> None:
        self.n, self.z, self.w, self.u, self.zl, self.zu, self.mw = n, z, w, u, zl, zu, mw
        self._held: tuple[Any, Any] | None = None

    def held(self) -> tuple[Any, Any, list[Any]]:
        """The p (long) and n (short) binary vectors shared by the name count and the
        minimum positions, and their rows (on the first call only; [] after)."""
        import cvxpy as cp

        if self._held is not None:
            return (*self._held, [])
        zl, zu, z = self.zl, self.zu, self.z
        if not (np.all(np.isfinite(zl)) and np.all(np.isfinite(zu))):
            raise SolverError("cardinality / minimum position need finite bounds for this backend")
        mwl = self.mw if self.mw is not None else np.zeros(self.n)
        p = cp.Variable(self.n, boolean=True)
        q = cp.Variable(self.n, boolean=True)
        mm = np.maximum(mwl, 1.0)
        self._held = (p, q)
        return p, q, [p + q <= 1, z <= cp.multiply(np.maximum(zu, 0), p) - cp.multiply(mm, q),
                      z >= cp.multiply(mm, p) + cp.multiply(np.minimum(zl, 0), q)]
