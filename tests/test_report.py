"""Outputs: the JSON and CSV hold the API's numbers; the Markdown report holds the tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
import hedgeopt.reporting.report as report
from hedgeopt.book import book_from_panel, solve_book
from hedgeopt.reporting.report import (
    markdown_table,
    sector_exposure,
    to_jsonable,
    write_book,
    write_outputs,
)


@pytest.fixture(scope="module")
def solved(market):
    prices, basket, sectors = market
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25))
    return prob, prob.solve(), sectors


def strict_json(path):
    def no_constant(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(), parse_constant=no_constant)


def test_to_jsonable_converts_numpy_pandas_and_dates():
    data = {
        np.int64(3): np.float32(1.5), "b": np.bool_(True), "nan": float("nan"),
        "inf": np.float64(np.inf), "ts": pd.Timestamp("2026-06-30"),
        "ts2": pd.Timestamp("2026-06-30 15:30"), "arr": np.arange(3),
        "s": pd.Series([1.0, np.nan], index=["x", "y"]), "t": (1, "a"),
        "err": ValueError("boom"),
    }
    got = to_jsonable(data)
    assert got == {"3": 1.5, "b": True, "nan": None, "inf": None, "ts": "2026-06-30",
                   "ts2": "2026-06-30T15:30:00", "arr": [0, 1, 2], "s": {"x": 1.0, "y": None},
                   "t": [1, "a"], "err": "ValueError: boom"}
    assert type(got["3"]) is float and type(got["arr"][0]) is int
    json.dumps(got, allow_nan=False)


def test_json_holds_the_api_numbers(solved, tmp_path):
    _, res, _ = solved
    paths = write_outputs(res, tmp_path, plots=False, extra={"basket": "x"})
    data = strict_json(paths["result.json"])
    # shares: every ticker, exactly the API's floats (repr round-trips)
    assert list(data["shares"]) == list(res.shares.index)
    assert np.array_equal(np.array(list(data["shares"].values())), res.shares.to_numpy())
    for k, v in res.metrics.items():
        assert data["metrics"][k] == pytest.approx(float(v), rel=0, abs=0), k
    assert data["objective"] == res.objective
    assert (data["status"], data["solver"], data["lam"]) == (res.status, res.solver, 0.3)
    assert data["bound"] is None and data["gap"] is None and data["violations"] == []
    assert data["notional"] == res.notional
    assert data["reference_date"] == res.reference_date.date().isoformat()
    assert data["constraints"] == [repr(c) for c in res.constraints]
    assert data["n_assets"] == res.ctx.n_assets and data["basket"] == "x"
    held = res.shares[res.shares != 0]
    assert set(data["positions"]) == set(held.index)
    t = held.index[0]
    assert data["positions"][t]["dollars"] == pytest.approx(res.dollars[t], rel=1e-15)


def test_shares_csv_round_trips(solved, tmp_path):
    _, res, _ = solved
    paths = write_outputs(res, tmp_path, plots=False, report=False)
    assert set(paths) == {"shares.csv", "result.json"}
    table = pd.read_csv(paths["shares.csv"], index_col=0)
    assert table.index.name == "ticker"
    assert list(table.columns) == ["shares", "price", "dollars", "weight"]
    np.testing.assert_array_equal(table["shares"].to_numpy(), res.shares.to_numpy())


def test_report_has_metrics_holdings_and_sectors(solved, tmp_path):
    _, res, sectors = solved
    paths = write_outputs(res, tmp_path, title="test basket", plots=False,
                          description={"prices": "p.csv", "basket": "b.csv"})
    text = paths["report.md"].read_text()
    m = res.metrics
    assert text.startswith("# Hedge report: test basket")
    for needle in [f"${m['pnl_te']:,.2f}", f"${m['value_te']:,.2f}",
                   f"{m['effectiveness']:.4%}", f"{res.objective:,.6g} $²",
                   f"| names held | {int(m['names'])} |", "`p.csv`", "`b.csv`",
                   "| reference date | " + res.reference_date.date().isoformat(),
                   "`SectorCap(max_weight=0.25)`", "All 3 constraints hold"]:
        assert needle in text, needle
    # top holding row
    top = res.dollars.abs().idxmax()
    assert f"| {top} | {res.shares[top]:,.4f} | {res.prices[top]:,.2f} | " \
           f"{res.dollars[top]:,.2f} | {res.weights[top]:.2%} |" in text
    # sector rows: net dollars computed independently
    net = (res.shares * res.ctx.p_ref).groupby(sectors).sum()
    for s, v in net.items():
        assert f"| {s} | " in text and f"{v:,.2f}" in text, s
    assert "| 25.00% |" in text  # the cap column


def test_sector_exposure_numbers(solved):
    _, res, sectors = solved
    df = sector_exposure(res)
    want = (res.shares * res.ctx.p_ref).groupby(sectors).sum()
    np.testing.assert_allclose(df["net"].reindex(want.index), want, rtol=1e-12)
    np.testing.assert_allclose(df["weight"], df["net"] / res.notional, rtol=1e-15)
    assert (df["max"] == 0.25).all() and df["min"].isna().all()
    assert df["weight"].max() <= 0.25 + 1e-9
    assert sector_exposure(ho.HedgeProblem(res.ctx.prices, res.ctx.basket).solve()) is None


@pytest.mark.skipif(not report.plots_available(), reason="matplotlib not installed")
def test_plots_embedded_by_relative_path(solved, tmp_path):
    prob, res, _ = solved
    frontier = prob.frontier([0.0, 0.5, 1.0])
    paths = write_outputs(res, tmp_path, frontier=frontier)
    text = paths["report.md"].read_text()
    for name in ("hedge.png", "frontier.png"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({name})" in text
    assert "## lam frontier" in text
    row = frontier.iloc[1]
    assert f"| 0.5 | ${row['pnl_te']:,.2f} | ${row['value_te']:,.2f} |" in text
    data = strict_json(paths["result.json"])
    assert [r["lam"] for r in data["frontier"]] == [0.0, 0.5, 1.0]


def test_without_matplotlib_the_report_says_so(solved, tmp_path, monkeypatch):
    _, res, _ = solved
    monkeypatch.setattr(report, "plots_available", lambda: False)
    paths = write_outputs(res, tmp_path)
    assert "hedge.png" not in paths and not (tmp_path / "hedge.png").exists()
    assert 'pip install "hedgeopt[plot]"' in paths["report.md"].read_text()


def test_violations_are_listed(market, tmp_path):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    shares = np.full(ctx.n_assets, -1.0)
    res = ho.HedgeResult.build(shares, ctx, 0.3, [ho.LongOnly()], tol=1e-6,
                               raise_on_violation=False, status="optimal", solver="test",
                               solve_time=0.0)
    text = write_outputs(res, tmp_path, plots=False)["report.md"].read_text()
    assert f"{len(res.violations)} violation(s)" in text
    assert res.violations[0] in text
    assert len(strict_json(tmp_path / "result.json")["violations"]) == ctx.n_assets


def test_markdown_table_escapes_and_formats():
    text = markdown_table([("a|b", 1.23456, None), ("c", float("nan"), 2)], ["x", "y", "z"],
                          [None, "{:.2f}", "{:d}"])
    assert text.splitlines() == ["| x | y | z |", "|:---|---:|---:|", "| a\\|b | 1.23 |  |",
                                 "| c |  | 2 |"]


def test_write_book_per_basket_and_summary(market, tmp_path):
    prices, _, sectors = market
    cols = list(prices.columns)
    baskets = {"ok/1": pd.Series([100.0, 50.0], index=cols[25:27]),
               "ok 2": pd.Series([10.0, 20.0, 30.0], index=cols[26:29]),
               "tight": pd.Series([100.0], index=cols[29:30])}

    def factory(key):
        cap = 0.01 if key == "tight" else 0.5
        return [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=cap)]

    book = book_from_panel(prices, baskets, factory, lam=0.3, universe=cols[:25])
    out = solve_book(book, progress=False)
    written = write_book(out, tmp_path / "book")
    summary = pd.read_csv(written["book_summary.csv"], index_col=0)
    assert list(summary.index) == ["ok/1", "ok 2", "tight"]
    assert list(summary["dir"]) == ["ok_1", "ok_2", "tight"]
    assert list(summary["status"]) == ["optimal", "optimal", "failed"]
    assert summary.loc["ok/1", "objective"] == pytest.approx(out.results["ok/1"].objective,
                                                             rel=1e-12)
    assert "InfeasibleError" in summary.loc["tight", "error"]
    data = strict_json(written["book.json"])
    assert (data["n_baskets"], data["n_solved"], data["n_failed"]) == (3, 2, 1)
    assert data["baskets"]["tight"]["error_type"] == "InfeasibleError"
    failed = strict_json(tmp_path / "book" / "tight" / "result.json")
    assert failed["status"] == "failed" and "no hedge satisfies" in failed["error"]
    ok = strict_json(tmp_path / "book" / "ok_1" / "result.json")
    assert np.array_equal(np.array(list(ok["shares"].values())),
                          out.results["ok/1"].shares.to_numpy())
    assert (tmp_path / "book" / "ok_2" / "report.md").exists()
    assert not (tmp_path / "book" / "tight" / "shares.csv").exists()
    assert math.isclose(data["elapsed"], out.elapsed)


def test_write_outputs_writes_the_cli_files_and_floats_at_input_precision(tmp_path):
    """Prices read as 12.9515 are written as 12.9515 (not 12.951499999999999, the %.17g
    text); every float in the CSV and the JSON reads back bit-identical."""
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2026-01-02", periods=30)
    raw = np.round(rng.uniform(10, 50, size=(30, 4)), 4)
    raw[-1, 0] = 12.9515
    prices = pd.DataFrame(raw, index=dates, columns=["AAA", "BBB", "CCC", "DDD"])
    basket = pd.Series(np.round(prices.to_numpy() @ [100.0, 50.0, 80.0, 20.0] * 1.01, 2),
                       index=dates, name="basket")
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget()).solve()
    written = ho.write_outputs(res, tmp_path / "a", title="t")
    assert sorted(written) == ["hedge.png", "report.md", "result.json", "shares.csv"]
    assert sorted(write_outputs(res, tmp_path / "b", plots=False)) == [
        "report.md", "result.json", "shares.csv"]
    lines = (tmp_path / "a" / "shares.csv").read_text().splitlines()
    assert lines[0] == "ticker,shares,price,dollars,weight"
    row = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert row["price"] == "12.9515"
    assert row["shares"] == repr(float(res.shares["AAA"]))
    table = pd.read_csv(tmp_path / "a" / "shares.csv", index_col=0)
    assert table["shares"].tolist() == res.shares.tolist()          # bit-identical
    assert table["price"].tolist() == prices.iloc[-1].tolist()
    data = strict_json(tmp_path / "a" / "result.json")
    assert [data["shares"][t] for t in prices.columns] == res.shares.tolist()
