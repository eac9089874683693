"""LongOnly, Bounds (shares / dollars, scalar / per ticker) and Exclude, each made to bind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")
RTOL = 1e-7  # binding limits hold to this relative accuracy ($1 on $10M)


def _ids(s):
    return "default" if s is None else s


@pytest.fixture(scope="module")
def base(market):
    """Budget only: the reference solution that has shorts and concentrated longs."""
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget()).solve(solver="CLARABEL")
    return res


def _solve(market, *cons, solver=None):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), *cons).solve(solver=solver)


def _dollars(res, market):
    prices = market[0]
    return res.shares.to_numpy() * prices.iloc[-1].to_numpy()


# ------------------------------------------------------------------------------------------------
# LongOnly
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_long_only_binds(market, base, solver):
    assert (base.shares < 0).sum() >= 3  # the unconstrained budget hedge shorts
    res = _solve(market, ho.LongOnly(), solver=solver)
    dollars = _dollars(res, market)
    assert dollars.min() >= -1e-3  # not even a tenth of a cent short
    assert (res.shares == 0).sum() >= 1
    assert res.objective > base.objective
    assert res.violations == []


def test_long_only_check_names_ticker_and_units(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    out = ho.LongOnly().check(np.array([1.0, -2.0, 3.0]), ctx)
    assert len(out) == 1
    # BBB at $25 on the reference date
    assert out[0] == ("LongOnly(): BBB holds -2 shares ($-50.00), below lower bound 0 shares "
                      "($0.00)")
    assert ho.LongOnly().check(np.array([1.0, 0.0, 3.0]), ctx) == []
    assert len(ho.LongOnly().check(-np.ones(3), ctx)) == 3


# ------------------------------------------------------------------------------------------------
# Bounds in shares
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_scalar_upper_in_shares_binds(market, base, solver):
    cap = 0.5 * base.shares.max()
    res = _solve(market, ho.Bounds(upper=cap), solver=solver)
    assert res.shares.max() == pytest.approx(cap, rel=RTOL)
    assert (res.shares <= cap * (1 + 1e-9)).all()
    assert res.objective > base.objective
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_scalar_lower_in_shares_binds(market, base, solver):
    floor = 0.5 * base.shares.min()
    assert floor < 0
    res = _solve(market, ho.Bounds(lower=floor), solver=solver)
    assert res.shares.min() == pytest.approx(floor, rel=RTOL)
    assert (res.shares >= floor * (1 + 1e-9)).all()
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_per_ticker_series_in_shares_binds(market, base, solver):
    top = base.dollars.idxmax()
    short = base.dollars.idxmin()
    upper = pd.Series({top: 0.5 * base.shares[top]})
    lower = {short: 0.5 * base.shares[short]}
    res = _solve(market, ho.Bounds(lower=lower, upper=upper), solver=solver)
    assert res.shares[top] == pytest.approx(upper[top], rel=RTOL)
    assert res.shares[short] == pytest.approx(lower[short], rel=RTOL)
    assert res.violations == []


def test_nan_in_series_is_an_error_inf_means_unbounded(market, base):
    top = base.dollars.idxmax()
    upper = pd.Series(np.nan, index=base.shares.index)
    upper[top] = 0.5 * base.shares[top]
    with pytest.raises(ho.InputError, match=r"Bounds.upper: NaN for ticker\(s\)"):
        _solve(market, ho.Bounds(upper=upper), solver="OSQP")
    upper = upper.fillna(np.inf)
    res = _solve(market, ho.Bounds(upper=upper), solver="OSQP")
    assert res.shares[top] == pytest.approx(upper[top], rel=RTOL)
    # names without a number are free to exceed the bound on `top`
    assert res.shares.drop(top).max() > upper[top]


# ------------------------------------------------------------------------------------------------
# Bounds in dollars
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_scalar_dollar_bounds_bind_both_sides(market, base, solver):
    hi = 0.5 * base.dollars.max()
    lo = 0.5 * base.dollars.min()
    res = _solve(market, ho.Bounds(lower=lo, upper=hi, unit="dollars"), solver=solver)
    dollars = _dollars(res, market)
    assert dollars.max() == pytest.approx(hi, rel=RTOL)
    assert dollars.min() == pytest.approx(lo, rel=RTOL)
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_per_ticker_dollar_bounds_bind(market, base, solver):
    top, short = base.dollars.idxmax(), base.dollars.idxmin()
    upper = pd.Series({top: 1e5})
    lower = pd.Series({short: -1e4})
    res = _solve(market, ho.Bounds(lower=lower, upper=upper, unit="dollars"), solver=solver)
    price = market[0].iloc[-1]
    assert res.shares[top] * price[top] == pytest.approx(1e5, rel=RTOL)
    assert res.shares[short] * price[short] == pytest.approx(-1e4, rel=RTOL)


def test_bounds_check_messages_in_shares_and_dollars(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)  # reference prices 15, 25, 5
    out = ho.Bounds(upper=2.0).check(np.array([1.0, 2.0, 3.0]), ctx)
    assert out == ["Bounds(lower=None, upper=2, unit='shares'): CCC holds 3 shares ($15.00), "
                   "above upper bound 2 shares ($10.00)"]
    out = ho.Bounds(lower=pd.Series({"AAA": 2.0}), unit="shares").check(
        np.array([1.0, 2.0, 3.0]), ctx)
    assert len(out) == 1 and "AAA holds 1 shares ($15.00), below lower bound 2 shares ($30.00)" \
        in out[0]
    out = ho.Bounds(upper=40.0, unit="dollars").check(np.array([1.0, 2.0, 3.0]), ctx)
    assert len(out) == 1 and "BBB holds 2 shares ($50.00), above upper bound 1.6 shares " \
        "($40.00)" in out[0]


def test_bounds_arguments():
    with pytest.raises(ho.InputError, match="give lower, upper or both"):
        ho.Bounds()
    with pytest.raises(ho.InputError, match="unit must be 'shares' or 'dollars'") as e:
        ho.Bounds(upper=1, unit="euros")
    assert e.value.field == "unit"


def test_bounds_lower_above_upper_names_tickers(tiny):
    prices, basket = tiny
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"lower > upper for \['BBB'\]"):
        prob.add(ho.Bounds(lower={"BBB": 5.0}, upper=1.0))


def test_bounds_non_numeric(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="Bounds.upper: values must be numeric"):
        ho.HedgeProblem(prices, basket).add(ho.Bounds(upper={"AAA": "lots"}))


def test_bounds_linear_form_units(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)  # notional 80, p_ref 15, 25, 5
    f = ho.Bounds(lower=-1.0, upper={"AAA": 4.0}).linear(ctx)
    np.testing.assert_allclose(f.lb, [-15 / 80, -25 / 80, -5 / 80])
    np.testing.assert_allclose(f.ub, [60 / 80, np.inf, np.inf])
    f = ho.Bounds(upper=40.0, unit="dollars").linear(ctx)
    np.testing.assert_allclose(f.ub, [0.5, 0.5, 0.5])


# ------------------------------------------------------------------------------------------------
# Exclude
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_exclude_holds_exactly_zero(market, base, solver):
    names = list(base.dollars.abs().sort_values().index[-3:])  # the three biggest positions
    res = _solve(market, ho.Exclude(names), solver=solver)
    assert (res.shares[names] == 0.0).all()
    assert res.objective > base.objective
    assert res.violations == []
    assert res.metrics["names"] <= len(base.shares) - 3


def test_exclude_single_string_and_check(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    ex = ho.Exclude("BBB")
    assert ex.tickers == ["BBB"]
    out = ex.check(np.array([1.0, 0.5, 3.0]), ctx)
    assert len(out) == 1 and "BBB holds 0.5 shares ($12.50), above upper bound 0 shares" in out[0]
    out = ex.check(np.array([1.0, -0.5, 3.0]), ctx)
    assert len(out) == 1 and "below lower bound" in out[0]
    assert ex.check(np.array([1.0, 0.0, 3.0]), ctx) == []


def test_exclude_arguments_and_repr():
    with pytest.raises(ho.InputError, match="at least one ticker"):
        ho.Exclude([])
    assert repr(ho.Exclude(["A", "B"])) == "Exclude(tickers=['A', 'B'])"
    assert repr(ho.Exclude(list("ABCDEFG"))) == \
        "Exclude(tickers=['A', 'B', 'C', 'D', 'E', '...'])"


def test_exclude_everything_but_one_with_budget(tiny, ref):
    prices, basket = tiny
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Exclude(["AAA", "CCC"])).solve(
        solver="OSQP")
    # only BBB can carry the $80 budget: 80 / 25 shares
    assert res.shares.tolist() == pytest.approx([0.0, 80 / 25, 0.0], abs=1e-9)
