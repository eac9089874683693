"""MaxNamesRule and its tracker against a recount of the names held, move by move."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule
from hedgeopt.solvers.wholeshare.state import SearchState
from tests.solvers.wholeshare.specs import assert_subset_sound, make_spec


def _state(seed: int, k: int = 3, n: int = 7) -> SearchState:
    rng = np.random.default_rng(seed)
    spec = make_spec(n, seed, lots_per_name=2.0, long_only=False, ub=1.0,
                     rules=(MaxNamesRule(k),))
    st = SearchState(spec)
    z = np.where(rng.random(n) < 0.5, rng.integers(-2, 3, n), 0)
    st.set(np.clip(z, st.zl_f, st.zu_f).astype(np.int64))
    return st


def test_name_limit_and_violations() -> None:
    rule = MaxNamesRule(2)
    assert rule.name_limit() == 2
    assert rule.violations(np.array([1, 0, -1]), np.zeros(3), 1e-9) == []
    assert rule.violations(np.array([1, 2, -1]), np.zeros(3), 1e-9) == [
        "3 names held, more than max_names=2"]


@pytest.mark.parametrize("seed", range(5))
def test_tracker_moves_against_a_recount(seed: int) -> None:
    st = _state(seed)
    (tr,) = st.trackers
    z, k = st.z.copy(), 3
    assert tr.violation() == max(np.count_nonzero(z) - k, 0)
    rng = np.random.default_rng(seed + 1)
    vals = np.where(rng.random(st.n) < 0.5, 0, rng.integers(-2, 3, st.n))
    ok = rng.random(st.n) < 0.8
    single, single_v = tr.single_ok(vals, ok), tr.single_violation(vals, ok)
    for i in range(st.n):
        zi = z.copy()
        zi[i] = vals[i] if ok[i] else 0
        assert single[i] == (np.count_nonzero(zi) <= k)
        assert single_v[i] == max(np.count_nonzero(zi) - k, 0)
    idx = np.arange(st.n)
    va = np.where(rng.random(st.n) < 0.5, 0, 1)
    vb = np.where(rng.random(st.n) < 0.5, 0, -1)
    pair = tr.pair_ok(idx, va, vb)
    pair_v = tr.pair_violation(va, np.ones(st.n, bool), vb, np.ones(st.n, bool))
    for a, b in itertools.permutations(range(st.n), 2):
        zab = z.copy()
        zab[a], zab[b] = va[a], vb[b]
        assert pair[a, b] == (np.count_nonzero(zab) <= k)
        assert pair_v[a, b] == max(np.count_nonzero(zab) - k, 0)
    S = np.array([1, 3, 5])
    X = np.array(list(itertools.product([-1, 0, 1], repeat=3)))
    keep = tr.points_ok(S, X, st.u[S] * X, z[S])
    for x, kept in zip(X, keep, strict=True):
        zx = z.copy()
        zx[S] = x
        assert kept == (np.count_nonzero(zx) <= k)
    st.move(0, 0 if z[0] else 1)
    assert tr.nz == np.count_nonzero(st.z)


def test_trim_keeps_the_largest_positions() -> None:
    st = _state(0, k=2)
    (tr,) = st.trackers
    x = np.array([0.05, -0.3, 0.2, 0.0, 0.25, -0.01, 0.1])
    z = np.sign(x) * 1.0
    tr.trim(z, x)
    can0 = (st.zl <= 0) & (st.zu >= 0)
    assert np.count_nonzero(z[can0]) <= 2
    # the held names that may be 0 are the two largest |x| among them
    order = [i for i in np.argsort(-np.abs(x)) if can0[i] and x[i] != 0][:2]
    assert set(np.flatnonzero((z != 0) & can0)) == set(order)


def test_subset_account_never_cuts_a_feasible_point() -> None:
    st = _state(3, k=3)
    (tr,) = st.trackers
    S = np.array([0, 2, 4, 6])
    x0 = st.z[S].copy()
    zl, zu = np.maximum(st.zl_f[S], -1), np.minimum(st.zu_f[S], 1)
    ranges = [range(int(a), int(b) + 1) for a, b in zip(zl, zu, strict=True)]
    X = np.array(list(itertools.product(*ranges)))
    keep = tr.points_ok(S, X, st.u[S] * X, x0)
    assert_subset_sound(tr, S, X, keep, x0, zl, zu)
