"""Part 3 of the out-of-sample suite: rolling windows on real daily prices.

The data: ``ho.datasets.load_daily()`` (20 US stocks and SPY, daily adjusted closes, 1993-2018 on
their common dates; ragged starts, SHLD's collapse included). Protocol: 504-day fits, the hedge
put on at the last fit day and held 126 days, rolling by 126 days over the whole history; long-only
and budget ($10M at the put-on date). Each window uses the stocks with full data over it. Two
baskets:

* ``spy``: $10M of SPY (``B_t = 1e7 SPY_t / SPY_ref``) hedged with the stocks;
* ``five``: an equal-dollar basket of AAPL, BAC, PFE, WMT, XOM ($2M each at the put-on date,
  fixed units) hedged with the other 15 stocks (those with data).

Methods: the peers skfolio ``BenchmarkTracker`` and PyPortfolioOpt (ex-post tracking error),
hedgeopt's returns-space fit (``lam=0``, ``pnl="reference"``: the baseline), hedgeopt's default
``HedgeProblem`` (``lam=0``, ``pnl="price"``), ``tune`` with its defaults, ``tune``'s own
validation table with the plain argmin choice (``select="best"``, refitted: what the same folds
pick without the noise rule), and the **hindsight oracle**: per column, the best fixed long-only
budget hedge fitted on the hold period itself (``lam=0`` with price P&L for the P&L gap,
``lam=1`` for the value gap), the limit no method can pass.

Per basket and column: the geometric-mean ratio to the best peer of each window (the smaller of
the two peers' stds), the worst window, wins / losses, and the share of the room captured,
``(1 - g) / (1 - g_oracle)`` with ``g`` the geometric-mean ratios.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

import hedgeopt as ho
from benchmarks.common import markdown_table
from hedgeopt.workflow.fitting import fit_with
from hedgeopt.workflow.tuning import _params, tune

FIT, HOLD = 504, 126
NOTIONAL = 1e7
FIVE = ("AAPL", "BAC", "PFE", "WMT", "XOM")
CONS = (ho.Budget(), ho.LongOnly())
PEERS = ("skfolio BenchmarkTracker", "PyPortfolioOpt ex-post TE")
BASELINE = "hedgeopt returns-space (lam=0, reference)"
TUNED = "hedgeopt tune (default)"
ARGMIN = "hedgeopt tune folds, select='best'"
ORACLE = "hindsight oracle"
COLS = ("pnl_te", "value_te")
TIE = 1e-4  # ratios within 0.01% of 1 are ties (the same hedge up to solver tolerance)

Fitter = Callable[[pd.DataFrame, pd.Series], pd.Series]


def window_refs(n_rows: int, step: int = 1) -> list[int]:
    """Put-on rows of the rolling windows (every ``step``-th with ``step > 1``)."""
    return list(range(FIT - 1, n_rows - HOLD, HOLD))[::step]


def window_data(stocks: pd.DataFrame, spy: pd.Series, ref: int, case: str
                ) -> tuple[pd.DataFrame, pd.Series]:
    """Prices (stocks with full data over the window) and basket on fit + hold rows."""
    rows = slice(ref - FIT + 1, ref + HOLD + 1)
    prices = stocks.iloc[rows].dropna(axis=1)
    if case == "spy":
        return prices, NOTIONAL * spy.iloc[rows] / spy.iloc[ref]
    members = prices[list(FIVE)]
    units = NOTIONAL / len(FIVE) / members.iloc[FIT - 1]
    return prices.drop(columns=list(FIVE)), (members * units).sum(axis=1).rename("basket")


def _oracle(Po: pd.DataFrame, Bo: pd.Series) -> dict[str, float]:
    out = {}
    for col, lam in (("pnl_te", 0.0), ("value_te", 1.0)):
        res = ho.HedgeProblem(Po, Bo, lam=lam, pnl="price", reference=Po.index[0],
                              constraints=CONS).solve()
        out[col] = float(ho.evaluate(res.shares, Po, Bo)[col])
    return out


def daily_rows(fitters: dict[str, Fitter], cases: Sequence[str] = ("spy", "five"),
               step: int = 1) -> list[dict[str, Any]]:
    """One row per (basket, window, method): out-of-sample P&L-gap and value-gap stds."""
    stocks, spy = ho.datasets.load_daily()
    rows: list[dict[str, Any]] = []
    for case in cases:
        for ref in window_refs(len(stocks), step):
            prices, basket = window_data(stocks, spy, ref, case)
            Pf, Bf = prices.iloc[:FIT], basket.iloc[:FIT]
            Po, Bo = prices.iloc[FIT - 1:], basket.iloc[FIT - 1:]
            base = {"basket": case, "put_on": str(prices.index[FIT - 1].date()),
                    "n_assets": prices.shape[1]}
            extra: dict[str, pd.Series] = {}
            for name, fit in fitters.items():
                wall = time.perf_counter()
                shares = fit(Pf, Bf) if name != ARGMIN else extra.pop(ARGMIN)
                seconds = time.perf_counter() - wall
                if isinstance(shares, tuple):  # tune: (shares, argmin shares, reason)
                    shares, extra[ARGMIN], why = shares
                    base["reason"] = why
                m = ho.evaluate(shares, Po, Bo)
                rows.append({**base, "method": name, "pnl_te": float(m["pnl_te"]),
                             "value_te": float(m["value_te"]), "fit_seconds": seconds})
            rows.append({**base, "method": ORACLE, **_oracle(Po, Bo), "fit_seconds": np.nan})
            print(f"  {case} {base['put_on']} N={base['n_assets']}: done", flush=True)
    return rows


def fit_baseline(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    return ho.HedgeProblem(prices, basket, lam=0.0, pnl="reference", constraints=CONS
                           ).solve().shares


def fit_default(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    return ho.HedgeProblem(prices, basket, constraints=CONS).solve().shares


#: Fixed objective options (no selection: their out-of-sample ratios are evidence as they are).
HORIZON = "hedgeopt lam=0.1, value_horizon=5 (reference)"
SHRUNK = "hedgeopt shrinkage=0.1, 1 factor (lam=0, reference)"


def fit_horizon(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    """The value term on 5-period changes of the gap, at lam 0.1, returns-space P&L."""
    return ho.HedgeProblem(prices, basket, lam=0.1, pnl="reference", value_horizon=5,
                           constraints=CONS).solve().shares


def fit_shrunk(prices: pd.DataFrame, basket: pd.Series) -> pd.Series:
    """The returns-space fit on the Gram shrunk 10% toward its one-factor model."""
    return ho.HedgeProblem(prices, basket, lam=0.0, pnl="reference", shrinkage=0.1,
                           constraints=CONS).solve().shares


def fit_tune_both(prices: pd.DataFrame, basket: pd.Series
                  ) -> tuple[pd.Series, pd.Series, str]:
    """tune's hedge, the refit of its table's argmin, and its reason."""
    tr = tune(prices, basket, CONS, quiet=True)
    argmin = fit_with(prices, basket, CONS, _params(tr.table.iloc[0]))[1].shares
    return tr.shares, argmin, tr.reason


def daily_table(rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Ratios to the best peer per basket and column (see the module docstring)."""
    df = pd.DataFrame(rows)
    key = ["basket", "put_on"]
    peers = df[df["method"].isin(PEERS)]
    if peers.empty:
        return "(no peer installed: pip install skfolio pyportfolioopt)", {}
    best_peer = peers.groupby(key)[list(COLS)].min()
    out, summary = [], {}
    methods = [m for m in dict.fromkeys(df["method"])]
    for case in [*dict.fromkeys(df["basket"]), "all"]:
        sub = df if case == "all" else df[df["basket"] == case]
        geo_oracle = {}
        o = sub[sub["method"] == ORACLE].set_index(key)
        for col in COLS:
            geo_oracle[col] = float(np.exp(np.mean(np.log(o[col] / best_peer.loc[o.index, col]))))
        for name in methods:
            g = sub[sub["method"] == name].set_index(key)
            cells: list[Any] = [case, name, str(len(g))]
            res: dict[str, Any] = {"n": len(g)}
            for col in COLS:
                ratio = (g[col] / best_peer.loc[g.index, col]).to_numpy()
                geo = float(np.exp(np.mean(np.log(ratio))))
                room = (1 - geo) / (1 - geo_oracle[col]) if geo_oracle[col] < 1 else np.nan
                res[col] = {"geo_mean_ratio": geo, "worst": float(ratio.max()),
                            "wins": int(np.sum(ratio < 1 - TIE)),
                            "losses": int(np.sum(ratio > 1 + TIE)),
                            "room_captured": room}
                cells.append(f"{geo:.3f} [{ratio.max():.3f}] ({res[col]['wins']}/"
                             f"{res[col]['losses']}) {100 * room:+.0f}%")
            summary[f"{case} | {name}"] = res
            out.append(cells)
    headers = ["basket", "method", "windows",
               "P&L gap std / best peer: geo mean [worst] (wins/losses) room",
               "value gap std / best peer: geo mean [worst] (wins/losses) room"]
    return markdown_table(headers, out, align="lllrr"), summary


def reasons(rows: list[dict[str, Any]]) -> str:
    """How often tune left the baseline, with the first reason of each kind."""
    df = pd.DataFrame(rows)
    if "reason" not in df:
        return ""
    r = df[df["method"] == TUNED]
    kept = r["reason"].str.contains("kept").sum()
    return (f"tune kept the baseline in {kept} of {len(r)} windows and left it in "
            f"{len(r) - kept}.")
