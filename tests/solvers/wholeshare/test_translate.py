"""A HedgeProblem's whole-share constraints become rule instances that own their data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.costs import CostTerm
from hedgeopt.solvers.wholeshare.restrictions import (
    RULES,
    MaxNamesRule,
    MinPositionRule,
    MinTradeRule,
    TurnoverRule,
)


@pytest.fixture()
def small():
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=6, n_days=40, n_sectors=2, seed=3)
    return prices, basket


def _spec(small, *constraints):
    prices, basket = small
    prob = ho.HedgeProblem(prices, basket, lam=0.5, constraints=[ho.Budget(), ho.LongOnly(),
                                                                 *constraints])
    return prob.whole_share_spec()


def test_rules_hold_the_constraints_data_in_weights(small) -> None:
    prices, basket = small
    tickers = list(prices.columns)
    p_ref, b_ref = prices.iloc[-1].to_numpy(), float(basket.iloc[-1])
    cur = pd.Series({tickers[0]: 100.0, tickers[3]: 300.0})
    spec = _spec(small, ho.ShareLots(1), ho.MinTrade(cur, 5e4), ho.MaxNames(4),
                 ho.MinPosition(2e4), ho.Turnover(cur, 1e6), ho.MaxNames(3),
                 ho.MinPosition(3e4))
    # one rule per kind given, in the registration's order, whatever the constraints' order
    given = (TurnoverRule, MaxNamesRule, MinPositionRule, MinTradeRule)
    assert [type(r) for r in spec.rules] == [cls for cls in RULES if cls in given]
    tv, names, pos, trades = spec.rules
    h = cur.reindex(tickers, fill_value=0.0).to_numpy() * p_ref / b_ref
    assert isinstance(tv, TurnoverRule)
    np.testing.assert_allclose(tv.h, h)
    assert tv.tau == pytest.approx(1e6 / b_ref)
    assert isinstance(names, MaxNamesRule) and names.k == 3  # the tighter of the two
    assert isinstance(pos, MinPositionRule)
    np.testing.assert_allclose(pos.weight, np.full(6, 3e4 / b_ref))  # the larger floor
    assert isinstance(trades, MinTradeRule)
    np.testing.assert_allclose(trades.h, h)
    np.testing.assert_allclose(trades.mt, np.full(6, 5e4 / b_ref))
    assert spec.name_limit() == 3


def test_no_whole_share_rule_gives_no_rules(small) -> None:
    spec = _spec(small, ho.ShareLots(1))
    assert spec.rules == () and spec.name_limit() is None


def test_rules_that_do_not_combine_are_errors(small) -> None:
    prices, _ = small
    a = pd.Series({prices.columns[0]: 100.0})
    b = pd.Series({prices.columns[0]: 200.0})
    with pytest.raises(ho.InputError, match="at most one Turnover"):
        _spec(small, ho.ShareLots(1), ho.Turnover(a, 1e6), ho.Turnover(a, 2e6))
    with pytest.raises(ho.InputError, match="two MinTrade constraints with different holdings"):
        _spec(small, ho.ShareLots(1), ho.MinTrade(a, 1e4), ho.MinTrade(b, 1e4))
    with pytest.raises(ho.InputError, match="whole lots of ShareLots"):
        _spec(small, ho.ShareLots(1000), ho.MinTrade(pd.Series({prices.columns[0]: 150.0}),
                                                     1e4))


def test_a_min_position_of_zero_restricts_nothing(small) -> None:
    assert _spec(small, ho.ShareLots(1), ho.MinPosition(0.0)).rules == ()


def _priced_spec(small, *constraints):
    """The spec of a problem with costs, at a given rate (as the pricing solve sets it)."""
    prices, basket = small
    prob = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(band=(0.9, 1.1)),
                                                        *constraints)
    costs = [p for p in prob.penalties if isinstance(p, CostTerm)]
    for c in costs:
        c.scale_, c.exchange = prob.objective.scale(prob.ctx), 1234.5
    try:
        return prob, prob.whole_share_spec()
    finally:
        for c in costs:
            c.exchange = None


def test_linear_costs_are_the_recounted_dollars_at_their_price(small) -> None:
    prices, basket = small
    current = pd.Series(10.0, index=prices.columns[:3])
    tc = ho.TransactionCost(current, bps=12, per_share=0.02)
    bc = ho.BorrowCost(0.04, 30)
    prob, spec = _priced_spec(small, tc, bc)
    ctx = prob.ctx
    rng = np.random.default_rng(0)
    shares = rng.integers(-50, 80, prices.shape[1]).astype(float)
    p = prices.iloc[-1].to_numpy()
    trade = (12e-4 * p + 0.02) @ np.abs(shares - current.reindex(prices.columns).fillna(0.0))
    borrow = 0.04 * 30 / 365 * np.maximum(-shares * p, 0.0).sum()
    per_dollar = 1234.5 / (ctx.notional**2 * prob.objective.scale(ctx))
    w = ctx.weights_from_shares(shares)
    assert spec.cost(w).sum() == pytest.approx(per_dollar * (trade + borrow), rel=1e-12)


def test_costs_that_do_not_combine_with_whole_shares(small, market) -> None:
    prices, basket = small
    held = pd.Series(10.0, index=prices.columns[:2])
    with pytest.raises(ho.InputError, match="different current holdings"):
        _priced_spec(small, ho.ShareLots(1), ho.TransactionCost(held, bps=5),
                     ho.TransactionCost(None, per_share=0.01))
    # from current holdings with a binding name limit: the selection would not price them
    prices, basket, _ = market
    held = pd.Series(10.0, index=prices.columns[:2])
    with pytest.raises(ho.InputError, match="binding MaxNames / MinPosition"):
        ho.HedgeProblem(prices, basket).add(
            ho.Budget(band=(0.9, 1.1)), ho.LongOnly(), ho.ShareLots(1), ho.MaxNames(2),
            ho.TransactionCost(held, bps=5)).solve(time_limit=2)
