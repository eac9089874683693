"""The cost terms' independent reference: ``min sqrt(J) + weight * C`` as its own SOCP."""

from __future__ import annotations

from collections.abc import Callable

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest


def priced_reference(prices: pd.DataFrame, basket: pd.Series, cost: Callable, weight: float,
                     cons: Callable) -> tuple[np.ndarray, float]:
    """``(weights, sqrt(J) + weight * C)`` at the optimum of the README's objective (lam=0,
    ``np.cov`` of the daily differences) plus ``weight`` times ``cost(x)`` dollars."""
    P, B = prices.to_numpy(float), basket.to_numpy(float)
    Z = np.column_stack([P / P[-1], B / B[-1]])
    M = np.cov(np.diff(Z, axis=0), rowvar=False)
    vals, vecs = np.linalg.eigh(M)
    F = (vecs * np.sqrt(np.clip(vals, 0, None))).T
    x = cp.Variable(P.shape[1])
    std = float(B[-1]) * cp.norm(F @ cp.hstack([x, -np.ones(1)]))
    prob = cp.Problem(cp.Minimize(std + weight * cost(x)), cons(x))
    prob.solve(solver="CLARABEL")
    assert prob.status == cp.OPTIMAL
    return np.asarray(x.value, dtype=float), float(prob.value)


@pytest.fixture(scope="session")
def priced() -> Callable:
    return priced_reference
