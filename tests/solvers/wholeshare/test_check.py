"""The checker (check.py): every violation, in words."""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare import violations
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule, TurnoverRule
from tests.solvers.wholeshare.specs import make_spec


def test_feasible_reports_violations() -> None:
    spec = make_spec(5, 0, rules=(TurnoverRule(np.zeros(5), 0.1), MaxNamesRule(1),
                                  MinPositionRule(np.full(5, 0.5))))
    z = np.array([1, 1, 0, 0, 0])
    msgs = violations(spec, z)
    assert any("max_names" in m for m in msgs)
    assert any("min_weight" in m for m in msgs)
    assert any("turnover" in m for m in msgs)
    assert violations(spec, np.array([0.5, 0, 0, 0, 0]))  # not integer
