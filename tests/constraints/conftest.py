"""Fixture of the desk constraints' tests: an independent cvxpy model.

``reference`` solves the tracking problem as its own cvxpy model, written from the README's
definition with ``np.cov`` (never hedgeopt's Gram or factor code), with the constraints written
by the test in dollar weights ``x_i = n_i P_ref,i / B_ref``.
"""

from __future__ import annotations

from collections.abc import Callable

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

Cons = Callable[[cp.Variable], list]


def reference(prices: pd.DataFrame, basket: pd.Series, lam: float, cons: Cons
              ) -> tuple[np.ndarray, float]:
    """``(weights, objective in dollars^2)`` of ``min J s.t. cons(x)``, J from ``np.cov``."""
    P, B = prices.to_numpy(float), basket.to_numpy(float)
    Z = np.column_stack([P / P[-1], B / B[-1]])
    M = (1 - lam) * np.cov(np.diff(Z, axis=0), rowvar=False) + lam * np.cov(Z, rowvar=False)
    n = P.shape[1]
    vals, vecs = np.linalg.eigh(M)
    F = (vecs * np.sqrt(np.clip(vals, 0, None))).T  # F'F = M
    x = cp.Variable(n)
    z = cp.hstack([x, -np.ones(1)])
    prob = cp.Problem(cp.Minimize(cp.sum_squares(F @ z)), cons(x))
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert prob.status == cp.OPTIMAL, prob.status
    w = np.asarray(x.value, dtype=float)
    zz = np.append(w, -1.0)
    return w, float(zz @ M @ zz) * float(B[-1]) ** 2


@pytest.fixture(scope="session")
def cvx_reference() -> Callable[..., tuple[np.ndarray, float]]:
    return reference
