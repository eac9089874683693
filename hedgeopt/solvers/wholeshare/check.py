"""The checker: every violation of a lot vector, in readable words."""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["feasible"]


def feasible(spec: WholeShareSpec, z: np.ndarray, tol: float = 1e-9) -> list[str]:
    """Violations of the lot vector ``z`` (empty when it satisfies every constraint).

    Parameters
    ----------
    spec : WholeShareSpec
        The problem.
    z : numpy.ndarray
        Lot counts (must be integers).
    tol : float
        Absolute tolerance in weights for the linear form, the turnover limit and thresholds.

    Returns
    -------
    list of str
        One readable message per violation.
    """
    out: list[str] = []
    z = np.asarray(z)
    n = spec.n
    if z.shape != (n,):
        return [f"z has shape {z.shape}, expected ({n},)"]
    zf = z.astype(float)
    if not np.all(np.isfinite(zf)) or np.any(zf != np.round(zf)):
        out.append("z is not integer")
    w = spec.unit * zf
    f = spec.form
    for i in np.flatnonzero(w < f.lb - tol):
        out.append(f"name {i}: w={w[i]:.12g} below lower bound {f.lb[i]:.12g}")
    for i in np.flatnonzero(w > f.ub + tol):
        out.append(f"name {i}: w={w[i]:.12g} above upper bound {f.ub[i]:.12g}")
    if f.A.shape[0]:
        aw = f.A @ w
        for j in range(f.A.shape[0]):
            label = f.labels[j] if j < len(f.labels) else f"row {j}"
            if aw[j] < f.lo[j] - tol:
                out.append(f"{label}: {aw[j]:.12g} below {f.lo[j]:.12g}")
            if aw[j] > f.hi[j] + tol:
                out.append(f"{label}: {aw[j]:.12g} above {f.hi[j]:.12g}")
    if spec.turnover is not None:
        h, tau = spec.turnover
        t = float(np.abs(w - h).sum())
        if t > tau + tol:
            out.append(f"turnover {t:.12g} above {tau:.12g}")
    if spec.max_names is not None:
        k = int(np.count_nonzero(z))
        if k > spec.max_names:
            out.append(f"{k} names held, more than max_names={spec.max_names}")
    if spec.min_weight is not None:
        mw = np.asarray(spec.min_weight, dtype=float)
        bad = (z != 0) & (np.abs(w) < mw - tol)
        for i in np.flatnonzero(bad):
            out.append(f"name {i}: |w|={abs(w[i]):.12g} below min_weight {mw[i]:.12g}")
    if spec.min_trade is not None:
        h = spec.current if spec.current is not None else np.zeros(n)
        mt = np.asarray(spec.min_trade, dtype=float)
        tr = np.abs(w - h)
        bad = (tr > tol) & (tr < mt - tol)
        for i in np.flatnonzero(bad):
            out.append(f"name {i}: trade {tr[i]:.12g} below min_trade {mt[i]:.12g}")
    return out
