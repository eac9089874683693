"""evaluate / tracking_objective / basket_value against numpy, in and out of sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


def _numpy_metrics(n, prices, basket, lam, ref_row=-1):
    V = prices.to_numpy() @ n
    B = basket.to_numpy()
    d = V - B
    return {
        "objective": (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1),
        "pnl_te": np.std(np.diff(d), ddof=1),
        "value_te": np.std(d, ddof=1),
        "rms_gap": np.sqrt(np.mean(d**2)),
        "effectiveness": 1 - np.var(np.diff(d), ddof=1) / np.var(np.diff(B), ddof=1),
        "pnl_corr": np.corrcoef(np.diff(V), np.diff(B))[0, 1],
        "final_gap": d[-1],
        "max_abs_gap": np.abs(d).max(),
        "names": np.count_nonzero(n),
        "gross": np.abs(n) @ prices.iloc[ref_row].to_numpy(),
        "net": n @ prices.iloc[ref_row].to_numpy(),
    }


def test_out_of_sample_evaluate_matches_numpy(long_market):
    prices, basket, _ = long_market
    fit_p, fit_b = prices.iloc[:120], basket.iloc[:120]
    oos_p, oos_b = prices.iloc[120:], basket.iloc[120:]
    res = ho.HedgeProblem(fit_p, fit_b, lam=0.3).add(ho.Budget(), ho.LongOnly()).solve(
        solver="OSQP")
    m = ho.evaluate(res.shares, oos_p, oos_b, lam=0.3)
    expected = _numpy_metrics(res.shares.to_numpy(), oos_p, oos_b, 0.3)
    assert list(m.index) == list(expected)
    for key, value in expected.items():
        assert m[key] == pytest.approx(value, rel=1e-10, abs=1e-9), key
    # out of sample is worse than in sample, but still a hedge
    assert m["objective"] > 0
    assert m["effectiveness"] > 0


def test_evaluate_reference_row(long_market):
    prices, basket, _ = long_market
    n = np.random.default_rng(1).uniform(0, 100, size=prices.shape[1])
    m = ho.evaluate(pd.Series(n, index=prices.columns), prices, basket, lam=0.5, reference=10)
    expected = _numpy_metrics(n, prices, basket, 0.5, ref_row=10)
    assert m["gross"] == pytest.approx(expected["gross"], rel=1e-12)
    assert m["net"] == pytest.approx(expected["net"], rel=1e-12)
    assert m["final_gap"] == pytest.approx(expected["final_gap"], rel=1e-12)


def test_evaluate_partial_shares_and_dict(tiny):
    prices, basket = tiny
    m = ho.evaluate({"BBB": 2.0}, prices, basket, lam=1.0)
    expected = _numpy_metrics(np.array([0.0, 2.0, 0.0]), prices, basket, 1.0)
    assert m["objective"] == pytest.approx(expected["objective"], rel=1e-12)
    assert m["names"] == 1
    # the perfect hedge
    perfect = ho.evaluate(pd.Series({"AAA": 1.0, "BBB": 2.0, "CCC": 3.0}), prices, basket)
    assert perfect["objective"] == pytest.approx(0.0, abs=1e-20)
    assert perfect["effectiveness"] == pytest.approx(1.0)
    assert perfect["pnl_corr"] == pytest.approx(1.0)
    assert perfect["max_abs_gap"] == pytest.approx(0.0, abs=1e-12)


def test_evaluate_errors(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"shares: unknown tickers \['ZZZ'\]"):
        ho.evaluate({"ZZZ": 1.0}, prices, basket)
    with pytest.raises(ho.InputError, match="shares"):
        ho.evaluate({"AAA": np.inf}, prices, basket)
    with pytest.raises(ho.InputError, match="lam"):
        ho.evaluate({"AAA": 1.0}, prices, basket, lam=2)
    with pytest.raises(ho.InputError, match="basket dates do not match"):
        ho.evaluate({"AAA": 1.0}, prices, basket.iloc[:-1])
    bad = prices.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(ho.InputError, match="AAA"):
        ho.evaluate({"AAA": 1.0}, bad, basket)


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_tracking_objective(tiny, lam):
    prices, basket = tiny
    n = np.array([0.5, 1.0, 4.0])
    d = prices.to_numpy() @ n - basket.to_numpy()
    expected = (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1)
    got = ho.tracking_objective(pd.Series(n, index=prices.columns), prices, basket, lam)
    assert got == pytest.approx(expected, rel=1e-12)


def test_basket_value_matches_units_times_prices(long_market):
    prices, _, _ = long_market
    units = pd.Series({prices.columns[3]: 120, prices.columns[0]: 45, prices.columns[7]: 300})
    b = ho.basket_value(units, prices)
    expected = prices[units.index].to_numpy() @ units.to_numpy(dtype=float)
    np.testing.assert_allclose(b.to_numpy(), expected, rtol=1e-15)
    assert b.index.equals(prices.index) and b.name == "basket"
    # also from a dict, and usable as the basket of a problem
    b2 = ho.basket_value(units.to_dict(), prices)
    pd.testing.assert_series_equal(b, b2)
    res = ho.HedgeProblem(prices, b, lam=0.5).add(ho.Budget()).solve(solver="CLARABEL")
    np.testing.assert_allclose(res.shares[units.index], units.to_numpy(dtype=float), rtol=1e-6)


def test_basket_value_errors(tiny):
    prices, _ = tiny
    with pytest.raises(ho.InputError, match=r"no prices for \['ZZZ'\]") as e:
        ho.basket_value({"AAA": 1, "ZZZ": 2}, prices)
    assert e.value.field == "units"
    with pytest.raises(ho.InputError, match="DataFrame"):
        ho.basket_value({"AAA": 1}, prices.to_numpy())
    bad = prices.copy()
    bad.iloc[2, 0] = -1.0
    with pytest.raises(ho.InputError, match="finite and > 0"):
        ho.basket_value({"AAA": 1}, bad)
    # bad prices of names outside the basket do not matter
    assert len(ho.basket_value({"BBB": 1}, bad)) == len(prices)


def test_synthetic_basket_is_its_units_at_last_prices(market):
    _, basket, _ = market
    units = pd.Series(basket.attrs["units"], dtype=float)
    last = pd.Series(basket.attrs["last_prices"], dtype=float)
    assert float(units @ last[units.index]) == pytest.approx(basket.iloc[-1], rel=1e-9)


def _oos_hedges(long_market):
    """The lam=0 fit on the first 120 rows and no hedge at all, for the last 40 rows."""
    prices, basket, _ = long_market
    res = ho.HedgeProblem(prices.iloc[:120], basket.iloc[:120], lam=0.0).add(
        ho.Budget(), ho.LongOnly()).solve()
    return res.shares, 0.0 * res.shares, prices.iloc[120:], basket.iloc[120:]


def test_compare_window_columns_are_evaluate_and_a_clear_winner_is_certain(long_market):
    good, none, prices, basket = _oos_hedges(long_market)
    out = ho.compare(good, none, prices, basket)
    assert list(out.index) == ["pnl_te", "value_te"]
    assert list(out.columns) == ["a", "b", "ratio", "low", "high", "p_a_better"]
    for shares, col in ((good, "a"), (none, "b")):
        m = ho.evaluate(shares, prices, basket)
        assert out.loc["pnl_te", col] == pytest.approx(m["pnl_te"], rel=1e-12)
        assert out.loc["value_te", col] == pytest.approx(m["value_te"], rel=1e-12)
    np.testing.assert_allclose(out["ratio"], out["a"] / out["b"], rtol=1e-12)
    # the hedge removes most of the basket's P&L variance, on every resampled path
    assert out.loc["pnl_te", "high"] < 0.5
    assert out.loc["pnl_te", "p_a_better"] == 1.0
    assert (out["low"] <= out["high"]).all()
    # reproducible by seed, different across seeds
    pd.testing.assert_frame_equal(out, ho.compare(good, none, prices, basket))
    other = ho.compare(good, none, prices, basket, seed=5)
    assert other.loc["value_te", "low"] != out.loc["value_te", "low"]


def test_compare_resampling_mechanics(long_market):
    good, none, prices, basket = _oos_hedges(long_market)
    # the same hedge twice: every draw is a tie
    same = ho.compare(good, good, prices, basket, n_boot=200)
    np.testing.assert_allclose(same[["ratio", "low", "high"]], 1.0, rtol=1e-12)
    assert (same["p_a_better"] == 0.0).all()
    # one block as long as the window: every draw is a circular shift of the same P&L gaps, so
    # the P&L-gap std of each hedge (and their ratio) is the window's in every draw
    whole = ho.compare(good, none, prices, basket, block=len(prices) - 1, n_boot=200)
    ratio = whole.loc["pnl_te", "ratio"]
    assert whole.loc["pnl_te", "low"] == pytest.approx(ratio, rel=1e-12)
    assert whole.loc["pnl_te", "high"] == pytest.approx(ratio, rel=1e-12)
    # block 1 (i.i.d. periods): the value-gap interval is a real interval around the ratio
    iid = ho.compare(good, none, prices, basket, block=1, level=0.5)
    assert iid.loc["value_te", "low"] < iid.loc["value_te", "high"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n_boot": 10}, "n_boot"), ({"n_boot": 500.0}, "n_boot"), ({"level": 1.0}, "level"),
    ({"level": "90%"}, "level"), ({"block": 0}, "block"), ({"block": 40}, "block"),
    ({"block": 2.5}, "block"),
])
def test_compare_errors_name_the_field(long_market, kwargs, field):
    good, none, prices, basket = _oos_hedges(long_market)
    with pytest.raises(ho.InputError) as e:
        ho.compare(good, none, prices, basket, **kwargs)
    assert e.value.field == field


def test_compare_validates_shares_and_data(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="unknown tickers"):
        ho.compare({"ZZZ": 1.0}, {"AAA": 1.0}, prices, basket)
    with pytest.raises(ho.InputError, match="basket dates do not match"):
        ho.compare({"AAA": 1.0}, {"BBB": 1.0}, prices, basket.iloc[:-1])
