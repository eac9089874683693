"""Budget: hedge value at the reference date equals the notional, or lies in a band."""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")
#: binding constraints hold to $1 on $10M (verification tolerance is 1e-6)
RTOL = 1e-7


def _ids(s):
    return "default" if s is None else s


def _value(res, prices):
    """Hedge dollar value at the reference (last) date, from shares with numpy."""
    return float(res.shares.to_numpy() @ prices.iloc[-1].to_numpy())


@pytest.fixture(scope="module")
def free_value(market):
    """Hedge value of the unconstrained optimum as a fraction of the notional."""
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).solve(solver="CLARABEL")
    return _value(res, prices) / basket.iloc[-1], res.objective


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_equality_binds(market, free_value, solver):
    prices, basket, _ = market
    v0, obj0 = free_value
    assert abs(v0 - 1) > 1e-3  # the budget changes the answer
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget()).solve(solver=solver)
    assert _value(res, prices) == pytest.approx(basket.iloc[-1], rel=RTOL)
    assert res.weights.sum() == pytest.approx(1.0, rel=RTOL)
    assert res.metrics["net"] == pytest.approx(basket.iloc[-1], rel=RTOL)
    assert res.objective >= obj0 * (1 - 1e-9)
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
@pytest.mark.parametrize("notional", [4e6, 2.5e7])
def test_explicit_notional(market, solver, notional):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(notional=notional)).solve(
        solver=solver)
    assert _value(res, prices) == pytest.approx(notional, rel=RTOL)
    assert res.violations == []


@pytest.mark.parametrize("side, band", [("lower", (1.05, 1.10)), ("upper", (0.90, 0.95))])
@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_band_side_binds(market, free_value, solver, side, band):
    """A band above (below) the free optimum's value binds at its lower (upper) side."""
    prices, basket, _ = market
    v0, obj0 = free_value
    lo, hi = v0 * band[0], v0 * band[1]
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(band=(lo, hi))).solve(
        solver=solver)
    bound = lo if side == "lower" else hi
    assert _value(res, prices) == pytest.approx(bound * basket.iloc[-1], rel=RTOL)
    assert res.objective > obj0
    assert res.violations == []


@pytest.mark.parametrize("solver", ["ACTIVESET", "OSQP"])
def test_slack_band_leaves_the_optimum_alone(market, free_value, solver):
    prices, basket, _ = market
    v0, obj0 = free_value
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(band=(v0 - 0.1, v0 + 0.1)))\
        .solve(solver=solver)
    assert res.objective == pytest.approx(obj0, rel=RTOL)


def test_band_with_notional(market):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(
        ho.Budget(notional=2e7, band=(0.99, 1.0))).solve(solver="OSQP")
    value = _value(res, prices)
    assert 0.99 * 2e7 * (1 - 1e-9) <= value <= 2e7 * (1 + 1e-9)


def test_budget_at_a_middle_reference_date(market):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, reference=50).add(ho.Budget()).solve(solver="OSQP")
    assert float(res.shares @ prices.iloc[50]) == pytest.approx(basket.iloc[50], rel=RTOL)


# ------------------------------------------------------------------------------------------------
# check() in user units
# ------------------------------------------------------------------------------------------------


def test_check_reports_shortfall_in_dollars(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    # basket at the last date: 15 + 2*25 + 3*5 = $80
    assert ctx.notional == 80.0
    out = ho.Budget().check(np.array([1.0, 1.0, 0.0]), ctx, 1e-6)  # $40
    assert out == ["Budget(): hedge value is $40.00, below $80.00"]
    out = ho.Budget().check(np.array([1.0, 2.0, 4.0]), ctx, 1e-6)  # $85
    assert out == ["Budget(): hedge value is $85.00, above $80.00"]
    assert ho.Budget().check(np.array([1.0, 2.0, 3.0]), ctx, 1e-6) == []


def test_check_band_and_tolerance(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    band = ho.Budget(band=(0.5, 0.75))
    assert band.check(np.array([1.0, 1.0, 0.0]), ctx) == []            # $40 = 0.5 x $80
    assert band.check(np.array([1.0, 1.0, 0.0]) * 1.5, ctx) == []      # $60 = 0.75 x $80
    assert "above $60.00" in band.check(np.array([2.0, 2.0, 0.0]), ctx)[0]   # $80
    # tolerance is relative to the notional
    assert ho.Budget().check(np.array([1.0, 2.0, 3.0 + 1e-7]), ctx, tol=1e-6) == []
    assert ho.Budget().check(np.array([1.0, 2.0, 3.0 + 1e-3]), ctx, tol=1e-6) != []


def test_check_accepts_series_in_any_order(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    import pandas as pd

    s = pd.Series({"CCC": 3.0, "AAA": 1.0, "BBB": 2.0})
    assert ho.Budget().check(s, ctx) == []
    assert ho.Budget().check(pd.Series({"AAA": 1.0}), ctx) != []  # missing names hold 0


# ------------------------------------------------------------------------------------------------
# arguments
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("notional", [0, -1e6, np.nan, np.inf])
def test_bad_notional(notional):
    with pytest.raises(ho.InputError, match="notional must be") as e:
        ho.Budget(notional=notional)
    assert e.value.field == "notional"


def test_non_numeric_notional():
    with pytest.raises(ho.InputError, match="notional"):
        ho.Budget(notional="1e6")


@pytest.mark.parametrize("band", [(1.1, 0.9), (0.9, np.inf), (np.nan, 1.0), (1.0,), "ab",
                                  5, (1, 2, 3)])
def test_bad_band(band):
    with pytest.raises(ho.InputError, match="band") as e:
        ho.Budget(band=band)
    assert e.value.field == "band"


def test_linear_form_and_repr(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    f = ho.Budget(notional=40.0, band=(0.5, 1.0)).linear(ctx)
    np.testing.assert_array_equal(f.A, [[1.0, 1.0, 1.0]])
    np.testing.assert_allclose([f.lo[0], f.hi[0]], [0.25, 0.5])
    assert repr(ho.Budget()) == "Budget()"
    assert repr(ho.Budget(notional=5e6, band=(0.9, 1.0))) == \
        "Budget(notional=5e+06, band=(0.9, 1.0))"
