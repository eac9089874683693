"""Beta: OLS betas of daily returns (numpy polyfit reference), hedge minus basket in a band."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.constraints.beta import ols_betas

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None


def _polyfit_beta(values: np.ndarray, bench: np.ndarray) -> float:
    r = np.diff(values) / values[:-1]
    m = np.diff(bench) / bench[:-1]
    return float(np.polyfit(m, r, 1)[0])


def _weights(res, prices, basket) -> np.ndarray:
    return res.shares.to_numpy() * prices.iloc[-1].to_numpy() / basket.iloc[-1]


def test_ols_betas_match_polyfit(real_daily) -> None:
    prices, _, spy = real_daily
    got = ols_betas(prices.to_numpy(), spy.to_numpy())
    want = [_polyfit_beta(prices[c].to_numpy(), spy.to_numpy()) for c in prices.columns]
    np.testing.assert_allclose(got, want, rtol=1e-10)


@pytest.mark.parametrize("block", [None, 8000])
@pytest.mark.parametrize("width", [40, 200, 16384, 20000])
def test_ols_betas_match_the_two_pass_covariance_formula(width: int, block, monkeypatch
                                                         ) -> None:
    # cov(r_i, r_m) / var(r_m) with both return series centred (numpy's cov), on random walks;
    # default blocks (2**18 numbers): 40 and 200 columns in one block of ratios, 16384 and 20000
    # in blocks of 16 and 14 returns (the last one partial); blocks of 8000 numbers: 200
    # columns in 8 blocks of 40 returns, 16384 and more one return per block
    if block is not None:
        monkeypatch.setattr("hedgeopt.constraints.beta._BLOCK", block)
    rng = np.random.default_rng(3)
    values = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (300 if width < 1000 else 30, width)),
                                     axis=0))
    bench = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, values.shape[0])))
    r = values[1:] / values[:-1] - 1.0
    m = bench[1:] / bench[:-1] - 1.0
    want = [np.cov(r[:, i], m)[0, 1] / np.var(m, ddof=1) for i in range(r.shape[1])]
    np.testing.assert_allclose(ols_betas(values, bench), want, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("width", [500, 777])
def test_ols_betas_buffer_is_large_enough_for_huge_pages(width: int, monkeypatch) -> None:
    # one buffer of at least hugepages.HUGE_FROM bytes (a huge page, not ~512 small page
    # faults in a fresh process), whatever the width divides into
    import hedgeopt.constraints.beta as beta
    from hedgeopt import hugepages

    shapes = []

    def recording(shape):
        shapes.append(shape)
        return hugepages.empty(shape)

    monkeypatch.setattr(beta, "empty", recording)
    rng = np.random.default_rng(1)
    values = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.02, (756, width)), axis=0))
    ols_betas(values, values.mean(axis=1))
    assert len(shapes) == 1 and 8 * shapes[0][0] * shapes[0][1] >= hugepages.HUGE_FROM


@pytest.mark.parametrize("dtype", ["int64", "float32", "Float64", "object"])
def test_benchmark_prices_of_any_numeric_dtype_give_the_float_betas(market, dtype) -> None:
    # the numeric fast path (read as floats) and pd.to_numeric (object cells) give the betas of
    # the float64 prices; a missing price in a nullable column names its date
    prices, basket, _ = market
    rng = np.random.default_rng(5)
    bench = pd.Series(np.round(1000 * np.exp(np.cumsum(rng.normal(0, 0.01, len(prices))))),
                      index=prices.index)
    prob = ho.HedgeProblem(prices, basket)
    want = ols_betas(prices.to_numpy(dtype=float), bench.to_numpy(dtype=float))
    got, _ = ho.Beta(bench.astype(dtype), -0.1, 0.1).betas(prob.ctx)
    rtol = 1e-6 if dtype == "float32" else 0.0
    np.testing.assert_allclose(got, ols_betas(prices.to_numpy(dtype=float),
                                              bench.astype(dtype).to_numpy(dtype=float)),
                               rtol=rtol)
    if dtype != "float32":
        np.testing.assert_array_equal(got, want)
    if dtype == "Float64":
        holed = bench.astype(dtype)
        holed.iloc[4] = pd.NA
        day = prices.index[4].strftime("%Y-%m-%d")
        with pytest.raises(ho.InputError, match=f"price on {day} is missing"):
            ho.Beta(holed, -0.1, 0.1).betas(prob.ctx)


def test_band_around_the_basket_beta_on_real_prices(real_daily, cvx_reference) -> None:
    prices, basket, spy = real_daily
    betas = np.array([_polyfit_beta(prices[c].to_numpy(), spy.to_numpy())
                      for c in prices.columns])
    b_basket = _polyfit_beta(basket.to_numpy(), spy.to_numpy())  # 1: the basket is SPY
    assert b_basket == pytest.approx(1.0, abs=1e-12)
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve()
    gap = betas @ _weights(free, prices, basket) - b_basket
    lo, hi = -abs(gap) / 3, abs(gap) / 3  # a third of the unconstrained beta gap
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(),
                                              ho.Beta(spy, lo, hi)).solve()
    net = betas @ _weights(res, prices, basket) - b_basket
    assert lo - 1e-9 <= net <= hi + 1e-9
    assert min(abs(net - lo), abs(net - hi)) < 1e-7  # it binds
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) == 1, x >= 0, betas @ x - b_basket <= hi, betas @ x - b_basket >= lo])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    np.testing.assert_allclose(_weights(res, prices, basket), x, atol=1e-5)
    assert res.violations == []


def test_given_betas_absolute(market, cvx_reference) -> None:
    prices, basket, _ = market
    betas = pd.Series(np.linspace(0.5, 1.5, prices.shape[1]), index=prices.columns)
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.Beta(betas, upper=0.9, relative=False)).solve(solver="OSQP")
    assert betas.to_numpy() @ _weights(res, prices, basket) <= 0.9 + 1e-7
    x, obj = cvx_reference(prices, basket, 0.0,
                           lambda x: [sum(x) == 1, betas.to_numpy() @ x <= 0.9])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    with pytest.raises(ho.InputError, match="basket_beta"):
        ho.HedgeProblem(prices, basket).add(ho.Beta(betas, -0.1, 0.1))
    rel = ho.Beta(betas, -0.01, 0.01, basket_beta=1.0)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), rel).solve()
    assert abs(betas.to_numpy() @ _weights(res, prices, basket) - 1.0) <= 0.01 + 1e-9


@pytest.mark.parametrize("method", ["HEURISTIC"] + (["SCIP"] if HAVE_SCIP else []))
def test_whole_shares_beta_band(real_daily, method) -> None:
    prices, basket, spy = real_daily
    c = ho.Beta(spy, -0.02, 0.02)
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.99, 1.0)), ho.LongOnly(), c, ho.ShareLots(1), ho.MaxNames(8)
    ).solve(solver=method, time_limit=5)
    betas = np.array([_polyfit_beta(prices[k].to_numpy(), spy.to_numpy())
                      for k in prices.columns])
    assert abs(betas @ _weights(res, prices, basket) - 1.0) <= 0.02 + 1e-9
    assert np.count_nonzero(res.shares) <= 8
    assert res.violations == []


def test_bad_benchmark(real_daily) -> None:
    prices, basket, spy = real_daily
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match="pandas Series"):
        ho.Beta(spy.to_numpy(), -0.1, 0.1)
    with pytest.raises(ho.InputError, match="neither benchmark prices.*1 dates missing"):
        prob.add(ho.Beta(spy.drop(spy.index[10]), -0.1, 0.1))
    holed = spy.copy()
    holed.iloc[20] = np.nan
    with pytest.raises(ho.InputError, match=f"price on {spy.index[20]:%Y-%m-%d}"):
        prob.add(ho.Beta(holed, -0.1, 0.1))
    with pytest.raises(ho.InputError, match="lower = 0.1 > upper = -0.1"):
        ho.Beta(spy, 0.1, -0.1)


def test_unreachable_band_names_beta(real_daily) -> None:
    prices, basket, spy = real_daily
    c = ho.Beta(spy, lower=2.0, leverage=True)  # long-only, budget 1: no stock here has beta 3
    with pytest.raises(ho.InfeasibleError, match="Beta") as err:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), c).solve()
    assert repr(c) in err.value.culprits


def test_percent_band_is_refused_with_an_opt_in(real_daily, market) -> None:
    prices, basket, spy = real_daily
    with pytest.raises(ho.InputError, match=r"Beta.lower = -2 .*did you mean -0.02.*"
                                            r"leverage=True") as err:
        ho.Beta(spy, -2, 2)
    assert err.value.field == "lower"
    wide = ho.Beta(spy, -2, 2, leverage=True)  # opted in: a band that never binds
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), wide).solve()
    free = ho.HedgeProblem(prices, basket).add(ho.Budget()).solve()
    assert res.objective == pytest.approx(free.objective, rel=1e-9)
    assert "leverage=True" in repr(wide)
    # absolute betas: a limit up to the largest |beta| is a hedge's beta, beyond it a percent
    m_prices, m_basket, _ = market
    betas = pd.Series(np.linspace(0.5, 1.5, m_prices.shape[1]), index=m_prices.columns)
    prob = ho.HedgeProblem(m_prices, m_basket)
    prob.add(ho.Beta(betas, 0.9, 1.1, relative=False))  # near 1: plausible
    with pytest.raises(ho.InputError, match=r"Beta.lower = -2 .*did you mean -0.02"):
        ho.HedgeProblem(m_prices, m_basket).add(ho.Beta(betas, -2, 2, relative=False))


def test_benchmark_dates_that_do_not_align_say_why(real_daily) -> None:
    prices, basket, spy = real_daily
    prob = ho.HedgeProblem(prices, basket)
    text = pd.Series(spy.to_numpy(), index=spy.index.strftime("%Y-%m-%d"))
    with pytest.raises(ho.InputError, match=r"first \d{4}-\d\d-\d\d.*index is text"):
        prob.add(ho.Beta(text, -0.02, 0.02))
    timed = pd.Series(spy.to_numpy(), index=spy.index + pd.Timedelta(hours=16))
    with pytest.raises(ho.InputError, match="time of day"):
        prob.add(ho.Beta(timed, -0.02, 0.02))
    short = spy.iloc[5:]
    with pytest.raises(ho.InputError, match=f"5 dates missing, first {spy.index[0]:%Y-%m-%d}"):
        prob.add(ho.Beta(short, -0.02, 0.02))
    # betas by ticker that miss one, or name an unknown one
    betas = pd.Series(1.0, index=prices.columns)
    with pytest.raises(ho.InputError, match=f"missing tickers.*{prices.columns[-1]}"):
        prob.add(ho.Beta(betas.iloc[:-1], -0.02, 0.02, basket_beta=1.0))
    with pytest.raises(ho.InputError, match="unknown tickers.*NOPE"):
        prob.add(ho.Beta(pd.concat([betas, pd.Series({"NOPE": 1.0})]), -0.02, 0.02,
                         basket_beta=1.0))


def test_benchmark_on_exactly_the_window_matches_a_longer_and_reordered_one(market) -> None:
    # an index equal to the window's dates skips the label look-ups: the betas, the basket's
    # beta and the check are those of the same prices given on more dates, in another order
    prices, basket, _ = market
    ctx = ho.HedgeProblem(prices, basket).ctx
    rng = np.random.default_rng(5)
    bench = pd.Series(100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, len(prices) + 7))),
                      index=pd.bdate_range(end=prices.index[-1], periods=len(prices) + 7))
    exact = ho.Beta(bench.loc[prices.index], -0.02, 0.02)
    wider = ho.Beta(bench.iloc[::-1], -0.02, 0.02)
    assert exact.benchmark.index.equals(ctx.dates)
    assert not wider.benchmark.index.equals(ctx.dates)
    b1, k1 = exact.betas(ctx)
    b2, k2 = wider.betas(ctx)
    np.testing.assert_array_equal(b1, b2)
    assert k1 == k2
    r = np.diff(prices.to_numpy(), axis=0) / prices.to_numpy()[:-1]
    m = np.diff(bench.loc[prices.index].to_numpy()) / bench.loc[prices.index].to_numpy()[:-1]
    want = [np.cov(r[:, i], m)[0, 1] / np.var(m, ddof=1) for i in range(r.shape[1])]
    np.testing.assert_allclose(b1, want, rtol=1e-10)
    shares = np.linspace(-1e4, 1e4, prices.shape[1])
    assert exact.check(shares, ctx) == wider.check(shares, ctx)
    # a benchmark indexed by the window's dates that also holds a NaN is still refused
    holed = bench.loc[prices.index].copy()
    holed.iloc[4] = np.nan
    with pytest.raises(ho.InputError, match=f"price on {prices.index[4]:%Y-%m-%d}"):
        ho.Beta(holed, -0.1, 0.1).betas(ctx)
