"""Contract multipliers: units x price x multiplier = dollars, results in units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


def test_a_future_is_its_multiplied_price(market, ref) -> None:
    prices, basket, _ = market
    fut = prices.columns[0]
    m = {fut: 50.0}
    res = ho.HedgeProblem(prices, basket, multipliers=m).add(ho.Budget()).solve()
    scaled = prices.copy()
    scaled[fut] = scaled[fut] * 50
    plain = ho.HedgeProblem(scaled, basket).add(ho.Budget()).solve()
    np.testing.assert_allclose(res.shares, plain.shares, rtol=1e-9)
    units = res.shares.to_numpy()
    assert res.objective == pytest.approx(ref.objective(units, scaled, basket, 0.0), rel=1e-9)
    dollars = units * prices.iloc[-1].to_numpy() * np.where(prices.columns == fut, 50.0, 1.0)
    assert dollars.sum() == pytest.approx(basket.iloc[-1], rel=1e-12)
    frame = res.to_frame()
    assert list(frame.columns) == ["units", "price", "multiplier", "dollars", "weight"]
    assert frame.loc[fut, "multiplier"] == 50 and frame.loc[fut, "price"] == pytest.approx(
        prices[fut].iloc[-1])
    np.testing.assert_allclose(frame["dollars"], dollars, rtol=1e-12)


def test_whole_contracts_and_participation_in_units(market) -> None:
    prices, basket, _ = market
    fut = prices.columns[1]
    adv = pd.Series(1e6, index=prices.columns)
    adv[fut] = 30.0  # 10%: 3 contracts
    res = ho.HedgeProblem(prices, basket, multipliers={fut: 50.0}).add(
        ho.Budget(band=(0.99, 1.0)), ho.ShareLots(1), ho.MaxParticipation(adv, 0.1)
    ).solve(time_limit=5)
    assert abs(res.shares[fut]) <= 3 and float(res.shares[fut]).is_integer()
    assert res.violations == []


def test_bad_multipliers(market) -> None:
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match="multipliers must be > 0"):
        ho.HedgeProblem(prices, basket, multipliers={prices.columns[0]: 0.0})
    with pytest.raises(ho.InputError, match="multipliers: unknown tickers"):
        ho.HedgeProblem(prices, basket, multipliers={"ES": 50.0})


def test_report_shows_units_and_multipliers(market, tmp_path) -> None:
    from hedgeopt.reporting.report import write_outputs

    prices, basket, _ = market
    fut = prices.columns[0]
    res = ho.HedgeProblem(prices, basket, multipliers={fut: 50.0}).add(ho.Budget()).solve()
    write_outputs(res, tmp_path, plots=False)
    text = (tmp_path / "report.md").read_text()
    assert "| ticker | units | price | multiplier | dollars | weight |" in text
    frame = pd.read_csv(tmp_path / "shares.csv", index_col=0)
    assert list(frame.columns) == ["units", "price", "multiplier", "dollars", "weight"]
