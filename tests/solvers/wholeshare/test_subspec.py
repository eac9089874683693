"""The problem on a subset: values, rules and the checker agree with the full problem."""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare import violations
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule, TurnoverRule
from hedgeopt.solvers.wholeshare.subspec import lift, restrict_spec


def test_restricted_problem_agrees_with_the_full_one(make_tiny) -> None:
    n = 8
    h = np.linspace(0.0, 0.2, n)
    rules = (TurnoverRule(h, 1.4), MaxNamesRule(3), MinPositionRule(np.full(n, 0.1)))
    spec = make_tiny(n, seed=0, rules=rules, unit_scale=0.01, sector=True)
    S = np.array([1, 4, 6])
    sub = restrict_spec(spec, S)
    assert sub.n == 3 and sub.relaxed_value is None
    rng = np.random.default_rng(0)
    for _ in range(50):
        zs = rng.integers(0, 60, 3)
        z = lift(zs, S, n)
        assert np.count_nonzero(z[np.setdiff1d(np.arange(n), S)]) == 0
        np.testing.assert_allclose(sub.value(zs), spec.value(z), rtol=1e-12)
        # the same verdict (the turnover of the names left out is charged to the subset)
        assert bool(violations(sub, zs)) == bool(violations(spec, z))
    (turn, _, _) = sub.rules
    np.testing.assert_allclose(turn.tau, 1.4 - np.abs(h[[0, 2, 3, 5, 7]]).sum())
    # the factor form still gives the objective up to its constant
    F = sub.factor
    zs = np.array([10, 20, 30])
    r = F[:, :3] @ (sub.unit * zs) + F[:, 3]
    r0 = F[:, 3]
    np.testing.assert_allclose(r @ r - r0 @ r0, sub.value(zs) - sub.value(np.zeros(3)),
                               rtol=1e-8, atol=1e-12)
