"""Continuous-solve benchmarks: first solve against the physical floor, lam sweeps, naive cvxpy.

Run ``python -m benchmarks --suite continuous [--quick] [--repeat 3] [--out benchmarks/results]``.
It prints Markdown tables and writes ``<out>/continuous.json``.

What is measured
----------------
Data: :func:`hedgeopt.datasets.synthetic_market` (10 sectors, seed 7); constraints
``Budget(), LongOnly(), SectorCap(sectors, max_weight=0.15)``; ``lam = 0.5``.

*First solve of a fresh problem*: ``HedgeProblem(prices, basket, lam, constraints).solve()`` —
construction, validation, Gram, solve and verification, everything a user waits for — timed side
by side with two **physical floors** computed from the same data in the same run:

* floor A, the issue's floor: from the raw price matrix, scale (divide by the reference row),
  centre the T levels and the T-1 first differences of ``[R, b]``, stack them into the
  ``(2T-1) x (N+1)`` matrix ``X`` (weighted by ``lam`` and ``1 - lam``), take the Gram ``X'X``
  with numpy, and solve the unconstrained normal equations by ``scipy.linalg.cho_factor`` /
  ``cho_solve``. Scaling is **included**.
* floor B, stricter: the Gram of the ``T x N`` levels block only (already scaled and centred:
  scaling **excluded**) and the same Cholesky solve.

When ``N >= T`` the Gram has rank ``<= T`` (levels and differences of one ``T x N`` matrix), so
both floors add a ridge of ``1e-10 * mean(diag)`` before the Cholesky factorisation (the cost is
O(N)).

The sizes are N=500 T=756, N=2000 T=1260 and N=3000 T=252; the last (N >> T, a Russell 3000
universe on a year of daily data) is solved on the low-rank form ``V'V`` (the N x N Gram is never
formed) and its target is 1.0x floor A; it times the floors and the default solver only.

*Lam sweep*: ``prob.frontier(np.linspace(0, 1, 21))`` on an already-solved problem, as a ratio to
one first solve with the same backend.

*Frontier against one first solve, in one run*: at N=300 T=504, a fresh first solve and the
21-point frontier of an already-solved problem run alternately in the same rounds (at least 5),
and the ratio of their medians is reported with the per-round ratios (target 2x).

*tune on OR-Library indtrack7* (:mod:`benchmarks.tune_rows`): ``tune`` with its defaults on
N=1317, T=145 and the first solve of the same problem, interleaved (target: ``tune`` <= 1.5 s;
skipped when the OR-Library files are absent).

*Naive formulation*: the textbook share-space cvxpy model with the ``T x N`` price block in it,
``n = cp.Variable(N)``, ``d = P n - B`` and the same constraints in shares and dollars, solved by
OSQP and Clarabel at their default settings; its objective is recomputed with numpy from its
shares and compared with hedgeopt's.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg as sla

from benchmarks.common import (
    Timing,
    blas_line,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    markdown_table,
    measure,
    measure_isolated,
    measure_side_by_side,
    write_json,
)

__all__ = ["Config", "floor_levels", "floor_stacked", "main", "naive_solve", "run"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: (N, T) of the first-solve and sweep benchmarks; the last has N >> T (a Russell 3000 universe
#: on a year of daily data: the low-rank path).
SIZES: tuple[tuple[int, int], ...] = ((500, 756), (2000, 1260), (3000, 252))
#: Sizes with N >> T: floors and the default solver only (no cvxpy backends, no sweep).
WIDE_SIZES: tuple[tuple[int, int], ...] = ((3000, 252),)
#: (N, T) of the frontier timed side by side with a first solve (issue 13, item 5).
FRONTIER_SIZE: tuple[int, int] = (300, 504)
#: (N, T) of the naive-formulation comparison (``--quick``: the first only).
NAIVE_SIZES: tuple[tuple[int, int], ...] = ((50, 252), (100, 504))
#: Basket notionals of the naive-formulation comparison ($10M default, the $1M of the issue, and
#: $1B, where the share-space model's scaling starts to break a solver).
NAIVE_NOTIONALS: tuple[float, ...] = (10e6, 1e6, 1e9)
#: cvxpy backends timed next to the default (native) solver.
CVXPY_BACKENDS: tuple[str, ...] = ("OSQP", "CLARABEL", "ECOS")
#: Backends of the naive formulation (cvxpy default settings).
NAIVE_BACKENDS: tuple[str, ...] = ("OSQP", "CLARABEL")
#: cvxpy backends skipped by ``--quick`` at every size (at the larger sizes all are skipped).
QUICK_SKIP: tuple[str, ...] = ("ECOS",)
#: Sizes (N) at which the lam sweep is also timed with OSQP (not with ``--quick``).
SWEEP_OSQP_SIZES: tuple[int, ...] = (500,)
LAMS: np.ndarray = np.linspace(0.0, 1.0, 21)
N_SECTORS = 10
RIDGE = 1e-10  # floors: relative ridge of the Cholesky factorisation (rank <= T when N >= T)
BIND_TOL = 1e-7  # a sector cap binds when the sector's weight is within this of the cap

#: The issue's targets: first solve <= 1.5x floor A (<= 1.0x when N >> T); 21-point lam sweep
#: <= 3x one first solve; the frontier at FRONTIER_SIZE <= 2x one first solve, in one run.
TARGET_FIRST = 1.5
TARGET_FIRST_WIDE = 1.0
TARGET_SWEEP = 3.0
TARGET_FRONTIER = 2.0


@dataclass(frozen=True)
class Config:
    """Settings of one run (all recorded in the JSON)."""

    repeat: int = 3
    quick: bool = False
    out: Path = RESULTS_DIR
    time_limit: float = 60.0
    slow: float = 2.0
    seed: int = 7
    lam: float = 0.5
    cap: float = 0.15
    sizes: tuple[tuple[int, int], ...] = SIZES
    naive_sizes: tuple[tuple[int, int], ...] = NAIVE_SIZES
    backends: tuple[str, ...] = CVXPY_BACKENDS


# ------------------------------------------------------------------------------------------------
# data and the things timed
# ------------------------------------------------------------------------------------------------


def market(n: int, t: int, seed: int, notional: float = 10e6
           ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``synthetic_market`` with 10 sectors: (prices, basket, sectors)."""
    import hedgeopt as ho

    return ho.datasets.synthetic_market(n_assets=n, n_days=t, n_sectors=N_SECTORS, seed=seed,
                                        notional=notional)


def build_problem(prices: pd.DataFrame, basket: pd.Series, sectors: pd.Series, lam: float,
                  cap: float) -> Any:
    """A fresh ``HedgeProblem`` with budget, long-only and sector caps."""
    import hedgeopt as ho

    return ho.HedgeProblem(prices, basket, lam=lam, constraints=[
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=cap)])


def summarize(res: Any) -> dict[str, Any]:
    """The picklable facts of a ``HedgeResult`` that the tables need."""
    return {
        "solver": res.solver, "status": res.status, "objective": float(res.objective),
        "iterations": res.iterations, "solve_time": res.solve_time,
        "backend_seconds": (res.info or {}).get("solver_seconds"),
        "attempts": list(res.attempts), "violations": list(res.violations),
        "weights": res.weights.to_numpy(dtype=float),
    }


def first_solve(prices: pd.DataFrame, basket: pd.Series, sectors: pd.Series, lam: float,
                cap: float, solver: str | None = None) -> dict[str, Any]:
    """Construct a fresh problem and solve it (the user's whole wait); return its summary."""
    prob = build_problem(prices, basket, sectors, lam, cap)
    res = prob.solve() if solver is None else prob.solve(solver=solver)
    return summarize(res)


def first_solve_job(n: int, t: int, seed: int, lam: float, cap: float, solver: str | None
                    ) -> Callable[[], dict[str, Any]]:
    """Untimed setup of an isolated first solve: the backend warmed up on a tiny problem, data.

    Returns the zero-argument callable that :func:`benchmarks.common.measure_isolated` times.
    """
    tiny = market(40, 80, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first_solve(*tiny, lam, cap, solver)
    prices, basket, sectors = market(n, t, seed)
    return functools.partial(first_solve, prices, basket, sectors, lam, cap, solver)


def _cholesky_solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``(H + ridge I) x = g`` by Cholesky (``H`` is overwritten)."""
    n = H.shape[0]
    ridge = RIDGE * float(np.trace(H)) / n
    while True:
        H.flat[:: n + 1] += ridge
        try:
            factor = sla.cho_factor(H, overwrite_a=True, check_finite=False)
            break
        except np.linalg.LinAlgError:
            ridge *= 99.0  # total ridge x 100
    return sla.cho_solve(factor, g, check_finite=False)


def floor_stacked(P: np.ndarray, B: np.ndarray, lam: float) -> np.ndarray:
    """Floor A: scale, centre, stack levels and differences, Gram, Cholesky solve.

    Parameters
    ----------
    P : numpy.ndarray
        ``T x N`` raw prices (dollars); the reference row is the last.
    B : numpy.ndarray
        ``T`` basket dollar values.
    lam : float
        Weight of the levels block.

    Returns
    -------
    numpy.ndarray
        The unconstrained minimiser in dollar weights (``N``).
    """
    T, N = P.shape
    X = np.empty((T, N + 1))
    np.divide(P, P[-1], out=X[:, :N])
    X[:, N] = B / B[-1]
    S = np.empty((2 * T - 1, N + 1))
    lev, dif = S[:T], S[T:]
    np.subtract(X, X.mean(axis=0), out=lev)
    lev *= np.sqrt(lam / (T - 1))
    np.subtract(X[1:], X[:-1], out=dif)
    dif -= dif.mean(axis=0)
    dif *= np.sqrt((1.0 - lam) / (T - 2))
    G = S.T @ S
    return _cholesky_solve(np.array(G[:N, :N]), G[:N, N])


def floor_levels(L: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Floor B: Gram of the scaled, centred ``T x N`` levels block and a Cholesky solve."""
    return _cholesky_solve(L.T @ L, L.T @ y)


def levels_block(P: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scaled, centred relative prices and relative basket (floor B's input, built untimed)."""
    R = P / P[-1]
    b = B / B[-1]
    return np.ascontiguousarray(R - R.mean(axis=0)), b - b.mean()


def tracking_objective(shares: np.ndarray, P: np.ndarray, B: np.ndarray, lam: float) -> float:
    """``(1 - lam) Var[Δd] + lam Var[d]`` in dollars², plain numpy (ddof=1)."""
    d = P @ shares - B
    return float((1.0 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1))


def sweep(prob: Any, solver: str | None) -> dict[str, Any]:
    """Run the 21-point frontier on an already-solved problem; objectives and solvers used."""
    fr = prob.frontier(LAMS) if solver is None else prob.frontier(LAMS, solver=solver)
    return {"objective": fr["objective"].to_numpy(dtype=float),
            "solvers": sorted(set(map(str, fr["solver"])))}


def naive_solve(prices: pd.DataFrame, basket: pd.Series, sectors: pd.Series, lam: float,
                cap: float, solver: str) -> dict[str, Any]:
    """The naive share-space cvxpy model with the ``T x N`` data, at default solver settings.

    Returns
    -------
    dict
        ``status``, ``iterations`` and ``shares`` (``None`` when the solver returned none).
    """
    import cvxpy as cp

    P = prices.to_numpy(dtype=float)
    B = basket.to_numpy(dtype=float)
    T, N = P.shape
    p_ref, b_ref = P[-1], B[-1]
    labels = sectors.reindex(prices.columns).to_numpy()
    A_sec = np.vstack([(labels == s) * p_ref for s in pd.unique(labels)])
    n = cp.Variable(N, name="shares")
    d = P @ n - B
    dd = cp.diff(d)
    objective = ((1.0 - lam) * cp.sum_squares(dd - cp.sum(dd) / (T - 1)) / (T - 2)
                 + lam * cp.sum_squares(d - cp.sum(d) / T) / (T - 1))
    cons = [p_ref @ n == b_ref, n >= 0, A_sec @ n <= cap * b_ref]
    problem = cp.Problem(cp.Minimize(objective), cons)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            problem.solve(solver=solver)
        except cp.error.SolverError as exc:
            return {"status": f"solver error: {exc}", "iterations": None, "shares": None}
    stats = problem.solver_stats
    return {"status": str(problem.status), "iterations": getattr(stats, "num_iters", None),
            "shares": None if n.value is None else np.asarray(n.value, dtype=float)}


def naive_violation(shares: np.ndarray, prices: pd.DataFrame, basket: pd.Series,
                    sectors: pd.Series, cap: float) -> float:
    """Largest constraint violation of a share vector, in dollars / notional."""
    p_ref = prices.to_numpy(dtype=float)[-1]
    b_ref = float(basket.iloc[-1])
    dollars = shares * p_ref
    sec = pd.Series(dollars, index=prices.columns).groupby(sectors.reindex(prices.columns)).sum()
    return max(abs(dollars.sum() - b_ref), float(np.max(-dollars, initial=0.0)),
               float(np.max(sec.to_numpy() - cap * b_ref, initial=0.0))) / b_ref


# ------------------------------------------------------------------------------------------------
# the sections
# ------------------------------------------------------------------------------------------------


def _log(msg: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def warm_up(cfg: Config) -> None:
    """Import and exercise every backend, cvxpy path and BLAS routine on a tiny problem."""
    prices, basket, sectors = market(40, 80, cfg.seed)
    P, B = prices.to_numpy(), basket.to_numpy()
    floor_stacked(P, B, cfg.lam)
    floor_levels(*levels_block(P, B))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for solver in (None, *cfg.backends):
            try:
                prob = build_problem(prices, basket, sectors, cfg.lam, cfg.cap)
                prob.solve() if solver is None else prob.solve(solver=solver)
                sweep(prob, solver)
            except Exception as exc:  # noqa: BLE001 - reported again in the timed runs
                _log(f"warm-up with {solver or 'default'} failed: {type(exc).__name__}: {exc}")
        for solver in NAIVE_BACKENDS:
            naive_solve(prices, basket, sectors, cfg.lam, cfg.cap, solver)


@dataclass
class SizeResult:
    """Everything measured at one (N, T)."""

    n: int
    t: int
    timings: dict[str, Timing] = field(default_factory=dict)
    sweeps: dict[str, Timing] = field(default_factory=dict)
    binding: int | None = None
    names: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> why


def bench_size(n: int, t: int, cfg: Config) -> SizeResult:
    """First solves (floors, default, cvxpy backends) and lam sweeps at one size."""
    out = SizeResult(n, t)
    prices, basket, sectors = market(n, t, cfg.seed)
    P, B = prices.to_numpy(dtype=float), basket.to_numpy(dtype=float)
    L, y = levels_block(P, B)
    _log(f"N={n} T={t}: floors and default solver, side by side")
    out.timings.update(measure_side_by_side({
        "floor A": lambda: floor_stacked(P, B, cfg.lam),
        "floor B": lambda: floor_levels(L, y),
        "default": lambda: first_solve(prices, basket, sectors, cfg.lam, cfg.cap),
    }, cfg.repeat))
    default = out.timings["default"]
    if default.ok:
        w = pd.Series(default.value["weights"], index=prices.columns)
        by_sector = w.groupby(sectors.reindex(prices.columns)).sum()
        out.binding = int((by_sector >= cfg.cap - BIND_TOL).sum())
        out.names = int((w != 0).sum())
    skip_all = cfg.quick and n > min(s[0] for s in cfg.sizes)
    wide = (n, t) in WIDE_SIZES
    for solver in cfg.backends:
        if wide or skip_all or (cfg.quick and solver in QUICK_SKIP):
            out.skipped[solver] = "skipped (N >> T row)" if wide else "skipped (--quick)"
            continue
        _log(f"N={n} T={t}: first solve with solver={solver!r} (limit {cfg.time_limit:g} s)")
        out.timings[solver] = measure_isolated(
            first_solve_job, {"n": n, "t": t, "seed": cfg.seed, "lam": cfg.lam, "cap": cfg.cap,
                              "solver": solver},
            cfg.repeat, timeout=cfg.time_limit, slow=cfg.slow)
    sweep_solvers: list[str | None] = [] if wide else [None]
    if n in SWEEP_OSQP_SIZES and "OSQP" in cfg.backends and not cfg.quick:
        sweep_solvers.append("OSQP")
    for solver in sweep_solvers:
        name = solver or "default"
        _log(f"N={n} T={t}: 21-point lam sweep with {name}")
        try:
            prob = build_problem(prices, basket, sectors, cfg.lam, cfg.cap)
            prob.solve() if solver is None else prob.solve(solver=solver)
        except Exception as exc:  # noqa: BLE001
            out.sweeps[name] = Timing(error=f"{type(exc).__name__}: {exc}")
            continue
        out.sweeps[name] = measure(lambda p=prob, s=solver: sweep(p, s), cfg.repeat,
                                   slow=cfg.slow)
    return out


@dataclass
class NaiveCase:
    """The naive formulation against hedgeopt at one size and notional."""

    n: int
    t: int
    notional: float
    hedgeopt: dict[str, Timing] = field(default_factory=dict)
    naive: dict[str, Timing] = field(default_factory=dict)


def bench_naive(n: int, t: int, notional: float, cfg: Config) -> NaiveCase:
    """hedgeopt (default, OSQP, Clarabel) and the naive model (OSQP, Clarabel) side by side."""
    case = NaiveCase(n, t, notional)
    prices, basket, sectors = market(n, t, cfg.seed, notional)
    _log(f"naive formulation N={n} T={t} notional=${notional:,.0f}")
    fns: dict[str, Callable[[], Any]] = {
        "default": lambda: first_solve(prices, basket, sectors, cfg.lam, cfg.cap)}
    for s in NAIVE_BACKENDS:
        fns[f"hedgeopt {s}"] = lambda s=s: first_solve(prices, basket, sectors, cfg.lam,
                                                       cfg.cap, s)
        fns[f"naive {s}"] = lambda s=s: naive_solve(prices, basket, sectors, cfg.lam, cfg.cap, s)
    timed = measure_side_by_side(fns, cfg.repeat)
    for name, t_ in timed.items():
        if t_.ok and name.startswith("naive") and t_.value["shares"] is not None:
            x = t_.value["shares"]
            P, B = prices.to_numpy(dtype=float), basket.to_numpy(dtype=float)
            t_.value = {**t_.value, "objective": tracking_objective(x, P, B, cfg.lam),
                        "violation": naive_violation(x, prices, basket, sectors, cfg.cap)}
        (case.naive if name.startswith("naive") else case.hedgeopt)[name] = t_
    return case


# ------------------------------------------------------------------------------------------------
# reporting
# ------------------------------------------------------------------------------------------------


def _rel(a: float | None, b: float | None) -> float:
    if a is None or b is None or not np.isfinite(a) or not np.isfinite(b) or b == 0:
        return float("nan")
    return (a - b) / abs(b)


def _fmt_rel(x: float) -> str:
    return "-" if not np.isfinite(x) else f"{x:+.1e}"


def _ratio_cell(t: Timing, ref: Timing) -> str:
    """``t / ref`` for a table; a lower bound ``> limit / ref`` after a timeout."""
    if t.timed_out and t.limit is not None and ref.ok:
        return f"> {fmt_ratio(t.limit / ref.median)}"
    return fmt_ratio(t.ratio(ref))


def _runs(t: Timing) -> str:
    return "-" if not t.seconds else str(len(t.seconds))


def first_solve_table(r: SizeResult, cfg: Config) -> tuple[str, list[dict[str, Any]]]:
    """Markdown table and JSON rows of the first-solve section at one size."""
    fa, fb = r.timings["floor A"], r.timings["floor B"]
    default = r.timings["default"]
    j_def = default.value["objective"] if default.ok else None
    labels = {
        "floor A": "floor A: scale+centre, Gram of stacked (2T-1)x(N+1), Cholesky (incl. scaling)",
        "floor B": "floor B: Gram of TxN levels block, Cholesky (excl. scaling; stricter)",
        "default": "hedgeopt first solve, default solver",
    }
    rows, js = [], []
    for name, t in r.timings.items():
        v = t.value if t.ok and isinstance(t.value, dict) else {}
        label = labels.get(name, f'hedgeopt first solve, solver="{name}"')
        used = v.get("solver", "numpy" if name.startswith("floor") else "-")
        rel = _rel(v.get("objective"), j_def) if name != "default" else 0.0
        if name.startswith("floor"):
            rel = float("nan")
        note = ""
        if t.timed_out:
            note = f"time limit {cfg.time_limit:g} s"
        elif t.error:
            note = t.error[:90]
        elif v.get("attempts"):
            note = "fell back: " + "; ".join(v["attempts"])[:90]
        elif v.get("backend_seconds") is not None:
            note = (f"in backend {fmt_seconds(v['backend_seconds'])} of "
                    f"{fmt_seconds(v['solve_time'])} s (last run), {v.get('iterations')} it")
        rows.append([label, used, _runs(t), t.fmt(), _ratio_cell(t, fa), _ratio_cell(t, fb),
                     _fmt_rel(rel), note])
        js.append({"row": name, "label": label, "solver_used": used, **t.to_dict(),
                   "ratio_floor_A": t.ratio(fa), "ratio_floor_B": t.ratio(fb),
                   "lower_bound_ratio_floor_A": (cfg.time_limit / fa.median) if t.timed_out
                   else None,
                   "objective": v.get("objective"), "rel_objective_vs_default": rel,
                   "status": v.get("status"), "iterations": v.get("iterations"),
                   "solve_time_reported": v.get("solve_time"),
                   "backend_seconds": v.get("backend_seconds"), "attempts": v.get("attempts"),
                   "violations": v.get("violations")})
    for s, why in r.skipped.items():
        rows.append([f'hedgeopt first solve, solver="{s}"', "-", "-", why, "-", "-", "-", ""])
        js.append({"row": s, "skipped": why})
    head = ["", "solver used", "runs", "median s", "x floor A", "x floor B",
            "objective vs default", "notes"]
    table = markdown_table(head, rows, "lllrrrrl")
    return table, js


def sweep_table(results: list[SizeResult]) -> tuple[str, list[dict[str, Any]]]:
    """Markdown table and JSON rows of the lam sweeps."""
    rows, js = [], []
    for r in results:
        ref_obj = r.sweeps.get("default")
        for name, t in r.sweeps.items():
            first = r.timings.get(name)
            ratio = t.ratio(first) if first is not None else float("nan")
            v = t.value if t.ok else {}
            agree = float("nan")
            if name != "default" and ref_obj is not None and ref_obj.ok and v:
                a, b = np.asarray(v["objective"]), np.asarray(ref_obj.value["objective"])
                agree = float(np.max(np.abs(a - b) / np.abs(b)))
            met = "yes" if np.isfinite(ratio) and ratio <= TARGET_SWEEP else "no"
            rows.append([f"N={r.n} T={r.t}", name, _runs(t), t.fmt(),
                         fmt_seconds(t.median / len(LAMS)),
                         first.fmt() if first else "-", fmt_ratio(ratio),
                         met if name == "default" else f"({met})",
                         ",".join(v.get("solvers", [])) or (t.error or "")[:60],
                         _fmt_rel(agree) if name != "default" else ""])
            js.append({"n": r.n, "t": r.t, "backend": name, **t.to_dict(),
                       "first_solve_median_s": first.median if first else None,
                       "ratio_to_first_solve": ratio, "points": len(LAMS),
                       "solvers_used": v.get("solvers"),
                       "max_rel_objective_diff_vs_default_sweep": agree,
                       "objectives": v.get("objective")})
    head = ["size", "backend", "runs", "sweep s", "per point s", "first solve s",
            "sweep / first solve", f"<= {TARGET_SWEEP:g}x", "solvers used",
            "max rel. obj. diff vs default"]
    return markdown_table(head, rows, "llrrrrrlll"), js


def naive_table(cases: list[NaiveCase]) -> tuple[str, list[dict[str, Any]]]:
    """Markdown table and JSON rows of the naive-formulation comparison (one row per backend)."""
    rows, js = [], []

    def status(t: Timing) -> str:
        if t.timed_out:
            return f"time limit {t.limit:g} s"
        if t.error:
            return t.error[:50]
        v = t.value
        if "solver" in v and v["solver"] not in (None, v.get("requested")):
            return f"{v['status']} (via {v['solver']})"
        return str(v["status"])

    for c in cases:
        base = c.hedgeopt["default"]
        j_star = base.value["objective"] if base.ok else None
        for backend in NAIVE_BACKENDS:
            ours, naive = c.hedgeopt[f"hedgeopt {backend}"], c.naive[f"naive {backend}"]
            if ours.ok:
                ours.value["requested"] = backend
            v = naive.value if naive.ok else {}
            excess = _rel(v.get("objective"), j_star)
            viol = v.get("violation")
            rows.append([
                f"N={c.n} T={c.t}", f"${c.notional / 1e6:g}M", backend, base.fmt(),
                status(ours), ours.fmt(), status(naive),
                "-" if v.get("iterations") is None else str(v["iterations"]), naive.fmt(),
                _ratio_cell(naive, base), _ratio_cell(naive, ours), _fmt_rel(excess),
                "-" if viol is None else f"{viol:.1e}",
            ])
            js.append({
                "n": c.n, "t": c.t, "notional": c.notional, "backend": backend,
                "hedgeopt_default": {**base.to_dict(), "objective": j_star,
                                     "solver_used": base.value["solver"] if base.ok else None},
                "hedgeopt_same_backend": {
                    **ours.to_dict(), "status": ours.value["status"] if ours.ok else None,
                    "solver_used": ours.value["solver"] if ours.ok else None,
                    "rel_objective_vs_default": _rel(ours.value["objective"], j_star)
                    if ours.ok else None},
                "naive": {**naive.to_dict(), "status": v.get("status"),
                          "iterations": v.get("iterations"), "objective": v.get("objective"),
                          "rel_objective_excess": excess, "max_violation_over_notional": viol},
                "ratio_naive_to_hedgeopt_default": naive.ratio(base),
                "ratio_naive_to_hedgeopt_same_backend": naive.ratio(ours),
            })
    head = ["size", "notional", "backend", "hedgeopt default s", "hedgeopt status", "hedgeopt s",
            "naive status", "naive iters", "naive s", "naive / hedgeopt default",
            "naive / hedgeopt same backend", "naive objective / optimum - 1",
            "naive max violation / notional"]
    return markdown_table(head, rows, "lllrlrlrrrrrr"), js


def bench_frontier(cfg: Config) -> dict[str, Timing]:
    """A fresh first solve and a 21-point frontier of an already-solved problem at
    :data:`FRONTIER_SIZE`, interleaved in the same rounds (the ratio of one run)."""
    n, t = FRONTIER_SIZE
    prices, basket, sectors = market(n, t, cfg.seed)
    solved = build_problem(prices, basket, sectors, cfg.lam, cfg.cap)
    solved.solve()
    _log(f"N={n} T={t}: frontier and first solve, interleaved")
    return measure_side_by_side({
        "first solve": lambda: first_solve(prices, basket, sectors, cfg.lam, cfg.cap),
        "frontier": lambda: sweep(solved, None),
    }, max(cfg.repeat, 5))


def frontier_table(timed: dict[str, Timing]) -> tuple[str, dict[str, Any]]:
    """Markdown table and JSON of :func:`bench_frontier`."""
    first, front = timed["first solve"], timed["frontier"]
    ratio = front.ratio(first)
    per_round = [f / s for f, s in zip(front.seconds, first.seconds, strict=False) if s]
    n, t = FRONTIER_SIZE
    rows = [[f"N={n} T={t}", _runs(first), first.fmt(), front.fmt(),
             fmt_seconds(front.median / len(LAMS)), fmt_ratio(ratio),
             ", ".join(fmt_ratio(x) for x in per_round),
             "yes" if np.isfinite(ratio) and ratio <= TARGET_FRONTIER else "no"]]
    head = ["size", "rounds", "first solve s", "frontier s", "per point s",
            "frontier / first solve (medians)", "per round", f"<= {TARGET_FRONTIER:g}x"]
    js = {"n": n, "t": t, "first_solve": first.to_dict(), "frontier": front.to_dict(),
          "ratio": ratio, "ratio_per_round": per_round, "points": len(LAMS)}
    return markdown_table(head, rows, "lrrrrrll"), js


def targets(results: list[SizeResult], frontier: dict[str, Any] | None = None,
            tuned: dict[str, Any] | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The issue's targets, measured."""
    rows, js = [], []
    for r in results:
        limit = TARGET_FIRST_WIDE if (r.n, r.t) in WIDE_SIZES else TARGET_FIRST
        ratio = r.timings["default"].ratio(r.timings["floor A"])
        met = bool(np.isfinite(ratio) and ratio <= limit)
        rows.append([f"first solve <= {limit:g}x floor A, N={r.n} T={r.t}",
                     fmt_ratio(ratio), "yes" if met else "no"])
        js.append({"target": "first_solve", "n": r.n, "t": r.t, "limit": limit,
                   "measured": ratio, "met": met})
    for r in results:
        t = r.sweeps.get("default")
        if t is None:
            continue
        ratio = t.ratio(r.timings["default"])
        met = bool(np.isfinite(ratio) and ratio <= TARGET_SWEEP)
        rows.append([f"21-point lam sweep <= {TARGET_SWEEP:g}x one solve, N={r.n} T={r.t}",
                     fmt_ratio(ratio), "yes" if met else "no"])
        js.append({"target": "lam_sweep", "n": r.n, "t": r.t, "limit": TARGET_SWEEP,
                   "measured": ratio, "met": met})
    if frontier is not None:
        ratio = frontier["ratio"]
        met = bool(np.isfinite(ratio) and ratio <= TARGET_FRONTIER)
        rows.append([f"21-point frontier <= {TARGET_FRONTIER:g}x one first solve (one run), "
                     f"N={frontier['n']} T={frontier['t']}", fmt_ratio(ratio),
                     "yes" if met else "no"])
        js.append({"target": "frontier", "n": frontier["n"], "t": frontier["t"],
                   "limit": TARGET_FRONTIER, "measured": ratio, "met": met})
    if tuned is not None:
        sec = tuned["tune"]["median_s"]
        rows.append([f"tune on indtrack{tuned['set']} <= {tuned['target_s']:g} s "
                     f"(N={tuned['n']} T={tuned['t']})", fmt_seconds(sec),
                     "yes" if tuned["met"] else "no"])
        js.append({"target": "tune_indtrack7", "limit_s": tuned["target_s"], "measured_s": sec,
                   "met": tuned["met"]})
    return markdown_table(["target (default solver)", "measured", "met"], rows, "lrl"), js


# ------------------------------------------------------------------------------------------------
# entry points
# ------------------------------------------------------------------------------------------------


def run(cfg: Config) -> dict[str, Any]:
    """Run the suite, print the tables as they complete, write the JSON; return the payload."""
    import hedgeopt as ho

    t0 = time.perf_counter()
    info = machine_info()
    info["versions"]["hedgeopt"] = getattr(ho, "__version__", None)
    print("# hedgeopt continuous-solve benchmarks\n")
    print(blas_line(info))
    load, cpus = info["load_average_1_5_15min"], info["cpus_usable"] or 1
    single = info["thread_env"].get("OPENBLAS_NUM_THREADS") == "1"
    if load and load[0] > 0.75 * cpus:
        print(f"\n**Warning**: 1-minute load average {load[0]:.1f} on {cpus} CPUs: other processes "
              "compete for the cores" + ("" if single else
                                        ", and multi-threaded BLAS calls then slow down "
                                        "erratically (rerun with --blas-threads 1)")
              + "; ratios measured side by side stay comparable, absolute seconds do not.")
    print(f"\nrepeat={cfg.repeat} (median), lam={cfg.lam:g}, seed={cfg.seed}, Budget + LongOnly "
          f"+ SectorCap(10 sectors, max_weight={cfg.cap:g}), time limit {cfg.time_limit:g} s per "
          f"slow run{', QUICK' if cfg.quick else ''}; installed: "
          f"{', '.join(ho.available_solvers())}\n")
    sys.stdout.flush()
    warm_up(cfg)
    payload: dict[str, Any] = {
        "suite": "continuous",
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()},
        "machine": info,
        "definitions": {
            "first_solve": "HedgeProblem(prices, basket, lam, constraints).solve(): construction,"
                           " validation, Gram, solve, verification",
            "floor_A": "from raw numpy prices: divide by the reference row, centre levels and "
                       "first differences of [R, b], stack (2T-1)x(N+1) weighted by lam, numpy "
                       "Gram X'X, scipy cho_factor/cho_solve of the N x N normal equations "
                       "(scaling included; ridge 1e-10*mean(diag))",
            "floor_B": "numpy Gram of the already scaled and centred T x N levels block, X'y, "
                       "scipy cho_factor/cho_solve (scaling excluded; ridge 1e-10*mean(diag))",
            "frontier": "at N=300 T=504: a fresh first solve and prob.frontier(np.linspace(0, "
                        "1, 21)) of an already-solved problem, interleaved in the same rounds; "
                        "ratio of the medians",
            "tune": "OR-Library indtrack7 weeks 0-144 (N=1317), Budget + LongOnly, $10M: "
                    "tune(prices, basket, constraints) with its defaults and the first solve of "
                    "HedgeProblem(prices, basket, constraints), interleaved; target 1.5 s",
            "lam_sweep": "prob.frontier(np.linspace(0, 1, 21)) on an already-solved problem, "
                         "ratio to the median first solve with the same backend",
            "naive": "share-space cvxpy: n = Variable(N), d = P n - B, objective "
                     "(1-lam)*sum_squares(centred diff(d))/(T-2) + lam*sum_squares(centred d)/"
                     "(T-1), budget/long-only/sector caps in shares and dollars, default solver "
                     "settings; objective recomputed with numpy from its shares",
            "slow_rule": f"runs whose first execution exceeds {cfg.slow:g} s are timed once",
        },
    }
    results: list[SizeResult] = []
    fs_json = []
    for n, t in cfg.sizes:
        r = bench_size(n, t, cfg)
        results.append(r)
        table, js = first_solve_table(r, cfg)
        print(f"## First solve of a fresh problem, N={n}, T={t}\n")
        print(table)
        print(f"\nSector caps binding at the default solution: {r.binding} of {N_SECTORS} "
              f"(max_weight={cfg.cap:g}); names held: {r.names} of {n}."
              + (" **No cap binds: the sector constraint is not exercised.**" if r.binding == 0
                 else "") + "\n")
        sys.stdout.flush()
        fs_json.append({"n": n, "t": t, "binding_sector_caps": r.binding, "names_held": r.names,
                        "rows": js})
    payload["first_solve"] = fs_json
    from benchmarks.desk_rows import desk_rows
    table, payload["desk"] = desk_rows(cfg.sizes, market, floor_stacked, cfg.lam, cfg.seed,
                                       cfg.repeat, () if cfg.quick else (500,))
    print("## Desk constraints: factor + beta + participation + leverage (first solve)\n")
    print(table + "\n")
    sys.stdout.flush()
    table, payload["lam_sweep"] = sweep_table(results)
    print("## 21-point lam sweep on an already-solved problem\n")
    print(table + "\n")
    table, payload["frontier"] = frontier_table(bench_frontier(cfg))
    print("## 21-point frontier and one first solve, interleaved in the same rounds\n")
    print(table + "\n")
    sys.stdout.flush()
    from benchmarks.tune_rows import tune_rows
    _log("indtrack7: tune and first solve, interleaved")
    table, payload["tune"] = tune_rows(cfg.repeat)
    print("## tune on OR-Library indtrack7 and one first solve, interleaved in the same rounds\n")
    print(table + "\n")
    sys.stdout.flush()
    cases = [bench_naive(n, t, notional, cfg)
             for n, t in cfg.naive_sizes for notional in NAIVE_NOTIONALS]
    table, payload["naive"] = naive_table(cases)
    print("## Naive share-space cvxpy formulation (T x N data in the model) vs hedgeopt\n")
    print(table)
    print("\n`naive objective / optimum - 1`: the objective recomputed with numpy from the naive "
          "model's shares, relative to hedgeopt's default (certified) solution with the same "
          "constraints; `hedgeopt <backend>` is hedgeopt's scaled Gram-factor model solved by "
          "the same backend.\n")
    table, payload["targets"] = targets(results, payload["frontier"], payload["tune"])
    print("## Targets\n")
    print(table + "\n")
    payload["elapsed_s"] = time.perf_counter() - t0
    try:
        load_end = list(os.getloadavg())
    except OSError:  # pragma: no cover
        load_end = None
    payload["machine"]["load_average_at_end"] = load_end
    if load_end and load_end[1] > 0.75 * cpus and not single:
        print(f"**Warning**: 5-minute load average {load_end[1]:.1f} at the end of the run on "
              f"{info['cpus_usable']} CPUs; with multi-threaded BLAS on a shared machine the "
              "floors themselves slow down erratically. For stable ratios rerun with "
              "`python -m benchmarks --blas-threads 1`.\n")
    path = write_json(Path(cfg.out) / "continuous.json", payload)
    print(f"Total {payload['elapsed_s']:.0f} s; results written to {path}")
    return payload


def parse_args(argv: Sequence[str] | None) -> Config:
    """Command-line options of the suite."""
    p = argparse.ArgumentParser(prog="python -m benchmarks --suite continuous",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="skip the cvxpy backends at N=2000, ECOS, the OSQP sweep and the "
                        "larger naive size (< 1 minute)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median)")
    p.add_argument("--out", type=Path, default=RESULTS_DIR,
                   help="directory of continuous.json (default: benchmarks/results)")
    p.add_argument("--backend-limit", type=float, default=60.0, metavar="SECONDS",
                   help="wall-clock limit of one first solve by a cvxpy backend (default 60)")
    args, unknown = p.parse_known_args(argv)
    if unknown:
        print(f"continuous: ignoring unknown options {unknown}", file=sys.stderr)
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    return Config(repeat=args.repeat, quick=args.quick, out=args.out, time_limit=args.backend_limit,
                  naive_sizes=NAIVE_SIZES[:1] if args.quick else NAIVE_SIZES)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the continuous suite; returns the exit status."""
    run(parse_args(argv))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
