"""Local moves and repair (local.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare import Searcher
from hedgeopt.solvers.wholeshare.local import _extend
from tests.solvers.wholeshare.specs import make_spec, priced_spec


def test_repair_jumps_along_a_line() -> None:
    """From nothing held, the budget is ~1,200 fine lots away: one repair step on a name
    jumps to remove half of the violation (checked by hand); close to the band (fewer than
    256 steps away) the single step is kept."""
    spec = make_spec(n=6, seed=0, lots_per_name=200, ub=1.0)
    s = Searcher(spec)
    s.set(np.zeros(6, dtype=np.int64))
    v0, lo, u = s.violation(), spec.form.lo[0], spec.unit[2]
    assert v0 == pytest.approx(lo) and v0 > 256 * u
    z = _extend(s, 2, 1, v0)
    assert z == int(np.ceil(0.5 * v0 / u))
    s.move(2, z)
    assert 0.5 * v0 - u <= s.violation() <= 0.5 * v0
    s.set(np.round(spec.relaxed / spec.unit).astype(np.int64) - 3)  # a few lots short
    assert _extend(s, 2, int(s.z[2]) + 1, s.violation()) == int(s.z[2]) + 1


def test_descend_singles_stops_at_a_past_deadline() -> None:
    """Local moves return at once past the deadline."""
    spec = make_spec(8, 1)
    s = Searcher(spec)
    s.set(np.zeros(8, dtype=np.int64))
    past = time.perf_counter() - 1.0
    assert s.descend_singles(0.0, deadline=past) == 0


def test_moves_price_the_linear_costs_exactly() -> None:
    spec = priced_spec(seed=1)
    s = Searcher(spec)
    rng = np.random.default_rng(3)
    for _ in range(40):
        i, v = int(rng.integers(spec.n)), int(rng.integers(-3, 4))
        before = spec.value(s.z)
        z = s.z.copy()
        z[i] = v
        dc = s.cost_change(np.array([i]), np.array([float(v)]))[0]
        dq = spec.quad_value(z) - spec.quad_value(s.z)
        assert dq + dc == pytest.approx(spec.value(z) - before, abs=1e-12 * abs(before) + 1e-15)
        s.move(i, v)
        assert s.f == pytest.approx(spec.value(s.z), rel=1e-10)
    # the single-move scores are the exact changes too
    up, _ = s.step_values()
    df, _, feas = s._single_scores(up)
    for i in np.flatnonzero(~np.isnan(up)):
        z = s.z.copy()
        z[i] = int(up[i])
        assert df[i] == pytest.approx(spec.value(z) - spec.value(s.z), rel=1e-8, abs=1e-14)
