"""Hedge a sold basket option with shares, chosen by out-of-sample validation.

A desk sold a 3-month at-the-money call on a $10M basket of 40 names it cannot trade directly.
Its first-order exposure is the option's delta times the basket: the desk is short
``delta x B_t`` dollars of basket. It hedges with shares of 120 other instruments (a synthetic
market), buy-and-hold for a month, re-hedging monthly.

Steps:
1. price the option (Black-Scholes on the basket's realised vol) and size the delta exposure;
2. ``tune``: choose lam, ridge and the P&L measure by walk-forward validation inside the
   estimation window only, and refit on the whole window;
3. hold the hedge for the next 21 days and compare it out-of-sample with a plain fit;
4. ``backtest``: the same procedure rolled monthly over the last year, with a turnover limit
   and 5 bp linear costs; summary table and figures.

Run: ``python examples/option_hedge.py``. ``HEDGEOPT_EXAMPLE_QUICK=1`` shrinks the data;
``HEDGEOPT_EXAMPLE_OUT=DIR`` says where the PNG files go (default: a temporary directory).
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import hedgeopt as ho
from hedgeopt.workflow.backtest import backtest
from hedgeopt.workflow.tuning import tune

QUICK = os.environ.get("HEDGEOPT_EXAMPLE_QUICK") == "1"
OUT = Path(os.environ.get("HEDGEOPT_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="hedgeopt-"))
OUT.mkdir(parents=True, exist_ok=True)


def call_delta(spot: float, strike: float, vol: float, years: float) -> float:
    """Black-Scholes delta of a European call (zero rates)."""
    d1 = (math.log(spot / strike) + 0.5 * vol**2 * years) / (vol * math.sqrt(years))
    return 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))


def main() -> pd.DataFrame:
    n_days, n_assets = (400, 40) if QUICK else (756, 120)
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=n_assets, n_days=n_days, seed=7)
    hold = 21
    fit_end = n_days - hold - 1  # the hedge is put on here; the last `hold` days are unseen
    fit_P, fit_B = prices.iloc[:fit_end + 1], basket.iloc[:fit_end + 1]

    # 1. the exposure: short delta x basket
    vol = float(np.log(fit_B).diff().std() * math.sqrt(252))
    delta = call_delta(1.0, 1.0, vol, 0.25)
    target = delta * basket  # dollars of basket the option is short
    print(f"basket vol {vol:.1%}, 3-month ATM call delta {delta:.3f}: hedge "
          f"${delta * basket.iloc[fit_end]:,.0f} of basket")

    # 2. tune inside the window only, refit on all of it
    cons = [ho.Budget(), ho.LongOnly()]
    tr = tune(fit_P, target.iloc[:fit_end + 1], cons)
    print(f"tune: {len(tr.table)} candidates x {len(tr.folds)} folds in {tr.seconds:.1f} s; "
          f"best {tr.best}")
    print(tr.table.head(5).to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
    plain = ho.HedgeProblem(fit_P, target.iloc[:fit_end + 1], lam=0.5, constraints=cons).solve()

    # 3. out of sample: the next `hold` days, shares held
    oos_P, oos_B = prices.iloc[fit_end:], target.iloc[fit_end:]
    rows = {}
    for name, shares in (("plain lam=0.5", plain.shares), ("tuned", tr.shares)):
        rows[name] = ho.evaluate(shares, oos_P, oos_B)[["pnl_te", "value_te", "rms_gap",
                                                       "final_gap", "names"]]
    table = pd.DataFrame(rows).T
    print("\nout-of-sample, next", hold, "days ($):")
    print(table.to_string(float_format=lambda x: f"{x:,.0f}"))
    paths = pd.DataFrame({"hedge": oos_P @ tr.shares, "basket": oos_B})
    fig = tr.result.plot(paths=paths, title="tuned hedge of the option's delta, out of sample")
    fig.savefig(OUT / "option_hedge_oos.png", dpi=90)

    # 4. monthly re-hedges over the last year: turnover limit and costs
    fit_window = 252 if not QUICK else 200
    bt = backtest(prices, target, cons, fit_window=fit_window, hold=hold,
                  start=n_days - 1 - (6 if QUICK else 12) * hold,
                  rehedge=0.2 * delta * float(basket.iloc[-1]), cost_bps=5.0,
                  tuner={"folds": 3})
    print("\nmonthly re-hedges (turnover <= 20% of the exposure, 5 bp costs):")
    cols = ["reference", "pnl_te", "value_te", "final_gap", "names", "turnover", "costs", "lam",
            "ridge", "pnl"]
    print(bt.periods[cols].to_string(index=False, float_format=lambda x: f"{x:,.3g}"))
    print(bt.summary.to_string(float_format=lambda x: f"{x:,.2f}"))
    bt.plot().savefig(OUT / "option_hedge_backtest.png", dpi=90)
    print(f"\nfigures in {OUT}")
    return table


if __name__ == "__main__":
    main()
