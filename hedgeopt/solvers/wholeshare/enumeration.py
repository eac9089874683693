"""Exact enumeration of a small subproblem: the names ``S`` free, the others fixed.

The small integer problem over ``S`` is solved by a vectorised sphere-decoding enumeration
(Schnorr-Euchner style, breadth first): with ``H = diag(u_S) Q_SS diag(u_S)`` factored as
``R'R`` the change of ``f`` is ``0.5 ||R (x - x*)||^2 - const``; partial sums over fixed levels
are lower bounds, so a branch is cut as soon as it cannot beat the incumbent, or cannot reach
the rows or the trackers' limits (turnover, cardinality; :class:`~.restrictions.SubsetTracker`)
with its remaining variables. If the tree grows beyond
a cap the best partial nodes are kept (the solve is then heuristic). A second enumeration works
in an LLL-reduced basis (:meth:`Searcher.solve_subset_lll`).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg as sla

from hedgeopt.solvers.wholeshare.integers import EPS
from hedgeopt.solvers.wholeshare.lattice import _bfs_plain, _blast_order, _chol, _lll
from hedgeopt.solvers.wholeshare.local import LocalSearch

__all__ = ["Searcher"]


class Searcher(LocalSearch):
    """The whole-share search on one :class:`WholeShareSpec`: the state and local moves of
    :class:`~hedgeopt.solvers.wholeshare.local.LocalSearch`, and the exact enumeration of a
    subset of names (:meth:`solve_subset`, :meth:`solve_subset_lll`)."""

    last_ridge = False  #: whether the last :meth:`solve_subset` needed a ridge on ``H``

    def _center(self, S: np.ndarray, H: np.ndarray, b: np.ndarray, R: np.ndarray,
                x0: np.ndarray, thr: float) -> tuple[np.ndarray | None, float]:
        """Centre and squared radius of the ellipsoid holding every improving point of ``S``.

        With ``d_c`` the continuous minimiser of ``Delta(d) = b'd + 0.5 d'Hd`` over the
        subproblem's bounds and rows, every feasible ``d`` has
        ``Delta(d) >= Delta(d_c) + 0.5 (d - d_c)' H (d - d_c)`` (first-order optimality), so
        ``Delta(d) < -thr`` needs ``||R (d - d_c)||^2 < 2 (-Delta(d_c) - thr)``.
        """
        dc = None
        from hedgeopt.solvers.activeset import solve_qp

        lb = self.zl[S] - x0
        ub = self.zu[S] - x0
        if self.m:
            Ap = self.A[:, S] * self.u[S]
            lo = self.lo - self.aw
            hi = self.hi - self.aw
        else:
            Ap, lo, hi = None, None, None
        try:
            sol = solve_qp(H, -b, lb, ub, Ap, lo, hi, tol=1e-12)
            if sol.status == "optimal" and sol.x is not None:
                dc = sol.x
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):  # unconstrained centre
            dc = None
        if dc is None:
            dc = -sla.cho_solve((R, False), b, check_finite=False)
        val = float(b @ dc + 0.5 * dc @ (H @ dc))
        scale = float(np.abs(b).sum() + np.abs(np.diag(H)).sum()) + 1e-300
        r2 = 2.0 * (-val - thr) * (1.0 + 1e-9) + 1e-13 * scale
        if not r2 > 0:
            return None, 0.0
        return dc, r2

    def solve_subset(self, S: np.ndarray, cap: int = 20000, thr: float = 0.0,
                     any_feasible: bool = False, deadline: float | None = None
                     ) -> tuple[np.ndarray | None, bool, int]:
        """Best lot counts for the names ``S`` with all others fixed (sphere-decoding search).

        Returns ``(x, exact, nodes)``: ``x`` the new lot counts of ``S`` when they improve
        ``f`` by more than ``thr`` (else None); ``exact`` whether the search was complete.
        """
        S = np.asarray(S, dtype=np.int64)
        s = S.size
        u = self.u[S]
        H = self.Q[np.ix_(S, S)] * np.outer(u, u)
        b = u * self.g[S]
        diag = np.diag(H)
        self.last_ridge = False
        order = _blast_order(H + 1e-11 * max(float(diag.max()), 1e-300) * np.eye(s))
        Sp = S[order]
        bp = b[order]
        R = _chol(H[np.ix_(order, order)])
        if R is None:
            self.last_ridge = True
            eps = 1e-11 * max(float(diag.max()), 1e-300)
            R = _chol(H[np.ix_(order, order)] + eps * np.eye(s), check=False)
            if R is None:
                return None, False, 0
        x0 = self.z[Sp].astype(float)
        Hp = H[np.ix_(order, order)]
        dstar, r2 = self._center(Sp, Hp, bp, R, x0, thr)
        if any_feasible:  # repair: any point meeting the constraints, nearest the centre
            r2 = np.inf
            if dstar is None:
                dstar = -sla.cho_solve((R, False), bp, check_finite=False)
        if dstar is None:
            return None, True, 0
        cstar = x0 + dstar
        zl = self.zl_f[Sp]
        zu = self.zu_f[Sp]
        # fixed parts
        up_ = self.u[Sp]
        aw_rest = self.aw - self.A[:, Sp] @ (up_ * x0) if self.m else np.zeros(0)
        Ap = self.A[:, Sp] * up_ if self.m else np.zeros((0, s))
        # remaining min/max row contribution for positions < j (processed from s-1 down to 0)
        if self.m:
            mn = np.minimum(Ap * zl, Ap * zu)
            mx = np.maximum(Ap * zl, Ap * zu)
            mn = np.where(Ap == 0, 0.0, mn)
            mx = np.where(Ap == 0, 0.0, mx)
            rem_mn = np.concatenate([np.zeros((self.m, 1)), np.cumsum(mn, axis=1)], axis=1)
            rem_mx = np.concatenate([np.zeros((self.m, 1)), np.cumsum(mx, axis=1)], axis=1)
        # the trackers' accounts of the nodes (turnover, name count)
        subs = [t.subset(Sp, x0, zl, zu) for t in self.trackers]
        # BFS state
        vals = np.zeros((1, s))
        cost = np.zeros(1)
        acc = np.zeros((1, s))
        # accumulators of the rows (an empty placeholder when there are none)
        rows = aw_rest[None, :].copy() if self.m else np.zeros((1, 0))
        exact = True
        nodes = 0
        diagR = np.diag(R)
        for j in range(s - 1, -1, -1):
            if deadline is not None and time.perf_counter() > deadline:
                return None, False, nodes
            rjj = diagR[j]
            center = cstar[j] - acc[:, j] / rjj
            rem = np.maximum(r2 - cost, 0.0)
            hw = np.sqrt(rem) / rjj if np.isfinite(r2) else np.full(rem.shape, np.inf)
            lo_v = np.maximum(np.ceil(center - hw), zl[j])
            hi_v = np.minimum(np.floor(center + hw), zu[j])
            cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
            total = int(cnt.sum())
            if total == 0:
                return None, exact, nodes
            if total > 50 * cap:
                # too wide: keep the values nearest to each node's centre
                exact = False
                per = max(1, (50 * cap) // max(len(cnt), 1))
                mid = np.clip(np.round(center), lo_v, hi_v)
                lo2 = np.maximum(lo_v, mid - per // 2)
                hi2 = np.minimum(hi_v, lo2 + per - 1)
                lo_v, hi_v = lo2, hi2
                cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
                total = int(cnt.sum())
            rep = np.repeat(np.arange(cnt.size), cnt)
            offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            v = lo_v[rep] + offs
            nodes += total
            keep = np.ones(total, dtype=bool)
            if self.holes:
                keep &= self.allowed(np.full(total, Sp[j]), v)
            newcost = cost[rep] + (rjj * (v - center[rep])) ** 2
            keep &= newcost <= r2
            if self.m:
                nr = rows[rep] + v[:, None] * Ap[:, j][None, :]
                keep &= np.all((nr + rem_mn[:, j][None, :] <= self.hi[None, :] + EPS)
                               & (nr + rem_mx[:, j][None, :] >= self.lo[None, :] - EPS), axis=1)
            for sub in subs:
                keep &= sub.level(j, rep, v)
            sel = np.flatnonzero(keep)
            if sel.size == 0:
                return None, exact, nodes
            if sel.size > cap:
                exact = False
                part = np.argpartition(newcost[sel], cap)[:cap]
                sel = sel[part]
            r_ = rep[sel]
            vv = v[sel]
            vals = vals[r_]
            vals[:, j] = vv
            cost = newcost[sel]
            acc = acc[r_] + (vv - cstar[j])[:, None] * R[:, j][None, :]
            if self.m:
                rows = nr[sel]
            for sub in subs:
                sub.select(sel)
        # rank the leaves by the true change of f (the tree cost is only a lower bound)
        D = np.round(vals) - x0[None, :]
        dfv = D @ bp + 0.5 * np.einsum("ij,ij->i", D @ Hp, D)
        k = int(np.argmin(dfv))
        if any_feasible or (dfv[k] < -thr and np.any(D[k] != 0)):
            x = np.empty(s, dtype=np.int64)
            x[order] = np.round(vals[k]).astype(np.int64)
            return x, exact, nodes
        return None, exact, nodes


    def solve_subset_lll(self, S: np.ndarray, cap: int = 4000, thr: float = 0.0,
                         deadline: float | None = None) -> tuple[np.ndarray | None, bool, int]:
        """Like :meth:`Searcher.solve_subset`, enumerating in an LLL-reduced basis.

        The bounds, rows and other restrictions are checked on the enumerated points (they do
        not prune the tree), so a complete enumeration is still exact.
        """
        S = np.asarray(S, dtype=np.int64)
        u = self.u[S]
        H = self.Q[np.ix_(S, S)] * np.outer(u, u)
        b = u * self.g[S]
        R = _chol(H)
        if R is None:
            return None, False, 0
        dstar, r2 = self._center(S, H, b, R, self.z[S].astype(float), thr)
        if dstar is None:
            return None, True, 0
        t = R @ dstar
        Rr, U, tr = _lll(R, t, deadline=deadline)
        ystar = sla.solve_triangular(Rr, tr, lower=False, check_finite=False)
        Y, cost, exact, nodes = _bfs_plain(Rr, ystar, r2, cap, deadline)
        if Y.shape[0] == 0:
            return None, exact, nodes
        D = np.round(Y @ U.T)
        ok = np.any(D != 0, axis=1)
        x0 = self.z[S].astype(float)
        X = x0[None, :] + D
        ok &= np.all((X >= self.zl[S]) & (X <= self.zu[S]), axis=1)
        if self.holes:
            ok &= self.allowed(np.broadcast_to(S, X.shape), X).all(axis=1)
        W = X * u  # new weights of S
        dW = W - self.w[S]
        if self.m:
            rows = self.aw[None, :] + dW @ self.A[:, S].T
            ok &= np.all((rows >= self.lo - EPS) & (rows <= self.hi + EPS), axis=1)
        for t in self.trackers:
            ok &= t.points_ok(S, X, W, x0)
        if not np.any(ok):
            return None, exact, nodes
        cand = np.flatnonzero(ok)
        Dc = D[cand]
        dfv = Dc @ b + 0.5 * np.einsum("ij,ij->i", Dc @ H, Dc)
        k = int(np.argmin(dfv))
        if dfv[k] < -thr:
            return X[cand[k]].astype(np.int64), exact, nodes
        return None, exact, nodes
