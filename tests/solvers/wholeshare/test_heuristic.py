"""The search pipeline (heuristic.py): brute force on tiny cases, rules, bounds, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare import solve_heuristic, violations
from hedgeopt.solvers.wholeshare.restrictions import (
    MaxNamesRule,
    MinPositionRule,
    MinTradeRule,
    TurnoverRule,
)
from tests.clock import finishes_within
from tests.solvers.wholeshare.specs import CASES, brute_force, make_spec, priced_spec, with_case


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


def test_search_returns_within_its_time_limit() -> None:
    """A fine-lot problem with a cardinality limit (slow to round and repair one lot at a
    time) still returns a feasible point, within the limit plus a small margin."""
    spec = make_spec(n=200, seed=2, lots_per_name=300, T=30, ub=1.0,
                     rules=(MaxNamesRule(15),))
    with finishes_within(0.5 + 0.5):
        out = solve_heuristic(spec, time_limit=0.5)
    assert out.z is not None and violations(spec, out.z) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_costs_match_brute_force(seed: int) -> None:
    spec = priced_spec(seed=seed, n=4)
    z_bf, v_bf = brute_force(spec)
    out = solve_heuristic(spec, time_limit=5, seed=seed, max_iter=300)
    assert out.value == pytest.approx(v_bf, rel=1e-9, abs=1e-15)
    assert out.info["proven"] is False  # the enumeration proves nothing with costs
