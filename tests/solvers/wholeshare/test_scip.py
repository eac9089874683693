"""The SCIP backend (scip.py), against brute-force enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare import find_feasible, solve_heuristic, solve_scip, violations
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule
from tests.solvers.wholeshare.specs import (
    CASES,
    brute_force,
    make_spec,
    needs_scip,
    priced_spec,
    with_case,
)


@needs_scip
@pytest.mark.parametrize("case", list(CASES))
def test_scip_alone_matches_brute_force(case: str) -> None:
    pytest.importorskip("pyscipopt")
    spec = with_case(case, make_spec(5, 0))
    bz, best = brute_force(spec)
    out = solve_scip(spec, time_limit=20, gap=1e-9)
    assert out.z is not None and violations(spec, out.z) == []
    assert out.value == pytest.approx(best, rel=1e-7, abs=1e-12)
    assert out.bound <= out.value * (1 + 1e-6) + 1e-12


@needs_scip
def test_scip_without_bounds_uses_indicators() -> None:
    spec = make_spec(4, 2, long_only=False, ub=np.inf, rules=(MaxNamesRule(2),),
                     band=(0.9, 1.0))
    spec.form.lb = np.full(4, -np.inf)
    bz = None
    out = solve_scip(spec, time_limit=20, gap=1e-9)
    assert out.z is not None and violations(spec, out.z) == []
    assert np.count_nonzero(out.z) <= 2
    # compare with a brute force over a generous box around the answer
    s = out.z
    best = out.value
    import itertools

    for z in itertools.product(*[range(int(v) - 3, int(v) + 4) for v in s]):
        z = np.array(z)
        if not violations(spec, z):
            assert spec.value(z) >= best - 1e-9 * abs(best)
    del bz


@needs_scip
def test_scip_model_build_checks_the_deadline() -> None:
    spec = make_spec(25, 4, lots_per_name=3.0, ub=1.0, rules=(MaxNamesRule(10),))
    out = solve_scip(spec, time_limit=0.0)
    assert out.z is None and out.status == "failed"
    assert "model was being built" in out.info["reason"]
    start = find_feasible(spec, time_limit=2).z
    out = solve_scip(spec, time_limit=0.0, start=start)
    assert out.method == "warm start" and np.array_equal(out.z, start)


@needs_scip
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scip_takes_linear_costs_and_agrees_with_the_heuristic(seed: int) -> None:
    spec = priced_spec(seed=seed, n=4)
    z_bf, v_bf = brute_force(spec)
    out = solve_scip(spec, time_limit=20, gap=1e-9)
    heur = solve_heuristic(spec, time_limit=5, seed=seed, max_iter=300)
    assert out.value == pytest.approx(v_bf, rel=1e-9, abs=1e-15)
    assert heur.value == pytest.approx(out.value, rel=1e-9, abs=1e-15)
    assert out.bound <= out.value + 1e-12 * abs(out.value)
    assert violations(spec, out.z) == []


@needs_scip
@pytest.mark.parametrize("long_only", [True, False])
def test_scip_records_its_dual_bound_and_the_warm_start(long_only: bool) -> None:
    # MaxNames and MinPosition share the held binaries; signed names use both of them
    rules = (MaxNamesRule(3), MinPositionRule(np.full(4, 0.15)))
    spec = make_spec(4, 1, long_only=long_only, rules=rules, band=(0.9, 1.0))
    _, best = brute_force(spec)
    start = find_feasible(spec, time_limit=2).z
    assert start is not None
    out = solve_scip(spec, time_limit=10, gap=1e-9, start=start)
    assert out.info["scip_start_accepted"] is True
    assert out.z is not None and violations(spec, out.z) == []
    assert out.value == pytest.approx(best, rel=1e-7, abs=1e-12)
    # SCIP's own bound, mapped back to f: below the optimum, and what the outcome reports
    assert out.info["scip_dual_bound"] == out.bound
    assert out.bound <= best + 1e-6 * abs(best)
    cold = solve_scip(spec, time_limit=10, gap=1e-9)
    assert cold.info["scip_start_accepted"] is None
