"""The whole-share suite's participation row: OR-Library sets with MaxParticipation limits.

Setting A of :mod:`benchmarks.wholeshare` (notional $1M, lots of 100, long-only, budget band
0.98..1, ``lam = 0.3``) plus ``MaxParticipation(adv, 0.1)`` with a synthetic ADV: 10% of it is
60% of the unconstrained relaxation's position for the names it holds most of (the top half by
dollars) and ample for the others, so the limits bind. Reported: the continuous relaxation with
the limits (the bound), hedgeopt's default whole-share solve (``J / bound``, seconds, names at
their limit), every answer re-checked in shares with numpy.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["participation_rows"]


def participation_rows(sets: list[int], instance: Any, time_limit: float, lam: float
                       ) -> tuple[str, list[dict[str, Any]]]:
    """Markdown table and JSON rows (``instance(k, "A")`` gives prices and basket)."""
    import hedgeopt as ho

    rows, js = [], []
    for k in sets:
        prices, basket = instance(k, "A")
        base = [ho.Budget(band=(0.98, 1.0)), ho.LongOnly()]
        free = ho.HedgeProblem(prices, basket, lam=lam).add(*base).solve()
        pos = free.shares.abs()
        big = free.dollars >= free.dollars[free.dollars > 0].median()
        adv = pd.Series(np.where(big, 0.6 * pos / 0.1, 1e9), index=prices.columns)
        cons = [*base, ho.MaxParticipation(adv, 0.1)]
        bound = ho.HedgeProblem(prices, basket, lam=lam).add(*cons).solve()
        t0 = time.perf_counter()
        res = ho.HedgeProblem(prices, basket, lam=lam).add(*cons, ho.ShareLots(100)).solve(
            time_limit=time_limit)
        secs = time.perf_counter() - t0
        n = res.shares.to_numpy()
        cap = 0.1 * adv.to_numpy()
        ok = bool(np.all(np.abs(n) <= cap + 1e-9) and np.allclose(n % 100, 0))
        at_limit = int(np.sum(np.abs(n) > cap - 100))
        ratio = res.objective / bound.objective
        rows.append([f"indtrack{k}", f"{bound.objective:,.0f}", f"{res.objective:,.0f}",
                     f"{ratio:.4f}", f"{secs:.1f}", str(int(big.sum())), str(at_limit),
                     "yes" if ok and not res.violations else "no", res.solver])
        js.append({"set": k, "bound": bound.objective, "objective": res.objective,
                   "ratio": ratio, "seconds": secs, "limited_names": int(big.sum()),
                   "at_limit": at_limit, "verified": ok and not res.violations,
                   "gap": res.gap})
    head = ["set (A + 10% ADV)", "relaxation $^2", "whole shares $^2", "J / bound", "s",
            "names limited", "within a lot of the limit", "verified", "solver"]
    from benchmarks.common import markdown_table

    return markdown_table(head, rows, "lrrrrrrll"), js
