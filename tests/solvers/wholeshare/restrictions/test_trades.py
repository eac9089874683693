"""MinTradeRule against brute force over lot counts: the holes around the holdings, the
nearest allowed count in each direction, the least trade in lots."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare.restrictions import MinTradeRule
from tests.solvers.wholeshare.specs import assert_holes_match

RANGE = np.arange(-30, 31)


def _rule(seed: int, n: int = 8) -> MinTradeRule:
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.02, 0.1, n)
    h = u * rng.integers(-5, 6, n)  # whole lots
    mt = np.where(rng.random(n) < 0.8, rng.uniform(0.01, 0.3, n), 0.0)
    return MinTradeRule(h, mt).bind(u)


def _ok(rule: MinTradeRule, i: int, v: float) -> bool:
    """The definition, in weights: not traded, or traded for at least the minimum."""
    t = abs(rule.u[i] * v - rule.h[i])
    return t <= 1e-12 or t >= rule.mt[i] - 1e-12


@pytest.mark.parametrize("seed", range(5))
def test_holes_and_nearest_allowed(seed: int) -> None:
    rule = _rule(seed)
    for i in range(len(rule.u)):
        # away from the ends of the range (the nearest allowed count may lie beyond them)
        assert_holes_match(rule, i, RANGE, lambda v, i=i: _ok(rule, i, v), margin=5)


@pytest.mark.parametrize("seed", range(3))
def test_trade_lots_violations_and_start(seed: int) -> None:
    rule = _rule(seed)
    n = len(rule.u)
    for i in range(n):
        least = next(m for m in range(1, 100) if rule.u[i] * m >= rule.mt[i] - 1e-12)
        assert max(rule.trade_lots()[i], 1) == least
        hz = round(rule.h[i] / rule.u[i])
        vals = rule.alone_values(i, 0.0)  # the edges of the hole around the holdings
        assert vals == ({hz, hz + least, hz - least} if rule.mt[i] > 0 else {hz})
    z = np.round(rule.h / rule.u).astype(int) + np.random.default_rng(seed).integers(-4, 5, n)
    bad = [i for i in range(n) if not _ok(rule, i, z[i])]
    msgs = rule.violations(z, rule.u * z, 1e-12)
    assert [int(m.split(":")[0].split()[1]) for m in msgs] == bad
    np.testing.assert_array_equal(rule.start(), rule.h)
