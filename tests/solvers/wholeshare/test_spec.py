"""The spec's rules: bound to its lots on every call, never out of step with ``unit``."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.exceptions import InputError
from hedgeopt.solvers.wholeshare import WholeShareSpec
from hedgeopt.solvers.wholeshare.restrictions import (
    MaxNamesRule,
    MinPositionRule,
    MinTradeRule,
    TurnoverRule,
)
from tests.solvers.wholeshare.specs import make_spec, priced_spec


def _spec(unit: np.ndarray, *rules) -> WholeShareSpec:
    n = len(unit)
    form = LinearForm(lb=np.zeros(n), ub=np.ones(n), A=np.ones((1, n)), lo=np.array([0.9]),
                      hi=np.array([1.0]), labels=["budget"])
    return WholeShareSpec(Q=np.eye(n), q=np.zeros(n), c=0.0, factor=np.zeros((1, n + 1)),
                          unit=np.asarray(unit, dtype=float), form=form, rules=tuple(rules))


def test_restrictions_bind_the_current_unit() -> None:
    pos = MinPositionRule(np.array([0.25, 0.0, 0.1]))
    spec = _spec([0.1, 0.2, 0.03], pos)
    # least whole lots m with m * unit >= weight (brute force over m)
    want = [next(m for m in range(100) if m * u >= w - 1e-12) if w > 0 else 0
            for w, u in zip(pos.weight, spec.unit, strict=True)]
    (bound,) = spec.restrictions()
    np.testing.assert_array_equal(bound.lots, want)
    assert bound.held_lots() is bound.lots
    assert bound is not pos and not hasattr(pos, "lots")  # the spec's rule stays data
    spec.unit = np.array([0.05, 0.2, 0.03])  # a later change of the lots is seen
    np.testing.assert_array_equal(spec.restrictions()[0].lots, [5, 0, 4])


def test_bind_rejects_data_of_the_wrong_length() -> None:
    spec = _spec([0.1, 0.2, 0.3], TurnoverRule(np.zeros(2), 0.5))
    with pytest.raises(InputError, match=r"TurnoverRule: h has shape \(2,\)") as e:
        spec.restrictions()
    assert e.value.field == "h"
    with pytest.raises(InputError, match="MinTradeRule: mt"):
        _spec([0.1, 0.2], MinTradeRule(np.zeros(2), np.ones(3))).restrictions()


def test_name_limit_is_the_least_of_the_rules() -> None:
    assert _spec([0.1, 0.2]).name_limit() is None
    assert _spec([0.1, 0.2], TurnoverRule(np.zeros(2), 0.5)).name_limit() is None
    assert _spec([0.1, 0.2], MaxNamesRule(3), MaxNamesRule(1)).name_limit() == 1


def test_only_the_minimum_trade_offers_a_start() -> None:
    h = np.array([0.2, 0.0])
    spec = _spec([0.1, 0.2], TurnoverRule(h, 0.5), MinTradeRule(h, np.full(2, 0.1)))
    starts = [r.start() for r in spec.restrictions()]
    assert starts[0] is None
    np.testing.assert_array_equal(starts[1], h)


def test_value_adds_the_linear_costs_per_name() -> None:
    spec = priced_spec(seed=2)
    rng = np.random.default_rng(0)
    for _ in range(5):
        z = rng.integers(-3, 4, spec.n)
        w = spec.unit * z
        quad = 0.5 * w @ spec.Q @ w - spec.q @ w + spec.c
        costs = sum(spec.trade_rate[i] * abs(w[i] - spec.trade_ref[i])
                    + spec.short_rate[i] * max(-w[i], 0.0) for i in range(spec.n))
        assert spec.quad_value(z) == pytest.approx(quad, rel=1e-12)
        assert spec.value(z) == pytest.approx(quad + costs, rel=1e-12)
    assert spec.has_costs and not make_spec().has_costs
