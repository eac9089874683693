"""Tests of hedgeopt.datasets: the synthetic market and the OR-Library loader."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.datasets import (
    ORLIB_ENV_VAR,
    SECTOR_NAMES,
    load_orlib,
    orlib_dir,
    synthetic_lots,
    synthetic_market,
)
from hedgeopt.exceptions import DataNotFound, InputError

TICKER = re.compile(r"^[A-Z]{3,4}$")


@pytest.fixture(scope="module")
def market() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    return synthetic_market()


# ------------------------------------------------------------------------------------------------
# synthetic_market
# ------------------------------------------------------------------------------------------------


def test_deterministic_same_seed(market):
    prices, basket, sectors = market
    p2, b2, s2 = synthetic_market()
    pd.testing.assert_frame_equal(prices, p2, check_exact=True)
    pd.testing.assert_series_equal(basket, b2, check_exact=True)
    pd.testing.assert_series_equal(sectors, s2, check_exact=True)
    assert basket.attrs == b2.attrs
    # bit-identical, not merely close
    assert prices.to_numpy().tobytes() == p2.to_numpy().tobytes()


def test_different_seed_differs(market):
    prices, basket, _ = market
    p2, b2, _ = synthetic_market(seed=8)
    assert not prices.columns.equals(p2.columns)
    assert not np.array_equal(prices.to_numpy(), p2.to_numpy())
    assert not np.array_equal(basket.to_numpy(), b2.to_numpy())
    assert basket.iloc[-1] == b2.iloc[-1] == 10e6


def test_shapes_index_and_dtypes(market):
    prices, basket, sectors = market
    assert prices.shape == (504, 120)
    assert basket.shape == (504,)
    assert sectors.shape == (120,)
    assert isinstance(prices.index, pd.DatetimeIndex)
    assert prices.index.name == "date"
    assert prices.index[-1] == pd.Timestamp("2026-06-30")
    assert prices.index.equals(pd.bdate_range(end="2026-06-30", periods=504))
    assert (prices.index.day_of_week < 5).all()
    assert basket.index.equals(prices.index)
    assert prices.columns.name == "ticker"
    assert basket.name == "basket"
    assert all(dt == np.float64 for dt in prices.dtypes)
    assert basket.dtype == np.float64
    assert all(TICKER.match(t) for t in prices.columns)
    assert prices.columns.is_unique
    assert list(prices.columns) == sorted(prices.columns)


def test_prices_positive_finite_and_in_range(market):
    prices, basket, _ = market
    values = prices.to_numpy()
    assert np.isfinite(values).all() and not prices.isna().any().any()
    assert (values > 0).all()
    assert values.min() >= 2.0 and values.max() <= 2000.0
    assert ((values >= 5.0) & (values <= 1000.0)).mean() > 0.95
    last = prices.iloc[-1]
    assert ((last >= 5.0) & (last <= 1000.0)).mean() > 0.9
    assert np.isfinite(basket.to_numpy()).all() and (basket > 0).all()


def test_return_statistics_are_realistic(market):
    prices, _, _ = market
    r = np.log(prices).diff().iloc[1:]
    vol = r.std() * np.sqrt(252)
    # ex-ante total vol is 15-60 %; allow for sampling error over two years
    assert vol.quantile(0.05) > 0.13 and vol.quantile(0.95) < 0.66
    assert 0.25 < vol.median() < 0.5
    # fat tails (Student-t df=5 has excess kurtosis 6; sample estimates are lower)
    assert r.kurt().median() > 0.8
    # a common market factor: average pairwise correlation clearly positive
    c = np.corrcoef(r.to_numpy().T)
    mean_corr = (c.sum() - len(c)) / (len(c) * (len(c) - 1))
    assert 0.1 < mean_corr < 0.6


def test_basket_value_units_and_constituents(market):
    prices, basket, _ = market
    assert basket.iloc[-1] == pytest.approx(10e6, rel=1e-9)
    units = basket.attrs["units"]
    last = basket.attrs["last_prices"]
    assert len(units) == 40 and set(units) == set(last)
    assert all(isinstance(u, int) and u >= 1 for u in units.values())
    assert sum(u * last[t] for t, u in units.items()) == pytest.approx(10e6, rel=1e-12)
    assert all(TICKER.match(t) for t in units)
    assert set(units).isdisjoint(prices.columns)
    assert set(basket.attrs["constituent_sectors"]) == set(units)
    assert set(basket.attrs["constituent_sectors"].values()) <= set(SECTOR_NAMES[:10])
    # no constituent dominates (Dirichlet(2) weights over 40 names)
    weights = np.array([u * last[t] for t, u in units.items()]) / 10e6
    assert weights.max() < 0.2


def test_basket_is_hedgeable_but_not_perfectly(market):
    prices, basket, _ = market
    x = np.log(prices).diff().iloc[1:].to_numpy()
    y = np.log(basket).diff().iloc[1:].to_numpy()
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    r2 = 1.0 - np.var(y - x @ coef) / np.var(y)
    assert 0.5 < r2 < 0.99


def test_sectors(market):
    prices, _, sectors = market
    assert sectors.index.equals(prices.columns)
    assert sectors.index.name == "ticker"
    assert sectors.notna().all()
    assert set(sectors) == set(SECTOR_NAMES[:10])
    small = synthetic_market(n_assets=4, n_days=10, n_basket=3, n_sectors=4)[2]
    assert sorted(small) == sorted(SECTOR_NAMES[:4])  # every sector non-empty


def test_custom_sizes_and_notional():
    prices, basket, sectors = synthetic_market(
        n_assets=30, n_days=60, n_basket=5, n_sectors=11, notional=2.5e6, seed=1, end="2025-01-31"
    )
    assert prices.shape == (60, 30)
    assert prices.index[-1] == pd.Timestamp("2025-01-31")
    assert basket.iloc[-1] == pytest.approx(2.5e6, rel=1e-9)
    assert len(basket.attrs["units"]) == 5
    assert set(sectors) == set(SECTOR_NAMES)


def test_large_market_scales():
    # behaviour only: no wall-clock assert in a test (the benchmarks time the solves on it)
    prices, basket, sectors = synthetic_market(n_assets=2000, n_days=1260)
    assert prices.shape == (1260, 2000)
    assert prices.columns.is_unique and set(basket.attrs["units"]).isdisjoint(prices.columns)
    values = prices.to_numpy()
    assert values.min() >= 2.0 and values.max() <= 2000.0
    assert ((values >= 5.0) & (values <= 1000.0)).mean() > 0.95
    assert basket.iloc[-1] == pytest.approx(10e6, rel=1e-9)
    assert sectors.nunique() == 10


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_assets": 0}, "n_assets"),
        ({"n_assets": 5}, "n_assets"),  # fewer names than sectors
        ({"n_days": 1}, "n_days"),
        ({"n_basket": 0}, "n_basket"),
        ({"n_sectors": 12}, "n_sectors"),
        ({"n_sectors": 2.0}, "n_sectors"),
        ({"notional": -1.0}, "notional"),
        ({"notional": float("nan")}, "notional"),
        ({"end": "not a date"}, "end"),
    ],
)
def test_bad_arguments(kwargs, field):
    with pytest.raises(InputError) as info:
        synthetic_market(**kwargs)
    assert info.value.field == field


def test_synthetic_lots(market):
    prices, _, _ = market
    lots = synthetic_lots(prices)
    assert lots.index.equals(prices.columns)
    assert lots.dtype == np.int64
    assert (lots > 0).all()
    assert set(lots.unique()) <= {1, 10, 50, 100}
    expensive = prices.iloc[-1] > 300
    assert expensive.any()
    assert lots[expensive].isin([1, 10]).all()
    assert lots[~expensive].isin([50, 100]).all()
    assert (lots == 100).mean() > 0.6
    pd.testing.assert_series_equal(lots, synthetic_lots(prices))
    with pytest.raises(InputError):
        synthetic_lots(prices.iloc[:0])


# ------------------------------------------------------------------------------------------------
# OR-Library
# ------------------------------------------------------------------------------------------------

# From /work/shared/data/orlib/FORMAT.md: N, index at t=0 and t=T, min and max stock price.
# indtrack7: 1317 columns after dropping the surplus block 1319 and the spliced block 1088
# (whose 0.01 is the file's minimum; without it the minimum is 0.25).
ORLIB_TABLE = {
    1: (31, 8749.32, 25532.52, 1.793, 484.6),
    2: (85, 1518.03, 2977.35, 10.18, 5356),
    3: (89, 4085.78, 8011.46, 37.19, 3503),
    4: (98, 242.44, 577.25, 2.444, 247.9),
    5: (225, 25677.77, 21730.10, 68.59, 1.468e6),
    6: (457, 724.59, 1067.66, 1.42, 244.6),
    7: (1317, 854.20, 1211.77, 0.25, 800),
}

needs_orlib = pytest.mark.skipif(orlib_dir() is None, reason="OR-Library data not found")


def _tiny_file(path: Path, n: int = 2, t: int = 3, extra: int = 0) -> Path:
    """Write a small indtrack-format file: N=n, T=t, index then n blocks (+ extra values)."""
    vals = [100.0 + i for i in range(t + 1)]
    for s in range(1, n + 1):
        vals += [10.0 * s + i for i in range(t + 1)]
    vals += [1.0] * extra
    lines = [f" {n} {t}"] + [
        " ".join(f"{v:.2f}" for v in vals[i : i + 4]) for i in range(0, len(vals), 4)
    ]
    path.write_text("\r\n".join(lines) + "\r\n\r\n")
    return path


@needs_orlib
@pytest.mark.parametrize("k", sorted(ORLIB_TABLE))
def test_orlib_counts_match_format_table(k):
    n, i0, i_t, pmin, pmax = ORLIB_TABLE[k]
    index, prices = load_orlib(k)
    assert prices.shape == (291, n)
    assert index.shape == (291,)
    assert index.name == "index"
    assert isinstance(prices.index, pd.RangeIndex) and prices.index.name == "week"
    assert list(prices.index) == list(range(291))
    assert index.index.equals(prices.index)
    assert prices.columns.name == "ticker" and prices.columns.is_unique
    assert index.iloc[0] == pytest.approx(i0, abs=0.006)
    assert index.iloc[-1] == pytest.approx(i_t, abs=0.006)
    assert prices.to_numpy().min() == pytest.approx(pmin, rel=5e-3)
    assert prices.to_numpy().max() == pytest.approx(pmax, rel=5e-3)
    assert prices.dtypes.eq(np.float64).all()
    assert not prices.isna().any().any() and (prices > 0).all().all()


@needs_orlib
def test_orlib_column_names():
    assert list(load_orlib(1)[1].columns[[0, -1]]) == ["S001", "S031"]
    assert list(load_orlib(6)[1].columns[[0, -1]]) == ["S001", "S457"]
    cols = load_orlib(7)[1].columns
    assert cols[0] == "S0001" and cols[-1] == "S1318"
    assert "S1088" not in cols and "S1319" not in cols
    assert {"S1087", "S1089"} <= set(cols)


@needs_orlib
def test_orlib_indtrack7_spliced_block_is_gone():
    _, prices = load_orlib(7)
    r = prices.pct_change().iloc[1:]
    top = r.max()
    # the spliced block had a +946x week; the largest left is stock 637's +14.03x
    assert top.max() < 15.0
    assert top.idxmax() == "S0637" and top.max() == pytest.approx(14.03, abs=0.01)
    assert prices.to_numpy().min() > 0.2


@needs_orlib
def test_orlib_returns_fresh_objects():
    index, prices = load_orlib(1)
    prices.iloc[0, 0] = -1.0
    index.iloc[0] = -1.0
    index2, prices2 = load_orlib(1)
    assert prices2.iloc[0, 0] > 0 and index2.iloc[0] > 0


@needs_orlib
def test_orlib_explicit_path_dir_and_file(tmp_path):
    src = orlib_dir() / "indtrack1.txt"
    shutil.copy(src, tmp_path / "indtrack1.txt")
    ref_index, ref_prices = load_orlib(1)
    for p in (tmp_path, str(tmp_path), tmp_path / "indtrack1.txt"):
        index, prices = load_orlib(1, path=p)
        pd.testing.assert_frame_equal(prices, ref_prices)
        pd.testing.assert_series_equal(index, ref_index)


def test_orlib_env_var(tmp_path, monkeypatch):
    _tiny_file(tmp_path / "indtrack3.txt", n=2, t=3)
    monkeypatch.setenv(ORLIB_ENV_VAR, str(tmp_path))
    assert orlib_dir() == tmp_path.resolve()
    index, prices = load_orlib(3)
    assert list(index) == [100.0, 101.0, 102.0, 103.0]
    assert prices.shape == (4, 2)
    assert list(prices.columns) == ["S001", "S002"]
    assert list(prices["S002"]) == [20.0, 21.0, 22.0, 23.0]
    # the env var is authoritative: a file missing there is not looked for elsewhere
    with pytest.raises(DataNotFound, match=ORLIB_ENV_VAR):
        load_orlib(1)


def test_orlib_explicit_tiny_file(tmp_path):
    f = _tiny_file(tmp_path / "mine.txt", n=3, t=2)
    _, prices = load_orlib(2, path=f)
    assert prices.shape == (3, 3)
    assert list(prices.iloc[-1]) == [12.0, 22.0, 32.0]


def test_orlib_missing_dir_raises(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataNotFound) as info:
        load_orlib(1, path=missing)
    assert str(missing) in str(info.value) and ORLIB_ENV_VAR in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    monkeypatch.setenv(ORLIB_ENV_VAR, str(missing))
    assert orlib_dir() is None
    with pytest.raises(DataNotFound, match="nowhere"):
        load_orlib(2)


def test_orlib_bad_token_count_names_file(tmp_path):
    f = _tiny_file(tmp_path / "indtrack4.txt", n=2, t=3, extra=4)
    with pytest.raises(InputError, match="indtrack4.txt"):
        load_orlib(4, path=tmp_path)
    g = tmp_path / "indtrack5.txt"
    g.write_text("2 3\n1 2 3 x\n")
    with pytest.raises(InputError, match="indtrack5.txt"):
        load_orlib(5, path=g)
    assert f.exists()


@pytest.mark.parametrize("k", [0, 8, 9, -1, 1.0, True, "1"])
def test_orlib_bad_k(k):
    with pytest.raises(InputError) as info:
        load_orlib(k)
    assert info.value.field == "k"
    if k == 8 and not isinstance(k, bool):
        assert "not available" in str(info.value)


def test_where_the_orlib_files_come_from_is_said(tmp_path):
    """The docstring, the README and the not-found error point at Beasley's OR-Library."""
    import hedgeopt as ho

    url = "http://people.brunel.ac.uk/~mastjjb/jeb/orlib/indtrackinfo.html"
    assert ho.datasets.ORLIB_URL == url
    assert url in ho.datasets.load_orlib.__doc__
    assert url in (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    with pytest.raises(ho.DataNotFound, match=re.escape(url)):
        ho.datasets.load_orlib(1, path=tmp_path)
needs_daily = pytest.mark.skipif(ho.datasets.daily_dir() is None, reason="daily data not found")


@needs_daily
def test_load_daily_matches_readme_facts() -> None:
    """Facts from /work/shared/data/daily/README.md, checked against the loaded frames."""
    stocks, spy = ho.datasets.load_daily()
    assert stocks.shape == (6346, 20) and spy.shape == (6346,)
    assert str(stocks.index[0].date()) == "1993-01-29"
    assert str(stocks.index[-1].date()) == "2018-04-11"
    assert stocks.index.equals(spy.index) and stocks.index.is_monotonic_increasing
    assert int(stocks.notna().all().sum()) == 12
    first = stocks.apply(lambda c: c.first_valid_index())
    assert first["BABA"] == pd.Timestamp("2014-09-19")
    assert first["AMZN"] == pd.Timestamp("1997-05-15")
    # no gaps after a column's first valid value
    for t in stocks:
        assert stocks.loc[first[t]:, t].notna().all()
    assert int(stocks.dropna().shape[0]) == 896
    assert stocks["SHLD"].max() / stocks["SHLD"].iloc[-1] > 40  # the collapse (to about $3)


def test_load_daily_missing_dir_names_where_it_looked(tmp_path) -> None:
    with pytest.raises(ho.DataNotFound, match="HEDGEOPT_DAILY"):
        ho.datasets.load_daily(tmp_path)
    (tmp_path / "stock_prices.csv").write_text("day,A\n2020-01-02,1\n")
    (tmp_path / "spy_prices.csv").write_text("date,SPY\n2020-01-02,1\n")
    with pytest.raises(ho.InputError, match="date"):
        ho.datasets.load_daily(tmp_path)
    (tmp_path / "stock_prices.csv").write_text("date,A\n2020-01-02,-1\n")
    with pytest.raises(ho.InputError, match="A"):
        ho.datasets.load_daily(tmp_path)
