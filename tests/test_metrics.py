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
    with pytest.raises(ho.InputError, match="shares must be finite"):
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
