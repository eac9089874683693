"""Whole shares with linear costs: exact in the search and in SCIP, against brute force.

The reference is written here from the README's definitions: ``J`` is the sample variance of
the daily differences of ``d_t = P_t n - B_t`` (``lam = 0``), the costs are recounted from
the units in numpy, and the exchange rate is ``mu = 2 weight sqrt(J*)`` at the optimum of the
continuous priced problem ``min sqrt(J) + weight C`` (its own cvxpy SOCP, ``priced``).
"""

from __future__ import annotations

import importlib.util
import itertools

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None
METHODS = ["HEURISTIC"] + (["SCIP"] if HAVE_SCIP else [])
LOT = 5
BPS, PER_SHARE, RATE, DAYS = 20.0, 0.05, 0.3, 90


def _market():
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2021-01-04", periods=80)
    prices = pd.DataFrame(50 * np.exp(np.cumsum(rng.normal(0, 0.012, (80, 4)), 0)),
                          index=dates, columns=list("ABCD"))
    noise = np.exp(np.cumsum(rng.normal(0, 0.004, 80)))
    basket = (prices @ np.array([30, 20, 10, 25.0])) * noise
    current = pd.Series({"A": 10.0, "B": 40.0, "C": 0.0, "D": 5.0})
    return prices, basket, current


def _J(units: np.ndarray, prices: pd.DataFrame, basket: pd.Series) -> np.ndarray:
    """``Var[diff(P n - B)]`` (ddof=1) for each row of ``units``."""
    e = np.diff(prices.to_numpy(), axis=0) @ units.T - np.diff(basket.to_numpy())[:, None]
    return np.var(e, axis=0, ddof=1)


def _cost(units: np.ndarray, prices: pd.DataFrame, current: pd.Series) -> np.ndarray:
    """Trading plus borrow dollars of each row of ``units``, recounted."""
    p = prices.iloc[-1].to_numpy()
    trade = (BPS * 1e-4 * p + PER_SHARE) @ np.abs(units - current.to_numpy()).T
    short = RATE * DAYS / 365 * (np.maximum(-units * p, 0.0).sum(axis=1))
    return np.asarray(trade + short)


def _terms(current):
    return [ho.TransactionCost(current, bps=BPS, per_share=PER_SHARE),
            ho.BorrowCost(RATE, DAYS)]


@pytest.fixture(scope="module")
def brute():
    """The rate of the continuous priced optimum and the best lot vector by brute force."""
    prices, basket, current = _market()
    p, b_ref = prices.iloc[-1].to_numpy(), float(basket.iloc[-1])
    # continuous priced problem, its own SOCP in shares
    n = cp.Variable(4)
    e = np.diff(prices.to_numpy(), axis=0) @ n - np.diff(basket.to_numpy())
    std = cp.norm(e - cp.sum(e) / e.shape[0]) / np.sqrt(e.shape[0] - 1)
    cost = ((BPS * 1e-4 * p + PER_SHARE) @ cp.abs(n - current.to_numpy())
            + RATE * DAYS / 365 * cp.sum(cp.neg(cp.multiply(p, n))))
    value = p @ n
    cp.Problem(cp.Minimize(std + cost), [value >= 0.9 * b_ref, value <= 1.1 * b_ref]).solve(
        solver="CLARABEL")
    x = np.asarray(n.value, dtype=float)
    mu = 2.0 * float(np.sqrt(_J(x[None, :], prices, basket)[0]))
    # every lot vector within 8 lots of the continuous optimum, in the band
    axes = [LOT * (np.round(xi / LOT) + np.arange(-8, 9)) for xi in x]
    grid = np.array(list(itertools.product(*axes)), dtype=float)
    v = grid @ p
    grid = grid[(v >= 0.9 * b_ref) & (v <= 1.1 * b_ref)]
    total = _J(grid, prices, basket) + mu * _cost(grid, prices, current)
    k = int(np.argmin(total))
    return mu, grid[k], float(total[k])


@pytest.mark.parametrize("method", METHODS)
def test_whole_shares_minimise_the_priced_objective_exactly(brute, method) -> None:
    prices, basket, current = _market()
    mu, best, best_total = brute
    terms = _terms(current)
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.9, 1.1)), ho.ShareLots(LOT), *terms).solve(solver=method,
                                                                    time_limit=5)
    n = res.shares.to_numpy()
    assert np.allclose(n % LOT, 0)
    # the rate is the continuous fixed point's, for every term
    for rate in res.info["cost_exchange"].values():
        assert rate == pytest.approx(mu, rel=1e-4)
    # the reported costs are the numpy recount of the final units
    assert res.info["cost_dollars"] == pytest.approx(float(_cost(n[None, :], prices,
                                                                 current)[0]), rel=1e-12)
    trade = (BPS * 1e-4 * prices.iloc[-1].to_numpy() + PER_SHARE) @ np.abs(n - current)
    assert res.info["costs"][repr(terms[0])] == pytest.approx(trade, rel=1e-12)
    # the optimum of J + mu C over lot vectors, found
    total = float(_J(n[None, :], prices, basket)[0]) + mu * float(
        _cost(n[None, :], prices, current)[0])
    assert total == pytest.approx(best_total, rel=1e-6)
    np.testing.assert_array_equal(n, best)
    assert res.info["priced_objective"] == pytest.approx(total, rel=1e-4)
    assert res.bound <= res.info["priced_objective"] + 1e-9
    assert res.violations == []


def test_costs_change_the_whole_share_answer(brute) -> None:
    prices, basket, current = _market()
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(band=(0.9, 1.1)),
                                               ho.ShareLots(LOT)).solve(solver="HEURISTIC",
                                                                        time_limit=2)
    mu, best, _ = brute
    n0 = free.shares.to_numpy()
    # without costs the search lands elsewhere, and pays more in the priced objective
    assert not np.array_equal(n0, best)
    total0 = _J(n0[None, :], prices, basket)[0] + mu * _cost(n0[None, :], prices, current)[0]
    total = _J(best[None, :], prices, basket)[0] + mu * _cost(best[None, :], prices, current)[0]
    assert total < total0


def test_nonlinear_terms_name_themselves_and_the_backends(market) -> None:
    prices, basket, _ = market
    adv = pd.Series(1e6, index=prices.columns)
    base = [ho.Budget(band=(0.99, 1.0)), ho.ShareLots(1)]
    impact = ho.TransactionCost(bps=5, impact=0.1, adv=adv)
    with pytest.raises(ho.InputError, match=r"TransactionCost\(bps=5, impact=0.1.*market "
                                            r"impact.*HEURISTIC, SCIP.*OSQP / CLARABEL / ECOS"):
        ho.HedgeProblem(prices, basket).add(*base, impact).solve()
    soft = ho.Soft(ho.MaxWeight(0.05), 1.0)
    with pytest.raises(ho.InputError, match=r"Soft\(MaxWeight.*priced violation.*"
                                            r"OSQP / CLARABEL / ECOS"):
        ho.HedgeProblem(prices, basket).add(*base, soft).solve()
    term = ho.Term(lambda w, ctx: 0.01 * cp.sum_squares(w), name="spread")
    with pytest.raises(ho.InputError, match=r"Term\('spread'\).*HEURISTIC, SCIP.*OSQP"):
        ho.HedgeProblem(prices, basket).add(*base, term).solve(time_limit=2)


@pytest.mark.skipif(not HAVE_SCIP, reason="pyscipopt not installed")
def test_real_prices_scip_and_the_search_agree(real_daily) -> None:
    prices, basket, _ = real_daily
    current = (0.4 * basket.iloc[-1] / prices.shape[1] / prices.iloc[-1]).round()
    out = {}
    for method in ("HEURISTIC", "SCIP"):
        terms = [ho.TransactionCost(current, bps=10, per_share=0.01, weight=4.0),
                 ho.BorrowCost(0.02, 63)]
        res = ho.HedgeProblem(prices, basket).add(
            ho.Budget(band=(0.98, 1.0)), ho.ShareLots(1), *terms).solve(solver=method,
                                                                        time_limit=4)
        n = res.shares.to_numpy()
        p = prices.iloc[-1].to_numpy()
        recount = float((10e-4 * p + 0.01) @ np.abs(n - current.to_numpy())
                        + 0.02 * 63 / 365 * np.maximum(-n * p, 0.0).sum())
        assert res.info["cost_dollars"] == pytest.approx(recount, rel=1e-12)
        out[method] = res.info["priced_objective"]
    assert out["HEURISTIC"] == pytest.approx(out["SCIP"], rel=1e-6)
