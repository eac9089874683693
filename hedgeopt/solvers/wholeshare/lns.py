"""Large-neighbourhood search: free a subset of names, solve it exactly, adapt the size.

The enumeration of a neighbourhood minimises the quadratic part of the objective; when the
spec carries linear costs its answer is a proposal, kept only when the whole objective (costs
included) improves, and a complete enumeration proves nothing.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from hedgeopt.solvers.wholeshare.enumeration import Searcher

__all__ = ["_LNS"]


class _LNS:
    """Large-neighbourhood search driver (subset choice and adaptive size)."""

    def __init__(self, srch: Searcher, rng: np.random.Generator, size0: int | None = None):
        self.s = srch
        self.rng = rng
        n = srch.n
        d = np.sqrt(np.maximum(srch.dQ, 1e-300))
        self.corr = np.abs(srch.Q / d[:, None] / d[None, :])
        self.size = size0 or min(n, 14)
        self.cap = 4000
        self.max_size = 400
        self.lll_prob = 0.0
        self.proven = False

    def choose(self) -> np.ndarray:
        s, n, rng = self.s, self.s.n, self.rng
        k = min(self.size, n)
        if k >= n:
            return np.arange(n)
        mode = rng.random()
        if mode < 0.6:
            # a random name and the names most correlated with it (with some noise)
            i = int(rng.integers(n))
            c = self.corr[i] + 0.3 * rng.random(n)
            c[i] = np.inf
            return np.sort(np.argpartition(-c, k - 1)[:k])
        if mode < 0.8:
            return np.sort(rng.choice(n, k, replace=False))
        # largest |gradient| per lot, plus held names, plus random
        held = np.flatnonzero(s.z != 0)
        score = np.abs(s.u * s.g) * (0.5 + rng.random(n))
        pick = list(np.argpartition(-score, min(k, n) - 1)[: k // 2])
        held = np.setdiff1d(held, pick)
        if held.size:
            pick += list(rng.choice(held, min(held.size, k - len(pick)), replace=False))
        if len(pick) < k:
            rest = np.setdiff1d(np.arange(n), pick)
            pick += list(rng.choice(rest, k - len(pick), replace=False))
        return np.unique(np.array(pick[:k], dtype=np.int64))

    def run(self, deadline: float, thr_rel: float, log: Any = None,
            max_iter: int | None = None) -> dict[str, int]:
        s = self.s
        stats = {"iterations": 0, "improvements": 0, "exact": 0}
        while time.perf_counter() < deadline and (max_iter is None
                                                  or stats["iterations"] < max_iter):
            S = self.choose()
            thr = thr_rel * max(abs(s.f), 1e-300)
            use_lll = self.lll_prob > 0 and self.rng.random() < self.lll_prob
            if use_lll:
                x, exact, nodes = s.solve_subset_lll(S, cap=self.cap, thr=thr,
                                                     deadline=deadline)
                ridge = False
            else:
                x, exact, nodes = s.solve_subset(S, cap=self.cap, thr=thr, deadline=deadline)
                ridge = s.last_ridge
            stats["iterations"] += 1
            stats["exact"] += int(exact)
            if x is not None:
                before = (s.z.copy(), s.f) if s.priced else None
                for i, v in zip(S, x, strict=True):
                    s.move(int(i), int(v))
                if not (exact and S.size == s.n) or s.priced:
                    s.local_search(thr, deadline)
                if before is not None and s.f > before[1] - thr:
                    # the enumeration improves the quadratic part only: with linear costs a
                    # neighbourhood is kept only when the whole objective improved
                    s.set(before[0])
                    x = None
            if x is not None:
                stats["improvements"] += 1
                if log:
                    log(f"LNS it {stats['iterations']}: f={s.f:.10g} size={self.size}"
                        f"{' (LLL)' if use_lll else ''}")
            if exact and not ridge and S.size == s.n and not s.priced:
                # the whole problem was enumerated: the incumbent is optimal (within thr)
                self.proven = True
                break
            if exact and nodes < 20 * self.cap:
                self.size = min(self.size + 1, s.n, self.max_size)
            elif not exact:
                self.size = max(self.size - 2, 4)
        return stats
