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
from hedgeopt.defaults import DEFAULT_LAM

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
    res = ho.HedgeProblem(prices, basket, lam=DEFAULT_LAM).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25),
        ho.Turnover({}, max_dollars=1.2 * basket.iloc[-1])).solve()
    assert f"{res.objective:.6g} $²" in out
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
    res = ho.HedgeProblem(prices, basket, lam=DEFAULT_LAM).add(
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


# ------------------------------------------------------------------------------------------------
# blame, --out DIR, reading flags
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", ["1.5", "-0.1", "nan"])
def test_bad_lam_is_blamed_on_lam(capsys, files, lam):
    d, *_ = files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--lam", lam)
    assert rc == 2
    assert "InputError: --lam: lam must be a number" in err and lam in err
    assert "--prices" not in err and "P.csv" not in err


@pytest.mark.parametrize("cap", ["nan", "inf"])
def test_bad_sector_cap_is_blamed_on_sector_cap(capsys, files, cap):
    d, *_ = files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--sectors", str(d / "S.csv"), "--sector-cap", cap)
    assert rc == 2
    assert f"InputError: --sector-cap {cap}: " in err and "--prices" not in err


def test_sector_map_error_is_blamed_on_sectors(capsys, files, tmp_path):
    d, *_ = files
    other = tmp_path / "S_other.csv"
    other.write_text("ticker,sector\nNOT_A_TICKER,Energy\n")
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
                     "--sectors", str(other), "--sector-cap", "0.3")
    assert rc == 2 and f"--sectors {other}" in err and "--prices" not in err


def test_out_directory_gets_shares_csv(capsys, files, tmp_path):
    d, prices, *_ = files
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    rc, out, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket",
                       str(d / "B.csv"), "--out", str(out_dir))
    assert rc == 0, err
    assert f"wrote {out_dir / 'shares.csv'}" in out
    table = pd.read_csv(out_dir / "shares.csv", index_col=0)
    assert list(table.columns) == ["shares", "price", "dollars", "weight"]
    assert sorted(table.index) == sorted(prices.columns)


@pytest.fixture(scope="module")
def year_end_files(tmp_path_factory):
    """A market over the 2025/2026 year end written with US, European and ISO dates."""
    d = tmp_path_factory.mktemp("dated")
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=6, n_days=30, n_basket=4,
                                                     n_sectors=2, seed=3, end="2026-01-09")
    for tag, fmt in (("us", "%m/%d/%Y"), ("eu", "%d/%m/%Y"), ("iso", None)):
        prices.to_csv(d / f"P_{tag}.csv", date_format=fmt)
        basket.to_csv(d / f"B_{tag}.csv", date_format=fmt)
    prices.to_csv(d / "P_semi.csv", sep=";", decimal=",", date_format="%d.%m.%Y")
    basket.to_csv(d / "B_semi.csv", sep=";", decimal=",", date_format="%d.%m.%Y")
    return d, prices, basket


def _solved_shares(capsys, d, tag, *flags):
    out_csv = d / f"shares_{tag}_{len(flags)}.csv"
    rc, _, err = run(capsys, "solve", "--prices", str(d / f"P_{tag}.csv"), "--basket",
                     str(d / f"B_{tag}.csv"), "--quiet", "--out", str(out_csv), *flags)
    assert rc == 0, err
    return pd.read_csv(out_csv, index_col=0)["shares"]


@pytest.mark.parametrize("tag, flags", [
    ("us", ()), ("eu", ()), ("semi", ()), ("us", ("--date-format", "%m/%d/%Y")),
    ("eu", ("--dayfirst",)), ("us", ("--monthfirst",)), ("semi", ("--sep", ";", "--decimal", ",")),
])
def test_dated_files_solve_like_iso(capsys, year_end_files, tag, flags):
    d, prices, basket = year_end_files
    want = _solved_shares(capsys, d, "iso")
    got = _solved_shares(capsys, d, tag, *flags)
    np.testing.assert_allclose(got.reindex(want.index), want, rtol=1e-9,
                               atol=1e-9 * want.abs().max())
    res = ho.HedgeProblem(prices, basket, lam=DEFAULT_LAM).add(ho.Budget()).solve()
    np.testing.assert_allclose(want.reindex(res.shares.index), res.shares, rtol=1e-9,
                               atol=1e-9 * res.shares.abs().max())


def test_date_flags_that_contradict_the_file_exit_2(capsys, year_end_files):
    d, *_ = year_end_files
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P_us.csv"), "--basket",
                     str(d / "B_us.csv"), "--dayfirst")
    assert rc == 2 and "--prices" in err and "P_us.csv" in err
    assert "dayfirst = true asks for day-first dates" in err
    rc, _, err = run(capsys, "solve", "--prices", str(d / "P_eu.csv"), "--basket",
                     str(d / "B_eu.csv"), "--date-format", "%m/%d/%Y")
    assert rc == 2 and "do not match date_format '%m/%d/%Y'" in err and "--date-format" in err


def test_ambiguous_dates_exit_2_with_the_flags(capsys, tmp_path):
    days = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"])
    prices = pd.DataFrame({"AAA": [10.0, 11.0, 12.0, 11.5], "BBB": [5.0, 5.5, 5.2, 5.1]},
                          index=days.rename("date"))
    prices.to_csv(tmp_path / "P.csv", date_format="%d/%m/%Y")
    prices.sum(axis=1).rename("basket").to_csv(tmp_path / "B.csv", date_format="%d/%m/%Y")
    argv = ["solve", "--prices", str(tmp_path / "P.csv"), "--basket", str(tmp_path / "B.csv"),
            "--quiet"]
    rc, _, err = run(capsys, *argv)
    assert rc == 2
    assert "'01/01/2026', '01/02/2026', '01/03/2026' and 1 more read both day-first" in err
    assert "--date-format" in err and "--dayfirst / --monthfirst" in err
    rc, _, err = run(capsys, *argv, "--dayfirst", "--out", str(tmp_path / "s.csv"))
    assert rc == 0, err


def test_dayfirst_and_monthfirst_exclude_each_other(capsys, files):
    d, *_ = files
    with pytest.raises(SystemExit) as e:
        main(["solve", "--prices", str(d / "P.csv"), "--basket", str(d / "B.csv"),
              "--dayfirst", "--monthfirst"])
    assert e.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# start-up cost, the quick form's constraint flags, demo solvers, batch formats
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_do_not_import_cvxpy(flag):
    """Measured with ``python -X importtime``: cvxpy was most of a 2.5 s ``--version``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = ("import sys\nfrom hedgeopt.cli import main\ntry:\n    main([" + repr(flag) + "])\n"
            "except SystemExit as e:\n    code = e.code\n"
            "heavy = [m for m in ('cvxpy', 'scipy', 'pandas', 'matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy, code)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY [] 0"
    assert ("hedgeopt " + ho.__version__ in proc.stdout) if flag == "--version" else \
        ("demo" in proc.stdout and "batch" in proc.stdout)


def test_import_hedgeopt_is_lazy_and_every_public_name_resolves():
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = ("import sys, hedgeopt as ho\nassert 'cvxpy' not in sys.modules\n"
            "missing = [n for n in ho.__all__ if getattr(ho, n, None) is None]\n"
            "print(missing, 'cvxpy' in sys.modules, ho.HedgeProblem.__module__)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "True", "hedgeopt.problem"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ho.nope  # noqa: B018


def _quick(capsys, files, tmp_path, *flags):
    d, *_ = files
    out_csv = tmp_path / "q.csv"
    rc, out, err = run(capsys, "solve", "--prices", str(d / "P.csv"), "--basket",
                       str(d / "B.csv"), "--out", str(out_csv), *flags)
    return rc, out, err, out_csv


def test_quick_form_notional_band_reference_long_only(capsys, files, tmp_path):
    d, prices, basket, _ = files
    ref = prices.index[60]
    rc, out, err, csv = _quick(capsys, files, tmp_path, "--notional", "5e6", "--band", "0.9",
                               "1.0", "--reference", f"{ref:%Y-%m-%d}", "--long-only",
                               "--solver", "CLARABEL")
    assert rc == 0, err
    res = ho.HedgeProblem(prices, basket, lam=DEFAULT_LAM, reference=ref).add(
        ho.Budget(notional=5e6, band=(0.9, 1.0)), ho.LongOnly()).solve(solver="CLARABEL")
    table = pd.read_csv(csv, index_col=0)
    np.testing.assert_allclose(table["shares"].reindex(prices.columns), res.shares, rtol=1e-6,
                               atol=1e-6 * res.shares.abs().max())
    value = float(table["shares"] @ prices.loc[ref, table.index])
    assert 0.9 * 5e6 - 1e-3 <= value <= 5e6 + 1e-3
    assert (table["shares"] >= 0).all()
    assert f"reference date       {ref:%Y-%m-%d}" in out


def test_quick_form_lots_and_allow_short(capsys, files, tmp_path):
    rc, _, err, csv = _quick(capsys, files, tmp_path, "--lots", "10", "--band", "0.95", "1.05",
                             "--allow-short", "--lam", "0.5")
    assert rc == 0, err
    shares = pd.read_csv(csv, index_col=0)["shares"]
    np.testing.assert_array_equal(shares % 10, 0)
    with pytest.raises(SystemExit) as stop:
        main(["solve", "--prices", "P", "--basket", "B", "--long-only", "--allow-short"])
    assert stop.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("flags, blamed", [
    (["--notional", "-5"], "--notional"), (["--band", "1.1", "0.9"], "--band"),
    (["--lots", "0"], "--lots"), (["--reference", "1999-01-01"], "--reference"),
    (["--no-budget", "--notional", "5e6"], "--notional"),
])
def test_quick_form_flag_errors_blame_the_flag(capsys, files, tmp_path, flags, blamed):
    rc, _, err, _ = _quick(capsys, files, tmp_path, *flags)
    assert rc == 2
    assert f"InputError: {blamed}" in err, err


def test_demo_offers_only_the_solvers_that_solve_it(capsys):
    from hedgeopt.cli import build_parser

    demo = build_parser()._subparsers._group_actions[0].choices["demo"]
    (solver,) = [a for a in demo._actions if a.dest == "solver"]
    assert "SCIP" not in solver.choices and "ACTIVESET" not in solver.choices
    assert set(solver.choices) <= set(ho.available_solvers(integer=False))
    for name in solver.choices:
        rc, out, err = run(capsys, "demo", "--solver", name.lower(), "--top", "1")
        assert rc == 0 and f"({name}," in out, err
    with pytest.raises(SystemExit):
        main(["demo", "--solver", "SCIP"])
    assert "invalid choice" in capsys.readouterr().err
