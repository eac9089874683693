"""The whole-share search: brute force on tiny cases, constraints, bounds, determinism."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.context import HedgeContext
from hedgeopt.objective import TrackingObjective
from hedgeopt.solvers.activeset import solve_qp
from hedgeopt.solvers.wholeshare import (
    Searcher,
    WholeShareSpec,
    infeasibility_proof,
    single_name_point,
    solve_heuristic,
    violations,
)
from hedgeopt.solvers.wholeshare.lattice import _lll
from hedgeopt.solvers.wholeshare.local import _extend
from hedgeopt.solvers.wholeshare.restrictions import (
    MaxNamesRule,
    MinPositionRule,
    MinTradeRule,
    TurnoverRule,
)


def make_spec(n: int = 5, seed: int = 0, lots_per_name: float = 1.5, T: int = 30,
              long_only: bool = True, band: tuple[float, float] = (0.95, 1.0),
              ub: float = 0.6, **extra) -> WholeShareSpec:
    """A tiny tracking problem from random prices; one lot is ~1/(n lots_per_name) of B."""
    rng = np.random.default_rng(seed)
    rets = 0.02 * rng.standard_normal((T, n)) + 0.01 * rng.standard_normal((T, 1))
    P = 100 * np.exp(np.cumsum(rets, axis=0)) * rng.uniform(0.5, 3, n)
    w_true = rng.dirichlet(np.ones(n))
    B = (P / P[-1]) @ w_true * 1e6 + 3e3 * rng.standard_normal(T).cumsum()
    B = np.abs(B) + 1e5
    prices = pd.DataFrame(P, columns=[f"S{i}" for i in range(n)])
    ctx = HedgeContext(prices, pd.Series(B))
    obj = TrackingObjective(0.3)
    Q, q, c = obj.quadratic(ctx)
    unit = rng.uniform(0.6, 1.4, n) / (n * lots_per_name)
    lb = np.zeros(n) if long_only else np.full(n, -0.5)
    form = LinearForm(lb=lb, ub=np.full(n, ub), A=np.ones((1, n)), lo=np.array([band[0]]),
                      hi=np.array([band[1]]), labels=["budget"])
    sol = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi)
    x = sol.x
    spec = WholeShareSpec(Q=Q, q=q, c=c, factor=obj.factor(ctx), unit=unit, form=form,
                          relaxed=x, relaxed_value=float(0.5 * x @ Q @ x - q @ x + c))
    for k, v in extra.items():
        setattr(spec, k, v)
    return spec


def brute_force(spec: WholeShareSpec) -> tuple[np.ndarray | None, float]:
    """Enumerate every lot vector inside the bounds; the best feasible one."""
    s = Searcher(spec)
    ranges = [range(int(s.zl[i]), int(s.zu[i]) + 1) for i in range(spec.n)]
    best, bz = np.inf, None
    for z in itertools.product(*ranges):
        z = np.array(z)
        if violations(spec, z):
            continue
        v = spec.value(z)
        if v < best:
            best, bz = v, z
    return bz, best


CASES = {
    "budget": {},
    "max_names": {"rules": (MaxNamesRule(2),)},
    "min_weight": {"rules": (MinPositionRule(np.full(5, 0.3)),)},
    "turnover": {"rules": (TurnoverRule(np.array([0.2, 0.2, 0.2, 0.2, 0.2]), 0.5),)},
    "min_trade": {},  # the rule needs the lots: see with_case
}


def with_case(case: str, spec: WholeShareSpec) -> WholeShareSpec:
    """``spec`` with the rules of ``CASES[case]`` (min_trade: holdings in whole lots)."""
    for k, v in CASES[case].items():
        setattr(spec, k, v)
    if case == "min_trade":
        h = spec.unit * np.array([1, 0, 1, 0, 1])
        spec.rules = (MinTradeRule(h, np.full(5, 0.25)),)
    return spec


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_tiny_cases_match_brute_force(case: str, seed: int) -> None:
    spec = with_case(case, make_spec(5, seed))
    bz, best = brute_force(spec)
    out = solve_heuristic(spec, time_limit=5, seed=seed)
    if bz is None:
        assert out.z is None
        return
    assert out.z is not None and out.z.dtype == np.int64
    assert violations(spec, out.z) == []
    assert out.value == pytest.approx(spec.value(out.z), rel=1e-12)
    assert out.value == pytest.approx(best, rel=1e-9, abs=1e-14)
    assert out.value >= spec.relaxed_value - 1e-12
    assert out.bound <= out.value + 1e-12
    assert out.status == "optimal"  # the exhaustive enumeration proves it


def test_free_sign_and_wide_ranges() -> None:
    spec = make_spec(4, 3, lots_per_name=2.0, long_only=False, band=(0.9, 1.0))
    bz, best = brute_force(spec)
    out = solve_heuristic(spec, time_limit=5)
    assert violations(spec, out.z) == []
    assert out.value == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_medium_problem_constraints_and_bound(seed: int) -> None:
    rules = (MaxNamesRule(12), MinPositionRule(np.full(30, 0.02)))
    spec = make_spec(30, seed, lots_per_name=4.0, ub=1.0, rules=rules)
    out = solve_heuristic(spec, time_limit=0.5, seed=seed)
    assert violations(spec, out.z) == []
    assert np.count_nonzero(out.z) <= 12
    held = out.z != 0
    assert np.all(spec.unit[held] * out.z[held] >= 0.02 - 1e-9)
    assert out.value >= spec.relaxed_value - 1e-12
    assert out.bound >= spec.relaxed_value - 1e-15
    # the search improves on the rounding it starts from
    assert out.value <= out.info["rounding_value"] + 1e-15


def test_turnover_and_min_trade_medium() -> None:
    n = 20
    rng = np.random.default_rng(5)
    spec = make_spec(n, 5, lots_per_name=3.0)
    cur = spec.unit * np.floor(rng.uniform(0.8, 1.0) / spec.unit.sum() + rng.integers(0, 2, n))
    spec.rules = (TurnoverRule(cur, 0.4), MinTradeRule(cur, np.full(n, 0.03)))
    out = solve_heuristic(spec, time_limit=1.0)
    assert out.z is not None and violations(spec, out.z) == []
    w = spec.unit * out.z
    assert np.abs(w - cur).sum() <= 0.4 + 1e-9
    tr = np.abs(w - cur)
    assert np.all((tr <= 1e-9) | (tr >= 0.03 - 1e-9))


def test_deterministic_with_seed() -> None:
    spec = make_spec(40, 7, lots_per_name=3.0)
    a = solve_heuristic(spec, time_limit=60, seed=3, max_iter=40)
    b = solve_heuristic(spec, time_limit=60, seed=3, max_iter=40)
    assert np.array_equal(a.z, b.z)
    assert a.value == b.value


def test_fine_lots_reach_the_continuous_optimum() -> None:
    """Lots of one share with a $10M-like notional: unit ~ 1e-5, within 1e-6 of the relaxation."""
    spec = make_spec(8, 2, lots_per_name=1e4, band=(0.98, 1.0))
    out = solve_heuristic(spec, time_limit=1.0)
    assert violations(spec, out.z) == []
    rv = spec.relaxed_value
    assert rv <= out.value <= rv * (1 + 1e-6)


def test_start_is_used_and_infeasible_bounds() -> None:
    spec = make_spec(5, 0)
    bz, best = brute_force(spec)
    out = solve_heuristic(spec, time_limit=2, start=bz)
    assert out.value == pytest.approx(best, rel=1e-12)
    bad = make_spec(3, 0)
    bad.form.lb = np.array([0.1, 0.0, 0.0])
    bad.form.ub = np.array([0.1 + 0.5 * bad.unit[0], 1.0, 1.0])
    bad.form.lb[0] = 0.1 + 0.1 * bad.unit[0]
    bad.form.ub[0] = 0.1 + 0.6 * bad.unit[0]
    # no whole lot between lb and ub of name 0 unless 0.1/unit is near an integer
    k = np.floor((0.1 + 0.6 * bad.unit[0]) / bad.unit[0])
    if k * bad.unit[0] < bad.form.lb[0]:
        assert solve_heuristic(bad, time_limit=1).status == "infeasible"


def test_feasible_reports_violations() -> None:
    spec = make_spec(5, 0, rules=(TurnoverRule(np.zeros(5), 0.1), MaxNamesRule(1),
                                  MinPositionRule(np.full(5, 0.5))))
    z = np.array([1, 1, 0, 0, 0])
    msgs = violations(spec, z)
    assert any("max_names" in m for m in msgs)
    assert any("min_weight" in m for m in msgs)
    assert any("turnover" in m for m in msgs)
    assert violations(spec, np.array([0.5, 0, 0, 0, 0]))  # not integer


def test_lll_keeps_the_lattice() -> None:
    rng = np.random.default_rng(0)
    M = rng.standard_normal((12, 12))
    R = np.linalg.qr(M, mode="r")
    t = rng.standard_normal(12)
    Rr, U, tr = _lll(R, t)
    assert np.allclose(U, np.round(U))
    assert abs(round(np.linalg.det(U))) == 1
    assert np.allclose(Rr.T @ Rr, U.T @ (R.T @ R) @ U)
    y = rng.integers(-3, 4, 12)
    assert np.linalg.norm(Rr @ y - tr) == pytest.approx(np.linalg.norm(R @ (U @ y) - t))


def test_dive_on_degenerate_fine_lot_problem():
    """More names than the covariance has rank, many lots per name: the continuous-then-fix
    dive seeds the search; the result is feasible, deterministic and no worse than the dive."""
    spec = make_spec(n=160, seed=3, lots_per_name=20, T=30, ub=1.0)
    a = solve_heuristic(spec, time_limit=20, seed=0, max_iter=15)
    b = solve_heuristic(spec, time_limit=20, seed=0, max_iter=15)
    assert violations(spec, a.z) == []
    assert "dive_value" in a.info
    assert a.value <= a.info["dive_value"] * (1 + 1e-12)
    assert np.array_equal(a.z, b.z)


# ------------------------------------------------------------------------------------------
# one deadline for every phase
# ------------------------------------------------------------------------------------------

def test_phases_stop_at_a_past_deadline() -> None:
    """Local moves, enumeration and lattice reduction all return at once past the deadline;
    the cut lattice reduction is still a valid basis change."""
    spec = make_spec(8, 1)
    s = Searcher(spec)
    s.set(np.zeros(8, dtype=np.int64))
    past = time.perf_counter() - 1.0
    assert s.descend_singles(0.0, deadline=past) == 0
    assert s.solve_subset(np.arange(8), deadline=past) == (None, False, 0)
    rng = np.random.default_rng(1)
    R = np.linalg.qr(rng.standard_normal((40, 40)), mode="r")
    t = rng.standard_normal(40)
    Rr, U, tr = _lll(R, t, deadline=past)
    assert np.allclose(U, np.round(U)) and abs(round(np.linalg.det(U))) == 1
    y = rng.integers(-3, 4, 40)
    assert np.linalg.norm(Rr @ y - tr) == pytest.approx(np.linalg.norm(R @ (U @ y) - t))


def test_search_returns_within_its_time_limit() -> None:
    """A fine-lot problem with a cardinality limit (slow to round and repair one lot at a
    time) still returns a feasible point, within the limit plus a small margin."""
    spec = make_spec(n=200, seed=2, lots_per_name=300, T=30, ub=1.0,
                     rules=(MaxNamesRule(15),))
    t0 = time.perf_counter()
    out = solve_heuristic(spec, time_limit=0.5)
    assert time.perf_counter() - t0 < 0.5 + 0.5
    assert out.z is not None and violations(spec, out.z) == []


def test_repair_jumps_along_a_line() -> None:
    """From nothing held, the budget is ~1,200 fine lots away: one repair step on a name
    jumps to remove half of the violation (checked by hand); close to the band (fewer than
    256 steps away) the single step is kept."""
    spec = make_spec(n=6, seed=0, lots_per_name=200, ub=1.0)
    s = Searcher(spec)
    s.set(np.zeros(6, dtype=np.int64))
    v0, lo, u = s.violation(), spec.form.lo[0], spec.unit[2]
    assert v0 == pytest.approx(lo) and v0 > 256 * u
    z = _extend(s, 2, 1, v0)
    assert z == int(np.ceil(0.5 * v0 / u))
    s.move(2, z)
    assert 0.5 * v0 - u <= s.violation() <= 0.5 * v0
    s.set(np.round(spec.relaxed / spec.unit).astype(np.int64) - 3)  # a few lots short
    assert _extend(s, 2, int(s.z[2]) + 1, s.violation()) == int(s.z[2]) + 1


# ------------------------------------------------------------------------------------------
# cheap proofs of infeasibility
# ------------------------------------------------------------------------------------------

def _with_units(spec: WholeShareSpec, unit, band, ub: float = 1.0) -> WholeShareSpec:
    spec.unit = np.asarray(unit, dtype=float)
    spec.form.lo, spec.form.hi = np.array([band[0]]), np.array([band[1]])
    spec.form.ub = np.full(spec.n, ub)
    spec.relaxed = spec.relaxed_value = None
    return spec


def test_granularity_proof() -> None:
    """Lots of 0.30..0.33 long-only: 2 lots give at most 0.66, 3 at least 0.90; the band
    0.70..0.85 is out of reach (brute force agrees)."""
    spec = _with_units(make_spec(4, 0), [0.30, 0.31, 0.32, 0.33], (0.70, 0.85))
    why = infeasibility_proof(spec)
    assert why is not None and "2 lots in all reach at most" in why and "3 lots" in why
    assert _raw_brute_force(spec) is None


def test_cardinality_reach_proof() -> None:
    spec = make_spec(5, 0, ub=0.3, rules=(MaxNamesRule(2),))  # 2 x 0.3 < 0.95
    why = infeasibility_proof(spec)
    assert why is not None and "at most 2 names may be held" in why
    assert _raw_brute_force(spec) is None
    spec.rules = (MaxNamesRule(4),)  # 4 x 0.3 >= 0.95: not proven here
    assert infeasibility_proof(spec) is None


def test_single_name_proof_and_best_point() -> None:
    """max_names=1 is decided name by name: lots of 0.30, 0.40 and 0.45 never land in
    0.95..1.0 alone, though each can reach it (no reach or granularity proof applies)."""
    spec = _with_units(make_spec(3, 0, rules=(MaxNamesRule(1),)), [0.30, 0.40, 0.45],
                       (0.95, 1.0), ub=1.5)
    why = infeasibility_proof(spec)
    assert why is not None and "at most 1 name may be held" in why
    assert _raw_brute_force(spec) is None
    assert single_name_point(spec) is None
    # a reachable band: the best single-name point is the brute-force optimum
    spec = make_spec(3, 3, rules=(MaxNamesRule(1),), ub=1.2, band=(0.9, 1.1),
                     lots_per_name=3)
    bz, best = brute_force(spec)
    z = single_name_point(spec, best=True)
    assert bz is not None and violations(spec, z) == []
    assert spec.value(z) == pytest.approx(best, rel=1e-12)
    assert infeasibility_proof(spec) is None


def _raw_brute_force(spec: WholeShareSpec) -> np.ndarray | None:
    """A feasible lot vector by enumeration over the box of the raw bounds alone (no
    propagation: independent of the code under test), or None."""
    lo = np.ceil(spec.form.lb / spec.unit - 1e-9).astype(int)
    hi = np.floor(spec.form.ub / spec.unit + 1e-9).astype(int)
    for z in itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi, strict=True)]):
        if not violations(spec, np.array(z)):
            return np.array(z)
    return None


@pytest.mark.parametrize("seed", range(12))
def test_proofs_are_sound(seed: int) -> None:
    """On random tiny problems with coarse lots a proof is only ever given when brute force
    finds no feasible point (and a feasible point rules every proof out)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    spec = make_spec(n, seed, lots_per_name=float(rng.uniform(0.4, 2.0)),
                     long_only=bool(seed % 2), band=(float(rng.uniform(0.8, 0.97)), 1.0),
                     ub=float(rng.uniform(0.3, 1.0)),
                     rules=[(), (MaxNamesRule(1),), (MaxNamesRule(2),)][seed % 3])
    why = infeasibility_proof(spec)
    bz = _raw_brute_force(spec)
    if why is not None:
        assert bz is None, why
    if bz is not None:
        assert why is None
        if spec.name_limit() == 1:
            assert violations(spec, single_name_point(spec)) == []
