"""Warm starts along a lam path (``hedgeopt.solvers.warm_path``): a guess only, checked
against cold solves and the Clarabel reference of the active-set tests."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.activeset import solve_qp
from hedgeopt.solvers.warm_path import extrapolated_warm_start, path_warm_start
from tests.solvers.test_activeset import (
    assert_matches_reference,
    constraint_set,
    make_market,
    tracking_qp,
)


@pytest.fixture(scope="module")
def sweep_grams():
    """Levels Gram Q0 and differences Gram Q1 of one market, N = 200, T = 500."""
    R, b, sector = make_market(500, 200, seed=5)
    return tracking_qp(R, b, "levels"), tracking_qp(R, b, "diff"), sector


def test_extrapolated_warm_start_along_a_lam_path(sweep_grams):
    """The working set extrapolated from the last two points of a path is a guess: the next
    point's optimum is the cold one, in fewer subproblems over the path than the plain warm
    start; a pair that does not fit together gives the last solution back."""
    (Q0, q0), (Q1, q1), sector = sweep_grams
    cons = constraint_set("sectors", sector)
    lams = np.linspace(0.0, 1.0, 11)
    sols, plain_its, pred_its = [], 0, 0
    prev = None
    for i, lam in enumerate(lams):
        Q, q = (1 - lam) * Q1 + lam * Q0, (1 - lam) * q1 + lam * q0
        cold = solve_qp(Q, q, **cons)
        plain = solve_qp(Q, q, **cons, warm=prev)
        guess = (extrapolated_warm_start(sols[-2], sols[-1], (lam - lams[i - 1])
                                         / (lams[i - 1] - lams[i - 2]), **cons)
                 if i >= 2 else prev)
        sol = solve_qp(Q, q, **cons, warm=guess)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(cold.objective, rel=1e-10, abs=1e-12)
        if i >= 2:
            plain_its += plain.iterations
            pred_its += sol.iterations
        sols.append(sol)
        prev = sol
    assert_matches_reference(sols[-1], Q, q, cons)
    assert pred_its <= plain_its
    other = solve_qp(Q0[:50, :50], q0[:50], **constraint_set("long_only", sector[:50]))
    assert extrapolated_warm_start(other, sols[-1], 1.0, cons["lb"], cons["ub"]) is sols[-1]
    assert extrapolated_warm_start(sols[-2], sols[-1], np.nan, cons["lb"], cons["ub"]) \
        is sols[-1]


def test_extrapolated_working_set_equals_the_rule_entry_by_entry():
    """Random pairs of solutions: each variable's and row's predicted state is the rule of the
    docstring applied to that entry alone (scalar and array bounds, rows with infinite sides)."""
    from hedgeopt.solvers.activeset import QPSolution
    rng = np.random.default_rng(4)
    N, m = 30, 5
    A = rng.normal(size=(m, N))
    lo = np.array([-np.inf, 0.0, -1.0, -np.inf, 0.5])
    hi = np.array([1.0, np.inf, 1.0, np.inf, 0.5])
    for k in range(40):
        lb = 0.0 if k % 2 else rng.uniform(-1, 0, N)
        ub = np.full(N, 0.3)

        def sol(vs, rs):
            return QPSolution(x=rng.uniform(-0.5, 0.6, N), bound_duals=rng.normal(size=N),
                              row_duals=rng.normal(size=m), status="optimal", iterations=1,
                              kkt_residual=0.0, free=vs == 0, active_rows=rs, bound_state=vs)
        vs = rng.integers(-1, 2, N).astype(np.int8)
        rs = rng.integers(-1, 2, m).astype(np.int8)
        prev, cur = sol(vs, rs), sol(vs, rs)
        t = float(rng.uniform(0.2, 2.0))
        got = extrapolated_warm_start(prev, cur, t, lb, ub, A, lo, hi)
        x = cur.x + t * (cur.x - prev.x)
        z = cur.bound_duals + t * (cur.bound_duals - prev.bound_duals)
        mu = cur.row_duals + t * (cur.row_duals - prev.row_duals)
        _assert_rule(got, vs, rs, x, z, mu, np.broadcast_to(lb, (N,)), ub, A, lo, hi)
        assert np.array_equal(got.free, got.bound_state == 0)


def test_path_warm_start_extrapolates_a_parabola_through_three_points():
    """Three points at unequal lams: the guess is the working-set rule applied to the parabola
    through them (Lagrange's form, computed here), entry by entry; two points give the line."""
    from hedgeopt.solvers.activeset import QPSolution
    rng = np.random.default_rng(8)
    N, m = 40, 4
    A = rng.normal(size=(m, N))
    lo, hi = np.array([-np.inf, 0.0, -1.0, 0.5]), np.array([1.0, np.inf, 1.0, 0.5])
    lb, ub = np.zeros(N), np.full(N, 0.3)
    for _ in range(30):
        vs = rng.integers(-1, 2, N).astype(np.int8)
        rs = rng.integers(-1, 2, m).astype(np.int8)
        pts = []
        for lam in np.sort(rng.uniform(0, 1, 3)):
            pts.append((float(lam), QPSolution(
                x=rng.uniform(-0.5, 0.6, N), bound_duals=rng.normal(size=N),
                row_duals=rng.normal(size=m), status="optimal", iterations=1,
                kkt_residual=0.0, free=vs == 0, active_rows=rs, bound_state=vs)))
        lam = pts[-1][0] + float(rng.uniform(0.05, 0.3))
        got = path_warm_start(pts, lam, lb, ub, A, lo, hi)
        ls = [p[0] for p in pts]
        w = [np.prod([(lam - lj) / (li - lj) for lj in ls if lj != li]) for li in ls]
        x = sum(wi * p[1].x for wi, p in zip(w, pts, strict=True))
        z = sum(wi * p[1].bound_duals for wi, p in zip(w, pts, strict=True))
        mu = sum(wi * p[1].row_duals for wi, p in zip(w, pts, strict=True))
        np.testing.assert_allclose(got.x, x, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.bound_duals, z, rtol=1e-9, atol=1e-12)
        _assert_rule(got, vs, rs, x, z, mu, lb, ub, A, lo, hi)
        t = (lam - ls[2]) / (ls[2] - ls[1])
        line = extrapolated_warm_start(pts[1][1], pts[2][1], t, lb, ub, A, lo, hi)
        two = path_warm_start(pts[1:], lam, lb, ub, A, lo, hi)
        np.testing.assert_array_equal(two.x, line.x)
        np.testing.assert_array_equal(two.bound_state, line.bound_state)
    assert path_warm_start(pts[-1:], 0.5, lb, ub) is None
    assert path_warm_start([pts[0], pts[0]], 0.5, lb, ub) is None
    same = path_warm_start([pts[1], pts[1], pts[2]], lam, lb, ub, A, lo, hi)  # a repeated lam
    np.testing.assert_array_equal(same.x, line.x)  # ... falls back to the line


def test_path_warm_start_along_a_lam_path(sweep_grams):
    """Along a lam path the parabola's guesses give the cold optimum at every point, in no more
    subproblems over the path than the line's."""
    (Q0, q0), (Q1, q1), sector = sweep_grams
    cons = constraint_set("sectors", sector)
    lams = np.linspace(0.0, 1.0, 21)
    its = {}
    for name, keep in (("line", 2), ("parabola", 3)):
        path: list = []
        its[name] = 0
        for lam in lams:
            Q, q = (1 - lam) * Q1 + lam * Q0, (1 - lam) * q1 + lam * q0
            guess = path_warm_start(path[-keep:], lam, cons["lb"], cons["ub"], cons["A"],
                                    cons["lo"], cons["hi"]) if len(path) >= 2 else (
                path[-1][1] if path else None)
            sol = solve_qp(Q, q, **cons, warm=guess)
            assert sol.status == "optimal"
            if name == "parabola":
                cold = solve_qp(Q, q, **cons)
                assert sol.objective == pytest.approx(cold.objective, rel=1e-10, abs=1e-12)
            its[name] += sol.iterations
            path.append((float(lam), sol))
    assert its["parabola"] <= its["line"], its


def _assert_rule(got, vs, rs, x, z, mu, lb, ub, A, lo, hi) -> None:
    """The guess's states are the working-set rule applied entry by entry to the extrapolated
    ``x``, ``z`` and ``mu``: a free name past a bound goes to it, a crossed row becomes active,
    and a multiplier of the wrong sign releases its bound or row."""
    for i in range(x.size):
        s = int(vs[i])
        if s == 0:
            s = -1 if x[i] < lb[i] else 1 if x[i] > ub[i] else 0
        if (s < 0 and z[i] > 0) or (s > 0 and z[i] < 0):
            s = 0
        assert got.bound_state[i] == s
    ax = A @ x
    for j in range(rs.size):
        r = int(rs[j])
        if r == 0:
            r = 1 if ax[j] > hi[j] else -1 if ax[j] < lo[j] else 0
        if (r > 0 and mu[j] < 0) or (r < 0 and mu[j] > 0):
            r = 0
        assert got.active_rows[j] == r
