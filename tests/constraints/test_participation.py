"""MaxParticipation: |n_i - h_i| <= fraction * ADV_i in shares."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None


def _adv(prices, basket, frac_of_free: float, free) -> pd.Series:
    """ADV such that 10% of it is ``frac_of_free`` of each name's unconstrained position."""
    return (np.abs(free.shares) * frac_of_free / 0.1).clip(lower=1.0)


def test_limits_bind_from_nothing(market, cvx_reference) -> None:
    prices, basket, _ = market
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve()
    adv = _adv(prices, basket, 0.7, free)  # 70% of each long-only position, so sum <= 0.7
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.6, 1.0)), ho.LongOnly(), ho.MaxParticipation(adv, 0.1)).solve()
    n = res.shares.to_numpy()
    cap = 0.1 * adv.to_numpy()
    assert (np.abs(n) <= cap * (1 + 1e-9)).all()
    assert np.isclose(np.abs(n), cap, rtol=1e-7).any()
    u = cap * prices.iloc[-1].to_numpy() / basket.iloc[-1]
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) >= 0.6, sum(x) <= 1.0, x <= u, x >= 0])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    assert res.violations == []


def test_box_around_current_on_real_prices(real_daily, cvx_reference) -> None:
    prices, basket, _ = real_daily
    p = prices.iloc[-1]
    current = (1e7 / len(p)) / p  # equal dollars in every name
    adv = pd.Series(2e5, index=prices.columns)
    c = ho.MaxParticipation(adv, 0.05, current=current)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), c).solve(solver="CLARABEL")
    traded = np.abs(res.shares - current).to_numpy()
    assert (traded <= 0.05 * 2e5 + 1e-6).all()
    h = current.to_numpy() * p.to_numpy() / basket.iloc[-1]
    u = 0.05 * 2e5 * p.to_numpy() / basket.iloc[-1]
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [sum(x) == 1, x - h <= u,
                                                           h - x <= u])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    assert c.check(current, ho.HedgeContext(prices, basket)) == []


@pytest.mark.parametrize("method", ["HEURISTIC"] + (["SCIP"] if HAVE_SCIP else []))
def test_whole_shares_within_participation(market, method) -> None:
    prices, basket, _ = market
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(band=(0.98, 1.0)),
                                               ho.LongOnly()).solve()
    # 10% of ADV: 90% of the long-only position plus 1% of the notional, per name
    adv = _adv(prices, basket, 0.9, free) + 0.1 * basket.iloc[-1] / prices.iloc[-1]
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.MaxParticipation(adv, 0.1),
        ho.ShareLots(1)).solve(solver=method, time_limit=5)
    n = res.shares.to_numpy()
    assert np.allclose(n, np.round(n))
    assert (n <= 0.1 * adv.to_numpy() + 1e-9).all()
    assert (n > 0.1 * adv.to_numpy() - 1).any()  # within a share of a limit: it binds
    assert res.violations == []


def test_check_in_shares(tiny) -> None:
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    c = ho.MaxParticipation({"AAA": 10.0, "BBB": 10.0, "CCC": 100.0}, 0.1,
                            current={"BBB": 1.0})
    (msg,) = c.check({"AAA": 1.0, "BBB": 3.5, "CCC": 3.0}, ctx)
    assert "BBB trades 2.5 shares ($62.50), above 1 shares" in msg


def test_bad_inputs_and_budget_it_cannot_fund(market) -> None:
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"fraction = 10 is a fraction of each name's "
                                            r"average daily volume.*did you mean 0.1.*"
                                            r"multi_day=True") as err:
        ho.MaxParticipation({"X": 1.0}, 10)
    assert "notional" not in str(err.value) and "leverage" not in str(err.value)
    with pytest.raises(ho.InputError, match="> 0"):
        ho.MaxParticipation({"X": 1.0}, 0.0)
    with pytest.raises(ho.InputError, match="per ticker"):
        ho.MaxParticipation(1e6, 0.1)
    with pytest.raises(ho.InputError, match="missing tickers"):
        prob.add(ho.MaxParticipation({prices.columns[0]: 1e6}, 0.1))
    with pytest.raises(ho.InputError, match=">= 0 shares.*" + prices.columns[1]):
        prob.add(ho.MaxParticipation(pd.Series(1e6, prices.columns).mask(
            prices.columns == prices.columns[1], -5.0), 0.1))
    tight = ho.MaxParticipation(pd.Series(100.0, prices.columns), 0.1)  # 10 shares each
    with pytest.raises(ho.InfeasibleError, match="MaxParticipation") as err:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), tight).solve()
    assert repr(tight) in err.value.culprits


def test_data_holes_in_adv_are_errors(market) -> None:
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    adv = pd.Series(1e6, index=prices.columns)
    t = prices.columns[2]
    with pytest.raises(ho.InputError, match=f"0 shares for \\['{t}'\\].*ho.Exclude"):
        prob.add(ho.MaxParticipation(adv.mask(adv.index == t, 0.0), 0.1))
    with pytest.raises(ho.InputError, match=f"NaN for ticker.*{t}"):
        prob.add(ho.MaxParticipation(adv.mask(adv.index == t), 0.1))
    with pytest.raises(ho.InputError, match="DataFrame.*mean"):
        prob.add(ho.MaxParticipation(pd.DataFrame(1e6, index=prices.index,
                                                  columns=prices.columns), 0.1))
    with pytest.raises(ho.InputError, match="unknown tickers"):  # positional, not by ticker
        prob.add(ho.MaxParticipation(list(adv), 0.1))
    with pytest.raises(ho.InputError, match="unknown tickers.*NOPE"):
        prob.add(ho.MaxParticipation(pd.concat([adv, pd.Series({"NOPE": 1.0})]), 0.1))
    # more than a day's volume, opted in: the box is 3 x ADV, the same as fraction 1 of 3 x ADV
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve()
    small = _adv(prices, basket, 0.3, free) * 0.1  # 3 x ADV = 90% of each free position
    c = ho.MaxParticipation(small, 3.0, multi_day=True)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(band=(0.5, 1.0)), ho.LongOnly(),
                                              c).solve()
    same = ho.HedgeProblem(prices, basket).add(ho.Budget(band=(0.5, 1.0)), ho.LongOnly(),
                                               ho.MaxParticipation(3 * small, 1.0)).solve()
    assert res.objective == pytest.approx(same.objective, rel=1e-9)
    assert (np.abs(res.shares) <= 3 * small + 1e-6).all()
    assert "multi_day=True" in repr(c)
