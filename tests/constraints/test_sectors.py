"""SectorCap: net sector dollar exposure / notional, scalar caps, per-sector dicts, floors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")
ATOL = 1e-7  # on weights: $1 on $10M


def _ids(s):
    return "default" if s is None else s


def _exposure(res, market) -> pd.Series:
    """Net sector exposure / notional from shares and reference prices, with numpy/pandas."""
    prices, basket, sectors = market
    dollars = pd.Series(res.shares.to_numpy() * prices.iloc[-1].to_numpy(), index=prices.columns)
    return dollars.groupby(sectors.reindex(prices.columns)).sum() / basket.iloc[-1]


@pytest.fixture(scope="module")
def base(market):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly()).solve(
        solver="CLARABEL")


def _solve(market, *cons, solver=None):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(), ho.LongOnly(), *cons).solve(
        solver=solver)


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_scalar_cap_binds(market, base, solver):
    expo0 = _exposure(base, market)
    cap = 0.8 * expo0.max()
    assert cap > 1 / len(expo0)  # feasible with the budget
    res = _solve(market, ho.SectorCap(market[2], max_weight=cap), solver=solver)
    expo = _exposure(res, market)
    assert expo.max() == pytest.approx(cap, abs=ATOL)
    assert (expo <= cap + ATOL).all()
    assert res.objective > base.objective
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_per_sector_dict_caps_bind(market, base, solver):
    expo0 = _exposure(base, market).sort_values()
    big, second = expo0.index[-1], expo0.index[-2]
    caps = {big: 0.5 * expo0[big], second: 0.5 * expo0[second]}
    res = _solve(market, ho.SectorCap(market[2], max_weight=caps), solver=solver)
    expo = _exposure(res, market)
    assert expo[big] == pytest.approx(caps[big], abs=ATOL)
    assert expo[second] == pytest.approx(caps[second], abs=ATOL)
    # sectors absent from the dict are uncapped: some sector now exceeds both caps
    assert expo.drop([big, second]).max() > max(caps.values())
    assert res.violations == []


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_min_weight_floor_binds(market, base, solver):
    expo0 = _exposure(base, market)
    small = expo0.idxmin()
    floor = expo0[small] + 0.1
    res = _solve(market, ho.SectorCap(market[2], min_weight={small: floor}), solver=solver)
    expo = _exposure(res, market)
    assert expo[small] == pytest.approx(floor, abs=ATOL)
    assert res.objective > base.objective
    assert res.violations == []


@pytest.mark.parametrize("solver", ["ACTIVESET", "OSQP"])
def test_scalar_floor_and_cap_together(market, solver):
    cap = ho.SectorCap(market[2], max_weight=0.3, min_weight=0.12)
    res = _solve(market, cap, solver=solver)
    expo = _exposure(res, market)
    assert (expo <= 0.3 + ATOL).all() and (expo >= 0.12 - ATOL).all()
    assert np.isclose(expo, 0.3, atol=ATOL).any() or np.isclose(expo, 0.12, atol=ATOL).any()


def test_per_sector_series_caps(market, base):
    expo0 = _exposure(base, market)
    big = expo0.idxmax()
    caps = pd.Series({big: 0.5 * expo0[big]})
    res = _solve(market, ho.SectorCap(market[2], max_weight=caps), solver="OSQP")
    assert _exposure(res, market)[big] == pytest.approx(caps[big], abs=ATOL)


def test_net_exposure_allows_offsetting_shorts(market):
    """The cap is on NET exposure: without LongOnly a sector can hold longs and shorts."""
    prices, basket, sectors = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(
        ho.Budget(), ho.SectorCap(sectors, max_weight=0.25)).solve(solver="OSQP")
    expo = _exposure(res, market)
    assert (expo <= 0.25 + ATOL).all()
    gross = (res.shares.abs() * prices.iloc[-1]).groupby(sectors).sum() / basket.iloc[-1]
    assert (gross > expo + 1e-3).any()


# ------------------------------------------------------------------------------------------------
# check() in user units
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_sectors():
    return pd.Series({"AAA": "Tech", "BBB": "Energy", "CCC": "Tech"})


def test_check_names_the_sector_in_dollars(tiny, tiny_sectors):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)  # notional $80, p_ref 15, 25, 5
    cap = ho.SectorCap(tiny_sectors, max_weight=0.5)
    out = cap.check(np.array([1.0, 2.0, 3.0]), ctx)  # Tech $30, Energy $50
    assert out == ["SectorCap(max_weight=0.5): sector 'Energy' is $50.00, above $40.00"]
    floor = ho.SectorCap(tiny_sectors, min_weight={"Tech": 0.5})
    out = floor.check(np.array([1.0, 2.0, 3.0]), ctx)
    assert len(out) == 1 and "sector 'Tech' is $30.00, below $40.00" in out[0]
    assert cap.check(np.array([1.0, 1.0, 3.0]), ctx) == []


def test_linear_form_rows(tiny, tiny_sectors):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    f = ho.SectorCap(tiny_sectors, max_weight={"Energy": 0.4}, min_weight=0.1).linear(ctx)
    rows = dict(zip(f.labels, zip(f.A.tolist(), f.lo, f.hi, strict=True), strict=True))
    assert rows["sector 'Tech'"] == ([1.0, 0.0, 1.0], 0.1, np.inf)
    assert rows["sector 'Energy'"] == ([0.0, 1.0, 0.0], 0.1, 0.4)
    # a sector with neither cap nor floor makes no row
    f = ho.SectorCap(tiny_sectors, max_weight={"Energy": 0.4}).linear(ctx)
    assert f.labels == ["sector 'Energy'"]


def test_sector_map_may_hold_extra_tickers(tiny, tiny_sectors):
    prices, basket = tiny
    more = pd.concat([tiny_sectors, pd.Series({"ZZZ": "Other"})])
    ho.HedgeProblem(prices, basket).add(ho.SectorCap(more, max_weight=0.9))


# ------------------------------------------------------------------------------------------------
# arguments
# ------------------------------------------------------------------------------------------------


def test_missing_tickers_named(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"misses 1 ticker\(s\): \['CCC'\]") as e:
        ho.HedgeProblem(prices, basket).add(
            ho.SectorCap({"AAA": "Tech", "BBB": "Energy"}, max_weight=0.5))
    assert e.value.field == "sectors"


def test_unknown_sector_in_dict(tiny, tiny_sectors):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"unknown sectors \['Utilities'\]") as e:
        ho.HedgeProblem(prices, basket).add(
            ho.SectorCap(tiny_sectors, max_weight={"Utilities": 0.2}))
    assert e.value.field == "max_weight"
    with pytest.raises(ho.InputError, match=r"min_weight: unknown sectors"):
        ho.HedgeProblem(prices, basket).add(
            ho.SectorCap(tiny_sectors, min_weight={"Utilities": 0.2}))


def test_bad_sector_maps_and_caps(tiny, tiny_sectors):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="repeats tickers"):
        ho.SectorCap(pd.Series(["A", "B"], index=["AAA", "AAA"]), max_weight=0.5)
    with pytest.raises(ho.InputError, match=r"no sector for \['BBB'\]"):
        ho.SectorCap({"AAA": "Tech", "BBB": None, "CCC": "Tech"}, max_weight=0.5)
    with pytest.raises(ho.InputError, match="give max_weight, min_weight or both"):
        ho.SectorCap(tiny_sectors)
    with pytest.raises(ho.InputError, match="must be a finite number"):
        ho.HedgeProblem(prices, basket).add(ho.SectorCap(tiny_sectors, max_weight=np.nan))


def test_repr():
    s = {"A": "x"}
    assert repr(ho.SectorCap(s, max_weight=0.25)) == "SectorCap(max_weight=0.25)"
    assert repr(ho.SectorCap(s, max_weight={"x": 0.2}, min_weight=0.1)) == \
        "SectorCap(max_weight=<1 entries>, min_weight=0.1)"


def test_map_in_the_universe_order_gives_the_rows_of_any_other_order(market):
    """A sector map on exactly the tickers, in their order (read without a label look-up),
    a reordered one, and one holding extra tickers give the same form: rows, limits and
    labels, and the matrix against an indicator built with numpy."""
    prices, basket, sectors = market
    ctx = ho.HedgeContext(prices, basket)
    exact = sectors.reindex(prices.columns)
    shuffled = exact.iloc[np.random.default_rng(3).permutation(len(exact))]
    extra = pd.concat([shuffled, pd.Series({"ZZZ": "Other"})])
    forms = [ho.SectorCap(m, max_weight=0.3, min_weight=-0.1).linear(ctx)
             for m in (exact, shuffled, extra)]
    names = list(dict.fromkeys(exact.tolist()))  # first appearance in the universe's order
    want = np.array([[float(s == name) for s in exact.tolist()] for name in names])
    for f in forms:
        np.testing.assert_array_equal(f.A, want)
        assert f.labels == [f"sector {n!r}" for n in names]
        assert (f.lo == -0.1).all() and (f.hi == 0.3).all()
