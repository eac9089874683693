"""The checker: every violation of a lot vector, in readable words."""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["violations"]


def violations(spec: WholeShareSpec, z: np.ndarray, tol: float = 1e-9) -> list[str]:
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
    for rule in spec.restrictions():
        out += rule.violations(z, w, tol)
    return out
