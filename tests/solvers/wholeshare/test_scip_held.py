"""The formulations of SCIP's held binaries (scip_held.py), against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare import find_feasible, lot_bounds, solve_scip, violations
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule
from hedgeopt.solvers.wholeshare.scip_held import FORMULATIONS, tightened_bounds
from tests.solvers.wholeshare.specs import brute_force, make_spec, needs_scip

RULES = {
    "max_names": (MaxNamesRule(2),),
    "max_names_min_position": (MaxNamesRule(3), MinPositionRule(np.full(5, 0.15))),
}


@needs_scip
@pytest.mark.parametrize("formulation", FORMULATIONS)
@pytest.mark.parametrize(("long_only", "rules"), [(True, "max_names"),
                                                  (False, "max_names_min_position")])
def test_each_formulation_matches_brute_force(formulation: str, long_only: bool,
                                              rules: str) -> None:
    spec = make_spec(5, 1, long_only=long_only, rules=RULES[rules], band=(0.9, 1.0))
    _, best = brute_force(spec)
    out = solve_scip(spec, time_limit=5, gap=1e-6, cardinality=formulation)
    assert out.method == "SCIP" and out.info["scip_cardinality"] == formulation
    assert out.z is not None and violations(spec, out.z) == []
    assert out.value == pytest.approx(best, rel=1e-7, abs=1e-12)
    assert out.info["scip_dual_bound"] <= best * (1 + 1e-6) + 1e-12


@needs_scip
@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_each_formulation_takes_the_warm_start(formulation: str) -> None:
    # signed names, so that both binaries and every indicator slack get start values
    spec = make_spec(5, 2, long_only=False, rules=RULES["max_names_min_position"],
                     band=(0.9, 1.0))
    start = find_feasible(spec, time_limit=2).z
    assert start is not None
    out = solve_scip(spec, time_limit=5, gap=1e-6, cardinality=formulation, start=start)
    assert out.info["scip_start_accepted"] is True
    assert out.value == pytest.approx(brute_force(spec)[1], rel=1e-7, abs=1e-12)


def test_tightened_bounds_use_the_rows_together() -> None:
    # w0 + w1 + ... <= 1 (budget) and w0 - w1 <= 0: max w0 = 1/2 over the LP, which bound
    # propagation row by row does not see (it gives the whole budget)
    spec = make_spec(5, 3, band=(0.9, 1.0), ub=1.0)
    spec.form.A = np.vstack([spec.form.A, [1.0, -1.0, 0.0, 0.0, 0.0]])
    spec.form.lo = np.append(spec.form.lo, -np.inf)
    spec.form.hi = np.append(spec.form.hi, 0.0)
    spec.form.labels = [*spec.form.labels, "pair"]
    zl, zu = lot_bounds(spec)
    tl, tu, rec = tightened_bounds(spec, zl, zu)
    u = spec.unit
    assert tu[0] == np.floor(0.5 / u[0] + 1e-6 / u[0]) < zu[0]
    assert rec["tightened"] >= 1 and np.all(tl == zl) and np.all(tu <= zu)
    # every feasible whole-lot point lies in the tightened box (enumerated independently)
    box = [range(int(a), int(b) + 1) for a, b in zip(zl, zu, strict=True)]
    feasible = [np.array(z) for z in itertools.product(*box)
                if not violations(spec, np.array(z))]
    assert feasible
    top = np.max(feasible, axis=0)
    assert np.all(top <= tu)


def test_unknown_formulation_is_an_input_error() -> None:
    spec = make_spec(3, 0)
    with pytest.raises(InputError, match="cardinality formulation"):
        solve_scip(spec, cardinality="perspective")
