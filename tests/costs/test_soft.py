"""Soft: a constraint's violation priced in dollars, reported in its own units."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


def test_soft_sector_cap_matches_socp_and_reports(market, priced) -> None:
    prices, basket, sectors = market
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve()
    p, N = prices.iloc[-1].to_numpy(), basket.iloc[-1]
    codes = sectors.reindex(prices.columns).to_numpy()
    S = np.array([(codes == s).astype(float) for s in pd.unique(codes)])
    top = float((S @ (free.shares.to_numpy() * p) / N).max())
    c = 0.5 * (top + 1 / len(S))  # binds, and 5 sectors can still fund the budget
    cap = ho.SectorCap(sectors, max_weight=c)
    hard = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), cap).solve()
    soft = ho.Soft(cap, penalty=2e-5)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), soft).solve()
    assert free.objective < res.objective < hard.objective
    expo = S @ (res.shares.to_numpy() * p) / N
    excess = float(np.maximum(expo - c, 0).sum() * N)
    assert excess > 0  # it is violated, and priced
    rep = res.soft[repr(soft)]
    assert rep["dollars"] == pytest.approx(excess, rel=1e-9)
    assert rep["violations"] and all("sector" in v for v in rep["violations"])
    _, best = priced(prices, basket, lambda x: 2e-5 * N * cp.sum(cp.pos(S @ x - c)), 1.0,
                     lambda x: [cp.sum(x) == 1, x >= 0])
    got = float(np.sqrt(res.objective)) + 2e-5 * excess
    assert got == pytest.approx(best, rel=1e-6)


def test_soft_turnover_and_leverage(market) -> None:
    prices, basket, _ = market
    cur = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve().shares
    t = ho.Soft(ho.Turnover(cur * 0.5, max_dollars=1e6), penalty=1e-3)
    lev = ho.Soft(ho.Leverage(gross=1.0), penalty=1e-3)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), t, lev).solve()
    traded = float(np.abs(res.shares - cur * 0.5) @ prices.iloc[-1])
    assert res.soft[repr(t)]["dollars"] == pytest.approx(max(traded - 1e6, 0), rel=1e-9,
                                                         abs=1e-6)
    gross = float(np.abs(res.dollars).sum())
    assert res.soft[repr(lev)]["dollars"] == pytest.approx(max(gross - basket.iloc[-1], 0),
                                                           rel=1e-9, abs=1e-6)


def test_bad_soft() -> None:
    with pytest.raises(ho.InputError, match="cannot be soft"):
        ho.Soft(ho.ShareLots(1), 1.0)
    with pytest.raises(ho.InputError, match="penalty must be > 0"):
        ho.Soft(ho.Budget(), 0.0)
