"""Out-of-sample dollar tracking: hedgeopt (plain and tuned) against skfolio and PyPortfolioOpt.

``python -m benchmarks.outofsample [--quick] [--sets 1-7] [--seeds 2] [--out DIR]``

Part 1, OR-Library (the protocol of the out-of-sample issue). In-sample weeks 0-144, hedge put on
at week 144, out-of-sample weeks 144-290; basket ``B_t = $10M x I_t / I_144``; long-only, budget
at week 144, buy-and-hold shares. Peers fit weights on returns and are converted to shares at
week 144 (``n_i = w_i B_144 / P_144,i``):

* skfolio ``BenchmarkTracker()`` (X = stock returns, y = index returns);
* PyPortfolioOpt ``EfficientFrontier(None, S, weight_bounds=(0, 1)).convex_objective(
  objective_functions.ex_post_tracking_error, historic_returns=R, benchmark_returns=r_b)``.

hedgeopt rows: ``HedgeProblem(lam=0.5)`` with ``Budget(), LongOnly()`` (the plain default), and
``tune(...)`` with its default grid (validation inside weeks 0-144 only). Columns: std of the weekly
$ P&L gap, std of the $ value gap, RMS gap, final gap (all out-of-sample, $k), names held, fit
seconds (wall and CPU of this process, one run).

Part 2, synthetic daily rolling windows (``ho.datasets.synthetic_market``): two-year fits (504
days), six-month holds (126 days), eight rolling windows, two scenarios -- 20 stocks hedging a
basket of 40 other names, and 20 stocks hedging the fixed-unit index of 100 names they belong to.
Every hedgeopt variant runs through ``backtest``; skfolio is refitted on the same windows. The table
gives the geometric mean over windows of the ratio to skfolio and wins / losses.

Part 3, real daily data (``benchmarks/daily.py``): SPY and an equal-dollar five-stock basket
hedged over rolling 504-day fits and 126-day holds on ``ho.datasets.load_daily()``, against both
peers and the hindsight oracle (``--daily-step k`` runs every k-th window, for development).

The peers are installed for this benchmark only (``pip install "hedgeopt[bench]"``); when
absent their rows are reported as missing. Without the OR-Library files part 1 is skipped, without
the daily files part 3.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hedgeopt as ho
from benchmarks import daily
from benchmarks.common import machine_info, markdown_table, write_json
from hedgeopt.workflow.backtest import backtest
from hedgeopt.workflow.tuning import tune

IN_SAMPLE_END = 144
NOTIONAL = 1e7
CONS = (ho.Budget(), ho.LongOnly())

Fitter = Callable[[pd.DataFrame, pd.Series], pd.Series]


# ------------------------------------------------------------------------------------------------
# fitters: (in-sample prices, basket) -> shares at the last row
# ------------------------------------------------------------------------------------------------

def _returns(prices: pd.DataFrame, basket: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return (prices.pct_change().iloc[1:].to_numpy(), basket.pct_change().iloc[1:].to_numpy())


def _to_shares(w: np.ndarray, prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    w = np.clip(np.asarray(w, dtype=float), 0.0, None)
    return pd.Series(w * float(basket.iloc[-1]) / prices.iloc[-1].to_numpy(), prices.columns)


def fit_skfolio(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    from skfolio.optimization import BenchmarkTracker

    R, rb = _returns(prices, basket)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = BenchmarkTracker().fit(R, rb).weights_
    return _to_shares(w, prices, basket)


def fit_pypfopt(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    from pypfopt import EfficientFrontier, objective_functions

    R, rb = _returns(prices, basket)
    cov = np.cov(R, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ef = EfficientFrontier(None, cov, weight_bounds=(0, 1))
        w = ef.convex_objective(objective_functions.ex_post_tracking_error,
                                historic_returns=R, benchmark_returns=rb)
    return _to_shares(np.array([w[i] for i in range(len(w))]), prices, basket)


def fit_plain(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    return ho.HedgeProblem(prices, basket, lam=0.5, constraints=CONS).solve().shares


def fit_tuned(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    return tune(prices, basket, CONS).shares


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


TUNED = "hedgeopt tune (default)"
METHODS: dict[str, tuple[Fitter, str | None]] = {
    "skfolio BenchmarkTracker": (fit_skfolio, "skfolio"),
    "PyPortfolioOpt ex-post TE": (fit_pypfopt, "pypfopt"),
    "hedgeopt lam=0.5 (plain)": (fit_plain, None),
    daily.HORIZON: (daily.fit_horizon, None),
    daily.SHRUNK: (daily.fit_shrunk, None),
    TUNED: (fit_tuned, None),
}


def _timed(fit: Fitter, prices: pd.DataFrame, basket: pd.Series
           ) -> tuple[pd.Series | None, float, float, str | None]:
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        shares = fit(prices, basket)
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, not fatal
        return None, np.nan, np.nan, f"{type(exc).__name__}: {exc}"
    return shares, time.perf_counter() - wall, time.process_time() - cpu, None


# ------------------------------------------------------------------------------------------------
# part 1: OR-Library
# ------------------------------------------------------------------------------------------------

def orlib_rows(k: int, methods: Sequence[str]) -> list[dict[str, Any]]:
    index, prices = ho.datasets.load_orlib(k)
    basket = NOTIONAL * index / index.iloc[IN_SAMPLE_END]
    Pi, Bi = prices.iloc[:IN_SAMPLE_END + 1], basket.iloc[:IN_SAMPLE_END + 1]
    Po, Bo = prices.iloc[IN_SAMPLE_END:], basket.iloc[IN_SAMPLE_END:]
    rows, fitted = [], {}
    for name in methods:
        fit, module = METHODS[name]
        row: dict[str, Any] = {"set": k, "method": name, "n_assets": prices.shape[1]}
        if module is not None and not _available(module):
            row["error"] = f"{module} not installed (pip install skfolio pyportfolioopt)"
            rows.append(row)
            continue
        shares, wall, cpu, err = _timed(fit, Pi, Bi)
        row.update({"fit_seconds": wall, "fit_cpu_seconds": cpu, "error": err})
        if shares is not None:
            fitted[name] = shares
            m = ho.evaluate(shares, Po, Bo)
            row.update({c: float(m[c]) for c in ("pnl_te", "value_te", "rms_gap", "final_gap")})
            row["names"] = int(m["names"])
        rows.append(row)
        print(f"  indtrack{k} {name}: " + (
            f"P&L gap std ${row.get('pnl_te', np.nan) / 1e3:,.1f}k, value gap std "
            f"${row.get('value_te', np.nan) / 1e3:,.1f}k, {wall:.2f} s" if err is None else err),
            flush=True)
    _add_bootstrap(rows, fitted, Po, Bo)
    return rows


def _add_bootstrap(rows: list[dict[str, Any]], fitted: dict[str, pd.Series],
                   prices: pd.DataFrame, basket: pd.Series) -> None:
    """On the tune row: per column, ``ho.compare`` of tune against the peer best on it."""
    tuned = fitted.get(TUNED)
    peers = [r for r in rows if not r["method"].startswith("hedgeopt") and r["method"] in fitted]
    if tuned is None or not peers:
        return
    row = next(r for r in rows if r["method"] == TUNED)
    for col in ("pnl_te", "value_te"):
        peer = min(peers, key=lambda r: r[col])
        c = ho.compare(tuned, fitted[peer["method"]], prices, basket).loc[col]
        row[f"{col}_boot"] = {"peer": peer["method"], "ratio": float(c["ratio"]),
                              "low": float(c["low"]), "high": float(c["high"]),
                              "p_win": float(c["p_a_better"])}


def orlib_table(rows: list[dict[str, Any]]) -> str:
    headers = ["set", "N", "method", "P&L gap std $k", "value gap std $k", "RMS gap $k",
               "final gap $k", "names", "fit s (wall)", "fit s (CPU)"]
    out = []
    for r in rows:
        if r.get("error"):
            out.append([f"indtrack{r['set']}", r["n_assets"], r["method"], r["error"], "", "",
                        "", "", "", ""])
            continue
        out.append([f"indtrack{r['set']}", r["n_assets"], r["method"], f"{r['pnl_te'] / 1e3:.1f}",
                    f"{r['value_te'] / 1e3:.1f}", f"{r['rms_gap'] / 1e3:.1f}",
                    f"{r['final_gap'] / 1e3:+.1f}", r["names"], f"{r['fit_seconds']:.2f}",
                    f"{r['fit_cpu_seconds']:.2f}"])
    return markdown_table(headers, out, align="llrrrrrrrr")


def orlib_verdict(rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """tune against the better of the two peers, per set and column, with the paired block
    bootstrap of :func:`hedgeopt.compare` (90% interval of the ratio, share of draws won)."""
    out, verdict = [], {}
    for r in rows:
        if r["method"] != TUNED or "pnl_te_boot" not in r:
            continue
        cells, res = [f"indtrack{r['set']}"], {}
        for col in ("pnl_te", "value_te"):
            b = r[f"{col}_boot"]
            res[col] = b
            cells.append(f"{b['ratio']:.3f} ({'win' if b['ratio'] < 1 else 'loss'}) "
                         f"[{b['low']:.2f}, {b['high']:.2f}] {b['p_win']:.2f}")
        verdict[int(r["set"])] = res
        out.append(cells)
    headers = ["set", "tune / best peer: P&L gap std [90% interval] P(win)",
               "tune / best peer: value gap std [90% interval] P(win)"]
    return markdown_table(headers, out, align="lrr"), verdict


# ------------------------------------------------------------------------------------------------
# part 2: synthetic daily rolling windows
# ------------------------------------------------------------------------------------------------

def scenario(name: str, seed: int, n_days: int) -> tuple[pd.DataFrame, pd.Series]:
    if name == "other names":
        prices, basket, _ = ho.datasets.synthetic_market(n_assets=20, n_days=n_days,
                                                         n_basket=40, seed=seed)
        return prices, basket
    # 20 stocks hedging the fixed-unit index of the 100 names they belong to
    prices, _, _ = ho.datasets.synthetic_market(n_assets=100, n_days=n_days, n_basket=1,
                                                seed=seed)
    rng = np.random.default_rng(seed + 1000)
    w0 = rng.dirichlet(np.full(100, 0.7))
    units = w0 / prices.iloc[0].to_numpy()
    index = prices.to_numpy() @ units
    basket = pd.Series(NOTIONAL * index / index[-1], index=prices.index, name="basket")
    top = np.argsort(-w0)[:20]
    return prices.iloc[:, np.sort(top)], basket


ROLLING: dict[str, dict[str, Any]] = {
    "hedgeopt lam=0.5 (plain)": {"lam": 0.5, "pnl": "price"},
    "hedgeopt lam=0 (plain)": {"lam": 0.0, "pnl": "price"},
    TUNED: {"tuner": True},
}


def rolling_rows(scenarios: Sequence[str], seeds: Sequence[int], windows: int,
                 fit_window: int = 504, hold: int = 126) -> list[dict[str, Any]]:
    rows = []
    n_days = fit_window + windows * hold
    have_skfolio = _available("skfolio")
    for scen in scenarios:
        for seed in seeds:
            prices, basket = scenario(scen, seed, n_days)
            bts = {}
            for name, kw in ROLLING.items():
                wall = time.perf_counter()
                bts[name] = backtest(prices, basket, CONS, fit_window=fit_window, hold=hold, **kw)
                bts[name].settings["wall"] = time.perf_counter() - wall
            ref_rows = [prices.index.get_loc(r) for r in bts[TUNED]
                        .periods["reference"]]
            for j, ref in enumerate(ref_rows):
                end = min(ref + hold, len(prices) - 1)
                lo = ref - fit_window + 1
                Pf, Bf = prices.iloc[lo:ref + 1], basket.iloc[lo:ref + 1]
                Po, Bo = prices.iloc[ref:end + 1], basket.iloc[ref:end + 1]
                base = {"scenario": scen, "seed": seed, "window": j}
                if have_skfolio:
                    sk, wall, _, err = _timed(fit_skfolio, Pf, Bf)
                    if sk is not None:
                        m = ho.evaluate(sk, Po, Bo)
                        rows.append({**base, "method": "skfolio BenchmarkTracker",
                                     "pnl_te": float(m["pnl_te"]),
                                     "value_te": float(m["value_te"]), "fit_seconds": wall})
                for name, bt in bts.items():
                    p = bt.periods.iloc[j]
                    rows.append({**base, "method": name, "pnl_te": float(p["pnl_te"]),
                                 "value_te": float(p["value_te"]),
                                 "fit_seconds": float(p["fit_seconds"])})
            print(f"  {scen}, seed {seed}: done", flush=True)
    return rows


def rolling_table(rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    df = pd.DataFrame(rows)
    if df.empty or "skfolio BenchmarkTracker" not in set(df["method"]):
        return "(skfolio not installed: no ratios)", {}
    key = ["scenario", "seed", "window"]
    ref = df[df["method"] == "skfolio BenchmarkTracker"].set_index(key)
    out, summary = [], {}
    for scen in [*dict.fromkeys(df["scenario"]), "all"]:
        sub = df if scen == "all" else df[df["scenario"] == scen]
        for name in ROLLING:
            g = sub[sub["method"] == name].set_index(key)
            r = ref.loc[g.index]
            cells = [scen, name, str(len(g))]
            res: dict[str, Any] = {"n": len(g)}
            for col in ("pnl_te", "value_te"):
                ratio = g[col].to_numpy() / r[col].to_numpy()
                geo = float(np.exp(np.mean(np.log(ratio))))
                wins, losses = int(np.sum(ratio < 1)), int(np.sum(ratio > 1))
                res[col] = {"geo_mean_ratio": geo, "wins": wins, "losses": losses}
                cells.append(f"{geo:.3f}x ({wins}/{losses})")
            cells.append(f"{g['fit_seconds'].mean():.3f}")
            summary[f"{scen} | {name}"] = res
            out.append(cells)
    headers = ["scenario", "method", "windows", "P&L gap std vs skfolio (wins/losses)",
               "value gap std vs skfolio (wins/losses)", "mean fit s"]
    return markdown_table(headers, out, align="lllrrr"), summary


# ------------------------------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------------------------------

def run_daily(step: int) -> dict[str, Any] | None:
    """Part 3 (see :mod:`benchmarks.daily`); None without the daily files."""
    if ho.datasets.daily_dir() is None:
        print("daily price files not found (set HEDGEOPT_DAILY): part 3 skipped")
        return None
    print(f"## Real daily data: rolling 504-day fits, 126-day holds (every {step}. window)\n")
    fitters: dict[str, daily.Fitter] = {}
    for name in daily.PEERS:
        fit, module = METHODS[name]
        if module is None or _available(module):
            fitters[name] = fit
    fitters.update({daily.BASELINE: daily.fit_baseline,
                    "hedgeopt HedgeProblem default (lam=0, price)": daily.fit_default,
                    daily.HORIZON: daily.fit_horizon, daily.SHRUNK: daily.fit_shrunk,
                    daily.TUNED: daily.fit_tune_both, daily.ARGMIN: daily.fit_tune_both})
    rows = daily.daily_rows(fitters, step=step)
    table, summary = daily.daily_table(rows)
    note = daily.reasons(rows)
    print("\n" + table + "\n\n" + note + "\n")
    return {"rows": rows, "summary": summary, "table": table + "\n\n" + note}


def _sets(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outofsample",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="sets 1-4, one seed, four rolling windows")
    parser.add_argument("--sets", default=None, help="OR-Library sets, e.g. 1-7 or 1,3,5")
    parser.add_argument("--seeds", type=int, default=None, help="synthetic seeds per scenario")
    parser.add_argument("--windows", type=int, default=None, help="rolling windows per seed")
    parser.add_argument("--no-synthetic", action="store_true", help="skip part 2")
    parser.add_argument("--no-orlib", action="store_true", help="skip part 1")
    parser.add_argument("--no-daily", action="store_true", help="skip part 3")
    parser.add_argument("--daily-step", type=int, default=None,
                        help="every k-th daily window (default 1, --quick 4)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"),
                        help="directory of outofsample.json")
    parser.add_argument("--repeat", default=None, help=argparse.SUPPRESS)  # from benchmarks
    args = parser.parse_args(argv)
    sets = _sets(args.sets) if args.sets else ([1, 2, 3, 4] if args.quick else list(range(1, 8)))
    seeds = list(range(1, 1 + (args.seeds or (1 if args.quick else 2))))
    windows = args.windows or (4 if args.quick else 8)
    payload: dict[str, Any] = {"machine": machine_info((
        "numpy", "scipy", "pandas", "cvxpy", "skfolio", "pyportfolioopt")),
        "protocol": {"in_sample_weeks": [0, IN_SAMPLE_END], "out_of_sample_weeks":
                     [IN_SAMPLE_END, 290], "notional": NOTIONAL}}

    if args.no_orlib or ho.datasets.orlib_dir() is None:
        print("part 1 skipped" if args.no_orlib else
              "OR-Library data not found (set HEDGEOPT_ORLIB): part 1 skipped")
        payload["orlib"] = None
    else:
        print(f"## Out-of-sample dollar tracking, OR-Library (sets {sets})\n")
        rows = []
        for k in sets:
            rows.extend(orlib_rows(k, list(METHODS)))
        table = orlib_table(rows)
        verdict_table, verdict = orlib_verdict(rows)
        print("\n" + table + "\n\n" + verdict_table + "\n")
        payload["orlib"] = {"rows": rows, "tune_vs_best_peer": verdict, "table": table}

    if not args.no_synthetic:
        print(f"## Synthetic daily rolling windows ({len(seeds)} seed(s) x {windows} windows "
              "per scenario; 504-day fits, 126-day holds)\n")
        rrows = rolling_rows(["other names", "own index"], seeds, windows)
        rtable, rsummary = rolling_table(rrows)
        print("\n" + rtable + "\n")
        payload["rolling"] = {"rows": rrows, "summary": rsummary, "table": rtable}
    if not args.no_daily:
        payload["daily"] = run_daily(args.daily_step or (4 if args.quick else 1))
    path = write_json(Path(args.out) / "outofsample.json", payload)
    md = [payload[part]["table"] for part in ("orlib", "rolling", "daily") if payload.get(part)]
    if payload.get("orlib"):
        md.insert(1, orlib_verdict(payload["orlib"]["rows"])[0])
    (Path(args.out) / "outofsample.md").write_text("\n\n".join(md) + "\n", encoding="utf-8")
    print(f"wrote {os.path.relpath(path)} and outofsample.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
