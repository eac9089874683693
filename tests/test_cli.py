"""The ``hedgeopt`` command: demo, solve on files, and clear errors (exit status 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """P.csv, B.csv, S.csv written from a small synthetic market."""
    d = tmp_path_factory.mktemp("cli")
    prices, basket, sectors = ho.datasets.synthetic_market(n_assets=20, n_days=80, n_sectors=4,
                                                           seed=5)
    prices.to_csv(d / "P.csv")
    basket.to_csv(d / "B.csv")
    sectors.to_csv(d / "S.csv")
    return d, prices, basket, sectors


# ------------------------------------------------------------------------------------------------
# demo
# ------------------------------------------------------------------------------------------------


def test_demo_prints_table_and_metrics(capsys):
    rc, out, err = run(capsys, "demo")
    assert rc == 0, err
    assert "Synthetic market (seed 7)" in out
    header = next(ln for ln in out.splitlines() if "shares" in ln and "dollars" in ln)
    assert "price" in header and "weight" in header
    for label in ("objective", "P&L gap std", "value gap std", "hedge effectiveness",
                  "P&L correlation", "names, gross", "violations"):
        assert label in out, label
    assert "$10,000,000" in out
    # the demo's problem, solved through the Python API, gives the printed objective
    prices, basket, sectors = ho.datasets.synthetic_market(seed=7)
    res = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25),
        ho.Turnover({}, max_dollars=1.2 * basket.iloc[-1])).solve()
    assert f"{res.objective:,.6g} $^2" in out
    top = res.dollars.abs().idxmax()
    table_rows = [ln.split()[0] for ln in out.splitlines()[out.splitlines().index(header) + 1:]
                  if ln.strip()]
    assert top in table_rows[:3]


def test_demo_options(capsys):
    rc, out, err = run(capsys, "demo", "--lam", "0.6", "--seed", "3", "--solver", "CLARABEL",
                       "--top", "4")
    assert rc == 0, err
    assert "seed 3" in out
    assert "CLARABEL" in out
    assert "more names" in out  # only the top 4 rows are printed


def test_demo_bad_lam_is_exit_2(capsys):
    rc, out, err = run(capsys, "demo", "--lam", "1.5")
    assert rc == 2
    assert "lam" in err and "hedgeopt: error" in err


# ------------------------------------------------------------------------------------------------
# solve
# ------------------------------------------------------------------------------------------------


def test_solve_writes_the_python_api_shares(capsys, files):
    d, prices, basket, sectors = files
    out_csv = d / "shares.csv"
    rc, out, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket",
                       str(d / "B.csv"), "--long-only", "--sectors", str(d / "S.csv"),
                       "--sector-cap", "0.25", "--out", str(out_csv))
    assert rc == 0, err
    assert f"wrote {out_csv}" in out
    assert "hedge effectiveness" in out
    table = pd.read_csv(out_csv, index_col=0)
    assert table.index.name == "ticker"
    assert list(table.columns) == ["shares", "price", "dollars", "weight"]
    res = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25)).solve()
    got = table["shares"].reindex(prices.columns)
    np.testing.assert_allclose(got, res.shares, rtol=1e-9, atol=1e-9 * res.shares.abs().max())
    # and the file obeys the constraints, checked from the CSV alone
    assert (table["shares"] >= 0).all()
    expo = (table["dollars"]).groupby(sectors).sum() / basket.iloc[-1]
    assert expo.max() <= 0.25 + 1e-7
    assert table["dollars"].sum() == pytest.approx(basket.iloc[-1], rel=1e-7)
    np.testing.assert_allclose(table["price"].reindex(prices.columns), prices.iloc[-1], rtol=1e-12)


def test_solve_lam_and_no_budget(capsys, files):
    d, prices, basket, _ = files
    out_csv = d / "free.csv"
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--no-budget", "--lam", "0.8", "--solver", "OSQP", "--out", str(out_csv))
    assert rc == 0, err
    res = ho.HedgeProblem(prices, basket, lam=0.8).solve(solver="OSQP")
    got = pd.read_csv(out_csv, index_col=0)["shares"].reindex(prices.columns)
    np.testing.assert_allclose(got, res.shares, rtol=1e-8, atol=1e-8 * res.shares.abs().max())


def test_solve_without_out_only_prints(capsys, files):
    d, *_ = files
    rc, out, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket",
                       str(d / "B.csv"))
    assert rc == 0, err
    assert "wrote" not in out and "HedgeResult" in out


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------


def test_missing_file(capsys, files):
    d, *_ = files
    rc, out, err = run(capsys, "solve", "--prices", str(d / "nope.csv"), "--basket",
                       str(d / "B.csv"))
    assert rc == 2
    assert "--prices" in err and "nope.csv" in err and "no such file" in err


@pytest.mark.parametrize(
    "content",
    [b'date,AAA\n2024-01-01,"unterminated\n2024-01-02,5\n', b"\x00\x01garbage\xff\xfe", b""],
    ids=["unterminated-quote", "binary", "empty"],
)
def test_unreadable_csv(capsys, files, tmp_path, content):
    d, *_ = files
    bad = tmp_path / "broken.csv"
    bad.write_bytes(content)
    rc, out, err = run(capsys, "solve", "--prices", str(bad), "--basket", str(d / "B.csv"))
    assert rc == 2
    assert "--prices" in err and "broken.csv" in err


def test_basket_with_two_value_columns(capsys, files, tmp_path):
    d, _, basket, _ = files
    two = tmp_path / "two.csv"
    basket.to_frame().assign(extra=1.0).to_csv(two)
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(two))
    assert rc == 2
    assert "--basket" in err and "two.csv" in err and "2 value columns" in err


def test_misaligned_dates_exit_2_and_name_the_file(capsys, files, tmp_path):
    d, _, basket, _ = files
    short = tmp_path / "B_short.csv"
    basket.iloc[5:].to_csv(short)
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(short))
    assert rc == 2
    assert "dates do not match" in err and str(basket.index[0].date()) in err
    assert "B_short.csv" in err or "P.csv" in err


def test_non_numeric_price_names_the_file_and_cell(capsys, files, tmp_path):
    d, prices, _, _ = files
    text = prices.astype(object)
    text.iloc[3, 2] = "n/a?"
    path = tmp_path / "P_text.csv"
    text.to_csv(path)
    rc, _, err = run(capsys, "solve", "--prices", str(path), "--basket", str(d / "B.csv"))
    assert rc == 2
    assert "P_text.csv" in err and str(prices.columns[2]) in err


def test_nan_price_in_file_names_ticker_and_date(capsys, files, tmp_path):
    d, prices, _, _ = files
    holes = prices.copy()
    holes.iloc[7, 4] = np.nan
    path = tmp_path / "P_nan.csv"
    holes.to_csv(path)
    rc, _, err = run(capsys, "solve", "--prices", str(path), "--basket", str(d / "B.csv"))
    assert rc == 2
    assert str(prices.columns[4]) in err and str(prices.index[7].date()) in err


def test_sector_flags_need_each_other(capsys, files):
    d, *_ = files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--sector-cap", "0.2")
    assert rc == 2 and "--sectors" in err
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--sectors", str(d / "S.csv"))
    assert rc == 2 and "--sector-cap" in err


def test_unknown_solver_exit_2(capsys, files):
    d, *_ = files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--solver", "FOO")
    assert rc == 2 and "unknown solver 'FOO'" in err


def test_infeasible_exit_1_names_constraints(capsys, files):
    d, *_ = files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--long-only", "--sectors", str(d / "S.csv"), "--sector-cap", "0.05")
    assert rc == 1
    assert "InfeasibleError" in err and "Budget()" in err and "SectorCap(max_weight=0.05)" in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["solve", "--basket", "B.csv"])  # --prices is required
    assert e.value.code == 2
    assert "--prices" in capsys.readouterr().err


def test_console_entry_point_exit_status(files):
    """The real process exit status (not just main()'s return value)."""
    d, *_ = files
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "hedgeopt.cli", "solve", "--prices", str(d / "missing.csv"),
         "--basket", str(d / "B.csv")],
        capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=60,
    )
    assert proc.returncode == 2
    assert "missing.csv" in proc.stderr
