"""Cheap proofs of infeasibility and the exact one-name answer (proofs.py), against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.solvers.wholeshare import (
    WholeShareSpec,
    infeasibility_proof,
    single_name_point,
    violations,
)
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, TurnoverRule
from tests.solvers.wholeshare.specs import (
    AtMostOneName,
    brute_force,
    make_spec,
    raw_brute_force,
    with_units,
)


def test_granularity_proof() -> None:
    """Lots of 0.30..0.33 long-only: 2 lots give at most 0.66, 3 at least 0.90; the band
    0.70..0.85 is out of reach (brute force agrees)."""
    spec = with_units(make_spec(4, 0), [0.30, 0.31, 0.32, 0.33], (0.70, 0.85))
    why = infeasibility_proof(spec)
    assert why is not None and "2 lots in all reach at most" in why and "3 lots" in why
    assert raw_brute_force(spec) is None


def test_cardinality_reach_proof() -> None:
    spec = make_spec(5, 0, ub=0.3, rules=(MaxNamesRule(2),))  # 2 x 0.3 < 0.95
    why = infeasibility_proof(spec)
    assert why is not None and "at most 2 names may be held" in why
    assert raw_brute_force(spec) is None
    spec.rules = (MaxNamesRule(4),)  # 4 x 0.3 >= 0.95: not proven here
    assert infeasibility_proof(spec) is None


def test_single_name_proof_and_best_point() -> None:
    """max_names=1 is decided name by name: lots of 0.30, 0.40 and 0.45 never land in
    0.95..1.0 alone, though each can reach it (no reach or granularity proof applies)."""
    spec = with_units(make_spec(3, 0, rules=(MaxNamesRule(1),)), [0.30, 0.40, 0.45],
                       (0.95, 1.0), ub=1.5)
    why = infeasibility_proof(spec)
    assert why is not None and "at most 1 name may be held" in why
    assert raw_brute_force(spec) is None
    assert single_name_point(spec) is None
    # a reachable band: the best single-name point is the brute-force optimum
    spec = make_spec(3, 3, rules=(MaxNamesRule(1),), ub=1.2, band=(0.9, 1.1),
                     lots_per_name=3)
    bz, best = brute_force(spec)
    z = single_name_point(spec, best=True)
    assert bz is not None and violations(spec, z) == []
    assert spec.value(z) == pytest.approx(best, rel=1e-12)
    assert infeasibility_proof(spec) is None


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
    bz = raw_brute_force(spec)
    if why is not None:
        assert bz is None, why
    if bz is not None:
        assert why is None
        if spec.name_limit() == 1:
            assert violations(spec, single_name_point(spec)) == []


def test_any_rule_with_a_name_limit_gets_the_name_proofs() -> None:
    spec = make_spec(5, 0, ub=0.3, rules=(AtMostOneName(),))
    why = infeasibility_proof(spec)  # the forced names: 0.95 needs more than one name
    assert why is not None and why.endswith("but at most 1 may be held")
    assert raw_brute_force(spec) is None
    spec = make_spec(3, 3, rules=(AtMostOneName(),), ub=1.2, band=(0.9, 1.1), lots_per_name=3)
    bz, best = brute_force(spec)
    z = single_name_point(spec, best=True)
    assert bz is not None and spec.value(z) == pytest.approx(best, rel=1e-12)


def test_bounds_proof_names_the_rule_that_cuts_the_box() -> None:
    """No rows: name 0 must hold at least 0.25 in lots of 0.3, and the turnover from nothing
    allows 0.2 at most."""
    n = 2
    form = LinearForm(lb=np.array([0.25, 0.0]), ub=np.ones(n), A=np.zeros((0, n)),
                      lo=np.zeros(0), hi=np.zeros(0), labels=[])
    spec = WholeShareSpec(Q=np.eye(n), q=np.zeros(n), c=0.0, factor=np.zeros((1, n + 1)),
                          unit=np.array([0.3, 0.1]), form=form,
                          rules=(TurnoverRule(np.zeros(n), 0.2), MaxNamesRule(2)))
    why = infeasibility_proof(spec)
    assert why is not None and why.endswith("its bounds and the turnover limit leave it")
    assert raw_brute_force(spec) is None
