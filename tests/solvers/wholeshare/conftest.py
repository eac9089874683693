"""Tiny whole-share problems for the selection tests, and an independent subset QP in cvxpy."""

from __future__ import annotations

from collections.abc import Callable

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.context import HedgeContext
from hedgeopt.objective import TrackingObjective
from hedgeopt.solvers.activeset import solve_qp
from hedgeopt.solvers.wholeshare import WholeShareSpec


def tiny_spec(n: int = 8, seed: int = 0, rules: tuple = (), unit_scale: float = 1e-4,
              sector: bool = False, T: int = 40) -> WholeShareSpec:
    """Random prices, a basket of a few of them plus noise, long-only, budget band
    0.98-1.0, optional cap 0.5 on the first half of the names (a 'sector' row)."""
    rng = np.random.default_rng(seed)
    rets = 0.02 * rng.standard_normal((T, n)) + 0.01 * rng.standard_normal((T, 1))
    P = 100 * np.exp(np.cumsum(rets, axis=0)) * rng.uniform(0.5, 3, n)
    w_true = rng.dirichlet(np.ones(n))
    B = (P / P[-1]) @ w_true * 1e6 + 2e3 * rng.standard_normal(T).cumsum() + 1e5
    ctx = HedgeContext(pd.DataFrame(P, columns=[f"S{i}" for i in range(n)]), pd.Series(B))
    obj = TrackingObjective(0.3)
    Q, q, c = obj.quadratic(ctx)
    A = [np.ones(n)]
    lo, hi, labels = [0.98], [1.0], ["budget"]
    if sector:
        A.append((np.arange(n) < n // 2).astype(float))
        lo, hi, labels = [*lo, -np.inf], [*hi, 0.5], [*labels, "sector"]
    form = LinearForm(lb=np.zeros(n), ub=np.full(n, np.inf), A=np.array(A), lo=np.array(lo),
                      hi=np.array(hi), labels=labels)
    sol = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi)
    x = sol.x
    return WholeShareSpec(Q=Q, q=q, c=c, factor=obj.factor(ctx),
                          unit=unit_scale * rng.uniform(0.5, 1.5, n), form=form,
                          rules=tuple(rules), relaxed=x,
                          relaxed_value=float(0.5 * x @ Q @ x - q @ x + c))


def cvxpy_subset_value(spec: WholeShareSpec, S: np.ndarray, min_weight: np.ndarray | None = None,
                       turnover: tuple[np.ndarray, float] | None = None) -> float:
    """The continuous optimum on the names ``S`` (the others 0), written directly in cvxpy
    (Clarabel); ``min_weight`` as lower bounds of the held names."""
    n = spec.n
    w = cp.Variable(n)
    f = spec.form
    out = np.setdiff1d(np.arange(n), S)
    cons = [f.A @ w >= f.lo, f.A @ w <= f.hi, w >= f.lb]
    cons += [w[i] == 0 for i in out]
    if min_weight is not None:
        cons += [w[i] >= min_weight[i] for i in S]
    if turnover is not None:
        cons.append(cp.sum(cp.abs(w - turnover[0])) <= turnover[1])
    Qs = 0.5 * (spec.Q + spec.Q.T)
    L = np.linalg.cholesky(Qs + 1e-13 * np.eye(n))
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(L.T @ w) - spec.q @ w), cons)
    prob.solve(solver="CLARABEL")
    if prob.status not in ("optimal", "optimal_inaccurate"):
        return np.inf
    wv = w.value
    return float(0.5 * wv @ spec.Q @ wv - spec.q @ wv + spec.c)


@pytest.fixture
def make_tiny() -> Callable[..., WholeShareSpec]:
    return tiny_spec


@pytest.fixture
def subset_value_cvxpy() -> Callable[..., float]:
    return cvxpy_subset_value
