"""TransactionCost: dollars against a numpy formula; the priced optimum against an SOCP."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


def _setup(market):
    prices, basket, _ = market
    cur = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve().shares
    return prices, basket, (0.5 * cur).round()


def _objective(res, cost, weight):
    return float(np.sqrt(res.objective)) + weight * cost


@pytest.mark.parametrize("solver", (None, "CLARABEL", "ECOS"))
def test_linear_cost_priced_optimum_matches_socp(market, priced, solver) -> None:
    prices, basket, cur = _setup(market)
    p, N = prices.iloc[-1].to_numpy(), basket.iloc[-1]
    rate = 10e-4 * p + 0.01  # $ per share: 10 bp + 1 cent
    tc = ho.TransactionCost(cur, bps=10, per_share=0.01, weight=5.0)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), tc).solve(solver=solver)
    dn = np.abs(res.shares.to_numpy() - cur.to_numpy())
    assert res.info["cost_dollars"] == pytest.approx(float(rate @ dn), rel=1e-12)
    h = cur.to_numpy() * p / N
    x, best = priced(prices, basket, lambda x: (rate * N / p) @ cp.abs(x - h), 5.0,
                     lambda x: [cp.sum(x) == 1])
    assert _objective(res, res.info["cost_dollars"], 5.0) == pytest.approx(best, rel=1e-6)
    assert res.violations == []


def test_costs_move_the_hedge_toward_current(market) -> None:
    prices, basket, cur = _setup(market)
    traded = []
    for weight in (0.0, 1.0, 20.0):
        res = ho.HedgeProblem(prices, basket).add(
            ho.Budget(), ho.TransactionCost(cur, bps=20, weight=weight)).solve()
        traded.append(float(np.abs(res.shares - cur) @ prices.iloc[-1]))
    assert traded[0] > traded[1] > traded[2]


def test_activeset_takes_buys_from_nothing(real_daily, priced) -> None:
    prices, basket, _ = real_daily
    tc = ho.TransactionCost(bps=15, per_share=0.005, weight=2.0)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), tc).solve()
    assert res.solver == "ACTIVESET"
    p, N = prices.iloc[-1].to_numpy(), basket.iloc[-1]
    rate = 15e-4 * p + 0.005
    _, best = priced(prices, basket, lambda x: (rate * N / p) @ x, 2.0,
                     lambda x: [cp.sum(x) == 1, x >= 0])
    assert _objective(res, res.info["cost_dollars"], 2.0) == pytest.approx(best, rel=1e-6)


def test_impact_goes_to_cvxpy_and_matches_socp(market, priced) -> None:
    prices, basket, cur = _setup(market)
    adv = pd.Series(5e4, index=prices.columns)
    tc = ho.TransactionCost(cur, bps=5, impact=1.0, adv=adv, weight=3.0)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), tc).solve()
    assert res.solver != "ACTIVESET"
    P = prices.to_numpy()
    sigma = np.std(P[1:] / P[:-1] - 1, axis=0, ddof=1)
    p, N = P[-1], basket.iloc[-1]
    dn = np.abs(res.shares.to_numpy() - cur.to_numpy())
    want = float((5e-4 * p) @ dn + (sigma * p / np.sqrt(5e4)) @ dn**1.5)
    assert res.info["cost_dollars"] == pytest.approx(want, rel=1e-10)
    h = cur.to_numpy() * p / N
    k = sigma * p / np.sqrt(5e4) * (N / p) ** 1.5
    _, best = priced(prices, basket, lambda x: (5e-4 * N) * cp.sum(cp.abs(x - h))
                     + k @ cp.power(cp.abs(x - h), 1.5), 3.0, lambda x: [cp.sum(x) == 1])
    assert _objective(res, res.info["cost_dollars"], 3.0) == pytest.approx(best, rel=1e-5)


def test_whole_shares_price_linear_costs(market) -> None:
    prices, basket, cur = _setup(market)
    base = [ho.Budget(band=(0.99, 1)), ho.ShareLots(1)]
    cost = ho.TransactionCost(cur, bps=10, per_share=0.01, weight=2.0)
    res = ho.HedgeProblem(prices, basket).add(*base, cost).solve(solver="HEURISTIC",
                                                                time_limit=3)
    n = res.shares.to_numpy()
    p = prices.iloc[-1].to_numpy()
    recount = float((10e-4 * p + 0.01) @ np.abs(n - cur.to_numpy()))
    assert res.info["cost_dollars"] == pytest.approx(recount, rel=1e-12)
    mu = res.info["cost_exchange"][repr(cost)]
    plain = ho.HedgeProblem(prices, basket).add(*base).solve(solver="HEURISTIC", time_limit=3)
    n0 = plain.shares.to_numpy()
    # priced at the same rate, the cost-aware hedge is the cheaper one, and it trades less
    cost0 = float((10e-4 * p + 0.01) @ np.abs(n0 - cur.to_numpy()))
    assert res.objective + mu * recount < plain.objective + mu * cost0
    assert recount < cost0
    assert np.allclose(n, np.round(n)) and res.violations == []


def test_bad_inputs(market) -> None:
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match="needs adv"):
        ho.TransactionCost(impact=1.0)
    with pytest.raises(ho.InputError, match="weight must be >= 0"):
        ho.TransactionCost(weight=-1)
    with pytest.raises(ho.InputError, match="bps must be >= 0"):
        prob.add(ho.TransactionCost(bps=-3))
    with pytest.raises(ho.InputError, match="unknown tickers"):
        prob.add(ho.TransactionCost({"NOPE": 10.0}, bps=3))


def test_unit_mistakes_in_costs(market) -> None:
    prices, basket, cur = _setup(market)
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"bps = 500 basis points is 5% .*high_cost=True"):
        ho.TransactionCost(cur, bps=500)
    with pytest.raises(ho.InputError, match="per_share must be >= 0"):
        ho.TransactionCost(cur, per_share=-0.01)
    ho.TransactionCost(cur, bps=0.05)  # a tiny 0.05 bp is legitimate
    # a per-share cost in cents given as dollars: above 2% of the traded dollars of a name
    p = prices.iloc[-1]
    cents = 0.03 * float(p.min())  # 3% of the cheapest unit
    t = p.idxmin()
    with pytest.raises(ho.InputError, match=f"cost of '{t}' is 3.0% .*high_cost=True") as err:
        prob.add(ho.TransactionCost(cur, per_share=cents))
    assert err.value.field == "per_share"
    with pytest.raises(ho.InputError, match="NaN for ticker"):
        prob.add(ho.TransactionCost(cur, bps=pd.Series(5.0, prices.columns).mask(
            prices.columns == t)))
    high = ho.TransactionCost(cur, per_share=cents, high_cost=True)
    r = high.linear_rate(ho.HedgeContext(prices, basket))
    np.testing.assert_allclose(r, np.full(prices.shape[1], cents))
    assert "high_cost=True" in repr(high)
