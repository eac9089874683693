"""Turnover: sum_i |n_i - h_i| P_ref,i <= max_dollars, made to bind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

SOLVERS = (None, "OSQP", "CLARABEL", "ECOS")  # Turnover is not a LinearForm: no ACTIVESET


def _ids(s):
    return "default" if s is None else s


def _traded(res, current, prices) -> float:
    """Dollar turnover from shares, with numpy."""
    h = current.reindex(prices.columns).fillna(0.0).to_numpy()
    return float(np.abs(res.shares.to_numpy() - h) @ prices.iloc[-1].to_numpy())


@pytest.fixture(scope="module")
def current(market):
    """Equal-dollar current holdings worth the notional (whole shares)."""
    prices, basket, _ = market
    return pd.Series(np.round(basket.iloc[-1] / prices.shape[1] / prices.iloc[-1]),
                     index=prices.columns)


@pytest.fixture(scope="module")
def free(market, current):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly()).solve(
        solver="CLARABEL")
    return res, _traded(res, current, prices)


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_turnover_binds(market, current, free, solver):
    prices, basket, _ = market
    base, t0 = free
    limit = 0.5 * t0
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(
        ho.Budget(), ho.LongOnly(), ho.Turnover(current, max_dollars=limit)).solve(solver=solver)
    assert _traded(res, current, prices) == pytest.approx(limit, rel=1e-7)
    assert res.objective > base.objective
    assert res.violations == []
    if solver is None:
        assert res.solver == "OSQP"


def test_slack_turnover_leaves_the_optimum_alone(market, current, free):
    prices, basket, _ = market
    base, t0 = free
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(
        ho.Budget(), ho.LongOnly(), ho.Turnover(current, max_dollars=2 * t0)).solve(
        solver="CLARABEL")
    assert res.objective == pytest.approx(base.objective, rel=1e-7)


def test_zero_turnover_keeps_current_holdings(tiny):
    prices, basket = tiny
    current = pd.Series({"AAA": 2.0, "BBB": 1.0, "CCC": 5.0})
    res = ho.HedgeProblem(prices, basket).add(ho.Turnover(current, max_dollars=0.0)).solve(
        solver="CLARABEL")
    np.testing.assert_allclose(res.shares, current.to_numpy(), atol=1e-6)


def test_partial_holdings_dict(market, free):
    """Tickers absent from `current` are held at zero."""
    prices, basket, _ = market
    base, _ = free
    top = base.dollars.idxmax()
    current = {top: 1.5 * float(base.shares[top])}  # overweight the biggest name, hold no other
    full = pd.Series(0.0, index=prices.columns)
    full[top] = current[top]
    held = 1.5 * float(base.dollars[top])
    assert held < basket.iloc[-1]
    cheapest = basket.iloc[-1] - held  # the budget forces at least this much buying
    limit = 0.5 * (cheapest + _traded(base, full, prices))
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(
        ho.Budget(), ho.LongOnly(), ho.Turnover(current, max_dollars=limit)).solve(solver="OSQP")
    assert _traded(res, full, prices) == pytest.approx(limit, rel=1e-7)


# ------------------------------------------------------------------------------------------------
# check() and helpers in user units
# ------------------------------------------------------------------------------------------------


def test_traded_dollars_and_check(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)  # p_ref 15, 25, 5; notional 80
    t = ho.Turnover({"AAA": 1.0, "CCC": 2.0}, max_dollars=30.0)
    n = np.array([2.0, 1.0, 0.0])  # |1|*15 + |1|*25 + |-2|*5 = 50
    assert t.traded_dollars(n, ctx) == pytest.approx(50.0)
    np.testing.assert_array_equal(t.held(ctx), [1.0, 0.0, 2.0])
    assert t.check(n, ctx) == ["Turnover(max_dollars=30): trades $50.00 > $30.00"]
    assert t.check(np.array([1.0, 1.0, 2.0]), ctx) == []  # $25
    # tolerance is relative to the notional: $30 + 1e-6 * $80 is still within
    assert t.check(np.array([1.0, 1.2 + 0.9e-6 * 80 / 25, 2.0]), ctx) == []


@pytest.mark.parametrize("limit", [-1.0, np.nan, np.inf])
def test_bad_limit(limit):
    with pytest.raises(ho.InputError, match="max_dollars must be") as e:
        ho.Turnover({}, max_dollars=limit)
    assert e.value.field == "max_dollars"


@pytest.mark.parametrize("limit", [None, "1e6"])
def test_non_numeric_limit(limit):
    with pytest.raises(ho.InputError, match="max_dollars"):
        ho.Turnover({}, max_dollars=limit)


def test_unknown_and_non_numeric_holdings(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"Turnover.current: unknown tickers \['ZZZ'\]"):
        ho.HedgeProblem(prices, basket).add(ho.Turnover({"ZZZ": 1}, 10.0))
    with pytest.raises(ho.InputError, match="Turnover.current: values must be numeric"):
        ho.HedgeProblem(prices, basket).add(ho.Turnover({"AAA": "ten"}, 10.0))


def test_turnover_is_not_linear_form(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    assert ho.Turnover({}, 1.0).linear(ctx) is None
    assert repr(ho.Turnover({}, 2e6)) == "Turnover(max_dollars=2e+06)"
