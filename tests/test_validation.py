"""Units, conversions and NaN: every mistake a user can make in an argument is a clear
:class:`InputError` naming the field (and the ticker), never a plausible wrong hedge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.validation import as_dollars, as_float, as_fraction, as_int, check_number

# ------------------------------------------------------------------------------------------------
# percent for fraction
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("band, hint", [((98, 100), "did you mean 0.98?"),
                                        ((0.98, 100), "did you mean 1?"),
                                        ((-250, 1), "did you mean -2.5?")])
def test_budget_band_in_percent_is_refused(band, hint):
    with pytest.raises(ho.InputError, match=r"Budget\.band = .*" + hint.replace("?", r"\?")) \
            as e:
        ho.Budget(band=band)
    assert e.value.field == "band" and "leverage=True" in str(e.value)


def test_budget_band_leverage_opt_in(market):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(band=(2.5, 3.0), leverage=True)).solve()
    value = float(res.shares @ prices.iloc[-1])
    assert 2.5 * basket.iloc[-1] * (1 - 1e-9) <= value <= 3.0 * basket.iloc[-1] * (1 + 1e-9)
    assert "leverage=True" in repr(res.constraints[0])


def test_percent_band_with_long_only_never_solves_to_98x(market):
    """The issue's case: band=(98, 100) with LongOnly solved with a gross of 98x."""
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match="did you mean 0.98"):
        ho.HedgeProblem(prices, basket).add(ho.Budget(band=(98, 100)), ho.LongOnly())


@pytest.mark.parametrize("kw", [{"max_weight": 25}, {"min_weight": -30, "max_weight": 0.3},
                                {"max_weight": {"S0": 40}}, {"max_weight": 1.5}])
def test_sector_cap_in_percent_is_refused(kw):
    with pytest.raises(ho.InputError, match=r"SectorCap\.(max|min)_weight.*did you mean"):
        ho.SectorCap({"A": "S0"}, **kw)


def test_sector_cap_percent_reassigned_after_add_is_refused(market):
    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=0.3)
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), cap)
    prob.solve()
    cap.max_weight = 25
    with pytest.raises(ho.InputError, match="did you mean 0.25"):
        prob.solve()


def test_sector_cap_leverage_opt_in_caps(market):
    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=1.2, min_weight=-1.2, leverage=True)
    res = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), cap).solve()
    assert res.violations == []
    assert res.weights.groupby(sectors).sum().abs().max() <= 1.2 + 1e-9


def test_sector_min_above_max_is_an_argument_error(market):
    prices, basket, sectors = market
    with pytest.raises(ho.InputError, match="min_weight > max_weight"):
        ho.HedgeProblem(prices, basket).add(ho.SectorCap(sectors, max_weight=0.1,
                                                         min_weight=0.2))


@pytest.mark.parametrize("make, field", [
    (lambda: ho.Turnover({}, max_dollars=0.2), "max_dollars"),
    (lambda: ho.MinPosition(0.05), "dollars"),
    (lambda: ho.MinTrade({}, dollars=0.5), "dollars"),
])
def test_fraction_for_dollars_is_refused(make, field):
    with pytest.raises(ho.InputError, match="less than a dollar: give dollars") as e:
        make()
    assert e.value.field == field


def test_budget_notional_given_as_a_fraction(market):
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match="notional is in dollars"):
        ho.HedgeProblem(prices, basket).add(ho.Budget(notional=1.0))


# ------------------------------------------------------------------------------------------------
# NaN is never a value
# ------------------------------------------------------------------------------------------------


def test_nan_sector_cap_in_a_dict_is_refused():
    with pytest.raises(ho.InputError, match=r"SectorCap\.max_weight\['S1'\] must be a finite"):
        ho.SectorCap({"A": "S0", "B": "S1"}, max_weight={"S0": 0.2, "S1": np.nan})


@pytest.mark.parametrize("cls, kw", [(ho.Turnover, {"max_dollars": 1e6}),
                                     (ho.MinTrade, {"dollars": 1e4})])
def test_nan_current_holding_is_refused(market, cls, kw):
    prices, basket, _ = market
    current = pd.Series(100.0, index=prices.columns)
    current.iloc[3] = np.nan
    with pytest.raises(ho.InputError, match=rf"{cls.__name__}\.current: NaN for ticker\(s\) "
                                            rf"\['{prices.columns[3]}'\]"):
        ho.HedgeProblem(prices, basket).add(cls(current, **kw))


def test_infinite_current_holding_is_refused(market):
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match=r"Turnover\.current: infinite value"):
        ho.HedgeProblem(prices, basket).add(
            ho.Turnover({prices.columns[0]: np.inf}, max_dollars=1e6))


def test_evaluate_refuses_nan_shares(market):
    prices, basket, _ = market
    shares = pd.Series(10.0, index=prices.columns)
    shares.iloc[0] = np.nan
    with pytest.raises(ho.InputError, match=rf"shares: NaN for ticker\(s\) "
                                            rf"\['{prices.columns[0]}'\]"):
        ho.evaluate(shares, prices, basket)
    # absent tickers are 0 shares: the same as writing the zeros
    part = shares.iloc[1:]
    full = shares.fillna(0.0)
    pd.testing.assert_series_equal(ho.evaluate(part, prices, basket),
                                   ho.evaluate(full, prices, basket))


def test_check_refuses_nan_shares(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    shares = pd.Series(np.nan, index=prices.columns)
    with pytest.raises(ho.InputError, match="shares: NaN"):
        ho.Budget().check(shares, ctx)


def test_nan_bound_is_refused_inf_is_no_limit(market):
    prices, basket, _ = market
    upper = pd.Series(np.inf, index=prices.columns)
    ho.HedgeProblem(prices, basket).add(ho.Bounds(upper=upper))
    upper.iloc[2] = np.nan
    with pytest.raises(ho.InputError, match=r"Bounds\.upper: NaN"):
        ho.HedgeProblem(prices, basket).add(ho.Bounds(upper=upper))


# ------------------------------------------------------------------------------------------------
# conversions: every argument names its field
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make, pattern", [
    (lambda: ho.ShareLots("abc"), r"ShareLots\.lot must be a number, got 'abc'"),
    (lambda: ho.ShareLots(0), r"ShareLots\.lot must be > 0"),
    (lambda: ho.ShareLots(True), r"ShareLots\.lot must be a number, got True"),
    (lambda: ho.MaxNames(None), r"MaxNames\.k must be a positive integer, got None"),
    (lambda: ho.MaxNames(True), r"MaxNames\.k must be a positive integer, got True"),
    (lambda: ho.MaxNames(2.5), r"MaxNames\.k must be a positive integer"),
    (lambda: ho.MaxNames("5"), r"MaxNames\.k must be a positive integer, got '5'"),
    (lambda: ho.Bounds(lower="a"), r"Bounds\.lower must be a number, got 'a'"),
    (lambda: ho.Bounds(upper=True), r"Bounds\.upper must be a number, got True"),
    (lambda: ho.Bounds(upper=1, unit="dollar"), r"Bounds\.unit must be 'shares' or 'dollars'"),
    (lambda: ho.Turnover({}, "1e6"), r"Turnover\.max_dollars must be a number, got '1e6'"),
    (lambda: ho.Turnover({}, np.inf), r"Turnover\.max_dollars must be a finite number"),
    (lambda: ho.MinPosition(None), r"MinPosition\.dollars must be a number"),
    (lambda: ho.Budget(notional="1e7"), r"Budget\.notional must be a number"),
    (lambda: ho.Budget(band=0.98), r"Budget\.band must be a pair"),
    (lambda: ho.Budget(band=(1.0, 0.98)), r"Budget\.band needs lo <= hi"),
])
def test_bad_arguments_name_their_field(make, pattern):
    with pytest.raises(ho.InputError, match=pattern):
        make()


@pytest.mark.parametrize("kw, pattern", [
    ({"half_life": "5"}, "half_life must be a number, got '5'"),
    ({"half_life": 0}, "half_life must be a number > 0"),
    ({"half_life": True}, "half_life must be a number, got True"),
    ({"lam": "0.3"}, "lam must be a number, got '0.3'"),
    ({"lam": 30}, r"lam must be a number in \[0, 1\], got 30"),
])
def test_problem_arguments(market, kw, pattern):
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match=pattern):
        ho.HedgeProblem(prices, basket, **kw)


def test_reassigned_unit_typo_is_refused(market):
    prices, basket, _ = market
    b = ho.Bounds(upper=1e6, unit="dollars")
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), b)
    b.unit = "dollar"
    with pytest.raises(ho.InputError, match="Bounds.unit"):
        prob.solve()


def test_boolean_holdings_are_refused(market):
    prices, basket, _ = market
    with pytest.raises(ho.InputError, match="true/false"):
        ho.HedgeProblem(prices, basket).add(ho.Turnover({prices.columns[0]: True}, 1e6))


# ------------------------------------------------------------------------------------------------
# the validators themselves
# ------------------------------------------------------------------------------------------------


def test_validators():
    assert as_float(np.float32(2.5), "x") == 2.5
    assert as_float(np.inf, "x") == np.inf
    with pytest.raises(ho.InputError, match="x must be a finite number, got inf"):
        as_float(np.inf, "x", finite=True)
    assert as_fraction(0.5, "f", 1.0) == 0.5
    assert as_fraction(50, "f", 1.0, leverage=True) == 50
    assert as_dollars(0, "d") == 0 and as_dollars(1.0, "d") == 1.0
    assert check_number(3, "threads", lo=1, integer=True) == 3
    with pytest.raises(ho.InputError, match=r"gap must be a number in \[0, 1\), got 5 \(did "
                                            r"you mean 0.05\?\)"):
        check_number(5, "gap", lo=0, hi=1, hi_open=True)


def test_as_int_takes_integers_only():
    assert as_int(np.int64(7), "folds", lo=1) == 7 and type(as_int(7, "folds")) is int
    assert check_number(500.0, "n", integer=True) == 500  # check_number takes integral floats
    for bad in (500.0, True, "5", None, np.nan):
        with pytest.raises(ho.InputError, match=r"n_boot must be an integer >= 100, got ") as e:
            as_int(bad, "n_boot", lo=100)
        assert e.value.field == "n_boot"
    with pytest.raises(ho.InputError, match=r"block must be an integer in \[1, 9\], got 10"):
        as_int(10, "block", lo=1, hi=9)
    with pytest.raises(ho.InputError, match=r"^k must be an integer, got 2.5$"):
        as_int(2.5, "k")

