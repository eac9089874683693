"""TurnoverRule and its tracker against the turnover recomputed with numpy, move by move."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.restrictions import TurnoverRule
from hedgeopt.solvers.wholeshare.state import SearchState
from tests.solvers.wholeshare.specs import assert_subset_sound, make_spec

RANGE = np.arange(-40, 41)


def _turnover(u: np.ndarray, z: np.ndarray, h: np.ndarray) -> float:
    return float(np.abs(u * z - h).sum())


def _state(seed: int, n: int = 6, tau: float = 0.45) -> tuple[SearchState, np.ndarray, float]:
    """A search state on a spec with a turnover limit, at a random point inside its bounds."""
    rng = np.random.default_rng(seed)
    spec = make_spec(n, seed, lots_per_name=2.0, long_only=False, ub=1.0)
    h = spec.unit * rng.integers(0, 3, n) + rng.uniform(-0.01, 0.01, n)  # not whole lots
    spec.rules = (TurnoverRule(h, tau),)
    st = SearchState(spec)
    st.set(np.clip(rng.integers(-2, 4, n), st.zl_f, st.zu_f).astype(np.int64))
    return st, h, tau


@pytest.mark.parametrize("seed", range(4))
def test_violations_and_propagate(seed: int) -> None:
    st, h, tau = _state(seed)
    u = st.u
    rule = st.rules[0]
    for z in np.random.default_rng(seed).integers(-3, 4, (20, st.n)):
        t = _turnover(u, z, h)
        assert bool(rule.violations(z, u * z, 1e-9)) == (t > tau + 1e-9)
    # one name's own trade is at most tau: the least and largest such lot counts
    zl, zu = rule.propagate(np.full(st.n, -np.inf), np.full(st.n, np.inf), 0.0)
    for i in range(st.n):
        ok = RANGE[np.abs(u[i] * RANGE - h[i]) <= tau + 1e-12]
        assert (zl[i], zu[i]) == (ok.min(), ok.max())


@pytest.mark.parametrize("seed", range(4))
def test_alone_is_the_one_name_interval(seed: int) -> None:
    st, h, tau = _state(seed, tau=float(np.abs(_state(seed)[1]).sum()) + 0.2)
    u = st.u
    vl, vh = st.rules[0].alone(np.full(st.n, -np.inf), np.full(st.n, np.inf), 0.0)
    for i in range(st.n):
        ok = [v for v in RANGE if _turnover(u, np.eye(st.n, dtype=int)[i] * v, h) <= tau + 1e-12]
        assert (vl[i], vh[i]) == (min(ok), max(ok))
    # a limit below the others' holdings: no name can be held alone
    st2, h2, _ = _state(seed, tau=0.0)
    vl, vh = st2.rules[0].alone(np.full(st2.n, -np.inf), np.full(st2.n, np.inf), 0.0)
    assert np.all(vl > vh) or float(np.abs(h2).sum()) == 0


@pytest.mark.parametrize("seed", range(4))
def test_tracker_moves_against_recomputation(seed: int) -> None:
    st, h, tau = _state(seed)
    (tr,) = st.trackers
    u, z = st.u, st.z.copy()
    assert tr.violation() == pytest.approx(max(_turnover(u, z, h) - tau, 0.0), abs=1e-12)
    rng = np.random.default_rng(seed + 10)
    vals = z + rng.integers(-2, 3, st.n)
    ok = rng.random(st.n) < 0.8
    single = tr.single_ok(vals, ok)
    single_v = tr.single_violation(vals, ok)
    for i in range(st.n):
        zi = z.copy()
        zi[i] = vals[i] if ok[i] else z[i]
        t = _turnover(u, zi, h)
        assert single_v[i] == pytest.approx(max(t - tau, 0.0), abs=1e-12)
        if ok[i]:
            assert single[i] == (t <= tau + EPS)
    idx = np.arange(st.n)
    va, vb = z + rng.integers(-2, 3, st.n), z + rng.integers(-2, 3, st.n)
    pair = tr.pair_ok(idx, va, vb)
    for a, b in itertools.permutations(range(st.n), 2):
        zab = z.copy()
        zab[a], zab[b] = va[a], vb[b]
        assert pair[a, b] == (_turnover(u, zab, h) <= tau + EPS)
    s = u[2] * np.arange(1.0, 6.0)
    want = [max(_turnover(u, z, h) + abs(st.w[2] + x - h[2]) - abs(st.w[2] - h[2]) - tau, 0.0)
            for x in s]
    np.testing.assert_allclose(tr.line_violation(2, s), want, atol=1e-12)
    # a move keeps the account equal to a recomputation
    st.move(1, int(z[1]) + 1)
    assert tr.tv == pytest.approx(_turnover(u, st.z, h), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_subset_account_never_cuts_a_feasible_point(seed: int) -> None:
    """Every point over three names that keeps the limit (points_ok, checked by numpy) passes
    the enumeration's level tests all the way down."""
    st, h, tau = _state(seed, tau=0.6)
    st.set(np.clip(np.round(h / st.u), st.zl_f, st.zu_f).astype(np.int64))  # near the holdings
    (tr,) = st.trackers
    S = np.array([0, 2, 4])
    x0 = st.z[S].copy()
    zl, zu = np.maximum(st.zl_f[S], x0 - 3), np.minimum(st.zu_f[S], x0 + 3)
    ranges = [range(int(a), int(b) + 1) for a, b in zip(zl, zu, strict=True)]
    X = np.array(list(itertools.product(*ranges)))
    W = st.u[S] * X
    keep = tr.points_ok(S, X, W, x0)
    for k, x in enumerate(X):
        z = st.z.copy()
        z[S] = x
        assert keep[k] == (_turnover(st.u, z, h) <= tau + EPS)
    assert_subset_sound(tr, S, X, keep, x0, zl, zu)
