"""Tests of the low-rank Hessian path of the active-set QP (``hedgeopt.solvers.lowrank``).

Every answer is checked three ways: against the dense solver on the formed matrix ``V'V +
diag(d)``, against an independent cvxpy model written with ``sum_squares(V x)`` (Clarabel at
1e-10), and by the KKT certificate computed here from ``V``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgeopt.solvers.activeset import solve_qp
from hedgeopt.solvers.lowrank import LowRankHessian, _LowRankFactor, plus_diagonal

cp = pytest.importorskip("cvxpy")

INF = np.inf


def wide_problem(k: int, N: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``V`` (k x N) of a 3-factor market with noise, ``q = V'y`` of a target, sector labels."""
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((k, 3))
    V = F @ rng.standard_normal((3, N)) * 0.3 + rng.standard_normal((k, N)) * 0.1
    y = V @ rng.dirichlet(np.ones(N)) + 0.05 * rng.standard_normal(k)
    return V, V.T @ y, rng.integers(0, 5, N)


def constraints(kind: str, sector: np.ndarray) -> dict:
    N = sector.size
    budget = np.ones((1, N))
    if kind == "long_only":
        return dict(lb=np.zeros(N), ub=np.full(N, INF), A=budget, lo=np.ones(1), hi=np.ones(1))
    if kind == "sectors":
        S = (sector[None, :] == np.arange(5)[:, None]).astype(float)
        return dict(lb=np.zeros(N), ub=np.full(N, INF), A=np.vstack([budget, S]),
                    lo=np.r_[1.0, np.full(5, -INF)], hi=np.r_[1.0, np.full(5, 0.3)])
    if kind == "box":  # every variable starts free: the block is the whole universe
        return dict(lb=np.full(N, -0.05), ub=np.full(N, 0.05), A=budget, lo=np.ones(1),
                    hi=np.ones(1))
    raise ValueError(kind)


def cvxpy_reference(V: np.ndarray, d: np.ndarray, q: np.ndarray, cons: dict) -> float:
    """``min 0.5 |V x|^2 + 0.5 sum d x^2 - q'x`` by Clarabel, written without any Gram."""
    x = cp.Variable(q.size)
    lb, ub, A, lo, hi = (cons[k] for k in ("lb", "ub", "A", "lo", "hi"))
    c = [A[lo == hi] @ x == lo[lo == hi]]
    fl, fu, up = np.isfinite(lb), np.isfinite(ub), np.isfinite(hi) & (lo != hi)
    if fl.any():
        c.append(x[np.flatnonzero(fl)] >= lb[fl])
    if fu.any():
        c.append(x[np.flatnonzero(fu)] <= ub[fu])
    if up.any():
        c.append(A[up] @ x <= hi[up])
    f = 0.5 * cp.sum_squares(V @ x) + 0.5 * cp.sum(cp.multiply(d, cp.square(x))) - q @ x
    prob = cp.Problem(cp.Minimize(f), c)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    assert prob.status == "optimal"
    return float(prob.value)


def value(V: np.ndarray, d: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    return float(0.5 * np.sum((V @ x) ** 2) + 0.5 * d @ x**2 - q @ x)


def check_three_ways(V: np.ndarray, d: np.ndarray, q: np.ndarray, cons: dict) -> None:
    low = solve_qp(LowRankHessian(V, d), q, **cons)
    dense = solve_qp(V.T @ V + np.diag(d), q, **cons)
    assert low.status == dense.status == "optimal"
    ours = value(V, d, q, low.x)
    assert ours == pytest.approx(low.objective, rel=1e-10, abs=1e-12)
    assert ours == pytest.approx(value(V, d, q, dense.x), rel=1e-9, abs=1e-12)
    ref = cvxpy_reference(V, d, q, cons)
    assert abs(ours - ref) <= 1e-7 * max(1.0, abs(ref))
    # stationarity from V itself (not from the solver's factor)
    g = V.T @ (V @ low.x) + d * low.x - q + cons["A"].T @ low.row_duals + low.bound_duals
    assert np.max(np.abs(g)) <= 1e-7
    ax = cons["A"] @ low.x
    assert np.all(low.x >= cons["lb"] - 1e-9) and np.all(low.x <= cons["ub"] + 1e-9)
    assert np.all(ax >= cons["lo"] - 1e-9) and np.all(ax <= cons["hi"] + 1e-9)
    if np.all(d > 0):  # strictly convex: one minimiser
        assert np.max(np.abs(low.x - dense.x)) <= 1e-6


# ------------------------------------------------------------------------------------------
# the operator
# ------------------------------------------------------------------------------------------

def test_operator_is_the_matrix_it_stands_for():
    rng = np.random.default_rng(0)
    V = rng.standard_normal((7, 30))
    d = rng.uniform(0, 1, 30)
    H = LowRankHessian(V, d)
    Q = V.T @ V + np.diag(d)
    np.testing.assert_allclose(H.dense(), Q, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(H.diagonal(), np.diag(Q), rtol=1e-13)
    x = rng.standard_normal(30)
    np.testing.assert_allclose(H.matvec(x), Q @ x, rtol=1e-12, atol=1e-12)
    sparse = np.where(np.arange(30) < 2, x, 0.0)
    np.testing.assert_allclose(H.matvec(sparse, np.arange(2)), Q @ sparse, atol=1e-12)
    more = plus_diagonal(H, np.full(30, 0.5))
    np.testing.assert_allclose(more.dense(), Q + 0.5 * np.eye(30), atol=1e-12)
    np.testing.assert_allclose(H.dense(), Q, atol=1e-12)  # the original is unchanged
    assert H.rank == 7 and H.shape == (30, 30)
    with pytest.raises(ValueError, match="d must be"):
        LowRankHessian(V, -np.ones(30))


@pytest.mark.parametrize("d_value, woodbury", [(0.2, True), (0.0, False)])
def test_factor_solves_the_free_block_in_both_forms(d_value, woodbury):
    rng = np.random.default_rng(1)
    k, N = 6, 40
    V = rng.standard_normal((k, N))
    d = np.full(N, d_value)
    H = LowRankHessian(V, d)
    fac = _LowRankFactor(H, 0.0, 1e-12, 1e-4)
    free = np.zeros(N, dtype=bool)
    free[:5] = True  # fewer than k: block form
    fac.refactor(free)
    assert not fac.woodbury
    fac.extend(np.arange(5, 25))  # past the rank: capacitance form when d > 0
    assert fac.woodbury is woodbury
    idx = fac.idx
    M = H.dense()[np.ix_(idx, idx)] + fac.shift * np.eye(idx.size)
    B = np.asfortranarray(rng.standard_normal((idx.size, 3)))
    X = fac.solve(B.copy(order="F"))
    np.testing.assert_allclose(M @ X, B, rtol=1e-7, atol=1e-7)
    x = np.zeros(N)
    x[idx] = rng.standard_normal(idx.size)
    np.testing.assert_allclose(fac.qx(x), H.dense()[:, idx] @ x[idx], atol=1e-12)
    if woodbury:
        fac.extend(np.arange(25, 30))  # stays in the capacitance form
        assert fac.woodbury and fac.n0 == 30
        M = H.dense()[np.ix_(fac.idx, fac.idx)]
        B = np.asfortranarray(rng.standard_normal((30, 1)))
        np.testing.assert_allclose(M @ fac.solve(B.copy(order="F")), B, atol=1e-8)


# ------------------------------------------------------------------------------------------
# solve_qp on the operator: the dense solver's optimum
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["long_only", "sectors", "box"])
@pytest.mark.parametrize("ridge", [0.0, 1e-3, 0.3])
def test_same_optimum_as_dense_and_cvxpy(kind, ridge):
    V, q, sector = wide_problem(40, 300, seed=2)
    check_three_ways(V, np.full(300, ridge), q, constraints(kind, sector))


def test_warm_start_from_a_neighbouring_problem():
    V, q, sector = wide_problem(30, 200, seed=4)
    cons = constraints("sectors", sector)
    first = solve_qp(LowRankHessian(V, np.full(200, 0.1)), q, **cons)
    H = LowRankHessian(V, np.full(200, 0.05))
    warm = solve_qp(H, q, **cons, warm=first)
    cold = solve_qp(H, q, **cons)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-10)
    assert warm.iterations <= cold.iterations


def test_growing_free_set_stays_in_block_exchanges():
    """N >> T with a small ridge: the optimal free set (~400 of 600) is far larger than the
    rank (29), and the violation count falls slowly from above its early best. PDAS must keep
    widening its exchanges (before, it halved down to single exchanges and ended in ~500
    steps of the primal fallback); the optimum is the dense solver's and Clarabel's."""
    import hedgeopt as ho
    from hedgeopt.constraints.base import piecewise_form
    from hedgeopt.workflow.fitting import make_problem, ridge_scale

    prices, basket, _ = ho.datasets.synthetic_market(n_assets=600, n_days=30, seed=0,
                                                     notional=1e7)
    ridge = ho.Ridge(0.0)
    prob = make_problem(prices, basket, lam=0.0, pnl="reference",
                        constraints=[ho.Budget(), ho.LongOnly(), ridge])
    ridge.strength = 1e-3 * ridge_scale(prob)
    form = piecewise_form(prob.constraints, prob.ctx)
    H, q, _ = prob.quadratic(form, low_rank=True)
    assert isinstance(H, LowRankHessian) and H.rank < 30
    cons = dict(lb=form.lb, ub=form.ub, A=form.A, lo=form.lo, hi=form.hi)
    sol = solve_qp(H, q, **cons)
    assert sol.status == "optimal" and sol.method != "primal" and sol.iterations <= 60
    assert np.count_nonzero(sol.free) > 10 * H.rank
    check_three_ways(H.Vt.T, H.d, q, cons)


def test_gram_cache_follows_the_free_block():
    """The capacitance factor built from the cached (updated) Gram of the free columns solves
    the free block exactly, for blocks that grow, shrink and jump, on the operator and on a
    sibling with another ridge (which shares the cache)."""
    rng = np.random.default_rng(5)
    k, N = 8, 120
    V = rng.standard_normal((k, N))
    H = LowRankHessian(V, np.full(N, 0.3))
    sibling = plus_diagonal(H, np.full(N, 0.2))
    assert sibling._grams is H._grams
    blocks = [np.arange(0, 60), np.arange(0, 70), np.arange(5, 70), np.arange(5, 70),
              np.arange(60, 120), rng.permutation(N)[:90]]
    for i, idx in enumerate(blocks):
        op = H if i % 2 == 0 else sibling
        fac = _LowRankFactor(op, 0.0, 1e-12, 1e-4)
        fac.refactor(np.sort(idx))
        assert fac.woodbury
        M = op.dense()[np.ix_(fac.idx, fac.idx)]
        B = np.asfortranarray(rng.standard_normal((fac.n0, 2)))
        np.testing.assert_allclose(M @ fac.solve(B.copy(order="F")), B, rtol=1e-9, atol=1e-9)
        Vf = V[:, fac.idx]
        np.testing.assert_allclose(H._grams.G, Vf @ Vf.T, rtol=1e-12, atol=1e-11)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(3, 25), extra=st.integers(1, 120),
       ridge=st.sampled_from([0.0, 1e-4, 1e-2, 0.5]),
       kind=st.sampled_from(["long_only", "sectors", "box"]))
def test_property_low_rank_equals_dense(seed, k, extra, ridge, kind):
    """Any wide instance: the operator path and the formed matrix give the same optimum."""
    N = k + extra
    V, q, sector = wide_problem(k, N, seed)
    cons = constraints(kind, sector)
    if kind == "box":  # keep the box feasible for the budget
        cons["lb"], cons["ub"] = np.full(N, -2.0 / N), np.full(N, 3.0 / N)
    d = np.full(N, ridge)
    low = solve_qp(LowRankHessian(V, d), q, **cons)
    dense = solve_qp(V.T @ V + np.diag(d), q, **cons)
    assert low.status == dense.status
    if low.status == "optimal":
        a, b = value(V, d, q, low.x), value(V, d, q, dense.x)
        assert a == pytest.approx(b, rel=1e-8, abs=1e-10)
