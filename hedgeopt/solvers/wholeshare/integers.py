"""Whole numbers of lots within a margin: the search's internal margin and the rounding of a
bound in weights to the nearest admissible lot count."""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "BIG", "_int_lb", "_int_ub"]

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
