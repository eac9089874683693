"""MaxWeight: |dollars_i| / notional <= fraction, against a separate cvxpy model."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL")
HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None


def _weights(res, prices, basket) -> np.ndarray:
    return res.shares.to_numpy() * prices.iloc[-1].to_numpy() / basket.iloc[-1]


@pytest.mark.parametrize("solver", SOLVERS, ids=str)
def test_cap_binds_and_matches_reference(market, cvx_reference, solver) -> None:
    prices, basket, _ = market
    free = ho.HedgeProblem(prices, basket).add(ho.Budget()).solve()
    cap = 0.5 * float(np.abs(_weights(free, prices, basket)).max())
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.MaxWeight(cap)).solve(solver=solver)
    w = _weights(res, prices, basket)
    assert np.abs(w).max() == pytest.approx(cap, abs=1e-7)
    x, obj = cvx_reference(prices, basket, 0.0,
                           lambda x: [sum(x) == 1, x <= cap, x >= -cap])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    np.testing.assert_allclose(w, x, atol=1e-5)
    assert res.violations == []


def test_per_ticker_limits_and_absent_names_free(real_daily, cvx_reference) -> None:
    prices, basket, _ = real_daily
    caps = {"AAPL": 0.05, "JPM": 0.02}
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(),
                                              ho.MaxWeight(caps)).solve()
    w = pd.Series(_weights(res, prices, basket), index=prices.columns)
    idx = [prices.columns.get_loc(t) for t in caps]
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) == 1, x >= 0, *[x[i] <= c for i, c in zip(idx, caps.values(), strict=True)]])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    assert all(w[t] <= c + 1e-9 for t, c in caps.items())
    np.testing.assert_allclose(w.to_numpy(), x, atol=1e-5)


@pytest.mark.parametrize("method", ["HEURISTIC"] + (["SCIP"] if HAVE_SCIP else []))
def test_whole_shares_respect_the_cap(market, method) -> None:
    prices, basket, _ = market
    cap = 0.06
    cont = ho.HedgeProblem(prices, basket).add(ho.Budget(band=(0.99, 1.0)), ho.LongOnly(),
                                               ho.MaxWeight(cap)).solve()
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.99, 1.0)), ho.LongOnly(), ho.MaxWeight(cap), ho.ShareLots(1),
        ho.MaxNames(20)).solve(solver=method, time_limit=5)
    n = res.shares.to_numpy()
    assert np.allclose(n, np.round(n))
    assert (np.abs(n * prices.iloc[-1].to_numpy()) <= cap * basket.iloc[-1] + 1e-3).all()
    assert np.count_nonzero(n) <= 20
    assert res.objective >= cont.objective * (1 - 1e-9)
    assert res.violations == []


def test_check_reports_dollars(tiny) -> None:
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    shares = pd.Series({"AAA": 1.0, "BBB": 2.0, "CCC": 3.0})
    # basket $80 at the reference date; dollar weights 15/80, 50/80, 15/80
    assert ho.MaxWeight(0.7).check(shares, ctx) == []
    msgs = ho.MaxWeight(0.6).check(shares, ctx)
    assert len(msgs) == 1 and "BBB" in msgs[0] and "$50.00" in msgs[0] and "$48.00" in msgs[0]


def test_bad_fractions(tiny) -> None:
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="did you mean 0.05"):
        ho.MaxWeight(5)
    with pytest.raises(ho.InputError, match=">= 0"):
        ho.MaxWeight(-0.1)
    assert ho.MaxWeight(5, leverage=True).limits(ho.HedgeContext(prices, basket))[0] == 5
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"negative|>= 0.*CCC"):
        prob.add(ho.MaxWeight({"CCC": -0.2}))
    with pytest.raises(ho.InputError, match="unknown tickers.*ZZZ"):
        prob.add(ho.MaxWeight({"ZZZ": 0.2}))
    with pytest.raises(ho.InputError, match="NaN.*AAA"):
        prob.add(ho.MaxWeight({"AAA": float("nan")}))
    with pytest.raises(ho.InputError, match="BBB.*did you mean 0.3"):
        prob.add(ho.MaxWeight({"BBB": 30}))


def test_infeasible_names_the_cap(market) -> None:
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), ho.MaxWeight(0.01))
    with pytest.raises(ho.InfeasibleError, match=r"MaxWeight\(fraction=0.01\)") as err:
        prob.solve()
    assert "MaxWeight(fraction=0.01)" in err.value.culprits
