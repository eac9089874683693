"""Integer bounds on the lots: what a name's bounds, the rows and the restrictions (the
turnover) leave it."""

from __future__ import annotations

import math

import numpy as np

from hedgeopt.solvers.wholeshare.integers import EPS, _int_lb, _int_ub
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["lot_bounds"]


def lot_bounds(spec: WholeShareSpec, margin: float = EPS, rounds: int = 3, *,
               with_rules: bool = True) -> tuple[np.ndarray, np.ndarray]:
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
    with_rules : bool
        Also tighten with the rules' :meth:`~.restrictions.base.Restriction.propagate` (the
        turnover); without, the box of the bounds and rows alone.

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
    for rule in spec.restrictions() if with_rules else ():
        zl, zu = rule.propagate(zl, zu, margin)
    return zl, zu
