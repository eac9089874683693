"""Tests of the row-by-row Hessian of a frontier's points (``hedgeopt.solvers.gram_rows``).

Its entries are checked against numpy's weighted sum of the two Grams, and the active-set
answers on it against the same solver on the formed array and against an independent cvxpy
model (Clarabel), cold and warm-started.
"""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho
from hedgeopt.solvers.activeset import Hessian, solve_qp
from hedgeopt.solvers.gram_rows import GramBorders, GramRows

cp = pytest.importorskip("cvxpy")

INF = np.inf


def grams(T: int, N: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two (N+1) x (N+1) covariances (numpy's): levels and differences of a random walk."""
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.standard_normal((T, N + 1)) * 0.01, axis=0) + 1.0
    return np.cov(np.diff(X, axis=0), rowvar=False), np.cov(X, rowvar=False)


@pytest.mark.parametrize(("a", "b"), [(0.7, 0.3), (2.0, 0.0), (0.0, 1.5)])
def test_entries_are_the_weighted_sum_of_the_grams(a, b):
    H1, H0 = grams(60, 12, 0)
    Q = GramRows(H1, H0, a, b)
    full = (a * H1 + b * H0)[:-1, :-1] if a and b else (a * H1 if a else b * H0)[:-1, :-1]
    assert isinstance(Q, Hessian) and Q.shape == (12, 12)
    idx = np.array([7, 0, 3])
    np.testing.assert_array_equal(Q.rows(idx), full[idx])
    assert Q.rows(idx).flags.c_contiguous
    np.testing.assert_array_equal(Q.diagonal(), np.diagonal(full))
    x = np.zeros(12)
    x[[2, 5]] = [0.4, -1.3]
    np.testing.assert_allclose(Q.matvec(x), full @ x, rtol=1e-14, atol=1e-18)
    y = np.random.default_rng(1).standard_normal(12)  # a dense x: every row
    np.testing.assert_allclose(Q @ y, full @ y, rtol=1e-13, atol=1e-16)
    assert not Q.matvec(np.zeros(12)).any()


def sector_rows(N: int) -> dict:
    sector = np.arange(N) % 4
    S = (sector[None, :] == np.arange(4)[:, None]).astype(float)
    return dict(lb=np.zeros(N), ub=np.full(N, INF), A=np.vstack([np.ones((1, N)), S]),
                lo=np.r_[1.0, np.full(4, -INF)], hi=np.r_[1.0, np.full(4, 0.3)])


@pytest.mark.parametrize("lam", [0.0, 0.4, 1.0])
def test_solve_on_rows_is_the_solve_on_the_array(lam):
    """Long-only, budget and sector caps: the same working set and point as the formed array
    (cold and warm), and the optimum of an independent cvxpy model."""
    H1, H0 = grams(90, 40, 2)
    a, b = 2.0 * (1 - lam), 2.0 * lam
    H = a * H1 + b * H0
    Q, q = H[:-1, :-1], -H[:-1, -1]
    cons = sector_rows(40)
    rows = GramRows(H1, H0, a, b)
    dense = solve_qp(np.ascontiguousarray(Q), q, **cons)
    lazy = solve_qp(rows, q, **cons)
    assert dense.status == lazy.status == "optimal"
    np.testing.assert_array_equal(lazy.bound_state, dense.bound_state)
    np.testing.assert_allclose(lazy.x, dense.x, rtol=1e-9, atol=1e-12)
    # warm-started from another lam's answer: the same optimum again
    other = solve_qp(GramRows(H1, H0, 2.0 * (1 - lam) * 0.5, 2.0 * (0.5 + lam)), q, **cons)
    warm = solve_qp(rows, q, warm=other, **cons)
    np.testing.assert_allclose(warm.x, dense.x, rtol=1e-9, atol=1e-12)
    x = cp.Variable(40)
    prob = cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(Q)) - q @ x),
                      [x >= 0, cons["A"] @ x >= cons["lo"], cons["A"] @ x <= cons["hi"]])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    f = lambda v: 0.5 * v @ Q @ v - q @ v  # noqa: E731
    assert f(lazy.x) <= f(x.value) + 1e-9 * abs(f(x.value))


def test_frontier_points_are_solved_on_rows(market, monkeypatch):
    """A dense frontier hands the QP a GramRows at every point (no N x N array is formed),
    and its rows equal cold solves; a penalty (a diagonal on Q) keeps the formed array."""
    import hedgeopt.problem as hp

    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    seen = []
    real = hp.solve_native

    def spy(Q, *args, **kwargs):
        seen.append(type(Q).__name__)
        return real(Q, *args, **kwargs)

    monkeypatch.setattr(hp, "solve_native", spy)
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    table = prob.frontier([0.0, 0.5, 1.0], quiet=True)
    assert seen == ["GramRows"] * 3
    seen.clear()
    ridge = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[*cons, ho.Ridge(0.01)])
    ridge.frontier([0.5], quiet=True)
    assert seen == ["ndarray"]
    monkeypatch.undo()
    for row in table.itertuples():
        cold = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=cons).solve(
            solver="CLARABEL")
        assert row.objective == pytest.approx(cold.objective, rel=1e-6)
        assert row.objective <= cold.objective * (1 + 1e-9)


@pytest.mark.parametrize(("a", "b"), [(0.7, 0.3), (2.0, 0.0), (0.0, 1.5), (1e-3, 3.7)])
def test_borders_give_the_quadratic_of_the_grams_bit_for_bit(a, b):
    """The copies taken once give, at any weights, the very bits read from the Grams' strided
    columns and diagonals (the same operations on the same values)."""
    H1, H0 = grams(80, 30, 4)
    n = 30
    borders = GramBorders(H1, H0)
    Q, q, c = borders.quadratic(a, b)
    np.testing.assert_array_equal(q, -(a * H1[:n, n] + b * H0[:n, n]))
    assert c == 0.5 * float(a * H1[n, n] + b * H0[n, n])
    plain = GramRows(H1, H0, a, b)  # its diagonal read from the Grams
    assert Q.diagonal().tobytes() == plain.diagonal().tobytes()
    idx = np.array([4, 29, 0])
    assert Q.rows(idx).tobytes() == plain.rows(idx).tobytes()
    for part in (*borders.diagonals, *borders.borders):  # shared by every point: read-only
        assert part.flags.c_contiguous and not part.flags.writeable
    d = Q.diagonal()
    d[:] = 0.0  # a caller's copy: the next point's diagonal is intact
    assert borders.quadratic(a, b)[0].diagonal().tobytes() == plain.diagonal().tobytes()
