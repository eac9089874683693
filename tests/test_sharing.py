"""Constraint and penalty objects shared between problems, or re-assigned after a solve.

Every pattern must give exactly the answer of fresh objects (compiled state belongs to the
compiled problem, caches are keyed by value, and verification never reads the solve's cache).
"""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho

SOLVERS = (None, "OSQP", "CLARABEL")


def _cons(sectors, current):
    return [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3),
            ho.Turnover(current, max_dollars=8e6), ho.Ridge(1e-3)]


def _fresh(prices, basket, sectors, current, solver, lam=0.3):
    return ho.HedgeProblem(prices, basket, lam=lam, constraints=_cons(sectors, current)).solve(
        solver=solver)


@pytest.fixture(scope="module")
def halves(market):
    prices, basket, sectors = market
    current = (prices.iloc[-1] * 0 + 1000.0)
    return (prices.iloc[:60], basket.iloc[:60]), (prices.iloc[60:], basket.iloc[60:]), sectors, \
        current


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_list_two_problems_update_data(halves, solver):
    (p1, b1), (p2, b2), sectors, current = halves
    shared = _cons(sectors, current)
    prob1 = ho.HedgeProblem(p1, b1, lam=0.3, constraints=shared)
    prob2 = ho.HedgeProblem(p2, b2, lam=0.3, constraints=shared)
    prob1.solve(solver=solver)
    prob2.solve(solver=solver)
    # p1 moves to p2's window (same shape: parameters are refreshed, not recompiled)
    prob1.update_data(p2 * 1.1, b2 * 1.1)
    r1 = prob1.solve(solver=solver)
    r2 = prob2.solve(solver=solver)
    f1 = _fresh(p2 * 1.1, b2 * 1.1, sectors, current, solver)
    f2 = _fresh(p2, b2, sectors, current, solver)
    assert r1.violations == [] and r2.violations == []
    np.testing.assert_allclose(r1.objective, f1.objective, rtol=1e-6)
    np.testing.assert_allclose(r2.objective, f2.objective, rtol=1e-6)
    np.testing.assert_allclose(r2.shares, f2.shares, rtol=1e-4, atol=1e-3 * f2.shares.abs().max())


@pytest.mark.parametrize("solver", SOLVERS)
def test_interleaved_solves_match_fresh(halves, solver):
    (p1, b1), (p2, b2), sectors, current = halves
    shared = _cons(sectors, current)
    probs = [ho.HedgeProblem(p, b, lam=0.3, constraints=shared) for p, b in ((p1, b1), (p2, b2))]
    fresh = [_fresh(p, b, sectors, current, solver) for p, b in ((p1, b1), (p2, b2))]
    for _ in range(2):
        for prob, ref in zip(probs, fresh, strict=True):
            res = prob.solve(solver=solver)
            assert res.violations == []
            np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-6)


@pytest.mark.parametrize("solver", SOLVERS)
def test_reassigned_argument_takes_effect(market, solver):
    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=0.3)
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), ho.LongOnly(), cap)
    prob.solve(solver=solver)
    for value in (0.24, 0.21):   # plain floats: the id of a freed float is reused by CPython
        cap.max_weight = value
        res = prob.solve(solver=solver)
        ref = ho.HedgeProblem(prices, basket, lam=0.3).add(
            ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=value)).solve(
                solver=solver)
        assert res.violations == []
        np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-6)
        exposure = (res.to_frame()["weight"].groupby(sectors).sum())
        assert exposure.max() <= value + 1e-6


def test_argument_mutated_in_place_takes_effect(market):
    prices, basket, sectors = market
    upper = prices.iloc[-1] * 0 + 5e5
    bounds = ho.Bounds(upper=upper, unit="dollars")
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), bounds)
    prob.solve()
    upper.iloc[:] = 4e5          # the same Series object, new values
    res = prob.solve()
    assert res.to_frame()["dollars"].max() <= 4e5 + 1e-3
    assert res.violations == []


def test_check_does_not_trust_a_stale_cache(market):
    """A hedge solved under a loose cap fails verification against the tightened cap."""
    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=0.5)
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), cap)
    loose = prob.solve()
    worst = loose.to_frame()["weight"].groupby(sectors).sum().max()
    cap.max_weight = float(worst) - 0.05
    assert cap.check(loose.shares, prob.ctx) != []


def test_reassigned_argument_is_validated(market):
    prices, basket, sectors = market
    budget = ho.Budget(band=(0.98, 1.0))
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(budget, ho.LongOnly())
    prob.solve()
    budget.band = (98, 100)
    with pytest.raises(ho.InputError, match="0.98"):
        prob.solve()


def test_shared_penalty(halves):
    (p1, b1), (p2, b2), sectors, current = halves
    ridge = ho.L1(1e-3, prior="equal")
    probs = [ho.HedgeProblem(p, b, lam=0.3).add(ho.Budget(), ridge) for p, b in
             ((p1, b1), (p2, b2))]
    refs = [ho.HedgeProblem(p, b, lam=0.3).add(ho.Budget(), ho.L1(1e-3, prior="equal")).solve(
        solver="CLARABEL") for p, b in ((p1, b1), (p2, b2))]
    for _ in range(2):
        for prob, ref in zip(probs, refs, strict=True):
            np.testing.assert_allclose(prob.solve(solver="CLARABEL").objective, ref.objective,
                                       rtol=1e-6)


def test_book_with_one_constraint_list(market):
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    probs = {k: ho.HedgeProblem(prices.iloc[s], basket.iloc[s] * m, lam=0.3).add(*cons)
             for k, s, m in (("a", slice(0, 80), 1.0), ("b", slice(40, 120), 2.0))}
    book = ho.solve_book(probs, progress=False)
    for k, s, m in (("a", slice(0, 80), 1.0), ("b", slice(40, 120), 2.0)):
        ref = ho.HedgeProblem(prices.iloc[s], basket.iloc[s] * m, lam=0.3).add(
            ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)).solve()
        np.testing.assert_allclose(book.results[k].objective, ref.objective, rtol=1e-8)


def _count_keys(monkeypatch):
    """Count :func:`arguments_key` calls per constraint class (the keys of linear ones)."""
    import collections

    import hedgeopt.constraints.base as base

    seen: collections.Counter = collections.Counter()
    real = base.arguments_key

    def counted(obj):
        seen[type(obj).__name__] += 1
        return real(obj)

    monkeypatch.setattr(base, "arguments_key", counted)
    return seen


def test_one_key_per_constraint_per_solve_and_none_across(market, monkeypatch):
    """Each linear constraint's arguments are keyed once by ``add`` and once per solve (its
    checks, forms and verification share that key), and no key outlives a solve: the cap
    lowered from 0.15 to 0.05 between two solves binds in the second one."""
    from hedgeopt.constraints.base import _fixed_keys

    prices, basket, sectors = market
    seen = _count_keys(monkeypatch)
    cap = ho.MaxWeight(0.15)
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[
        ho.Budget(), ho.SectorCap(sectors, max_weight=0.4), cap])
    assert dict(seen) == {"Budget": 1, "SectorCap": 1, "MaxWeight": 1}
    for value in (0.15, 0.05):
        cap.fraction = value
        seen.clear()
        res = prob.solve()
        assert dict(seen) == {"Budget": 1, "SectorCap": 1, "MaxWeight": 1}
        assert not _fixed_keys()
        assert res.violations == []
        assert res.weights.abs().max() <= value + 1e-9
    ref = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[
        ho.Budget(), ho.SectorCap(sectors, max_weight=0.4), ho.MaxWeight(0.05)]).solve()
    np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-12)


def test_a_failed_solve_holds_no_key(market):
    """A solve that raises (a reassigned percent) lets its keys go: the corrected argument is
    the one the next solve sees, and a shared constraint gives the other problem its own
    answer."""
    from hedgeopt.constraints.base import _fixed_keys

    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=0.3)
    one = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[ho.Budget(), cap])
    two = ho.HedgeProblem(prices.iloc[20:], basket.iloc[20:], lam=0.7,
                          constraints=[ho.Budget(), cap])
    cap.max_weight = 25
    with pytest.raises(ho.InputError, match="0.25"):
        one.solve()
    assert not _fixed_keys()
    cap.max_weight = 0.2
    for prob, p, b, lam in ((one, prices, basket, 0.3),
                            (two, prices.iloc[20:], basket.iloc[20:], 0.7)):
        res = prob.solve()
        ref = ho.HedgeProblem(p, b, lam=lam, constraints=[
            ho.Budget(), ho.SectorCap(sectors, max_weight=0.2)]).solve()
        assert res.violations == []
        np.testing.assert_allclose(res.objective, ref.objective, rtol=1e-12)
