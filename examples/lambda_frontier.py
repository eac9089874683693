"""The lambda frontier: daily P&L tracking against dollar-level tracking.

``lam`` weighs ``Var[d]`` (the dollar gap's level) against ``Var[Δd]`` (its daily changes). The
frontier re-solves one compiled problem over a grid of ``lam`` (parameters only) and tabulates
both in-sample standard deviations; the out-of-sample columns show what each choice delivers on the
next 63 days -- the number ``tune`` optimises.

Run: ``python examples/lambda_frontier.py``. ``HEDGEOPT_EXAMPLE_QUICK=1`` shrinks the data;
``HEDGEOPT_EXAMPLE_OUT=DIR`` is where the PNG goes (default: a temporary directory).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import hedgeopt as ho

QUICK = os.environ.get("HEDGEOPT_EXAMPLE_QUICK") == "1"
OUT = Path(os.environ.get("HEDGEOPT_EXAMPLE_OUT") or tempfile.mkdtemp(prefix="hedgeopt-"))
OUT.mkdir(parents=True, exist_ok=True)


def main() -> pd.DataFrame:
    n_days, n_assets = (300, 30) if QUICK else (567, 120)
    prices, basket, sectors = ho.datasets.synthetic_market(n_assets=n_assets, n_days=n_days,
                                                           seed=7)
    fit_end = n_days - 64
    fit_P, fit_B = prices.iloc[:fit_end + 1], basket.iloc[:fit_end + 1]
    prob = ho.HedgeProblem(fit_P, fit_B, lam=0.5)
    prob.add(ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3))
    lams = [0.0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0]
    frontier = prob.frontier(lams)
    oos = []
    for lam in lams:  # out-of-sample value of each point (re-solve through parameters)
        prob.lam = lam
        m = ho.evaluate(prob.solve().shares, prices.iloc[fit_end:], basket.iloc[fit_end:])
        oos.append({"oos_pnl_te": m["pnl_te"], "oos_value_te": m["value_te"]})
    table = pd.concat([frontier, pd.DataFrame(oos)], axis=1)
    cols = ["lam", "pnl_te", "value_te", "oos_pnl_te", "oos_value_te", "names"]
    print(table[cols].to_string(index=False, float_format=lambda x: f"{x:,.0f}"
                                if abs(x) >= 10 else f"{x:.2f}"))
    best = table.loc[int(np.argmin(table["oos_pnl_te"]))]
    print(f"\nbest out-of-sample P&L tracking at lam={best['lam']:g}")
    ax = ho.plot_frontier(frontier, title="lambda frontier (in-sample), labels: lam")
    ax.figure.savefig(OUT / "lambda_frontier.png", dpi=90)
    print(f"figure in {OUT}")
    return table


if __name__ == "__main__":
    main()
