"""The leverage rule: whole-share gross and short limits, against brute force."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.solvers.wholeshare.restrictions import LeverageRule, LeverageTracker

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None
METHODS = [None, "HEURISTIC"] + (["SCIP"] if HAVE_SCIP else [])


def _exposures(shares: pd.Series, prices: pd.DataFrame, notional: float) -> tuple[float, float]:
    d = shares.to_numpy() * prices.iloc[-1].to_numpy()
    return float(np.abs(d).sum() / notional), float(np.maximum(-d, 0).sum() / notional)


@pytest.fixture(scope="module")
def small():
    """Four instruments, lots of about $4,000, and a basket that is long-short in them (2, -1,
    2, 1 lots plus noise): its best hedge has gross 1.5 and short 0.25, so limits bind."""
    prices, _, _ = ho.datasets.synthetic_market(n_assets=4, n_days=60, n_sectors=2, seed=5)
    lots = (4000 / prices.iloc[-1]).round().clip(lower=1)
    units = lots * np.array([2.0, -1.0, 2.0, 1.0])
    noise = np.random.default_rng(0).normal(0, 50, len(prices)).cumsum()
    basket = pd.Series(prices.to_numpy() @ units.to_numpy() + noise, index=prices.index)
    return prices, basket, lots


def _brute_force(prices, basket, lots, gross, short, band):
    """Least objective (numpy, ddof=1) over every lot vector the gross limit allows."""
    p, N = prices.iloc[-1].to_numpy(), basket.iloc[-1]
    lot = lots.to_numpy()
    k = np.floor(gross * N / (lot * p)).astype(int)
    Z = np.array(list(itertools.product(*[range(-m, m + 1) for m in k])), dtype=float)
    n = Z * lot
    d = n * p
    ok = ((d.sum(axis=1) >= band[0] * N - 1e-9) & (d.sum(axis=1) <= band[1] * N + 1e-9)
          & (np.abs(d).sum(axis=1) <= gross * N + 1e-9)
          & (np.maximum(-d, 0).sum(axis=1) <= short * N + 1e-9))
    gaps = n[ok] @ np.diff(prices.to_numpy(), axis=0).T - np.diff(basket.to_numpy())
    j = np.var(gaps, axis=1, ddof=1)
    return float(j.min()), n[ok][int(np.argmin(j))]


@pytest.mark.parametrize("method", METHODS, ids=str)
def test_whole_shares_match_brute_force(small, method) -> None:
    prices, basket, lots = small
    gross, short, band = 1.3, 0.15, (0.9, 1.0)
    best, _ = _brute_force(prices, basket, lots, gross, short, band)
    loose, _ = _brute_force(prices, basket, lots, 3.0, 3.0, band)
    assert best > 1.5 * loose  # the limits bind
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=band), ho.Leverage(gross=gross, short=short), ho.ShareLots(lots)
    ).solve(solver=method, time_limit=10)
    g, s = _exposures(res.shares, prices, basket.iloc[-1])
    assert g <= gross + 1e-9 and s <= short + 1e-9
    assert res.objective == pytest.approx(best, rel=1e-9)
    assert res.violations == []


@pytest.mark.parametrize("method", METHODS, ids=str)
def test_with_max_names_and_participation(market, method) -> None:
    prices, basket, _ = market
    adv = pd.Series(2e5, index=prices.columns)
    cons = [ho.Budget(band=(0.99, 1.0)), ho.Leverage(gross=1.05, short=0.03),
            ho.MaxParticipation(adv, 0.1)]
    cont = ho.HedgeProblem(prices, basket).add(*cons).solve()
    res = ho.HedgeProblem(prices, basket).add(*cons, ho.ShareLots(1), ho.MaxNames(20)).solve(
        solver=method, time_limit=5)
    g, s = _exposures(res.shares, prices, basket.iloc[-1])
    assert g <= 1.05 + 1e-9 and s <= 0.03 + 1e-9
    assert np.count_nonzero(res.shares) <= 20
    assert (res.shares.abs() <= 2e4 + 1e-9).all()
    assert res.objective >= cont.objective * (1 - 1e-9)
    assert res.violations == []


def test_tracker_follows_moves_and_tests_them_exactly() -> None:
    rng = np.random.default_rng(3)
    n = 7
    pos = np.array([np.ones(n), np.zeros(n)])
    neg = np.ones((2, n))
    rule = LeverageRule(pos, neg, np.array([1.4, 0.3]), ["gross", "short"]).bind(
        rng.uniform(0.01, 0.05, n))

    class St:
        pass

    st = St()
    st.u, st.z = rule.u, rng.integers(-10, 10, n).astype(float)
    st.w = st.u * st.z
    st.zl, st.zu, st.hole_rules = np.full(n, -40.0), np.full(n, 40.0), []
    tr = rule.tracker(st)
    assert isinstance(tr, LeverageTracker)
    tr.reset()
    for _ in range(30):
        i, v = int(rng.integers(n)), int(rng.integers(-30, 30))
        tr.move(i, v)
        st.z[i], st.w[i] = v, st.u[i] * v
        np.testing.assert_allclose(tr.acc, rule.values(st.w), atol=1e-12)
    vals = rng.integers(-30, 30, n).astype(float)
    ok = np.ones(n, dtype=bool)
    for i in range(n):
        w = st.w.copy()
        w[i] = st.u[i] * vals[i]
        want = np.maximum(rule.values(w) - rule.limit, 0).sum()
        assert tr.single_violation(vals, ok)[i] == pytest.approx(want, abs=1e-12)
        assert tr.single_ok(vals, ok)[i] == (want <= 1e-9)
    idx = np.arange(n)
    pair = tr.pair_ok(idx, vals, -vals)
    for a, b in [(0, 1), (2, 5), (6, 3)]:
        w = st.w.copy()
        w[a], w[b] = st.u[a] * vals[a], st.u[b] * -vals[b]
        assert pair[a, b] == bool(np.all(rule.values(w) <= rule.limit + 1e-9))
    msgs = rule.violations(st.z, st.w, 1e-9)
    assert len(msgs) == int(np.sum(rule.values(st.w) > rule.limit + 1e-9))


def test_restricted_rule_on_a_subset_is_the_full_rule_with_the_rest_at_zero() -> None:
    """The selection's restricted problem: rows on the kept names equal the full rows at a
    point that holds nothing elsewhere."""
    rng = np.random.default_rng(5)
    n = 9
    rule = LeverageRule(np.array([np.ones(n), np.zeros(n)]), np.ones((2, n)),
                        np.array([1.2, 0.1]), ["gross", "short"])
    keep = rng.random(n) < 0.5
    w = rng.normal(size=n) * keep
    sub = rule.restrict(keep)
    np.testing.assert_allclose(sub.values(w[keep]),
                               [np.abs(w).sum(), np.maximum(-w, 0.0).sum()])
    np.testing.assert_allclose(sub.values(w[keep]), rule.values(w))
