"""MinPositionRule against brute force over lot counts: the least lots held, the holes, the
nearest allowed count in each direction."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare.restrictions import MinPositionRule
from tests.solvers.wholeshare.specs import assert_holes_match

RANGE = np.arange(-30, 31)


def _rule(seed: int, n: int = 8) -> MinPositionRule:
    rng = np.random.default_rng(seed)
    weight = np.where(rng.random(n) < 0.8, rng.uniform(0.01, 0.3, n), 0.0)
    return MinPositionRule(weight).bind(rng.uniform(0.02, 0.1, n))


def _ok(rule: MinPositionRule, i: int, v: float) -> bool:
    """The definition, in weights: not held, or held for at least the minimum."""
    return v == 0 or abs(rule.u[i] * v) >= rule.weight[i] - 1e-12


@pytest.mark.parametrize("seed", range(5))
def test_least_lots_and_holes(seed: int) -> None:
    rule = _rule(seed)
    n = len(rule.u)
    for i in range(n):
        held = [v for v in range(1, 100) if _ok(rule, i, v)]
        assert rule.lots[i] == (held[0] if rule.weight[i] > 0 else 0)
        assert_holes_match(rule, i, RANGE, lambda v, i=i: _ok(rule, i, v))
    assert rule.held_lots() is rule.lots


@pytest.mark.parametrize("seed", range(3))
def test_violations_and_alone_values(seed: int) -> None:
    rule = _rule(seed)
    n = len(rule.u)
    z = np.random.default_rng(seed).integers(-6, 7, n)
    w = rule.u * z
    bad = [i for i in range(n) if not _ok(rule, i, z[i])]
    msgs = rule.violations(z, w, 1e-12)
    assert [int(m.split(":")[0].split()[1]) for m in msgs] == bad
    for i in range(n):
        m = max(rule.lots[i], 1)
        assert rule.alone_values(i, 0.0) == {m, -m}


def test_bind_recomputes_for_new_lots() -> None:
    rule = MinPositionRule(np.array([0.1, 0.1]))
    assert list(rule.bind(np.array([0.05, 0.03])).lots) == [2, 4]
    assert list(rule.bind(np.array([0.1, 0.2])).lots) == [1, 1]
