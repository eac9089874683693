"""Custom: user cvxpy constraints in dollar weights, compiled, solved and re-checked."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import hedgeopt as ho

SOLVERS = (None, "OSQP", "CLARABEL", "ECOS")  # Custom is not a LinearForm: no ACTIVESET


def _ids(s):
    return "default" if s is None else s


@pytest.fixture(scope="module")
def base(market):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly()).solve(
        solver="CLARABEL")


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_dollar_cap_on_one_name_binds(market, base, solver):
    prices, basket, _ = market
    i = int(np.argmax(base.dollars.to_numpy()))
    assert base.dollars.iloc[i] > 1e5
    cap = ho.Custom(lambda w, ctx: ctx.dollars(w)[i] <= 1e5, name="cap")
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly(), cap).solve(
        solver=solver)
    dollars = res.shares.iloc[i] * prices.iloc[-1].iloc[i]
    assert dollars == pytest.approx(1e5, rel=1e-7)
    assert res.objective > base.objective
    assert res.violations == []
    if solver is None:
        assert res.solver == "OSQP"


def test_first_name_example_from_the_brief(market, base):
    prices, basket, _ = market
    cap = ho.Custom(lambda w, ctx: ctx.dollars(w)[0] <= 1e5)
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), cap).solve(solver="OSQP")
    assert res.shares.iloc[0] * prices.iloc[-1].iloc[0] <= 1e5 * (1 + 1e-7)
    assert res.violations == []


def test_list_of_constraints(market, base):
    prices, basket, _ = market
    top2 = list(np.argsort(base.dollars.to_numpy())[-2:])
    cons = ho.Custom(lambda w, ctx: [ctx.dollars(w)[j] <= 5e5 for j in top2] + [w >= 0])
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), cons).solve(solver="CLARABEL")
    dollars = res.shares.to_numpy() * prices.iloc[-1].to_numpy()
    np.testing.assert_allclose(dollars[top2], [5e5, 5e5], rtol=1e-7)
    assert dollars.min() >= -1e-3


def test_custom_equals_builtin_equivalent(market):
    """A group-weight constraint written by hand equals the SectorCap on the same group."""
    prices, basket, sectors = market
    s = sectors.reindex(prices.columns)
    group = sectors.value_counts().index[0]
    mask = (s == group).to_numpy(float)
    custom = ho.Custom(lambda w, ctx: mask @ w <= 0.1)
    a = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), custom).solve(
        solver="CLARABEL")
    b = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight={group: 0.1})).solve(
        solver="CLARABEL")
    assert a.objective == pytest.approx(b.objective, rel=1e-7)


def test_share_limit_via_ctx_shares(market, base):
    prices, basket, _ = market
    i = int(np.argmax(base.shares.to_numpy()))
    limit = 0.5 * float(base.shares.iloc[i])
    cap = ho.Custom(lambda w, ctx: ctx.shares(w)[i] <= limit)
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly(), cap).solve(
        solver="OSQP")
    assert res.shares.iloc[i] == pytest.approx(limit, rel=1e-7)


def test_activeset_refuses_custom(market):
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket).add(ho.Custom(lambda w, ctx: w >= 0))
    with pytest.raises(ho.InputError, match="linear constraints only"):
        prob.solve(solver="ACTIVESET")


# ------------------------------------------------------------------------------------------------
# check() in user units
# ------------------------------------------------------------------------------------------------


def test_check_reports_violation_with_name(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)  # p_ref 15, 25, 5; notional 80
    cap = ho.Custom(lambda w, ctx: ctx.dollars(w)[1] <= 30.0, name="BBB <= $30")
    out = cap.check(np.array([1.0, 2.0, 3.0]), ctx)  # BBB is $50: $20 over
    assert len(out) == 1
    assert out[0].startswith("Custom(name='BBB <= $30'): ")
    assert "violated by 20" in out[0]
    assert cap.check(np.array([1.0, 1.0, 3.0]), ctx) == []  # $25


def test_check_tolerance_scales_with_expression(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    cap = ho.Custom(lambda w, ctx: ctx.dollars(w)[1] <= 30.0)
    # $30 + 1e-5 is within tol=1e-6 of an expression of size 30
    assert cap.check(np.array([1.0, 1.2 + 1e-5 / 25 * 1e-1, 3.0]), ctx) == []
    assert cap.check(np.array([1.0, 1.2 + 1e-3, 3.0]), ctx) != []


def test_name_defaults_to_function_name():
    def max_first(w, ctx):
        return w[0] <= 0.1

    assert ho.Custom(max_first).name == "max_first"
    assert repr(ho.Custom(max_first)) == "Custom(name='max_first')"
    assert ho.Custom(lambda w, ctx: w[0] <= 0.1, name="x").name == "x"


def test_not_callable():
    with pytest.raises(ho.InputError, match="fn must be callable") as e:
        ho.Custom(5)
    assert e.value.field == "fn"


def test_returning_non_constraints_is_input_error(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    with pytest.raises(ho.InputError, match="must return cvxpy constraints"):
        ho.Custom(lambda w, ctx: [w[0]]).compile(cp.Variable(3), ctx)


@pytest.mark.parametrize("value", [5, True])
def test_returning_a_scalar_is_input_error(tiny, value):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="must return cvxpy constraints"):
        ho.HedgeProblem(prices, basket).add(ho.Custom(lambda w, ctx: value)).solve(solver="OSQP")


# ------------------------------------------------------------------------------------------------
# errors of user code name the Custom
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, pattern, cause", [
    (lambda w, ctx: 1 / 0, r"Custom\(name='bad'\): fn\(w, ctx\) raised ZeroDivisionError",
     ZeroDivisionError),
    (lambda w, ctx: 5, "fn must return cvxpy constraints", None),
    (lambda w, ctx: cp.sum_squares(w) >= 1, r"is not convex \(not DCP\)", None),
    (lambda w, ctx: cp.Variable(3) >= 0, "uses a variable other than w", None),
    (lambda w, ctx: w[:2] @ np.ones(3) <= 1, r"raised ValueError", ValueError),
])
def test_custom_errors_name_the_custom(market, fn, pattern, cause):
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match=pattern) as e:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Custom(fn, name="bad"))
    assert "Custom(name='bad')" in str(e.value)
    if cause is not None:
        assert isinstance(e.value.__cause__, cause)
