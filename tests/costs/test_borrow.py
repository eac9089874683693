"""BorrowCost: annual rate x horizon on short dollars; the priced optimum against an SOCP."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


def test_borrow_cost_dollars_and_priced_optimum(market, priced) -> None:
    prices, basket, _ = market
    rate = pd.Series(0.03, index=prices.columns)
    bc = ho.BorrowCost(rate, horizon_days=90, weight=10.0)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), bc).solve()
    p, N = prices.iloc[-1].to_numpy(), basket.iloc[-1]
    short = np.maximum(-res.shares.to_numpy() * p, 0)
    assert res.info["cost_dollars"] == pytest.approx(0.03 * 90 / 365 * short.sum(), rel=1e-12)
    _, best = priced(prices, basket, lambda x: (0.03 * 90 / 365 * N) * cp.sum(cp.neg(x)),
                     10.0, lambda x: [cp.sum(x) == 1])
    got = float(np.sqrt(res.objective)) + 10.0 * res.info["cost_dollars"]
    assert got == pytest.approx(best, rel=1e-6)
    free = ho.HedgeProblem(prices, basket).add(ho.Budget()).solve()
    assert short.sum() < np.maximum(-free.dollars.to_numpy(), 0).sum()


def test_long_only_costs_nothing_and_stays_on_activeset(market) -> None:
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(),
                                              ho.BorrowCost(0.05, 30)).solve()
    assert res.solver == "ACTIVESET" and res.info["cost_dollars"] == 0.0


def test_bad_rates(market) -> None:
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match="did you mean 0.05.*hard_to_borrow=True"):
        ho.BorrowCost(5, 30)
    with pytest.raises(ho.InputError, match="rate must be >= 0"):
        ho.BorrowCost(-0.01, 30)
    with pytest.raises(ho.InputError, match=f"rate must be >= 0.*{prices.columns[1]}"):
        ho.HedgeProblem(prices, basket).add(ho.BorrowCost({prices.columns[1]: -0.01}, 30))
    with pytest.raises(ho.InputError, match=f"{prices.columns[0]}.*did you mean 0.8"):
        ho.HedgeProblem(prices, basket).add(ho.BorrowCost({prices.columns[0]: 80}, 30))
    with pytest.raises(ho.InputError, match="less than a day.*horizon_days=91.25"):
        ho.BorrowCost(0.01, 0.25)  # a quarter of a year, given in years
    htb = ho.BorrowCost(1.5, 30, hard_to_borrow=True)
    ctx = ho.HedgeContext(prices, basket)
    np.testing.assert_allclose(htb.per_dollar(ctx), 1.5 * 30 / 365)
    with pytest.raises(ho.InputError, match="horizon_days must be > 0"):
        ho.BorrowCost(0.01, 0)
