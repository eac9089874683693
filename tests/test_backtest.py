"""ho.backtest: walk-forward fits, buy-and-hold evaluation, re-hedges with turnover and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.problem import HedgeProblem
from hedgeopt.workflow.backtest import backtest
from hedgeopt.workflow.fitting import make_problem, ridge_scale

CONS = (ho.Budget(), ho.LongOnly())


@pytest.fixture(scope="module")
def daily() -> tuple[pd.DataFrame, pd.Series]:
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=15, n_days=300, n_basket=20,
                                                     seed=21)
    return prices, basket


def test_periods_equal_evaluate_on_the_same_windows(daily) -> None:
    prices, basket = daily
    bt = backtest(prices, basket, CONS, lam=0.1, ridge=0.05, fit_window=120, hold=40)
    assert len(bt.periods) == len(range(119, 299, 40))
    for k, row in bt.periods.iterrows():
        ref, end = prices.index.get_loc(row["reference"]), prices.index.get_loc(row["end"])
        assert end == min(ref + 40, len(prices) - 1) and row["rows"] == end - ref
        shares = bt.holdings.iloc[k]
        ev = ho.evaluate(shares, prices.iloc[ref:end + 1], basket.iloc[ref:end + 1],
                         reference=0)
        for col in ("pnl_te", "value_te", "rms_gap", "final_gap", "max_abs_gap", "gross"):
            assert row[col] == pytest.approx(ev[col], rel=1e-10, abs=1e-6), col
        assert row["names"] == ev["names"]
        # the shares are the fit on the window ending at the reference date
        fit_lo = ref - 120 + 1
        assert prices.index.get_loc(row["fit_start"]) == fit_lo
        rid = ho.Ridge(0.0)
        prob = make_problem(prices.iloc[fit_lo:ref + 1], basket.iloc[fit_lo:ref + 1], lam=0.1,
                            constraints=[*CONS, rid], pnl="price")  # backtest default: DEFAULT_PNL
        rid.strength = 0.05 * ridge_scale(prob)
        np.testing.assert_allclose(shares.to_numpy(), prob.solve().shares.to_numpy(),
                                   rtol=1e-6, atol=1e-6)


def test_pnl_series_is_hedge_minus_basket_with_latest_hedge(daily) -> None:
    prices, basket = daily
    bt = backtest(prices, basket, CONS, fit_window=120, hold=40, step=30)
    P, B = prices.to_numpy(), basket.to_numpy()
    refs = [prices.index.get_loc(r) for r in bt.periods["reference"]]
    assert bt.pnl.index[0] == prices.index[refs[0] + 1]
    for k, ref in enumerate(refs):
        nxt = refs[k + 1] if k + 1 < len(refs) else min(ref + 40, len(P) - 1)
        n = bt.holdings.iloc[k].to_numpy()
        expected = np.diff(P[ref:nxt + 1] @ n) - np.diff(B[ref:nxt + 1])
        got = bt.pnl.loc[prices.index[ref + 1]:prices.index[nxt]].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-6)
    # with a Budget the hedge starts each period at the basket's value: the period's P&L gaps
    # add up to its final gap
    bt2 = backtest(prices, basket, CONS, fit_window=120, hold=40)
    first = bt2.periods.iloc[0]
    seg = bt2.pnl.loc[:first["end"]]
    assert seg.sum() == pytest.approx(first["final_gap"], rel=1e-9, abs=1e-3)


def test_one_problem_reused_through_update_data(daily, monkeypatch) -> None:
    prices, basket = daily
    built = []
    init = HedgeProblem.__init__

    def counting(self, *a, **k):
        built.append(1)
        init(self, *a, **k)

    monkeypatch.setattr(HedgeProblem, "__init__", counting)
    updates = []
    upd = HedgeProblem.update_data

    def spy(self, *a, **k):
        updates.append(1)
        return upd(self, *a, **k)

    monkeypatch.setattr(HedgeProblem, "update_data", spy)
    bt = backtest(prices, basket, CONS, fit_window=120, hold=40, ridge=0.1)
    assert len(built) == 1 and len(updates) == len(bt.periods) - 1


def test_rehedge_turnover_limit_and_costs(daily) -> None:
    prices, basket = daily
    free = backtest(prices, basket, CONS, fit_window=120, hold=40, cost_bps=10.0)
    assert free.periods["turnover"].iloc[0] == pytest.approx(free.periods["gross"].iloc[0])
    limit = 0.5 * free.periods["turnover"].iloc[1:].min()
    bt = backtest(prices, basket, CONS, fit_window=120, hold=40, rehedge=limit, cost_bps=10.0)
    P = prices.to_numpy()
    held = np.zeros(prices.shape[1])
    for k, row in bt.periods.iterrows():
        n = bt.holdings.iloc[k].to_numpy()
        ref = prices.index.get_loc(row["reference"])
        traded = np.abs(n - held) @ P[ref]
        assert row["turnover"] == pytest.approx(traded, rel=1e-9)
        assert row["costs"] == pytest.approx(traded * 10e-4, rel=1e-9)
        if k > 0 and not row["turnover_relaxed"]:
            assert traded <= limit * (1 + 1e-5)
        # the Budget still holds at every re-hedge
        assert n @ P[ref] == pytest.approx(basket.iloc[ref], rel=1e-6)
        held = n
    assert bt.summary["costs"] == pytest.approx(bt.periods["costs"].sum())
    assert bt.summary["turnover"] < free.summary["turnover"]
    assert bt.net_pnl.sum() == pytest.approx(bt.pnl.sum() - bt.costs.iloc[1:].sum()
                                             - bt.costs.iloc[0], rel=1e-9)


def test_rehedge_limit_below_budget_need_is_relaxed(daily) -> None:
    prices, basket = daily
    bt = backtest(prices, basket, CONS, fit_window=120, hold=40, rehedge=0.0)
    later = bt.periods.iloc[1:]
    assert later["turnover_relaxed"].all()
    # the least turnover that restores the Budget: the drift of the held value from the basket
    P = prices.to_numpy()
    for k in range(1, len(bt.periods)):
        ref = prices.index.get_loc(bt.periods["reference"].iloc[k])
        need = abs(bt.holdings.iloc[k - 1].to_numpy() @ P[ref] - basket.iloc[ref])
        assert bt.periods["turnover"].iloc[k] == pytest.approx(need, rel=1e-4, abs=1.0)


def test_tuner_does_not_peek(daily) -> None:
    """Corrupting every row after the second reference date leaves the first two hedges."""
    prices, basket = daily
    kw = dict(fit_window=120, hold=60, tuner={"lam": (0.0, 0.1), "ridge": (0.0, 0.1),
                                              "folds": 2, "hold": 15})
    a = backtest(prices, basket, CONS, **kw)
    ref2 = prices.index.get_loc(a.periods["reference"].iloc[1])
    bad_p, bad_b = prices.copy(), basket.copy()
    bad_p.iloc[ref2 + 1:] *= 1.7
    bad_b.iloc[ref2 + 1:] *= 0.6
    b = backtest(bad_p, bad_b, CONS, **kw)
    pd.testing.assert_frame_equal(a.holdings.iloc[:2], b.holdings.iloc[:2])
    assert not np.allclose(a.holdings.iloc[2], b.holdings.iloc[2])
    assert {"lam", "ridge", "pnl"} <= set(a.periods.columns)


def test_orlib_protocol_single_period() -> None:
    if ho.datasets.orlib_dir() is None:
        pytest.skip("OR-Library data not available")
    index, prices = ho.datasets.load_orlib(1)
    basket = 1e7 * index / index.iloc[144]
    bt = backtest(prices, basket, CONS, lam=0.5, pnl="price", fit_window=145, hold=146,
                  start=144)
    assert len(bt.periods) == 1
    direct = ho.HedgeProblem(prices.iloc[:145], basket.iloc[:145], lam=0.5,
                             constraints=CONS).solve()
    ev = ho.evaluate(direct.shares, prices.iloc[144:], basket.iloc[144:])
    assert bt.periods["pnl_te"].iloc[0] == pytest.approx(ev["pnl_te"], rel=1e-6)
    assert bt.periods["value_te"].iloc[0] == pytest.approx(ev["value_te"], rel=1e-6)


def test_bad_arguments(daily) -> None:
    prices, basket = daily
    with pytest.raises(ho.InputError, match="start"):
        backtest(prices, basket, CONS, fit_window=120, hold=40, start=len(prices) - 1)
    with pytest.raises(ho.InputError, match="fit_window"):
        backtest(prices, basket, CONS, fit_window=200, hold=40, start=100)
    with pytest.raises(ho.InputError, match="rehedge"):
        backtest(prices, basket, CONS, fit_window=120, hold=40, rehedge=-1.0)
    with pytest.raises(ho.InputError, match="tuner"):
        backtest(prices, basket, CONS, fit_window=120, hold=40, tuner="yes")
    with pytest.raises(ho.InputError, match="lam"):
        backtest(prices, basket, CONS, fit_window=120, hold=40, lam=2.0)


def test_tuner_with_rehedge_limit(daily) -> None:
    """With a tuner and a turnover limit every tuned member is refitted under the limit; their
    average keeps it (a convex constraint) and the Budget."""
    prices, basket = daily
    limit = 1.5e6
    bt = backtest(prices, basket, CONS, fit_window=120, hold=60, rehedge=limit,
                  tuner={"lam": (0.0,), "ridge": (0.0, 0.1), "folds": 2, "hold": 15,
                         "average": "pnl"})
    P = prices.to_numpy()
    for k in range(1, len(bt.periods)):
        row = bt.periods.iloc[k]
        ref = prices.index.get_loc(row["reference"])
        n, held = bt.holdings.iloc[k].to_numpy(), bt.holdings.iloc[k - 1].to_numpy()
        if not row["turnover_relaxed"]:
            assert np.abs(n - held) @ P[ref] <= limit * (1 + 1e-5)
        assert n @ P[ref] == pytest.approx(basket.iloc[ref], rel=1e-6)
        assert "average of 2" in row["solver"]
