"""The whole-share entry point (the package's pipeline, solvers/wholeshare/__init__.py):
methods against brute force, one deadline, proofs first, feasibility-only runs."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from hedgeopt.exceptions import InputError, SolverNotAvailable
from hedgeopt.solvers.wholeshare import (
    WholeShareSpec,
    find_feasible,
    infeasibility_proof,
    solve_whole_shares,
    violations,
)
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule
from tests.clock import finishes_within
from tests.solvers.wholeshare.specs import (
    HAVE_SCIP,
    AtMostOneName,
    brute_force,
    make_spec,
    needs_scip,
    with_case,
)


@pytest.mark.parametrize("method", ["DEFAULT", "HEURISTIC", "SCIP"])
@pytest.mark.parametrize("case", ["budget", "max_names", "min_weight"])
def test_entry_point_methods(method: str, case: str) -> None:
    if method == "SCIP":
        pytest.importorskip("pyscipopt")
    spec = with_case(case, make_spec(5, 1))
    bz, best = brute_force(spec)
    out = solve_whole_shares(spec, method, time_limit=5, gap=1e-6)
    assert out.z.dtype == np.int64 and violations(spec, out.z) == []
    assert out.value == pytest.approx(best, rel=1e-9, abs=1e-14)
    assert out.value >= spec.relaxed_value - 1e-12
    assert spec.relaxed_value - 1e-15 <= out.bound <= out.value + 1e-12
    assert out.status == "optimal"
    assert out.seconds <= 5.5


def test_medium_default_respects_everything() -> None:
    n = 25
    spec = make_spec(n, 4, lots_per_name=3.0, ub=1.0,
                     rules=(MaxNamesRule(10), MinPositionRule(np.full(n, 0.03))))
    out = solve_whole_shares(spec, "DEFAULT", time_limit=1.5, seed=1)
    assert violations(spec, out.z) == []
    assert out.value >= out.bound >= spec.relaxed_value - 1e-15
    assert out.status in ("optimal", "feasible")
    assert out.method in ("rounding", "local search", "LNS", "enumeration", "SCIP", "warm start",
                          "selection")


def test_errors() -> None:
    spec = make_spec(4, 0)
    with pytest.raises(InputError):
        solve_whole_shares(spec, "NOPE")
    with pytest.raises(InputError):
        solve_whole_shares(spec, "HEURISTIC", time_limit=-1)
    for name, module in (("GUROBI", "gurobipy"), ("MOSEK", "mosek")):
        if importlib.util.find_spec(module) is None:
            with pytest.raises(SolverNotAvailable, match="pip install"):
                solve_whole_shares(spec, name, time_limit=1)


def _tenths_spec() -> WholeShareSpec:
    """Lots worth 0.3, 0.5 and 0.7 of the notional, -2..2 lots each, and a band 0.05..0.08:
    every hedge value is a whole number of tenths, so nothing is feasible, and no cheap proof
    applies (the positions may change sign)."""
    spec = make_spec(3, 0, long_only=False)
    spec.unit = np.array([0.3, 0.5, 0.7])
    spec.form.lb, spec.form.ub = -2.0 * spec.unit - 1e-6, 2.0 * spec.unit + 1e-6
    spec.form.lo, spec.form.hi = np.array([0.05]), np.array([0.08])
    spec.relaxed = spec.relaxed_value = None
    return spec


@needs_scip
def test_scip_proves_what_the_heuristic_cannot() -> None:
    spec = _tenths_spec()
    assert infeasibility_proof(spec) is None
    assert brute_force(spec)[0] is None
    out = solve_whole_shares(spec, "DEFAULT", time_limit=10)
    assert out.status == "infeasible" and out.method == "SCIP"
    assert "complete branch-and-bound search" in out.info["reason"]
    assert solve_whole_shares(spec, "SCIP", time_limit=10).status == "infeasible"
    heur = solve_whole_shares(spec, "HEURISTIC", time_limit=0.5)
    assert heur.z is None and heur.status == "failed"  # no proof: not "infeasible"
    assert find_feasible(spec, time_limit=5).status == "infeasible"


@pytest.mark.parametrize("method", ["DEFAULT", "HEURISTIC", "SCIP"])
def test_cheap_proof_first_for_every_method(method: str) -> None:
    if method == "SCIP":
        pytest.importorskip("pyscipopt")
    spec = make_spec(5, 0, ub=0.3, rules=(MaxNamesRule(2),))
    with finishes_within(1.0):
        out = solve_whole_shares(spec, method, time_limit=30)
    assert out.status == "infeasible" and out.method == "proof"
    assert "at most 2 names may be held" in out.info["reason"]


def test_find_feasible_returns_a_checked_point() -> None:
    spec = make_spec(25, 4, lots_per_name=3.0, ub=1.0, rules=(MaxNamesRule(10),))
    out = find_feasible(spec, time_limit=2)
    assert out.z is not None and violations(spec, out.z) == []
    one = make_spec(4, 3, rules=(MaxNamesRule(1),), ub=1.2, band=(0.9, 1.1), lots_per_name=3)
    out = find_feasible(one, time_limit=2)
    assert out.method == "one name" and violations(one, out.z) == []


def test_max_names_one_is_solved_exactly() -> None:
    spec = make_spec(4, 3, rules=(MaxNamesRule(1),), ub=1.2, band=(0.9, 1.1), lots_per_name=3)
    bz, best = brute_force(spec)
    for method in ["DEFAULT", "HEURISTIC"] + (["SCIP"] if HAVE_SCIP else []):
        out = solve_whole_shares(spec, method, time_limit=5)
        assert out.value == pytest.approx(best, rel=1e-12)
        assert out.status == "optimal"


@pytest.mark.parametrize("method", ["DEFAULT", "HEURISTIC", "SCIP"])
def test_time_limit_covers_the_whole_call(method: str) -> None:
    """N = 200, fine lots and a cardinality limit: every method returns within the limit
    (plus a margin), with a feasible point."""
    if method == "SCIP":
        pytest.importorskip("pyscipopt")
    spec = make_spec(n=200, seed=2, lots_per_name=300, T=30, ub=1.0,
                     rules=(MaxNamesRule(15),))
    with finishes_within(1.0 + 0.75):
        out = solve_whole_shares(spec, method, time_limit=1.0)
    assert out.z is not None and violations(spec, out.z) == []


def test_a_name_limit_of_one_from_any_rule_is_solved_name_by_name() -> None:
    """The exact one-name path is the protocol's (name_limit), not MaxNames's."""
    spec = make_spec(4, 3, rules=(AtMostOneName(),), ub=1.2, band=(0.9, 1.1), lots_per_name=3)
    bz, best = brute_force(spec)
    out = solve_whole_shares(spec, "DEFAULT", time_limit=5)
    assert out.method == "one name" and out.status == "optimal"
    assert out.value == pytest.approx(best, rel=1e-12)
