"""Index tracking on OR-Library data, judged out of sample.

The protocol of hedgeopt's out-of-sample benchmark: in-sample weeks 0-144, the hedge is put on at
week 144 and held (buy-and-hold shares) through week 290. The basket is the index scaled to $10M
at week 144; the hedge is long-only and costs the basket's value at week 144.

For each set the script compares, out of sample, a plain dollar-space fit (``lam=0.5``), the
returns-space minimum tracking-error fit (``lam=0`` with the P&L measured at the reference date's
dollar exposure, which is what skfolio's BenchmarkTracker and PyPortfolioOpt's ex-post tracking
error compute) and ``tune``, which picks lam, the ridge strength and the P&L measure by
walk-forward validation inside weeks 0-144 only. It prints the table, then ``ho.compare`` of tune
against the returns-space fit (a paired block bootstrap of the out-of-sample weeks: is the
difference more than one path's luck?), and saves the tuned hedge's out-of-sample picture.

Run: ``python examples/index_tracking_orlib.py [sets]`` (default sets 1-4; e.g. ``1,5``).
Needs the OR-Library files, from J.E. Beasley's OR-Library
(http://people.brunel.ac.uk/~mastjjb/jeb/orlib/indtrackinfo.html: download indtrack1.txt ..
indtrack7.txt into one directory and set ``HEDGEOPT_ORLIB`` to it; see
``ho.datasets.orlib_dir()``); exits quietly without them.
``HEDGEOPT_EXAMPLE_QUICK=1`` runs set 1 only; ``HEDGEOPT_EXAMPLE_OUT=DIR`` is where the PNG goes.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import hedgeopt as ho
from hedgeopt.workflow.fitting import make_problem
from hedgeopt.workflow.tuning import tune

QUICK = os.environ.get("HEDGEOPT_EXAMPLE_QUICK") == "1"
OUT = Path(os.environ.get("HEDGEOPT_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="hedgeopt-"))
OUT.mkdir(parents=True, exist_ok=True)
WEEK = 144


def run_set(k: int) -> tuple[list[dict], pd.DataFrame]:
    index, prices = ho.datasets.load_orlib(k)
    basket = 1e7 * index / index.iloc[WEEK]
    fit_P, fit_B = prices.iloc[:WEEK + 1], basket.iloc[:WEEK + 1]
    oos_P, oos_B = prices.iloc[WEEK:], basket.iloc[WEEK:]
    cons = [ho.Budget(), ho.LongOnly()]
    fits = {
        "plain lam=0.5": lambda: ho.HedgeProblem(fit_P, fit_B, lam=0.5, constraints=cons).solve(),
        "returns-space min TE": lambda: make_problem(fit_P, fit_B, lam=0.0, constraints=cons,
                                                     pnl="reference").solve(),
        "tune": lambda: tune(fit_P, fit_B, cons).result,
    }
    rows, shares = [], {}
    for name, fit in fits.items():
        t = time.perf_counter()
        res = fit()
        seconds = time.perf_counter() - t
        shares[name] = res.shares
        m = ho.evaluate(res.shares, oos_P, oos_B)
        rows.append({"set": f"indtrack{k}", "N": prices.shape[1], "method": name,
                     "P&L gap std $k": m["pnl_te"] / 1e3, "value gap std $k": m["value_te"] / 1e3,
                     "RMS gap $k": m["rms_gap"] / 1e3, "final gap $k": m["final_gap"] / 1e3,
                     "names": int(m["names"]), "fit s": seconds})
        if name == "tune":
            paths = pd.DataFrame({"hedge": prices @ res.shares, "basket": basket})
            res.plot(paths=paths, title=f"indtrack{k}: tuned hedge, in and out of sample "
                     f"(put on at week {WEEK})").savefig(OUT / f"orlib{k}_tuned.png", dpi=90)
    versus = ho.compare(shares["tune"], shares["returns-space min TE"], oos_P, oos_B)
    return rows, versus.assign(set=f"indtrack{k}").rename_axis("std of").reset_index()


def main(sets: list[int] | None = None) -> pd.DataFrame | None:
    if ho.datasets.orlib_dir() is None:
        print("OR-Library data not found: download indtrack1.txt .. indtrack7.txt from "
              f"{ho.datasets.ORLIB_URL} and set HEDGEOPT_ORLIB to their folder")
        return None
    sets = sets or ([1] if QUICK else [1, 2, 3, 4])
    runs = [run_set(k) for k in sets]
    table = pd.DataFrame([r for rows, _ in runs for r in rows])
    print(table.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    versus = pd.concat([v for _, v in runs], ignore_index=True)
    print("\ntune (a) vs returns-space min TE (b), out of sample: 90% bootstrap interval of a / b, "
          "share of resampled paths where tune is better")
    print(versus[["set", "std of", "ratio", "low", "high", "p_a_better"]].to_string(
        index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\nfigures in {OUT}")
    return table


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    main([int(s) for s in arg.split(",") if s] or None)
