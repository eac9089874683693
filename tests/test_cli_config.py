"""`hedgeopt solve hedge.toml`, `hedgeopt batch book.toml`, `hedgeopt check`: files and exits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.cli import main
from hedgeopt.defaults import DEFAULT_LAM

HEDGE = """\
[data]
prices = "prices.csv"
basket = "basket.csv"
sectors = "sectors.csv"

[objective]
lam = 0.4
frontier = 3

[constraints]
long_only = true
sector_cap = { max_weight = 0.3 }

[output]
dir = "out"
top = 5
"""

BOOK = """\
panel = "panel.csv"
units_table = "units.csv"

[defaults.data]
universe = "universe.csv"
sectors = "sectors.csv"

[defaults.constraints]
long_only = true
sector_cap = { max_weight = 0.5 }

[[basket]]
name = "tight"
[basket.constraints]
sector_cap = { max_weight = 0.01 }

[[basket]]
name = "missing"
units = "nope.csv"

[output]
dir = "book_out"
"""


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def hedge_dir(market_dir):
    (market_dir[0] / "hedge.toml").write_text(HEDGE)
    return market_dir


@pytest.fixture
def book_dir(tmp_path, market):
    prices, _, sectors = market
    d = tmp_path / "book"
    d.mkdir()
    cols = list(prices.columns)
    prices.to_csv(d / "panel.csv")
    sectors.to_csv(d / "sectors.csv")
    pd.Series(cols[:22], name="ticker").to_csv(d / "universe.csv", index=False)
    table = pd.DataFrame({"alpha": [100.0, 50.0, 0.0, 0.0], "beta": [0.0, 20.0, 30.0, 40.0],
                          "tight": [10.0, 10.0, 10.0, 10.0]},
                         index=pd.Index(cols[24:28], name="ticker"))
    table.to_csv(d / "units.csv")
    (d / "book.toml").write_text(BOOK)
    return d, prices, sectors, table


def api_result(prices, basket, sectors, lam=0.4):
    return ho.HedgeProblem(prices, basket, lam=lam).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)).solve()


# ------------------------------------------------------------------------------------------------
# solve
# ------------------------------------------------------------------------------------------------


def test_solve_config_writes_the_api_hedge(capsys, hedge_dir, monkeypatch, tmp_path):
    d, prices, basket, sectors = hedge_dir
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, "solve", d / "hedge.toml")
    assert rc == 0, err
    o = d / "out"  # [output] dir, relative to the TOML file
    assert f"to {o}" in out and "hedge effectiveness" in out
    ref = api_result(prices, basket, sectors)
    data = json.loads((o / "result.json").read_text())
    got = pd.Series(data["shares"]).reindex(prices.columns).to_numpy()
    np.testing.assert_allclose(got, ref.shares.to_numpy(), rtol=1e-10,
                               atol=1e-9 * ref.shares.abs().max())
    assert data["objective"] == pytest.approx(ref.objective, rel=1e-10)
    assert data["status"] == "optimal" and data["violations"] == [] and data["lam"] == 0.4
    assert data["config"]["constraints"]["sector_cap"] == {"max_weight": 0.3}
    assert data["config_file"] == str(d / "hedge.toml")
    assert [r["lam"] for r in data["frontier"]] == [0.0, 0.5, 1.0]
    shares = pd.read_csv(o / "shares.csv", index_col=0)["shares"]
    np.testing.assert_allclose(shares.reindex(prices.columns), ref.shares, rtol=1e-10,
                               atol=1e-9 * ref.shares.abs().max())
    text = (o / "report.md").read_text()
    assert f"${ref.metrics['pnl_te']:,.2f}" in text and "## Sector exposure" in text
    assert "## lam frontier" in text and "`prices.csv`" in text
    assert "Top holdings (5 of" in text


def test_solve_config_flags_override_and_quiet(capsys, hedge_dir, tmp_path):
    d, prices, basket, sectors = hedge_dir
    rc, out, err = run(capsys, "solve", d / "hedge.toml", "--out", tmp_path / "o2", "--lam",
                       "0.8", "--solver", "OSQP", "--quiet", "--no-plots")
    assert rc == 0, err
    assert out == "" and err == ""
    data = json.loads((tmp_path / "o2" / "result.json").read_text())
    assert data["lam"] == 0.8 and data["solver"] == "OSQP"
    assert data["objective"] == pytest.approx(api_result(prices, basket, sectors, 0.8).objective,
                                              rel=1e-6)
    assert not (tmp_path / "o2" / "hedge.png").exists()


def test_solve_config_error_exit_2_names_key_and_line(capsys, hedge_dir):
    d, *_ = hedge_dir
    (d / "hedge.toml").write_text(HEDGE.replace("max_weight = 0.3", 'max_weight = "0.3"'))
    rc, out, err = run(capsys, "solve", d / "hedge.toml")
    assert rc == 2
    assert "hedge.toml:12: constraints.sector_cap.max_weight = \"0.3\"" in err
    assert "ConfigError" in err


def test_config_and_legacy_flags_do_not_mix(capsys, hedge_dir):
    d, *_ = hedge_dir
    rc, _, err = run(capsys, "solve", d / "hedge.toml", "--long-only")
    assert rc == 2 and "--long-only cannot be combined with a config file" in err


def test_infeasible_config_exit_1(capsys, hedge_dir):
    d, *_ = hedge_dir
    (d / "hedge.toml").write_text(HEDGE.replace("max_weight = 0.3", "max_weight = 0.01"))
    rc, _, err = run(capsys, "solve", d / "hedge.toml")
    assert rc == 1 and "InfeasibleError" in err and "SectorCap(max_weight=0.01)" in err


def test_legacy_solve_still_works(capsys, hedge_dir, tmp_path):
    d, prices, basket, sectors = hedge_dir
    rc, out, err = run(capsys, "solve", "--prices", d / "prices.csv", "--basket",
                       d / "basket.csv", "--long-only", "--sectors", d / "sectors.csv",
                       "--sector-cap", "0.25", "--out", tmp_path / "s.csv")
    assert rc == 0, err
    ref = ho.HedgeProblem(prices, basket, lam=DEFAULT_LAM).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25)).solve()
    got = pd.read_csv(tmp_path / "s.csv", index_col=0)["shares"].reindex(prices.columns)
    np.testing.assert_allclose(got, ref.shares, rtol=1e-9, atol=1e-9 * ref.shares.abs().max())
    with pytest.raises(SystemExit) as e:
        main(["solve", "--basket", "B.csv"])
    assert e.value.code == 2 and "--prices" in capsys.readouterr().err


def test_check(capsys, hedge_dir, book_dir):
    d, *_ = hedge_dir
    rc, out, _ = run(capsys, "check", d / "hedge.toml")
    assert rc == 0 and "OK: HedgeProblem(T=120, N=30" in out
    b, *_ = book_dir
    rc, out, err = run(capsys, "check", b / "book.toml")
    assert rc == 2 and "3 of 4 baskets OK" in out
    assert "missing: ConfigError" in err and "basket[1].units" in err and "nope.csv" in err
    (d / "hedge.toml").write_text(HEDGE + "[extra]\n")
    rc, _, err = run(capsys, "check", d / "hedge.toml")
    assert rc == 2 and "unknown key" in err


# ------------------------------------------------------------------------------------------------
# batch
# ------------------------------------------------------------------------------------------------


def _check_book_outputs(out_dir: Path, prices, sectors, table):
    summary = pd.read_csv(out_dir / "book_summary.csv", index_col=0)
    assert list(summary.index) == ["alpha", "beta", "tight", "missing"]
    assert list(summary["status"]) == ["optimal", "optimal", "failed", "failed"]
    assert "InfeasibleError" in summary.loc["tight", "error"]
    assert "nope.csv" in summary.loc["missing", "error"]
    book = json.loads((out_dir / "book.json").read_text())
    assert (book["n_solved"], book["n_failed"]) == (2, 2)
    for name in ("alpha", "beta"):
        units = table[name][table[name] != 0]
        ref = ho.HedgeProblem(prices[prices.columns[:22]], ho.basket_value(units, prices),
                              lam=DEFAULT_LAM).add(ho.Budget(), ho.LongOnly(),
                                           ho.SectorCap(sectors, max_weight=0.5)).solve()
        data = json.loads((out_dir / name / "result.json").read_text())
        got = pd.Series(data["shares"]).reindex(ref.shares.index).to_numpy()
        np.testing.assert_allclose(got, ref.shares.to_numpy(), rtol=1e-9,
                                   atol=1e-9 * ref.shares.abs().max())
        assert summary.loc[name, "objective"] == pytest.approx(ref.objective, rel=1e-9)
        assert (out_dir / name / "report.md").exists()
    failed = json.loads((out_dir / "tight" / "result.json").read_text())
    assert failed["status"] == "failed" and failed["error_type"] == "InfeasibleError"


def test_batch_in_process(capsys, book_dir):
    d, prices, sectors, table = book_dir
    rc, out, err = run(capsys, "batch", d / "book.toml", "--workers", "0")
    assert rc == 1  # two baskets failed; the others are written
    assert "2 solved, 2 failed" in out and "in-process" in out
    assert "basket tight: InfeasibleError" in err and "basket missing: ConfigError" in err
    _check_book_outputs(d / "book_out", prices, sectors, table)
    # the printed summary writes every number with its unit, in one format per column
    summary = pd.read_csv(d / "book_out" / "book_summary.csv", index_col=0)
    row = summary.loc["alpha"]
    line = next(ln for ln in out.splitlines() if ln.startswith("alpha"))
    for cell in (f"${round(row['pnl_te']):,}", f"${round(row['value_te']):,}",
                 f" {int(row['names'])} ", f"{row['objective']:.6g} $²"):
        assert cell in line, (cell, line)


def test_batch_on_a_local_cluster(capsys, book_dir, tmp_path):
    pytest.importorskip("distributed", reason="the batch extra (dask[distributed]) is missing")
    d, prices, sectors, table = book_dir
    rc, out, err = run(capsys, "batch", d / "book.toml", "--workers", "2", "--out",
                       tmp_path / "cluster_out", "--quiet")
    assert rc == 1 and out == ""
    assert "basket tight: InfeasibleError" in err and "LocalCluster" not in err
    _check_book_outputs(tmp_path / "cluster_out", prices, sectors, table)
    book = json.loads((tmp_path / "cluster_out" / "book.json").read_text())
    assert book["info"]["mode"] == "dask" and book["info"]["workers"] == 2
    assert book["info"]["scattered"]  # the shared panel went once to each worker


def test_batch_all_ok_exit_0(capsys, book_dir):
    d, *_ = book_dir
    text = BOOK.split("[[basket]]")[0] + "[output]\ndir = \"ok_out\"\n"
    (d / "ok.toml").write_text(text)
    rc, out, err = run(capsys, "batch", d / "ok.toml", "--workers", "0", "--quiet")
    assert rc == 0 and out == "" and err == ""
    assert (d / "ok_out" / "tight" / "result.json").exists()


def test_batch_config_error_exit_2(capsys, book_dir):
    d, *_ = book_dir
    (d / "bad.toml").write_text(BOOK.replace("[[basket]]\nname = \"tight\"",
                                             "[[basket]]\nname = \"tight\"\nlamm = 1", 1))
    rc, _, err = run(capsys, "batch", d / "bad.toml", "--workers", "0")
    assert rc == 2 and "basket[0].lamm" in err and "did you mean 'lam'" in err


# ------------------------------------------------------------------------------------------------
# flags with a config, check's report, a missing batch extra
# ------------------------------------------------------------------------------------------------


def test_bad_lam_with_a_config_is_blamed_on_lam(capsys, hedge_dir):
    d, *_ = hedge_dir
    rc, _, err = run(capsys, "solve", d / "hedge.toml", "--lam", "1.5", "--quiet")
    assert rc == 2 and "InputError: --lam: lam must be a number in [0, 1], got 1.5" in err


def test_check_prints_the_parsed_dates_rows_reference_and_notional(capsys, hedge_dir):
    d, prices, basket, _ = hedge_dir
    rc, out, err = run(capsys, "check", d / "hedge.toml")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[1] == (f"  dates: {prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}, "
                        f"{len(prices)} rows; {prices.shape[1]} instruments")
    assert lines[2] == (f"  reference date: {prices.index[-1]:%Y-%m-%d}; notional: "
                        f"${basket.iloc[-1]:,.2f}")


def test_check_and_solve_flags_override_the_config(capsys, hedge_dir, tmp_path):
    d, prices, basket, sectors = hedge_dir
    prices.to_csv(d / "prices.csv", date_format="%d/%m/%Y")
    basket.to_csv(d / "basket.csv", date_format="%d/%m/%Y")
    (d / "hedge.toml").write_text(HEDGE.replace('sectors = "sectors.csv"',
                                                'sectors = "sectors.csv"\ndayfirst = false'))
    rc, _, err = run(capsys, "check", d / "hedge.toml")
    assert rc == 2
    assert 'hedge.toml:2: data.prices = "prices.csv": dayfirst = false' in err
    rc, out, err = run(capsys, "check", d / "hedge.toml", "--dayfirst")
    assert rc == 0, err
    assert f"reference date: {prices.index[-1]:%Y-%m-%d}" in out
    rc, out, err = run(capsys, "check", d / "hedge.toml", "--date-format", "%d/%m/%Y")
    assert rc == 0, err
    rc, _, err = run(capsys, "solve", d / "hedge.toml", "--dayfirst", "--out", tmp_path / "o",
                     "--quiet", "--no-plots")
    assert rc == 0, err
    data = json.loads((tmp_path / "o" / "result.json").read_text())
    assert data["objective"] == pytest.approx(api_result(prices, basket, sectors).objective,
                                              rel=1e-9)


def test_check_of_a_book_prints_every_basket(capsys, book_dir):
    d, prices, *_ = book_dir
    rc, out, err = run(capsys, "check", d / "book.toml")
    assert rc == 2 and "3 of 4 baskets OK" in out
    first, last = f"{prices.index[0]:%Y-%m-%d}", f"{prices.index[-1]:%Y-%m-%d}"
    for name in ("alpha", "beta", "tight"):
        assert (f"  {name}: {first} to {last}, {len(prices)} rows, 22 instruments, "
                f"reference date {last}, notional $") in out
    assert "missing:" not in out and "missing: ConfigError" in err


def _no_distributed(monkeypatch):
    """Make ``import distributed`` fail as if the batch extra were not installed."""
    monkeypatch.setitem(sys.modules, "distributed", None)


@pytest.mark.parametrize("flags", [("--workers", "2"), ("--scheduler", "tcp://127.0.0.1:1")])
def test_batch_without_distributed_exit_2_with_the_pip_line(capsys, book_dir, monkeypatch,
                                                           flags):
    d, *_ = book_dir
    _no_distributed(monkeypatch)
    rc, _, err = run(capsys, "batch", d / "book.toml", *flags, "--quiet")
    assert rc == 2
    assert 'pip install "hedgeopt[batch]"' in err and "MissingDependency" in err
    assert "Traceback" not in err


def test_solve_book_without_distributed_raises_missing_dependency(monkeypatch):
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=5, n_days=20, n_basket=3,
                                                     n_sectors=2, seed=2)
    book = {"a": ho.HedgeProblem(prices, basket)}
    _no_distributed(monkeypatch)
    for client in ("tcp://127.0.0.1:1", object()):
        with pytest.raises(ho.MissingDependency, match=r'pip install "hedgeopt\[batch\]"') as e:
            ho.solve_book(book, client)
        assert isinstance(e.value, ImportError) and isinstance(e.value, ho.HedgeOptError)
        assert e.value.package == "distributed" and e.value.extra == "batch"
    assert ho.solve_book(book).ok  # in-process needs no Dask
