"""A desk hedge: $10M of SPY with single stocks and an index future, under desk limits.

The desk is long $10M of SPY and hedges it (holds the opposite of the hedge) with the 12
stocks of ``../shared/data/daily`` that trade over the whole sample and a synthetic index future
(``ES``: 10 x SPY with a small basis, multiplier 50, so one contract is about $140k), under

* a beta band: the hedge's dollar beta to SPY within 2% of the notional of the basket's;
* liquidity: at most 10% of each name's ADV traded (a synthetic ADV, about $5M-$60M a day);
* gross exposure at most 1.2 times the notional, short at most 0.1;
* transaction costs (5 bp and 1 cent a share on stocks, 0.5 bp on the future), one dollar of
  cost worth 10 dollars of daily P&L-gap std;
* whole shares and whole contracts.

Steps: the continuous cost-aware hedge (cost in dollars, exposures), then whole shares and
contracts of the same limits and costs (the whole-share search prices the linear costs at the
continuous relaxation's exchange rate). Run ``python examples/desk_hedge.py``
(``HEDGEOPT_DAILY=DIR`` if the data are elsewhere; ``HEDGEOPT_EXAMPLE_QUICK=1`` uses a shorter
window).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd

import hedgeopt as ho

QUICK = os.environ.get("HEDGEOPT_EXAMPLE_QUICK") == "1"
NOTIONAL = 10e6


def load(days: int) -> tuple[pd.DataFrame, pd.Series]:
    """Stocks with data on every common date and SPY, the last ``days`` rows."""
    try:
        stocks, spy = ho.datasets.load_daily()
    except ho.DataNotFound as exc:
        sys.exit(f"{exc}; set HEDGEOPT_DAILY")
    return stocks[stocks.columns[stocks.notna().all()]].iloc[-days:], spy.iloc[-days:]


def main() -> None:
    stocks, spy = load(252 if QUICK else 504)
    rng = np.random.default_rng(0)
    basis = 1.0 + 0.0005 * rng.standard_normal(len(spy)).cumsum() / np.sqrt(len(spy))
    prices = stocks.assign(ES=10.0 * spy * basis)
    basket = NOTIONAL * spy / spy.iloc[-1]
    mult = {"ES": 50.0}
    dollars_per_unit = prices.iloc[-1] * pd.Series(mult).reindex(prices.columns).fillna(1.0)
    adv = pd.Series(rng.uniform(5e6, 6e7, prices.shape[1]), index=prices.columns)
    adv = adv / dollars_per_unit  # shares (contracts) a day
    adv["ES"] = 30.0  # 10%: 3 contracts a day, about $420k of the $10M
    bps = pd.Series(5.0, index=prices.columns)
    bps["ES"] = 0.5
    per_share = pd.Series(0.01, index=prices.columns)
    per_share["ES"] = 0.0
    limits = [ho.Budget(band=(0.99, 1.0)), ho.Beta(spy, -0.02, 0.02),
              ho.MaxParticipation(adv, 0.1), ho.Leverage(gross=1.2, short=0.1)]
    cost = ho.TransactionCost(bps=bps, per_share=per_share, weight=10.0)

    cont = ho.HedgeProblem(prices, basket, multipliers=mult).add(*limits, cost).solve()
    whole = ho.HedgeProblem(prices, basket, multipliers=mult).add(
        *limits, ho.ShareLots(1), cost).solve(time_limit=5)
    ctx = whole.ctx
    beta = limits[1]
    print(f"Hedging ${NOTIONAL:,.0f} of SPY ({prices.index[0]:%Y-%m-%d} .. "
          f"{prices.index[-1]:%Y-%m-%d}, {len(prices)} days) with {prices.shape[1] - 1} stocks "
          f"and the ES future (x50)\n")
    for name, res in (("continuous, cost-aware", cont), ("whole shares and contracts", whole)):
        w = res.weights
        n = res.shares.to_numpy()
        print(f"{name}: solver {res.solver}, P&L-gap std ${res.metrics['pnl_te']:,.0f}/day, "
              f"value-gap std ${res.metrics['value_te']:,.0f}")
        print(f"  trading cost ${cost.dollars(n, ctx):,.0f}"
              + (f" (priced at {res.info['cost_exchange'][repr(cost)]:,.0f} $^2 per $)"
                 if "cost_exchange" in res.info else " (reported, not optimised)"))
        print(f"  beta minus basket {beta.exposure(n, ctx).iloc[0]:+.4f} of the notional, "
              f"gross {np.abs(w).sum():.3f}, short {np.maximum(-w, 0).sum():.3f}, "
              f"ES {res.shares['ES']:+,.2f} contracts, names {int((res.shares != 0).sum())}")
        print(f"  max participation {np.max(np.abs(n) / adv.to_numpy()):.1%} of ADV, "
              f"violations {res.violations}\n")
    print(whole.to_frame(held_only=True).round(2).to_string())


if __name__ == "__main__":
    main()
