"""Lattice tools of the enumeration: Cholesky factor, enumeration order, LLL reduction and a
plain breadth-first sphere enumeration."""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.linalg as sla

__all__ = ["_chol", "_blast_order", "_lll", "_bfs_plain"]


def _chol(H: np.ndarray, check: bool = True) -> np.ndarray | None:
    """Upper Cholesky factor, or None when ``H`` is not (numerically) positive definite."""
    try:
        R = sla.cholesky(H, lower=False, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    d = np.abs(np.diag(R))
    if check and (not np.all(np.isfinite(d)) or d.min() <= 1e-7 * d.max()):
        return None
    return R


def _blast_order(H: np.ndarray) -> np.ndarray:
    """Order for the upper Cholesky factor: the last positions get the best-determined names.

    A one-shot version of the V-BLAST rule: names sorted by ``(H^{-1})_jj`` descending, so that
    the enumeration (which starts at the last position) first fixes the names whose value is
    best determined by the others (largest conditional curvature ``1 / (H^{-1})_jj``).
    """
    s = H.shape[0]
    if s <= 120:
        return _blast_order_exact(H)
    try:
        c = sla.cho_factor(H, lower=False, check_finite=False)
        Ri = sla.solve_triangular(c[0], np.eye(s), lower=False, check_finite=False)
        dinv = np.einsum("ij,ij->i", Ri, Ri)  # diag(H^-1) = row norms of R^-1
    except (np.linalg.LinAlgError, ValueError):
        return np.arange(s)
    return np.argsort(-dinv, kind="stable")


def _blast_order_exact(H: np.ndarray) -> np.ndarray:
    """Greedy V-BLAST order: position ``s-1`` (enumerated first) takes the name with the
    smallest ``(H^{-1})_jj`` (largest ``R_jj``), then the rest recursively (Schur updates of
    the inverse)."""
    s = H.shape[0]
    try:
        Hi = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.arange(s)
    remaining = list(range(s))
    order = [0] * s
    for pos in range(s - 1, -1, -1):
        k = int(np.argmin(np.diag(Hi)))
        order[pos] = remaining[k]
        if len(remaining) > 1:
            col = Hi[:, k].copy()
            Hi = Hi - np.outer(col, col) / Hi[k, k]
            Hi = np.delete(np.delete(Hi, k, 0), k, 1)
        del remaining[k]
    return np.array(order)


def _lll(R: np.ndarray, t: np.ndarray, delta: float = 0.75, deadline: float | None = None
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LLL reduction of the columns of the upper-triangular ``R`` (Givens form).

    Returns ``(R', U, t')`` with ``R U = G R'`` for an orthogonal ``G`` (never formed),
    ``U`` unimodular and ``t' = G' t``; so ``||R d - t|| = ||R' y - t'||`` with ``d = U y``.
    The identity holds after every step, so stopping at ``deadline`` returns a valid, less
    reduced basis.
    """
    R = np.array(R, dtype=float, copy=True)
    t = np.array(t, dtype=float, copy=True)
    s = R.shape[0]
    U = np.eye(s)
    k = 1
    steps = 0
    while k < s:
        steps += 1
        if deadline is not None and steps % 64 == 0 and time.perf_counter() >= deadline:
            break
        # size-reduce column k against k-1 (enough for the Lovasz test)
        r = R[k - 1, k - 1]
        mu = round(R[k - 1, k] / r)
        if mu:
            R[:k, k] -= mu * R[:k, k - 1]
            U[:, k] -= mu * U[:, k - 1]
        a, b, c = R[k - 1, k - 1], R[k - 1, k], R[k, k]
        if delta * a * a > b * b + c * c:
            R[:, [k - 1, k]] = R[:, [k, k - 1]]
            U[:, [k - 1, k]] = U[:, [k, k - 1]]
            x, y = R[k - 1, k - 1], R[k, k - 1]
            h = math.hypot(x, y)
            cs, sn = x / h, y / h
            r1 = R[k - 1, k - 1:].copy()
            r2 = R[k, k - 1:].copy()
            R[k - 1, k - 1:] = cs * r1 + sn * r2
            R[k, k - 1:] = -sn * r1 + cs * r2
            R[k, k - 1] = 0.0
            t1, t2 = t[k - 1], t[k]
            t[k - 1], t[k] = cs * t1 + sn * t2, -sn * t1 + cs * t2
            k = max(k - 1, 1)
        else:
            # complete the size reduction of column k, then move on
            for i in range(k - 2, -1, -1):
                mu = round(R[i, k] / R[i, i])
                if mu:
                    R[: i + 1, k] -= mu * R[: i + 1, i]
                    U[:, k] -= mu * U[:, i]
            k += 1
    return R, U, t


def _bfs_plain(R: np.ndarray, center: np.ndarray, r2: float, cap: int,
               deadline: float | None = None) -> tuple[np.ndarray, np.ndarray, bool, int]:
    """All integer ``y`` with ``||R (y - center)||^2 <= r2`` (breadth first, capped).

    Returns ``(Y, cost, exact, nodes)``; when more than ``cap`` partial nodes survive a level
    the ``cap`` cheapest are kept and ``exact`` is False. At ``deadline`` the search stops
    with no points (``exact`` False).
    """
    s = R.shape[0]
    diagR = np.abs(np.diag(R))
    vals = np.zeros((1, s))
    cost = np.zeros(1)
    acc = np.zeros((1, s))
    exact, nodes = True, 0
    for j in range(s - 1, -1, -1):
        if deadline is not None and time.perf_counter() > deadline:
            return np.zeros((0, s)), np.zeros(0), False, nodes
        rjj = R[j, j]
        c = center[j] - acc[:, j] / rjj
        hw = np.sqrt(np.maximum(r2 - cost, 0.0)) / diagR[j]
        lo_v = np.ceil(c - hw)
        hi_v = np.floor(c + hw)
        cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
        total = int(cnt.sum())
        if total == 0:
            return np.zeros((0, s)), np.zeros(0), exact, nodes
        if total > 50 * cap:
            exact = False
            per = max(1, (50 * cap) // cnt.size)
            mid = np.clip(np.round(c), lo_v, hi_v)
            lo_v = np.maximum(lo_v, mid - per // 2)
            hi_v = np.minimum(hi_v, lo_v + per - 1)
            cnt = np.maximum(hi_v - lo_v + 1, 0).astype(np.int64)
            total = int(cnt.sum())
        rep = np.repeat(np.arange(cnt.size), cnt)
        v = lo_v[rep] + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        nodes += total
        newcost = cost[rep] + (rjj * (v - c[rep])) ** 2
        sel = np.flatnonzero(newcost <= r2)
        if sel.size > cap:
            exact = False
            sel = sel[np.argpartition(newcost[sel], cap)[:cap]]
        r_ = rep[sel]
        vals = vals[r_]
        vals[:, j] = v[sel]
        cost = newcost[sel]
        acc = acc[r_] + (v[sel] - center[j])[:, None] * R[:, j][None, :]
    return vals, cost, exact, nodes
