"""Integer bounds on the lots: what a name's bounds, the rows and the turnover leave it.

Also the thresholds in lots (minimum positions) and in weights (minimum trades) that the
search, the checker and the MIP builders share.
"""

from __future__ import annotations

import math

import numpy as np

from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["EPS", "BIG", "lot_bounds", "min_position_lots", "min_trade_weights"]

#: Internal feasibility margin in weights (the checker's default tolerance is 1e-9).
EPS = 1e-11
BIG = 2**40


def _int_lb(lb: np.ndarray, u: np.ndarray, margin: float = EPS) -> np.ndarray:
    """Smallest integer z with u z >= lb - margin (float array; -inf where unbounded)."""
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.ceil((lb - margin) / u)
        z = np.where(np.isfinite(z), z, -np.inf)
        fin = np.isfinite(z)
        z[fin] += np.where(u[fin] * z[fin] < lb[fin] - margin, 1, 0)
        z[fin] -= np.where(u[fin] * (z[fin] - 1) >= lb[fin] - margin, 1, 0)
    return z


def _int_ub(ub: np.ndarray, u: np.ndarray, margin: float = EPS) -> np.ndarray:
    """Largest integer z with u z <= ub + margin (float array; +inf where unbounded)."""
    return -_int_lb(-ub, u, margin)


def lot_bounds(spec: WholeShareSpec, margin: float = EPS, rounds: int = 3
               ) -> tuple[np.ndarray, np.ndarray]:
    """Integer bounds ``zl <= z <= zu`` on the lots, tightened by the rows and the turnover.

    Every ``z`` that meets the bounds, the rows and the turnover limit within ``margin`` (in
    weights) lies in the box, so a name with ``zl > zu`` proves that no such ``z`` exists.

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    margin : float
        Slack allowed on every bound and row (the search uses :data:`EPS`; a proof of
        infeasibility uses the verification tolerance, so that it also holds within it).
    rounds : int
        Rounds of bound propagation through the rows.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``zl`` and ``zu`` as floats (``-inf`` / ``+inf`` where unbounded).
    """
    n = spec.n
    u = np.asarray(spec.unit, dtype=float)
    form = spec.form
    A = np.asarray(form.A, dtype=float).reshape(-1, n)
    lo = np.asarray(form.lo, dtype=float)
    hi = np.asarray(form.hi, dtype=float)
    zl = _int_lb(np.asarray(form.lb, dtype=float), u, margin)
    zu = _int_ub(np.asarray(form.ub, dtype=float), u, margin)
    for _ in range(rounds):
        changed = False
        for j in range(A.shape[0]):
            a = A[j] * u  # per lot
            with np.errstate(invalid="ignore"):
                mn = np.where(a == 0, 0.0, np.where(a >= 0, a * zl, a * zu))  # finite or -inf
                mx = np.where(a == 0, 0.0, np.where(a >= 0, a * zu, a * zl))  # finite or +inf
                fmn, fmx = np.isfinite(mn), np.isfinite(mx)
                smn, smx = float(mn[fmn].sum()), float(mx[fmx].sum())
                imn, imx = int((~fmn).sum()), int((~fmx).sum())
                for i in np.flatnonzero(a != 0):
                    # the row's least / largest value over the other names (O(1) per name)
                    if fmn[i]:
                        others_mn = smn - mn[i] if imn == 0 else -np.inf
                    else:
                        others_mn = smn if imn == 1 else -np.inf
                    if fmx[i]:
                        others_mx = smx - mx[i] if imx == 0 else np.inf
                    else:
                        others_mx = smx if imx == 1 else np.inf
                    if np.isfinite(hi[j]) and np.isfinite(others_mn):
                        lim = (hi[j] - others_mn + margin) / a[i]
                        if a[i] > 0:
                            v = math.floor(lim + 1e-9)
                            if v < zu[i]:
                                zu[i], changed = v, True
                        else:
                            v = math.ceil(lim - 1e-9)
                            if v > zl[i]:
                                zl[i], changed = v, True
                    if np.isfinite(lo[j]) and np.isfinite(others_mx):
                        lim = (lo[j] - others_mx - margin) / a[i]
                        if a[i] > 0:
                            v = math.ceil(lim - 1e-9)
                            if v > zl[i]:
                                zl[i], changed = v, True
                        else:
                            v = math.floor(lim + 1e-9)
                            if v < zu[i]:
                                zu[i], changed = v, True
        if not changed:
            break
    if spec.turnover is not None:
        h, tau = spec.turnover
        h = np.asarray(h, dtype=float)
        zu = np.minimum(zu, np.floor((h + float(tau) + margin) / u + 1e-9))
        zl = np.maximum(zl, np.ceil((h - float(tau) - margin) / u - 1e-9))
    return zl, zu


def min_position_lots(spec: WholeShareSpec) -> np.ndarray | None:
    """Minimum ``|z_i|`` in lots when name ``i`` is held (None without minimum positions).

    The least whole number of lots whose weight reaches ``min_weight_i`` within :data:`EPS`
    (0 where there is no threshold).
    """
    if spec.min_weight is None or not np.any(np.asarray(spec.min_weight) > 0):
        return None
    u = np.asarray(spec.unit, dtype=float)
    mw = np.asarray(spec.min_weight, dtype=float)
    m = np.where(mw > 0, np.ceil((mw - EPS) / u), 0.0)
    m = np.where((m > 0) & (u * (m - 1) >= mw - EPS), m - 1, m)
    return np.maximum(m, 0.0)


def min_trade_weights(spec: WholeShareSpec) -> tuple[np.ndarray | None, np.ndarray]:
    """``(min_trade, h)``: the minimum trade per name in weights (None without minimum
    trades) and the holdings it is measured from (``spec.current``, else zero)."""
    h = np.asarray(spec.current, dtype=float) if spec.current is not None else np.zeros(spec.n)
    if spec.min_trade is None or not np.any(np.asarray(spec.min_trade) > 0):
        return None, h
    return np.asarray(spec.min_trade, dtype=float), h
