r"""The continuous problem on a subset of names, and the pricing of the names outside it.

The subset-selection stage (:mod:`.selection`) scores a set ``S`` of held names by the exact
continuous optimum with every other name at zero,

.. math::  v(S) = \min_{w_S} \tfrac12 w_S^\top Q_{SS} w_S - q_S^\top w_S + c
           \quad\text{s.t.}\quad lb_S \le w_S \le ub_S,\;
           lo \le A_{:,S}\, w_S \le hi,\; \textstyle\sum_{i \in S} |w_i - h_i|
           \le \tau - \sum_{i \notin S} |h_i|,

the problem's merged linear form restricted to ``S`` (budget band, long-only, bounds, sector
caps) and its turnover limit, solved by the active-set QP
(:func:`~hedgeopt.solvers.activeset.solve_qp`) on the ``|S| x |S|`` block of the Gram matrix.
A minimum position ``|w_i| >= m_i`` becomes the bound ``w_i >= m_i`` (or ``w_i <= -m_i``) on
the held names, with the sign fixed by the name's bounds, else by its relaxed weight.
The turnover is split, ``w = h + p - m`` with ``p, m >= 0``, into one more row.

:meth:`SubsetQP.price` estimates, for every name ``j`` outside ``S`` at once, how much
``v(S + j)`` falls below ``v(S)``: with the working set of the solution on ``S`` kept (free
names ``F``, active rows ``E``, multipliers ``mu``), adding ``w_j`` lowers the objective by

.. math::  \frac{g_j^2}{2 s_j}, \qquad g_j = (Q w)_j - q_j + A_{E j}^\top \mu_E, \qquad
           s_j = Q_{jj} - b_j^\top K^{-1} b_j,\; b_j = \begin{bmatrix} Q_{F j} \\ A_{E j}
           \end{bmatrix},\; K = \begin{bmatrix} Q_{FF} & A_{EF}^\top \\ A_{EF} & 0
           \end{bmatrix}

(the Schur complement of the bordered KKT matrix: a rank-one extension of its factor), exact
while the working set stays right; only the sign of ``w_j`` its bounds allow counts. One
factorisation of ``K`` and one multi right-hand-side solve price all ``N`` names in
``O(|S|^2 N)``; the selection then solves the exact QP only on the best few. The solve and
the Schur complements are formed only for the names that can enter (outside ``S``, with
``g_j`` of a sign their bounds allow: the others gain nothing), about two in five on the
OR-Library sets; the swap matrix is kept on those columns (:meth:`SubsetQP.swap_block`).
Issue 15, sixth pass: 1500-move walks on indtrack5/6/7 and synthetic800, seeds 0-2, end
in the same sets with the same values, QP and settle counts (``K^{-1} B`` on fewer columns
differs from the full product in the last bits, BLAS blocking: up to 2e-11 relative on
indtrack7, which no decision of those walks noticed); indtrack7 makes about 25% more moves
per CPU second (``python -m benchmarks.cardinality --moves 8``).

A swap is taken without a QP when its bordered point meets the KKT conditions of the new
subset (:meth:`SubsetQP.swap`); when it does not (on the OR-Library sets mostly because the
budget band's row changes side, about two swaps in five), up to :data:`SETTLE` primal-dual
active-set rounds from that point (:meth:`SubsetQP._settle`, one dense KKT solve each)
almost always reach the optimum, checked the same way; the general QP is left for the rest
(issue 15, fifth pass: indtrack7, 8 CPU seconds, from about 1,900 QPs to about 100, the walk
the same). Tried and dropped: updating ``K^{-1}`` and ``K^{-1} B`` by rank-one formulas
after a swap instead of a fresh inverse (bordering, then eliminating the leaving name: two
BLAS ``dger`` calls); it gave the same walk (gains equal to 3e-14 relative) and no speed
(1,526 moves of indtrack7: 3.46 / 3.73 CPU s min / median against 3.42 / 3.61 fresh), since
at ``|S| = 30`` the inverse and the ``31 x N`` product cost about as much as the dozen
numpy calls of the update.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from hedgeopt.solvers.activeset import QPSolution, solve_qp
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["SubsetQP", "SubsetValue", "selection_limits"]

#: working-set changes :meth:`SubsetQP._settle` makes after a swap's prediction misses,
#: before the swap is left to the general QP
SETTLE = 3
#: the pricing forms ``K^{-1} B``, the Schur complements and the swap block only for the
#: names that can enter (False: for every name outside ``S``, as before issue 15's sixth
#: pass; the same walk, for the benchmark's side-by-side rows)
ENTERING_ONLY = True


@dataclass
class SubsetValue:
    """The continuous optimum on one subset.

    Attributes
    ----------
    S : numpy.ndarray
        The names (sorted indices).
    value : float
        ``v(S)`` (``+inf`` when the subset admits no point).
    w : numpy.ndarray or None
        Optimal weights of the names of ``S`` (None when infeasible).
    sol : QPSolution or None
        The QP's solution (working set and multipliers, for :meth:`SubsetQP.price`).
    """

    S: np.ndarray
    value: float
    w: np.ndarray | None
    sol: QPSolution | None


def selection_limits(spec: WholeShareSpec) -> tuple[int | None, np.ndarray | None,
                                                      tuple[np.ndarray, float] | None]:
    """What the selection reads of the rules: the name limit
    (:meth:`~.spec.WholeShareSpec.name_limit`), the least weight of a held name (the rules'
    :meth:`~.restrictions.Restriction.held_lots` in weights; None without thresholds) and a
    convex turnover limit ``(h, tau)`` (:meth:`~.restrictions.Restriction.l1_limit`)."""
    mw: np.ndarray | None = None
    turnover = None
    for rule in spec.restrictions():
        held = rule.held_lots()
        if held is not None and np.any(np.asarray(held) > 0):
            least = np.asarray(held, dtype=float) * rule.u  # the least weight held, in lots
            mw = least if mw is None else np.maximum(mw, least)
        turnover = turnover or rule.l1_limit()
    return spec.name_limit(), mw, turnover


class SubsetQP:
    """Exact continuous optima on subsets of names of ``spec`` (cached), and pricing.

    Parameters
    ----------
    spec : WholeShareSpec
        The whole-share problem; its form, turnover and minimum positions are kept.
    cache : int
        Number of subset values kept (least recently used are dropped).
    """

    def __init__(self, spec: WholeShareSpec, cache: int = 20000) -> None:
        self.spec = spec
        self.n = n = spec.n
        self.Q = np.asarray(spec.Q, dtype=float)
        self.q = np.asarray(spec.q, dtype=float)
        self.c = float(spec.c)
        self.dQ = np.diag(self.Q).copy()
        #: the scale of the gradient tolerance of :meth:`_swap_kkt`
        self._gscale = max(1.0, float(np.abs(self.q).max(initial=0.0)))
        f = spec.form
        self.A = np.asarray(f.A, dtype=float).reshape(-1, n)
        self.lo = np.asarray(f.lo, dtype=float)
        self.hi = np.asarray(f.hi, dtype=float)
        lb = np.asarray(f.lb, dtype=float).copy()
        ub = np.asarray(f.ub, dtype=float).copy()
        _, mw, turnover = selection_limits(spec)
        #: the sign a held name takes (+1 long, -1 short, 0 either)
        rel = np.zeros(n) if spec.relaxed is None else np.asarray(spec.relaxed, dtype=float)
        sign = np.where(lb >= 0, 1.0, np.where(ub <= 0, -1.0, 0.0))
        if mw is not None:
            guess = np.where(rel != 0, np.sign(rel), np.where(self.q >= 0, 1.0, -1.0))
            sign = np.where((sign == 0) & (mw > 0), guess, sign)
            lb = np.where((mw > 0) & (sign > 0), np.maximum(lb, mw), lb)
            ub = np.where((mw > 0) & (sign < 0), np.minimum(ub, -mw), ub)
        self.sign = sign
        self.lb, self.ub = lb, ub
        self.turnover = turnover
        if turnover is not None:
            self.h = np.asarray(turnover[0], dtype=float)
            self.tau = float(turnover[1])
        self._cache: OrderedDict[bytes, SubsetValue] = OrderedDict()
        self._cap = cache
        self.solves = 0
        #: swaps decided by the KKT check of :meth:`swap` instead of a QP
        self.fast = 0
        #: of those, swaps whose prediction missed and :meth:`_settle` corrected
        self.settled = 0
        self._last: tuple[SubsetValue, _Pricing | None] | None = None

    # -- exact values -------------------------------------------------------------------------
    def value(self, S: np.ndarray, near: SubsetValue | None = None) -> SubsetValue:
        """``v(S)`` and its solution (cached by the set); ``near``, the solution on a set
        that differs by a few names, gives the QP its working set as a warm start."""
        S = np.unique(np.asarray(S, dtype=np.int64))
        key = S.tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        out = self._solve(S, near)
        self._cache[key] = out
        if len(self._cache) > self._cap:
            self._cache.popitem(last=False)
        return out

    def _solve(self, S: np.ndarray, near: SubsetValue | None = None) -> SubsetValue:
        self.solves += 1
        if S.size == 0:
            ok = bool(np.all(self.lo <= 1e-12) and np.all(self.hi >= -1e-12))
            if self.turnover is not None:
                ok = ok and float(np.abs(self.h).sum()) <= self.tau + 1e-12
            return SubsetValue(S, self.c if ok else np.inf, np.zeros(0) if ok else None, None)
        Q = self.Q[np.ix_(S, S)]
        A = self.A[:, S]
        if self.turnover is None:
            sol = _qp(Q, self.q[S], self.lb[S], self.ub[S], A, self.lo, self.hi,
                      _warm(S, near))
            if sol is None:
                return SubsetValue(S, np.inf, None, None)
            w = sol.x
        else:
            sol, wt = self._solve_turnover(S, Q, A)
            if sol is None or wt is None:
                return SubsetValue(S, np.inf, None, None)
            w = wt
        v = float(0.5 * w @ (Q @ w) - self.q[S] @ w + self.c)
        return SubsetValue(S, v, w, sol)

    def _solve_turnover(self, S: np.ndarray, Q: np.ndarray, A: np.ndarray
                        ) -> tuple[QPSolution | None, np.ndarray | None]:
        """The subset QP with the turnover split as ``w = h + p - m`` (``p, m >= 0``)."""
        h = self.h[S]
        lb, ub = self.lb[S], self.ub[S]
        if np.any(lb > ub):
            return None, None
        # p in [max(lb - h, 0), max(ub - h, 0)], m in [max(h - ub, 0), max(h - lb, 0)]
        plo, phi = np.maximum(lb - h, 0.0), np.maximum(ub - h, 0.0)
        mlo, mhi = np.maximum(h - ub, 0.0), np.maximum(h - lb, 0.0)
        k = S.size
        QQ = np.block([[Q, -Q], [-Q, Q]])
        g0 = Q @ h - self.q[S]
        qq = -np.concatenate([g0, -g0])
        rest = float(np.abs(self.h).sum() - np.abs(h).sum())
        rows = [np.hstack([A, -A]), np.ones((1, 2 * k))]
        lo = np.concatenate([self.lo - A @ h, [-np.inf]])
        hi = np.concatenate([self.hi - A @ h, [self.tau - rest]])
        sol = _qp(QQ, qq, np.concatenate([plo, mlo]), np.concatenate([phi, mhi]),
                  np.vstack(rows), lo, hi)
        if sol is None:
            return None, None
        return sol, h + sol.x[:k] - sol.x[k:]

    # -- pricing ------------------------------------------------------------------------------
    def removal_costs(self, cur: SubsetValue) -> np.ndarray:
        """Estimated rise of ``v`` when each name of ``cur.S`` leaves it: ``w_i^2 / (2
        [K^{-1}]_{ii})`` for a free name (exact while the working set stays right), 0 for a
        name at a bound (minimum positions: tried first)."""
        out = np.zeros(cur.S.size)
        p = self._pricing(cur)
        if p is not None and p.pos.size:
            assert cur.w is not None
            with np.errstate(divide="ignore", invalid="ignore"):
                out[p.pos] = np.where(p.dinv > 1e-300, cur.w[p.pos] ** 2 / (2.0 * p.dinv),
                                      np.inf)
        return out

    def single_values(self) -> np.ndarray:
        """``v({j})`` for every name alone, in closed form (bounds and rows; the turnover is
        left to the exact QP)."""
        a, b = self.lb.copy(), self.ub.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            for j in range(self.A.shape[0]):
                c = self.A[j]
                lo, hi = self.lo[j], self.hi[j]
                ra = np.where(c > 0, lo / c, hi / c)
                rb = np.where(c > 0, hi / c, lo / c)
                zero_ok = lo <= 0 <= hi
                ra = np.where(c == 0, -np.inf if zero_ok else np.inf, ra)
                rb = np.where(c == 0, np.inf if zero_ok else -np.inf, rb)
                a = np.maximum(a, np.nan_to_num(ra, nan=-np.inf))
                b = np.minimum(b, np.nan_to_num(rb, nan=np.inf))
            vertex = np.where(self.dQ > 0, self.q / self.dQ, 0.0)
        x = np.clip(vertex, a, b)
        out = 0.5 * self.dQ * x * x - self.q * x + self.c
        return np.where(a <= b, out, np.inf)

    def _pricing(self, cur: SubsetValue, tol: float = 1e-12) -> _Pricing | None:
        """The bordered-KKT quantities of the module docstring for every name (None when
        ``cur`` has no solution); the last one is kept for :meth:`swap`."""
        if self._last is not None and self._last[0] is cur:
            return self._last[1]
        p = self._new_pricing(cur, tol)
        self._last = (cur, p)
        return p

    def _new_pricing(self, cur: SubsetValue, tol: float) -> _Pricing | None:
        if cur.w is None or cur.sol is None:
            return None
        S, w, sol = cur.S, cur.w, cur.sol
        k = S.size
        m = self.A.shape[0]
        QS = self.Q[S]  # rows (Q is symmetric): a contiguous copy
        g = w @ QS - self.q
        E = np.flatnonzero(sol.active_rows[:m] != 0) if m else np.zeros(0, dtype=np.int64)
        if m:
            g = g + self.A.T @ sol.row_duals[:m]
        free = sol.free[:k] if self.turnover is None else _split_free(sol.free, k)
        pos = np.flatnonzero(free)
        F = S[pos]
        # only the names whose allowed sign lowers v can enter (their gain is not 0): the
        # Schur complements and K^{-1} B are formed for those columns alone
        ok = ((-g > 0) & (self.ub > 0)) | ((-g < 0) & (self.lb < 0))
        ok[S] = False
        if ENTERING_ONLY:
            cols = np.flatnonzero(ok)
        else:
            out = np.ones(self.n, dtype=bool)
            out[S] = False
            cols = np.flatnonzero(out)
        s = self.dQ[cols]
        if not F.size + E.size:
            X = Xall = np.zeros((0, cols.size))
            Kinv = np.zeros((0, 0))
            dinv = np.zeros(0)
        else:
            QF = QS[pos] if pos.size < k else QS
            K = _kkt_matrix(QF[:, F], self.A[np.ix_(E, F)])
            B = QF[:, cols]
            if E.size:
                B = np.vstack([B, self.A[np.ix_(E, cols)]])  # (|F| + |E|) x |cols|
            try:
                Kinv = np.linalg.inv(K)
            except np.linalg.LinAlgError:
                Kinv = np.linalg.pinv(K)
            Xall = Kinv @ B
            s = s - np.einsum("ij,ij->j", B, Xall)
            X = Xall[: F.size]
            dinv = np.diag(Kinv)[: F.size].copy()
        s = np.maximum(s, tol * np.maximum(self.dQ[cols], 1e-300))
        gain = np.zeros(self.n)
        gc = g[cols]
        gain[cols] = np.where(ok[cols], gc * gc / (2.0 * s), 0.0)
        return _Pricing(g, s, gain, pos, X, dinv, E, Kinv, Xall, cols)

    def price(self, cur: SubsetValue) -> np.ndarray:
        """Estimated decrease of ``v`` when each name outside ``cur.S`` joins it (module
        docstring); 0 for names in ``S``, names whose allowed sign cannot help, and when
        ``cur`` has no solution."""
        p = self._pricing(cur)
        return np.zeros(self.n) if p is None else p.gain

    def swap_values(self, cur: SubsetValue, limit: int | None = None
                    ) -> tuple[np.ndarray, float] | None:
        r"""Predicted ``v(S - i + j)`` for every held ``i`` (rows, in the order of ``cur.S``)
        and every name ``j`` (columns; ``+inf`` for ``j`` in ``S`` and for names that cannot
        enter), with the working set of ``cur`` kept: add ``j`` (bordering), then force
        ``w_i = 0`` (one more equation), both exact for an equality-constrained QP,

        .. math::  v(S) - \frac{g_j^2}{2 s_j} + \frac{(w_i + d_{ij} g_j / s_j)^2}
                   {2 ([K^{-1}]_{ii} + d_{ij}^2 / s_j)}, \qquad d_j = K^{-1} b_j.

        A held name at a zero bound costs nothing to remove. ``O(|S| N)`` for all pairs.
        With ``limit``, only the ``limit`` names of largest gain are computed (the others
        stay ``+inf``); since the second term is not negative, no uncomputed swap predicts
        less than the returned floor ``v(S) - gain`` of the best uncomputed name (``-inf``
        when some are left out and ``+inf`` when none are).
        """
        got = self.swap_block(cur)
        if got is None:
            return None
        block, cols = got
        P = np.full((cur.S.size, self.n), np.inf)
        P[:, cols] = block
        keep, floor = self.swap_columns(cur, limit)
        if keep is None:
            return P, floor
        return np.where(keep[None, :], P, np.inf), floor

    def swap_block(self, cur: SubsetValue) -> tuple[np.ndarray, np.ndarray] | None:
        """The matrix of :meth:`swap_values` on the columns ``cols`` of the names that can
        enter (every other column is ``+inf`` there): a fresh copy of the block and
        ``cols`` (increasing name indices); None when ``cur`` has no solution."""
        p = self._pricing(cur)
        if p is None:
            return None
        if p.swaps is None:
            p.swaps = self._all_swaps(cur, p)
        return p.swaps.copy(), p.cols

    def swap_columns(self, cur: SubsetValue, limit: int | None
                     ) -> tuple[np.ndarray | None, float]:
        """The columns :meth:`swap_values` computes with ``limit`` (a mask over the names;
        None: every column) and its floor (None and ``+inf`` without a solution)."""
        p = self._pricing(cur) if limit is not None else None
        if p is None:
            return None, np.inf
        cols = np.flatnonzero(p.gain > 0)
        if limit is None or cols.size <= limit:
            return None, np.inf
        part = np.argpartition(-p.gain[cols], limit)
        floor = cur.value - float(p.gain[cols[part[limit]]])
        keep = np.zeros(self.n, dtype=bool)
        keep[cols[part[:limit]]] = True
        return keep, floor

    def _all_swaps(self, cur: SubsetValue, p: _Pricing) -> np.ndarray:
        """The block of :meth:`swap_block`, computed once per ``cur`` (kept on its pricing):
        dense ``|S| x |cols|`` arithmetic on the columns that can enter
        (:attr:`_Pricing.cols`), the same elementwise operations (so the same bits) as a
        computation on any other set of columns."""
        assert cur.w is not None
        gc = p.gain[p.cols]
        ok = gc > 0
        base = np.where(ok, cur.value - gc, np.inf)
        sub = np.empty((cur.S.size, p.cols.size))
        if p.pos.size < sub.shape[0]:
            sub[:] = base[None, :]  # a held name at a bound leaves for free
        if p.pos.size:
            wj = -p.g[p.cols] / p.s  # the entering weight (s > 0: floored in the pricing)
            D = p.X  # |F| x |cols|
            # in place, in the order of (w_i - d wj)^2 / (2 (dinv + d^2 / s)) + base
            xi = np.multiply(D, wj[None, :])
            np.subtract(cur.w[p.pos][:, None], xi, out=xi)
            np.multiply(xi, xi, out=xi)
            den = np.multiply(D, D)
            np.divide(den, p.s[None, :], out=den)
            np.add(p.dinv[:, None], den, out=den)
            tiny = den <= 1e-300
            np.multiply(den, 2.0, out=den)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                np.divide(xi, den, out=xi)
            xi[tiny] = np.inf
            np.add(base[None, :], xi, out=xi)
            xi[:, ~ok] = np.inf
            if p.pos.size == sub.shape[0]:
                return xi
            sub[p.pos] = xi
        return sub

    def swap(self, cur: SubsetValue, a: int, j: int) -> SubsetValue:
        """``v(S - S[a] + j)``: the update of :meth:`swap_values` made exact when its point
        meets the KKT conditions of the new subset (bounds, rows, multiplier signs), else
        the QP (warm-started from ``cur``)."""
        S2 = np.append(np.delete(cur.S, a), j)
        key = np.sort(S2).tobytes()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out = self._swap_kkt(cur, a, j)
        if out is None:
            return self.value(S2, cur)
        self.fast += 1
        self._cache[key] = out
        if len(self._cache) > self._cap:
            self._cache.popitem(last=False)
        return out

    def _swap_kkt(self, cur: SubsetValue, a: int, j: int, tol: float = 1e-9
                  ) -> SubsetValue | None:
        """The swap's point from the bordered system, or None when it is not the optimum
        and a few working-set changes (:meth:`_settle`) do not reach it either."""
        if self.turnover is not None or cur.w is None or cur.sol is None:
            return None
        p = self._pricing(cur)
        if p is None or not p.gain[j] > 0:
            return None
        sol = cur.sol
        S, k = cur.S, cur.S.size
        nF = p.pos.size
        x = np.concatenate([cur.w[p.pos], sol.row_duals[p.E]]) if p.E.size else cur.w[p.pos]
        c = int(np.searchsorted(p.cols, j))  # j's column of the pricing (its gain is > 0)
        sj = p.s[c]
        wj = -p.g[j] / sj
        d = p.Xall[:, c]
        x1 = np.append(x - d * wj, wj)
        where = np.flatnonzero(p.pos == a)
        if where.size:  # the leaving name is free: one more equation w_i = 0
            r = int(where[0])
            col = np.append(p.Kinv[:, r] + d * d[r] / sj, -d[r] / sj)
            x1 = x1 - (x1[r] / col[r]) * col
        elif cur.w[a] != 0:
            return None  # it sits at a non-zero bound (a minimum position): ask the QP
        keep = np.ones(nF, dtype=bool)
        if where.size:
            keep[int(where[0])] = False
        Fn = np.append(S[p.pos][keep], j)
        wF = np.append(x1[:nF][keep], x1[-1])
        mu = np.zeros(self.A.shape[0])
        mu[p.E] = x1[nF:nF + p.E.size]
        stay = np.ones(k, dtype=bool)  # the names at a bound that stay (S is sorted)
        stay[p.pos] = False
        stay[a] = False
        bound = S[stay]
        S2 = np.sort(np.append(Fn, bound))
        w2 = np.zeros(S2.size)
        w2[np.searchsorted(S2, Fn)] = wF
        bpos = np.searchsorted(S2, bound)
        w2[bpos] = cur.w[np.searchsorted(S, bound)]
        st = sol.bound_state[np.searchsorted(S, bound)]
        bs = np.zeros(S2.size, dtype=np.int8)
        bs[bpos] = st
        rs = sol.active_rows[: self.A.shape[0]]
        return self._settle(S2, w2, bs, rs, mu, tol)

    def _settle(self, S: np.ndarray, w: np.ndarray, bs: np.ndarray, rs: np.ndarray,
                mu: np.ndarray, tol: float, rounds: int | None = None) -> SubsetValue | None:
        r"""The optimum on ``S`` from a point whose working set is nearly right (the swap's
        prediction, :meth:`_swap_kkt`): the point itself when it meets the KKT conditions of
        ``S`` (the bordered check); else at most ``rounds`` times, change every part of the
        working set that the point violates at once (a free name across a bound is fixed
        there, a crossed row becomes active, an active row or a bound whose multiplier has
        the wrong sign is released; the primal-dual active-set step of Hintermueller, Ito
        and Kunisch 2003) and solve the equality-constrained QP of the new working set,

        .. math::  \begin{bmatrix} Q_{FF} & A_{EF}^\top \\ A_{EF} & 0 \end{bmatrix}
                   \begin{bmatrix} w_F \\ \mu_E \end{bmatrix} = \begin{bmatrix} q_F -
                   Q_{FB} w_B \\ t_E - A_{EB} w_B \end{bmatrix},

        one dense solve of order ``|F| + |E|`` (about 1e-4 s against about 1e-3 s for the
        general active-set QP, most of it Python). Returns a point only when it meets every
        KKT condition (free names inside their bounds, inactive rows inside their limits,
        active rows' and held bounds' multipliers of the right sign), so the value is the
        exact subset optimum like a QP's; None (the caller then solves the QP) otherwise.
        ``rounds = 0`` checks the given point only.
        """
        rounds = SETTLE if rounds is None else rounds
        m = self.A.shape[0]
        lbS, ubS = self.lb[S], self.ub[S]
        AS = self.A[:, S]
        QSS = self.Q[np.ix_(S, S)]
        qS = self.q[S]
        eq = self.lo == self.hi
        gs = self._gscale
        rs = rs.copy()
        for it in range(rounds + 1):
            scale = max(1.0, float(np.abs(w).max(initial=0.0)))
            free = bs == 0
            low = free & (w <= lbS + tol * scale)
            high = free & (w >= ubS - tol * scale)
            g = QSS @ w - qS
            if m:
                g = g + AS.T @ mu
            rel = ~free & (((bs < 0) & (g < -tol * gs)) | ((bs > 0) & (g > tol * gs)))
            if m:
                aw = AS @ w
                ins = rs == 0
                up = ins & (aw > self.hi + tol * scale)
                dn = ins & (aw < self.lo - tol * scale)
                off = ~eq & (((rs > 0) & (mu < -tol)) | ((rs < 0) & (mu > tol)))
            else:
                up = dn = off = np.zeros(0, dtype=bool)
            if not (low.any() or high.any() or rel.any() or up.any() or dn.any()
                    or off.any()):
                if it:
                    self.settled += 1
                v = float(0.5 * w @ (QSS @ w) - qS @ w + self.c)
                qs = QPSolution(x=w, bound_duals=np.zeros(S.size), row_duals=mu,
                                status="optimal", iterations=it, kkt_residual=0.0,
                                free=bs == 0, active_rows=rs.copy(), bound_state=bs)
                return SubsetValue(S, v, w, qs)
            if it == rounds:
                return None
            bs = bs.copy()
            bs[low] = -1
            bs[high] = 1
            bs[rel] = 0
            rs[up] = 1
            rs[dn] = -1
            rs[off] = 0
            wB = np.where(bs > 0, ubS, np.where(bs < 0, lbS, 0.0))
            if not np.all(np.isfinite(wB)):
                return None
            F = np.flatnonzero(bs == 0)
            E = np.flatnonzero(rs != 0)
            nF = F.size
            K = _kkt_matrix(QSS[np.ix_(F, F)], AS[np.ix_(E, F)])
            rhs = np.concatenate([qS[F] - QSS[F] @ wB, np.where(rs[E] > 0, self.hi[E],
                                                                self.lo[E]) - AS[E] @ wB])
            try:
                sol = np.linalg.solve(K, rhs)
            except np.linalg.LinAlgError:
                return None
            if not _solved(K, sol, rhs):  # nearly singular K: the active rows and the
                return None  # stationarity the checks above take for granted would not hold
            w = wB.copy()
            w[F] = sol[:nF]
            mu = np.zeros(m)
            mu[E] = sol[nF:]
        return None


def _solved(K: np.ndarray, sol: np.ndarray, rhs: np.ndarray, rtol: float = 1e-9) -> bool:
    """Whether ``sol`` solves ``K sol = rhs`` to ``rtol`` of the terms' size (a dense solve of
    a nearly singular ``K`` returns without an error but misses; NaN is never solved)."""
    size = max(1.0, float(np.abs(rhs).max(initial=0.0)),
               float(np.abs(K).max(initial=0.0)) * float(np.abs(sol).max(initial=0.0)))
    return bool(np.abs(K @ sol - rhs).max(initial=0.0) <= rtol * size)


def _kkt_matrix(QFF: np.ndarray, AEF: np.ndarray) -> np.ndarray:
    """The KKT matrix ``[[Q_FF, A_EF^T], [A_EF, 0]]`` of a working set."""
    nF, nE = QFF.shape[0], AEF.shape[0]
    K = np.zeros((nF + nE, nF + nE))
    K[:nF, :nF] = QFF
    if nE:
        K[nF:, :nF] = AEF
        K[:nF, nF:] = AEF.T
    return K


@dataclass
class _Pricing:
    """Pricing quantities: the Lagrangian gradient ``g`` and the gain ``g^2 / 2s`` (0 where
    the name cannot help) for every name; the Schur complement ``s`` and ``Xall = K^{-1} B``
    on the columns ``cols`` alone (the names outside ``S`` whose allowed sign lowers ``v``:
    the only ones that can enter); ``pos`` the free names' places in ``S``, ``X`` the rows
    of ``Xall`` for them and ``dinv`` the diagonal of ``K^{-1}`` there."""

    g: np.ndarray
    s: np.ndarray
    gain: np.ndarray
    pos: np.ndarray
    X: np.ndarray
    dinv: np.ndarray
    E: np.ndarray
    Kinv: np.ndarray
    Xall: np.ndarray
    cols: np.ndarray
    #: the swap matrix of :meth:`SubsetQP.swap_values` on the columns ``cols`` (filled on
    #: first use)
    swaps: np.ndarray | None = None


def _warm(S: np.ndarray, near: SubsetValue | None) -> QPSolution | None:
    """A warm start on ``S`` from the working set of ``near`` (new names free)."""
    if near is None or near.sol is None or near.w is None or near.sol.x.size != near.S.size:
        return None
    pos = np.searchsorted(near.S, S)
    pos = np.minimum(pos, near.S.size - 1)
    known = near.S[pos] == S if near.S.size else np.zeros(S.size, dtype=bool)
    bs = np.where(known, near.sol.bound_state[pos], 0).astype(np.int8)
    x = np.where(known, near.sol.x[pos], 0.0)
    return QPSolution(x=x, bound_duals=np.zeros(S.size), row_duals=near.sol.row_duals,
                      status="optimal", iterations=0, kkt_residual=0.0, free=bs == 0,
                      active_rows=near.sol.active_rows, bound_state=bs)


def _split_free(free: np.ndarray, k: int) -> np.ndarray:
    """Free names of the turnover split (``p`` or ``m`` free)."""
    return free[:k] | free[k:2 * k]


def _qp(Q: np.ndarray, q: np.ndarray, lb: np.ndarray, ub: np.ndarray, A: np.ndarray,
        lo: np.ndarray, hi: np.ndarray, warm: QPSolution | None = None) -> QPSolution | None:
    """The active-set QP, None when infeasible or unsolved."""
    if np.any(lb > ub):
        return None
    try:
        sol = solve_qp(Q, q, lb, ub, A if A.shape[0] else None,
                       lo if A.shape[0] else None, hi if A.shape[0] else None, tol=1e-10,
                       warm=warm)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return None
    if sol.status != "optimal":
        return None
    return sol
