"""Local moves: single and pair moves that improve the objective, and repair moves that
reduce the constraint violation.

With the gradient ``g = Q w - q`` kept up to date, moving name ``i`` by ``delta`` lots changes
``f`` by ``delta u_i g_i + 0.5 delta^2 u_i^2 Q_ii`` (O(N)); a pair adds the cross term
``delta_i delta_j u_i u_j Q_ij`` (a swap is how the search moves along a tight budget); the
linear costs, separable, add each name's own change (:meth:`SearchState.cost_change`). Only
moves that keep every constraint satisfied are taken by the descent; the repair takes moves
that reduce the total violation, cheapest objective first.
"""

from __future__ import annotations

import math
import time

import numpy as np

from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.state import SearchState

__all__ = ["LocalSearch"]


class LocalSearch(SearchState):
    """:class:`SearchState` with the descent (single and pair moves) and the repair."""

    # -- move evaluation --------------------------------------------------------------------
    def _single_scores(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective change, new row values and feasibility of moving each name to ``vals``."""
        ok = ~np.isnan(vals)
        d = np.where(ok, vals - self.z, 0.0)
        s = d * self.u
        df = s * self.g + 0.5 * s * s * self.dQ + self.cost_change(np.arange(self.n), vals)
        feas = ok.copy()
        if self.m:
            new = self.aw[:, None] + self.A * s[None, :]
            feas &= np.all((new >= self.lo[:, None] - EPS) & (new <= self.hi[:, None] + EPS),
                           axis=0)
        else:
            new = None
        for t in self.trackers:
            feas &= t.single_ok(vals, ok)
        return df, new, feas

    def descend_singles(self, thr: float, max_moves: int = 10**9,
                        deadline: float | None = None) -> int:
        """Best-improvement single moves until none improves by more than ``thr``.

        Stops early at ``deadline`` (``time.perf_counter()`` seconds), checked every 32 moves.
        """
        moves = 0
        while moves < max_moves:
            if deadline is not None and moves % 32 == 0 and time.perf_counter() >= deadline:
                break
            up, dn = self.step_values()
            df_u, _, fe_u = self._single_scores(up)
            df_d, _, fe_d = self._single_scores(dn)
            df_u = np.where(fe_u, df_u, np.inf)
            df_d = np.where(fe_d, df_d, np.inf)
            iu, idn = int(np.argmin(df_u)), int(np.argmin(df_d))
            if df_u[iu] <= df_d[idn]:
                best, i, v = df_u[iu], iu, up[iu]
            else:
                best, i, v = df_d[idn], idn, dn[idn]
            if not best < -thr:
                break
            self.move(i, int(v))
            moves += 1
        return moves

    def best_pair(self, thr: float, cand: np.ndarray | None = None
                  ) -> tuple[float, tuple[int, int, int, int]] | None:
        """Best improving feasible pair move (both names change by one allowed step)."""
        up, dn = self.step_values()
        idx = np.arange(self.n) if cand is None else cand
        opts = []
        for vals in (up, dn):
            ok = ~np.isnan(vals[idx])
            v = np.where(ok, vals[idx], self.z[idx])
            s = (v - self.z[idx]) * self.u[idx]
            lin = s * self.g[idx] + 0.5 * s * s * self.dQ[idx] + self.cost_change(idx, v)
            lin = np.where(ok, lin, np.inf)
            opts.append((v, s, lin))
        Qc = self.Q[np.ix_(idx, idx)]
        best: tuple[float, tuple[int, int, int, int] | None] = (-thr, None)
        nidx = len(idx)
        tri = np.triu(np.ones((nidx, nidx), dtype=bool), 1)
        for a in range(2):
            va, sa, la = opts[a]
            for b in range(2):
                vb, sb, lb_ = opts[b]
                D = la[:, None] + lb_[None, :] + (sa[:, None] * sb[None, :]) * Qc
                D = np.where(tri, D, np.inf)
                if self.m:
                    for r in range(self.m):
                        Ar = self.A[r, idx]
                        x = self.aw[r] + (Ar * sa)[:, None] + (Ar * sb)[None, :]
                        D = np.where((x >= self.lo[r] - EPS) & (x <= self.hi[r] + EPS), D, np.inf)
                for t in self.trackers:
                    D = np.where(t.pair_ok(idx, va, vb), D, np.inf)
                k = int(np.argmin(D))
                if D.flat[k] < best[0]:
                    i, j = divmod(k, nidx)
                    best = (float(D.flat[k]), (int(idx[i]), int(va[i]), int(idx[j]), int(vb[j])))
        move = best[1]
        return None if move is None else (best[0], move)

    def local_search(self, thr: float, deadline: float) -> None:
        """Single moves, then pair moves, until no improving move remains (or time is up)."""
        while time.perf_counter() < deadline:
            self.descend_singles(thr, deadline=deadline)
            if time.perf_counter() >= deadline:
                break
            pm = self.best_pair(thr)
            if pm is None:
                break
            i, vi, j, vj = pm[1]
            self.move(i, vi)
            self.move(j, vj)

    # -- repair -----------------------------------------------------------------------------
    def _repair_pair(self, v0: float) -> bool:
        """One pair move that reduces the violation (used when no single move does)."""
        up, dn = self.step_values()
        best: tuple[float, tuple[int, int, int, int] | None] = (0.0, None)
        rows = np.arange(self.n)
        for va in (up, dn):
            for vb in (up, dn):
                oka, okb = ~np.isnan(va), ~np.isnan(vb)
                sa = np.where(oka, va - self.z, 0) * self.u
                sb = np.where(okb, vb - self.z, 0) * self.u
                viol = np.zeros((self.n, self.n))
                for r in range(self.m):
                    x = self.aw[r] + (self.A[r] * sa)[:, None] + (self.A[r] * sb)[None, :]
                    viol += np.maximum(self.lo[r] - x, 0) + np.maximum(x - self.hi[r], 0)
                for t in self.trackers:
                    viol += t.pair_violation(va, oka, vb, okb)
                gain = v0 - viol
                gain[~oka, :] = -np.inf
                gain[:, ~okb] = -np.inf
                gain[rows, rows] = -np.inf
                k = int(np.argmax(gain))
                if gain.flat[k] > best[0] + 1e-15:
                    i, j = divmod(k, self.n)
                    best = (float(gain.flat[k]), (i, int(va[i]), j, int(vb[j])))
        if best[1] is None:
            return False
        i, vi, j, vj = best[1]
        self.move(i, vi)
        self.move(j, vj)
        return True

    def repair_min_cost(self, deadline: float) -> bool:
        """Moves that reduce the violation, cheapest objective first; pairs when singles stall."""
        while time.perf_counter() < deadline:
            v0 = self.violation()
            if v0 <= 0:
                return True
            up, dn = self.step_values()
            best: tuple[float, tuple[int, int] | None] = (np.inf, None)
            for vals in (up, dn):
                ok = ~np.isnan(vals)
                s = np.where(ok, vals - self.z, 0.0) * self.u
                df = s * self.g + 0.5 * s * s * self.dQ + self.cost_change(np.arange(self.n),
                                                                            vals)
                viol = np.zeros(self.n)
                if self.m:
                    new = self.aw[:, None] + self.A * s[None, :]
                    viol += (np.maximum(self.lo[:, None] - new, 0)
                             + np.maximum(new - self.hi[:, None], 0)).sum(axis=0)
                for t in self.trackers:
                    viol += t.single_violation(vals, ok)
                gain = v0 - viol
                good = ok & (gain > 1e-14 * max(v0, 1e-300))
                if np.any(good):
                    # cheapest objective change per unit of violation removed
                    score = np.where(good, df / np.maximum(gain, 1e-300), np.inf)
                    score = np.where(good & (df < 0), df, score)
                    k = int(np.argmin(score))
                    if score[k] < best[0]:
                        best = (float(score[k]), (k, int(vals[k])))
            if best[1] is None:
                if not self._repair_pair(v0):
                    return False
                continue
            i, v = best[1]
            self.move(i, _extend(self, i, v, v0))
        return self.violation() <= 0


def _extend(srch: LocalSearch, i: int, v: int, v0: float) -> int:
    """Lot count for name ``i`` when the chosen repair step ``z_i -> v`` is one of very many.

    When one step removes less than 1/256 of the violation ``v0`` (a budget thousands of fine
    lots away, say, after a cardinality cut), the step is repeated in one go: ``z_i + t d``
    with ``t`` the smallest minimiser of the violation along that line, within the name's
    bounds, and at most the number of steps that removes half of ``v0`` (so that the next
    choice can spread the rest over other names, as single steps would). The violation is
    convex and piecewise linear in ``t`` (hinges of the rows and of the trackers' rules, e.g.
    the turnover; the name count does not change after the first step), and the whole lots
    around the rows' breakpoints and the trackers' kinks are tried, with ``t = 1`` among them,
    so the jump never repairs less than the single step. Otherwise (and with thresholds,
    whose holes break the line) the single step is kept: a violation of up to 256 steps is
    repaired exactly as before.
    """
    d = v - int(srch.z[i])
    if srch.holes or abs(d) != 1:
        return v
    zi, u = int(srch.z[i]), srch.u[i]

    def viol(t: np.ndarray) -> np.ndarray:
        s = t * d * u  # weight change
        out = np.zeros(t.shape)
        if srch.m:
            new = srch.aw[:, None] + srch.A[:, i][:, None] * s[None, :]
            out += (np.maximum(srch.lo[:, None] - new, 0)
                    + np.maximum(new - srch.hi[:, None], 0)).sum(axis=0)
        for tr in srch.trackers:
            out += tr.line_violation(i, s)
        return out

    one = float(viol(np.array([1.0]))[0])
    gain = v0 - one
    if not gain * 256 < v0:
        return v
    lim = srch.zu[i] - zi if d > 0 else zi - srch.zl[i]
    tmax = float(min(lim, 2**31, max(math.ceil(0.5 * v0 / gain), 1)))
    if not tmax > 1:
        return v
    ts = [1.0, tmax]
    with np.errstate(divide="ignore", invalid="ignore"):
        if srch.m:
            a = srch.A[:, i] * d * u
            for b in (srch.lo, srch.hi):
                r = (b - srch.aw) / a
                ts += [x for x in r[np.isfinite(r)] for x in (math.floor(x), math.ceil(x))]
        for tr in srch.trackers:
            ts += tr.line_breaks(i, d * u)
    t = np.unique(np.clip(np.array(ts, dtype=float), 1.0, tmax))
    vt = viol(t)
    k = int(np.flatnonzero(vt <= vt.min() + 1e-15 * max(v0, 1e-300))[0])
    return int(zi + int(t[k]) * d)
