"""FactorExposure: L'w (minus the basket's exposure) within limits, against a cvxpy model."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None


def _loadings(tickers, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(1.0, 0.6, size=(len(tickers), 3)), index=tickers,
                        columns=["mkt", "value", "size"])


def _weights(res, prices, basket) -> np.ndarray:
    return res.shares.to_numpy() * prices.iloc[-1].to_numpy() / basket.iloc[-1]


@pytest.mark.parametrize("solver", (None, "ACTIVESET", "OSQP", "CLARABEL"), ids=str)
def test_limits_bind_and_match_reference(market, cvx_reference, solver) -> None:
    prices, basket, _ = market
    L = _loadings(prices.columns)
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly()).solve()
    e0 = L.T.to_numpy() @ _weights(free, prices, basket)
    upper = {"value": float(e0[1]) - 0.05}
    lower = {"size": float(e0[2]) + 0.05}
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.LongOnly(), ho.FactorExposure(L, lower=lower, upper=upper)
    ).solve(solver=solver)
    e = L.T.to_numpy() @ _weights(res, prices, basket)
    assert e[1] == pytest.approx(upper["value"], abs=1e-7)
    assert e[2] == pytest.approx(lower["size"], abs=1e-7)
    Lm = L.to_numpy()
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) == 1, x >= 0, Lm[:, 1] @ x <= upper["value"], Lm[:, 2] @ x >= lower["size"]])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    assert res.violations == []


def test_relative_to_basket_on_real_prices(real_daily, cvx_reference) -> None:
    prices, basket, _ = real_daily
    L = _loadings(prices.columns, seed=5)
    basket_expo = pd.Series({"mkt": 1.1, "value": 0.9, "size": 1.2})
    c = ho.FactorExposure(L, lower=-0.01, upper=0.01, basket=basket_expo)
    res = ho.HedgeProblem(prices, basket).add(ho.Budget(), c).solve()
    w = _weights(res, prices, basket)
    net = L.T.to_numpy() @ w - basket_expo.to_numpy()
    assert (np.abs(net) <= 0.01 + 1e-9).all()
    np.testing.assert_allclose(c.exposure(res.shares, res_ctx := ho.HedgeContext(prices, basket)),
                               net, atol=1e-12)
    Lm, e = L.to_numpy(), basket_expo.to_numpy()
    x, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) == 1, Lm.T @ x - e <= 0.01, Lm.T @ x - e >= -0.01])
    assert res.objective == pytest.approx(obj, rel=1e-5)
    assert c.check(res.shares, res_ctx) == []


@pytest.mark.parametrize("method", ["HEURISTIC"] + (["SCIP"] if HAVE_SCIP else []))
def test_whole_shares(market, method) -> None:
    prices, basket, _ = market
    L = _loadings(prices.columns)
    c = ho.FactorExposure(L, lower=0.95, upper=1.05)  # "mkt", "value", "size" near 1
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), c, ho.ShareLots(10), ho.MaxNames(20)
    ).solve(solver=method, time_limit=10)
    e = L.T.to_numpy() @ _weights(res, prices, basket)
    assert ((e >= 0.95 - 1e-9) & (e <= 1.05 + 1e-9)).all()
    assert np.allclose(res.shares % 10, 0)
    assert res.violations == []


def test_check_message_in_fractions_and_dollars(tiny) -> None:
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    L = pd.DataFrame({"f": [1.0, 0.0, 2.0]}, index=prices.columns)
    shares = pd.Series({"AAA": 1.0, "BBB": 2.0, "CCC": 3.0})  # $15, $50, $15 of $80
    c = ho.FactorExposure(L, upper=0.5)
    assert c.exposure(shares, ctx)["f"] == pytest.approx(45 / 80)
    (msg,) = c.check(shares, ctx)
    assert "factor 'f'" in msg and "$45.00" in msg and "$40.00" in msg


def test_bad_inputs(tiny) -> None:
    prices, basket = tiny
    prob = ho.HedgeProblem(prices, basket)
    L = pd.DataFrame({"f": [1.0, 0.0, 2.0]}, index=prices.columns)
    with pytest.raises(ho.InputError, match="DataFrame"):
        ho.FactorExposure({"AAA": 1}, upper=0.1)
    with pytest.raises(ho.InputError, match="give lower, upper"):
        ho.FactorExposure(L)
    with pytest.raises(ho.InputError, match="unknown names.*'g'"):
        ho.FactorExposure(L, upper={"g": 0.1})
    with pytest.raises(ho.InputError, match="missing.*'f'"):
        ho.FactorExposure(L, upper=0.1, basket={"h": 1.0})
    with pytest.raises(ho.InputError, match="misses 1 ticker.*CCC"):
        prob.add(ho.FactorExposure(L.iloc[:2], upper=0.1))
    bad = L.copy()
    bad.loc["BBB", "f"] = np.nan
    with pytest.raises(ho.InputError, match="ticker 'BBB', factor 'f'"):
        prob.add(ho.FactorExposure(bad, upper=0.1))


def test_unreachable_band_is_infeasible_and_named(market) -> None:
    prices, basket, _ = market
    L = _loadings(prices.columns)
    c = ho.FactorExposure(L, lower={"mkt": 50.0}, leverage=True)
    with pytest.raises(ho.InfeasibleError, match="FactorExposure") as err:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), c).solve()
    assert repr(c) in err.value.culprits


def test_percent_limits_transposed_loadings_and_dollar_basket(market) -> None:
    prices, basket, _ = market
    L = _loadings(prices.columns)
    top = float(L["value"].abs().max())
    with pytest.raises(ho.InputError, match=r"FactorExposure.upper = 5 .*did you mean 0.05"):
        ho.FactorExposure(L, upper=5)
    with pytest.raises(ho.InputError, match=r"FactorExposure.lower\['value'\] = 95 "):
        ho.FactorExposure(L, lower={"value": 95})
    # absolute exposures near the loadings are plausible, up to the largest loading
    ho.FactorExposure(L, lower=0.95, upper=top)
    # net of the basket, beyond +-1 of the notional is a percent
    expo = {"mkt": 1.0, "value": 1.0, "size": 1.0}
    with pytest.raises(ho.InputError, match=r"lower = -2 .*did you mean -0.02"):
        ho.FactorExposure(L, -2, 2, basket=expo)
    assert ho.FactorExposure(L, -2, 2, basket=expo, leverage=True).leverage
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"tickers as columns.*loadings\.T") as err:
        prob.add(ho.FactorExposure(L.T, upper=0.5))  # factors x tickers by mistake
    assert err.value.field == "loadings"
    dollars = {k: v * float(basket.iloc[-1]) for k, v in expo.items()}
    with pytest.raises(ho.InputError, match=r"basket\['mkt'\] = .*per dollar of the notional"):
        prob.add(ho.FactorExposure(L, -0.01, 0.01, basket=dollars))
    holed = L.copy()
    holed.iloc[3, 1] = np.nan
    with pytest.raises(ho.InputError, match=f"ticker '{prices.columns[3]}', factor 'value'"):
        prob.add(ho.FactorExposure(holed, upper=1.0))


def test_numeric_frames_and_converted_cells_give_the_same_rows(tiny) -> None:
    # float loadings are read as they are; object and boolean columns go through to_numeric:
    # the rows (in the universe's order) are the same numbers either way
    prices, basket = tiny
    ctx = ho.HedgeProblem(prices, basket).ctx
    L = pd.DataFrame({"f": [1.5, 0.0, -2.0], "g": [1.0, 0.0, 1.0]},
                     index=prices.columns[::-1])
    want = L.reindex(prices.columns).to_numpy().T
    for frame in (L, L.astype(object), L.astype({"g": bool}), L.astype({"f": "Float64"})):
        A, names, offset = ho.FactorExposure(frame, -1, 1).exposures(ctx)
        np.testing.assert_array_equal(A, want)
        assert names == ["f", "g"] and not offset.any()
    text = L.astype(object)
    text.iloc[0, 0] = "n/a"
    with pytest.raises(ho.InputError, match="non-numeric"):
        ho.HedgeProblem(prices, basket).add(ho.FactorExposure(text, upper=0.1))


def test_loadings_in_the_universe_order_match_reordered_ones(market) -> None:
    # rows in the universe's order are read without a label look-up: the same rows, checks and
    # refusals as the same loadings in another order
    prices, basket, _ = market
    ctx = ho.HedgeProblem(prices, basket).ctx
    L = _loadings(prices.columns)
    ordered = ho.FactorExposure(L, -0.05, 0.05)
    shuffled = ho.FactorExposure(L.iloc[np.random.default_rng(2).permutation(len(L))],
                                 -0.05, 0.05)
    A1, n1, e1 = ordered.exposures(ctx)
    A2, n2, e2 = shuffled.exposures(ctx)
    np.testing.assert_array_equal(A1, L.to_numpy().T)
    np.testing.assert_array_equal(A1, A2)
    assert n1 == n2 and (e1 == e2).all()
    A1[0, 0] = 99.0  # the rows are a copy: the user's frame is untouched
    assert L.iloc[0, 0] != 99.0
    shares = np.linspace(-1e4, 2e4, prices.shape[1])
    assert ordered.check(shares, ctx) == shuffled.check(shares, ctx)
    np.testing.assert_array_equal(ordered.exposure(shares, ctx).to_numpy(),
                                  L.to_numpy().T @ ctx.weights_from_shares(shares))
    holed = L.copy()
    holed.iloc[3, 1] = np.nan
    with pytest.raises(ho.InputError, match=f"ticker '{prices.columns[3]}', factor 'value'"):
        ho.FactorExposure(holed, upper=1.0).exposures(ctx)


def test_numeric_reads_numpy_number_columns_as_floats_and_copies() -> None:
    """Frames whose common dtype is a numpy integer or float one (int, uint, float32, float64
    columns mixed) are read from their values: the same floats as column by column
    ``pd.to_numeric``, float64, never the caller's memory; any other column kind (bool, text,
    nullable, object) takes the column-by-column path with the same numbers."""
    from hedgeopt.constraints.factors import _numeric

    frames = [
        pd.DataFrame({"f": [1.5, 0.0, -2.0], "g": [1.0, 0.0, 1.0]}),
        pd.DataFrame({"f": np.array([3, -1, 2 ** 53 + 1]), "g": [0.25, 1.0, 2.0]}),
        pd.DataFrame({"f": np.array([3, 1, 2], dtype=np.uint64),
                      "g": np.array([0.1, 0.2, 0.3], dtype=np.float32)}),
        pd.DataFrame({"f": [1, 0, 1]}),
        pd.DataFrame({"f": [True, False, True], "g": [0.5, 1.0, 2.0]}),
        pd.DataFrame({"f": pd.array([1.5, None, 2.0], dtype="Float64")}),
    ]
    for frame in frames:
        want = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
        got = _numeric(frame)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)
        for col in frame.columns:
            assert not np.shares_memory(got, frame[col].to_numpy())
