"""Tests of the dense active-set QP (``hedgeopt.solvers.activeset``).

Every instance is a least-squares tracking problem built from a K-factor price model, and
every answer is checked against an independent high-accuracy interior-point solve
(cvxpy + Clarabel, gap and feasibility tolerances 1e-10): objective values to 1e-7
relative, our ``x`` feasible to 1e-9, and our own KKT certificate below ``tol``.
"""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.activeset import QPSolution, solve_qp

cp = pytest.importorskip("cvxpy")

INF = np.inf
N_SECTORS = 10


# ------------------------------------------------------------------------------------------
# instance generator
# ------------------------------------------------------------------------------------------

def make_market(T: int, N: int, *, seed: int = 0, n_other: int = 40, n_dup: int = 0):
    """Relative prices of N names and a target made of ``n_other`` other names.

    Daily log-returns follow a 5-factor model (market + 4 sector factors) plus
    idiosyncratic noise; ``R[-1] == 1``. The target is an index of other names of the same
    model, tilted to sector 0 so that a sector cap binds. ``n_dup`` last columns repeat
    the first ones exactly (a singular Q).
    """
    rng = np.random.default_rng(seed)
    K = 5
    n_all = N + n_other
    sector = rng.integers(0, N_SECTORS, n_all)
    sector[N:N + n_other // 2] = 0
    load = np.zeros((n_all, K))
    load[:, 0] = rng.uniform(0.5, 1.5, n_all)
    load[np.arange(n_all), 1 + sector % (K - 1)] = rng.uniform(0.5, 1.5, n_all)
    load[:, 1:] += rng.normal(0.0, 0.2, (n_all, K - 1))
    f = rng.normal(0.0, 1.0, (T - 1, K)) * np.array([0.010, 0.006, 0.006, 0.005, 0.005])
    e = rng.normal(0.0, 1.0, (T - 1, n_all)) * rng.uniform(0.008, 0.025, n_all)
    logp = np.vstack([np.zeros(n_all), np.cumsum(f @ load.T + e + 3e-4, axis=0)])
    R = np.exp(logp - logp[-1])
    w = rng.uniform(0.5, 1.0, n_other)
    w[: n_other // 2] *= 3.0
    b = R[:, N:] @ (w / w.sum())
    R = R[:, :N].copy()
    if n_dup:
        R[:, N - n_dup:] = R[:, :n_dup]
    return R, b, sector[:N]


def tracking_qp(R: np.ndarray, b: np.ndarray, mode: str = "stack"):
    """Q, q of least-squares tracking of b by R x on levels and/or first differences."""
    parts = []
    if mode in ("stack", "levels"):
        parts.append((R - R.mean(0), b - b.mean()))
    if mode in ("stack", "diff"):
        D, d = np.diff(R, axis=0), np.diff(b)
        parts.append((D - D.mean(0), d - d.mean()))
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    T = R.shape[0]
    Q = X.T @ X / (T - 1)
    q = X.T @ y / (T - 1)
    c = float(np.mean(np.diag(Q)))
    return Q / c, q / c


def constraint_set(kind: str, sector: np.ndarray) -> dict:
    """Bounds and rows of the named constraint set (see the module docstring)."""
    N = sector.size
    budget = np.ones((1, N))
    S = (sector[None, :] == np.arange(N_SECTORS)[:, None]).astype(float)
    if kind == "long_only":
        return dict(lb=np.zeros(N), ub=np.full(N, INF), A=budget, lo=np.ones(1), hi=np.ones(1))
    if kind == "sectors":
        return dict(lb=np.zeros(N), ub=np.full(N, INF), A=np.vstack([budget, S]),
                    lo=np.r_[1.0, np.full(N_SECTORS, -INF)],
                    hi=np.r_[1.0, np.full(N_SECTORS, 0.25)])
    if kind == "box":
        return dict(lb=np.full(N, -0.05), ub=np.full(N, 0.05), A=budget, lo=np.ones(1),
                    hi=np.ones(1))
    if kind == "infeasible":  # sector caps add up to 0.5 < budget 1
        return dict(lb=np.zeros(N), ub=np.full(N, INF), A=np.vstack([budget, S]),
                    lo=np.r_[1.0, np.full(N_SECTORS, -INF)],
                    hi=np.r_[1.0, np.full(N_SECTORS, 0.05)])
    raise ValueError(kind)


def reference(Q, q, lb, ub, A, lo, hi, ridge: float = 0.0):
    """High-accuracy Clarabel solve: ``(x, objective, status)``."""
    N = q.size
    x = cp.Variable(N)
    P = Q + ridge * np.eye(N)
    cons = []
    fl, fu = np.isfinite(lb), np.isfinite(ub)
    if fl.any():
        cons.append(x[np.flatnonzero(fl)] >= lb[fl])
    if fu.any():
        cons.append(x[np.flatnonzero(fu)] <= ub[fu])
    eq = lo == hi
    if eq.any():
        cons.append(A[eq] @ x == lo[eq])
    if (np.isfinite(hi) & ~eq).any():
        k = np.isfinite(hi) & ~eq
        cons.append(A[k] @ x <= hi[k])
    if (np.isfinite(lo) & ~eq).any():
        k = np.isfinite(lo) & ~eq
        cons.append(A[k] @ x >= lo[k])
    prob = cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(P)) - q @ x), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return x.value, prob.value, prob.status


def objective(Q, q, x, ridge: float = 0.0) -> float:
    return float(0.5 * x @ Q @ x + 0.5 * ridge * x @ x - q @ x)


def infeasibility(x, lb, ub, A, lo, hi) -> float:
    ax = A @ x
    return float(max(np.max(lb - x), np.max(x - ub), np.max(lo - ax), np.max(ax - hi), 0.0))


def assert_matches_reference(sol: QPSolution, Q, q, cons, *, ridge=0.0, unique=True,
                             tol=1e-9):
    xr, vr, st = reference(Q, q, **cons, ridge=ridge)
    assert st == "optimal"
    assert sol.status == "optimal"
    assert sol.kkt_residual <= tol
    assert infeasibility(sol.x, **cons) <= 1e-9
    ours = objective(Q, q, sol.x, ridge)
    assert ours == pytest.approx(sol.objective, rel=1e-12, abs=1e-14)
    assert abs(ours - vr) <= 1e-7 * max(1.0, abs(vr))
    if unique:
        assert np.max(np.abs(sol.x - xr)) <= 1e-4
    return xr, vr


def kkt_by_hand(sol: QPSolution, Q, q, cons, ridge=0.0) -> float:
    """Stationarity residual Qx - q + A'mu + z computed here, not by the solver."""
    g = Q @ sol.x + ridge * sol.x - q + cons["A"].T @ sol.row_duals + sol.bound_duals
    return float(np.max(np.abs(g)))


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def market():
    """N = 300 names, T = 400 days: Q positive definite."""
    R, b, sector = make_market(400, 300, seed=0)
    Q, q = tracking_qp(R, b)
    return Q, q, sector


@pytest.fixture(scope="module")
def wide_market():
    """N = 300 names, T = 100 days: Q has rank 99 (singular)."""
    R, b, sector = make_market(100, 300, seed=3)
    Q, q = tracking_qp(R, b)
    return Q, q, sector


@pytest.fixture(scope="module")
def sweep_grams():
    """Levels Gram Q0 and differences Gram Q1 of one market, N = 200, T = 500."""
    R, b, sector = make_market(500, 200, seed=5)
    return tracking_qp(R, b, "levels"), tracking_qp(R, b, "diff"), sector


# ------------------------------------------------------------------------------------------
# accuracy against Clarabel
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["long_only", "sectors", "box"])
def test_matches_clarabel(market, kind):
    Q, q, sector = market
    cons = constraint_set(kind, sector)
    sol = solve_qp(Q, q, **cons)
    assert_matches_reference(sol, Q, q, cons)
    assert kkt_by_hand(sol, Q, q, cons) <= 1e-9 * max(1.0, np.max(np.diag(Q)))
    assert sol.method == "pdas" or sol.method == "pdas+partial"
    assert sol.iterations <= 20
    assert sol.ridge_used == 0.0


def test_sector_cap_binds(market):
    Q, q, sector = market
    free = solve_qp(Q, q, **constraint_set("long_only", sector))
    capped = solve_qp(Q, q, **constraint_set("sectors", sector))
    in0 = sector == 0
    assert free.x[in0].sum() > 0.255  # without the cap, sector 0 gets more than 0.25
    assert capped.x[in0].sum() == pytest.approx(0.25, abs=1e-12)
    assert capped.active_rows[1] == 1 and capped.row_duals[1] > 1e-6
    assert capped.active_rows[0] == 1  # the budget (equality) reports +1
    assert capped.objective > free.objective + 1e-6


def test_duals_signs_and_masks(market):
    Q, q, sector = market
    cons = constraint_set("box", sector)
    sol = solve_qp(Q, q, **cons)
    at_lb = sol.bound_state == -1
    at_ub = sol.bound_state == 1
    assert at_lb.any() and at_ub.any() and sol.free.any()
    np.testing.assert_array_equal(sol.free, sol.bound_state == 0)
    np.testing.assert_array_equal(sol.x[at_lb], -0.05)
    np.testing.assert_array_equal(sol.x[at_ub], 0.05)
    assert np.all(sol.bound_duals[at_lb] <= 0) and np.all(sol.bound_duals[at_ub] >= 0)
    assert np.all(sol.bound_duals[sol.free] == 0)
    assert sol.free.dtype == bool and sol.active_rows.dtype == np.int8


def test_singular_q_long_only(wide_market):
    """N > T: Q is singular and x is not unique; compare objective values only."""
    Q, q, sector = wide_market
    assert np.linalg.matrix_rank(Q) < Q.shape[0]
    for kind in ("long_only", "sectors"):
        cons = constraint_set(kind, sector)
        sol = solve_qp(Q, q, **cons)
        assert_matches_reference(sol, Q, q, cons, unique=False)


def test_singular_q_box_all_free(wide_market):
    """Every variable free at a singular Q: the automatic ridge is used and reported."""
    Q, q, sector = wide_market
    cons = constraint_set("box", sector)
    cons["lb"][:] = -1.0
    cons["ub"][:] = 1.0
    sol = solve_qp(Q, q, **cons)
    assert_matches_reference(sol, Q, q, cons, unique=False)
    assert sol.ridge_used > 0.0
    assert sol.ridge_used <= 1e-8


def test_user_ridge_makes_singular_problem_unique(wide_market):
    Q, q, sector = wide_market
    cons = constraint_set("long_only", sector)
    sol = solve_qp(Q, q, **cons, ridge=1e-3)
    assert_matches_reference(sol, Q, q, cons, ridge=1e-3, unique=True)
    assert kkt_by_hand(sol, Q, q, cons, ridge=1e-3) <= 1e-8
    assert sol.ridge_used == 0.0


def test_infeasible_rows_return_status(market):
    Q, q, sector = market
    cons = constraint_set("infeasible", sector)
    assert reference(Q, q, **cons)[2] == "infeasible"
    sol = solve_qp(Q, q, **cons)
    assert sol.status == "infeasible"
    assert sol.kkt_residual == np.inf


def test_crossed_bounds_are_infeasible():
    Q = np.eye(3)
    sol = solve_qp(Q, np.ones(3), lb=np.array([0.0, 1.0, 0.0]), ub=np.array([1.0, 0.5, 1.0]))
    assert sol.status == "infeasible"


def test_degenerate_duplicates_and_pinned_variable():
    """Exactly duplicated columns (singular Q) and a variable fixed by lb == ub."""
    R, b, sector = make_market(400, 300, seed=4, n_dup=20)
    Q, q = tracking_qp(R, b)
    for kind in ("long_only", "box"):
        cons = constraint_set(kind, sector)
        cons["lb"][5] = cons["ub"][5] = 0.02
        sol = solve_qp(Q, q, **cons)
        assert_matches_reference(sol, Q, q, cons, unique=False)
        assert sol.x[5] == 0.02
        assert not sol.free[5]
        # duplicated columns receive equal weights (the minimum-norm split)
        both = sol.free[:20] & sol.free[-20:]
        if both.any():
            np.testing.assert_allclose(sol.x[:20][both], sol.x[-20:][both], atol=1e-6)


# ------------------------------------------------------------------------------------------
# warm starts
# ------------------------------------------------------------------------------------------

def test_warm_start_after_small_change_of_q(market):
    """Blend 3% of the differences Gram into Q: a few indices change their state."""
    Q, q, sector = market
    R, b, _ = make_market(400, 300, seed=0)
    Qd, qd = tracking_qp(R, b, "diff")
    cons = constraint_set("sectors", sector)
    first = solve_qp(Q, q, **cons)
    Q2, q2 = 0.97 * Q + 0.03 * Qd, 0.97 * q + 0.03 * qd
    cold = solve_qp(Q2, q2, **cons)
    warm = solve_qp(Q2, q2, **cons, warm=first)
    assert warm.status == cold.status == "optimal"
    assert np.count_nonzero(warm.bound_state != first.bound_state) >= 5
    assert warm.iterations < cold.iterations
    assert warm.iterations <= 4
    assert warm.objective == pytest.approx(cold.objective, rel=1e-10)
    np.testing.assert_allclose(warm.x, cold.x, atol=1e-8)
    assert_matches_reference(warm, Q2, q2, cons)


def test_warm_sweep_levels_to_differences(sweep_grams):
    (Q0, q0), (Q1, q1), sector = sweep_grams
    cons = constraint_set("sectors", sector)
    prev = None
    warm_its, cold_its = [], []
    for lam in np.linspace(0.0, 1.0, 6):
        Q = (1 - lam) * Q1 + lam * Q0
        q = (1 - lam) * q1 + lam * q0
        cold = solve_qp(Q, q, **cons)
        warm = solve_qp(Q, q, **cons, warm=prev)
        assert warm.status == "optimal" and warm.kkt_residual <= 1e-9
        assert warm.objective == pytest.approx(cold.objective, rel=1e-10, abs=1e-12)
        prev = warm
        warm_its.append(warm.iterations)
        cold_its.append(cold.iterations)
    assert sum(warm_its[1:]) < sum(cold_its[1:])
    assert_matches_reference(prev, Q, q, cons)


@pytest.mark.parametrize("kind", ["long_only", "sectors", "box"])
def test_stale_warm_start_from_another_problem(market, kind):
    """A warm start is a guess only: the working set of a *different* problem (other data,
    duplicated columns, a pinned variable, other bounds), or a made-up one, gives the same
    certified optimum as a cold start."""
    Q, q, sector = market
    R, b, sector2 = make_market(400, 300, seed=4, n_dup=20)  # other data, degenerate ties
    Q2, q2 = tracking_qp(R, b)
    cons = constraint_set(kind, sector)
    cons["lb"][7] = cons["ub"][7] = 0.01  # a pinned variable in the problem solved
    other = constraint_set("sectors" if kind != "sectors" else "long_only", sector2)
    stale = solve_qp(Q2, q2, **other)
    rng = np.random.default_rng(3)
    made_up = QPSolution(x=np.zeros(300), bound_duals=np.zeros(300),
                         row_duals=np.zeros(cons["A"].shape[0] + 3), status="optimal",
                         iterations=0, kkt_residual=0.0, free=rng.random(300) < 0.5,
                         active_rows=rng.integers(-1, 2, cons["A"].shape[0] + 3).astype(np.int8),
                         bound_state=rng.integers(-1, 2, 300).astype(np.int8))
    cold = solve_qp(Q, q, **cons)
    for warm in (stale, made_up):
        sol = solve_qp(Q, q, **cons, warm=warm)
        assert sol.status == "optimal" and sol.x[7] == 0.01
        assert sol.objective == pytest.approx(cold.objective, rel=1e-10)
        assert_matches_reference(sol, Q, q, cons)


def test_warm_start_of_other_size_is_ignored(market):
    Q, q, sector = market
    cons = constraint_set("long_only", sector)
    small = solve_qp(Q[:50, :50], q[:50], **constraint_set("long_only", sector[:50]))
    sol = solve_qp(Q, q, **cons, warm=small)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(solve_qp(Q, q, **cons).objective, rel=1e-12)


# ------------------------------------------------------------------------------------------
# safeguards
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["long_only", "sectors", "box"])
def test_primal_fallback(market, kind):
    """With no PDAS iterations left the primal active-set method finishes the solve."""
    Q, q, sector = market
    cons = constraint_set(kind, sector)
    sol = solve_qp(Q, q, **cons, max_iter=1)
    assert sol.method == "primal"
    assert_matches_reference(sol, Q, q, cons)


@pytest.mark.parametrize("max_iter", [100, 1])
def test_dependent_active_rows(market, max_iter):
    """Ten caps of 0.1 and a budget of 1: every cap binds and the budget is their sum."""
    Q, q, sector = market
    cons = constraint_set("sectors", sector)
    cons["hi"][1:] = 0.1
    sol = solve_qp(Q, q, **cons, max_iter=max_iter)
    assert_matches_reference(sol, Q, q, cons)
    for s in range(N_SECTORS):
        assert sol.x[sector == s].sum() == pytest.approx(0.1, abs=1e-12)
    assert kkt_by_hand(sol, Q, q, cons) <= 1e-9 * np.max(np.diag(Q))


def test_tight_tolerance(market):
    Q, q, sector = market
    cons = constraint_set("sectors", sector)
    sol = solve_qp(Q, q, **cons, tol=1e-12)
    assert sol.status == "optimal" and sol.kkt_residual <= 1e-12


# ------------------------------------------------------------------------------------------
# small exact cases
# ------------------------------------------------------------------------------------------

def test_unconstrained_is_newton_step(market):
    Q, q, _ = market
    sol = solve_qp(Q, q, ridge=0.1)
    x = np.linalg.solve(Q + 0.1 * np.eye(Q.shape[0]), q)
    np.testing.assert_allclose(sol.x, x, rtol=1e-9, atol=1e-12)
    assert sol.iterations == 1 and sol.free.all()
    assert sol.row_duals.shape == (0,) and sol.active_rows.shape == (0,)


def test_two_variable_box_by_hand():
    # min 0.5 (x1^2 + x2^2) - 2 x1 + x2  s.t. 0 <= x <= 1: x = (1, 0), g = x - q = (-1, 1)
    sol = solve_qp(np.eye(2), np.array([2.0, -1.0]), lb=0.0, ub=1.0)
    np.testing.assert_array_equal(sol.x, [1.0, 0.0])
    np.testing.assert_allclose(sol.bound_duals, [1.0, -1.0])
    np.testing.assert_array_equal(sol.bound_state, [1, -1])
    assert sol.objective == pytest.approx(-1.5)


def test_range_and_equality_rows():
    """Two-sided rows, an equality and a row with lo == -inf together."""
    rng = np.random.default_rng(7)
    N = 40
    G = rng.normal(size=(60, N))
    Q = G.T @ G / 60
    q = rng.normal(size=N)
    A = np.vstack([np.ones(N), rng.normal(size=N), rng.normal(size=N), rng.normal(size=N)])
    lo = np.array([1.0, -0.2, -INF, -INF])
    hi = np.array([1.0, 0.2, 0.5, INF])  # the last row is no constraint at all
    cons = dict(lb=np.full(N, -1.0), ub=np.full(N, 1.0), A=A, lo=lo, hi=hi)
    sol = solve_qp(Q, q, **cons)
    assert_matches_reference(sol, Q, q, cons)
    assert sol.active_rows[3] == 0 and sol.row_duals[3] == 0.0
    assert sol.active_rows[0] == 1


def test_bounds_kept_between_solves_are_compared_by_value():
    """Re-solves reuse the derived bounds and rows only when they are equal by value: arrays
    changed in place between solves give the cold answer of the new problem."""
    rng = np.random.default_rng(11)
    N = 30
    G = rng.normal(size=(50, N))
    Q = G.T @ G / 50
    q = rng.normal(size=N)
    lb, ub = np.zeros(N), np.full(N, 0.2)
    A, lo, hi = np.ones((1, N)), np.ones(1), np.ones(1)
    first = solve_qp(Q, q, lb, ub, A, lo, hi)
    assert_matches_reference(first, Q, q, dict(lb=lb, ub=ub, A=A, lo=lo, hi=hi))
    again = solve_qp(Q, 2.0 * q, lb, ub, A, lo, hi, warm=first)  # same bounds, new q
    assert_matches_reference(again, Q, 2.0 * q, dict(lb=lb, ub=ub, A=A, lo=lo, hi=hi))
    ub[:5] = 0.01  # in place: same objects, other values
    A[0, 3] = 2.0
    hi[0] = 1.5
    cons = dict(lb=lb.copy(), ub=ub.copy(), A=A.copy(), lo=lo.copy(), hi=hi.copy())
    moved = solve_qp(Q, q, lb, ub, A, lo, hi, warm=first)
    assert_matches_reference(moved, Q, q, cons)
    assert np.all(moved.x[:5] <= 0.01 + 1e-9)
    np.testing.assert_allclose(moved.x, solve_qp(Q, q, **cons).x, atol=1e-8)
    assert ub.flags.writeable and A.flags.writeable  # the caller's arrays are not frozen


def test_input_validation():
    Q = np.eye(3)
    with pytest.raises(ValueError):
        solve_qp(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError):
        solve_qp(Q, np.ones(4))
    with pytest.raises(ValueError):
        solve_qp(Q, np.ones(3), lb=np.zeros(2))
    with pytest.raises(ValueError):
        solve_qp(Q, np.ones(3), A=np.ones((1, 4)), lo=0.0, hi=1.0)
    with pytest.raises(ValueError):
        solve_qp(Q, np.ones(3), ridge=-1.0)
    for bad in (np.nan, np.inf, -np.inf):  # one entry of q, found through its largest |q_i|
        with pytest.raises(ValueError, match="q must be finite"):
            solve_qp(Q, np.array([1.0, bad, -2.0]))


def test_strided_view_of_q_gives_the_same_answer() -> None:
    """A Q that is a strided view (the top-left block of an augmented Gram) is taken in C order
    once: the same solution, bit for bit, as its contiguous copy."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 13))
    H = X.T @ X
    view = H[:-1, :-1]
    assert not view.flags.c_contiguous
    q = H[:-1, -1]
    kw = dict(lb=0.0, A=np.ones((1, 12)), lo=1.0, hi=1.0)
    a = solve_qp(view, q, **kw)
    b = solve_qp(np.ascontiguousarray(view), q, **kw)
    assert a.status == b.status == "optimal"
    np.testing.assert_array_equal(a.x, b.x)


def test_structured_hessians_are_recognised_by_their_members():
    """``_as_hessian`` (a cheap stand-in for ``isinstance(Q, Hessian)``) takes what the protocol
    takes and nothing else: the operators, not arrays, lists or an object missing a member."""
    from hedgeopt.solvers.activeset import Hessian, _as_hessian
    from hedgeopt.solvers.gram_rows import GramRows
    from hedgeopt.solvers.lowrank import LowRankHessian

    H = np.eye(4)
    partial = type("NoFactor", (), {"shape": (3, 3), "diagonal": np.ones,
                                    "matvec": lambda self, x, s=None: x})()
    for Q in (GramRows(H, H, 1.0, 0.5), LowRankHessian(np.ones((2, 3)))):
        assert _as_hessian(Q) is Q and isinstance(Q, Hessian)
    for Q in (np.eye(3), [[1.0, 0.0], [0.0, 1.0]], partial):
        assert _as_hessian(Q) is None and not isinstance(Q, Hessian)


def _kkt_by_entries(prob, x, z, mu, vs, rs):
    """The relative KKT residual with every bound's dual sign and complementarity taken entry
    by entry in Python (the definition of ``_Problem.kkt_residual``)."""
    hx = prob.Q @ x + prob.ridge * x
    atmu = mu @ prob.A
    g = hx - prob.q + z + atmu
    sd = max(prob.scale_d, float(np.max(np.abs(hx))), float(np.max(np.abs(atmu))))
    dual, comp = 0.0, 0.0
    for i in range(prob.N):
        pinned = bool(prob.pinned[i])
        if vs[i] < 0 and not pinned:
            dual, comp = max(dual, z[i]), max(comp, abs(z[i] * (x[i] - prob.lb[i])))
        elif vs[i] > 0:
            dual, comp = max(dual, -z[i]), max(comp, abs(z[i] * (x[i] - prob.ub[i])))
        elif not pinned:
            dual = max(dual, abs(z[i]))
    ax = prob.A @ x
    sr = np.maximum(prob.scale_p, prob.absA @ np.abs(x))
    prim = max(float(np.max(prob.lb - x)), float(np.max(x - prob.ub)), 0.0,
               float(np.max(np.maximum(prob.lo - ax, ax - prob.hi) / sr)) * prob.scale_p)
    for j in range(prob.m):
        if not prob.eq[j]:
            dual = max(dual, -mu[j] if rs[j] > 0 else mu[j] if rs[j] < 0 else abs(mu[j]))
        if rs[j]:
            comp = max(comp, abs(mu[j] * (ax[j] - (prob.hi[j] if rs[j] > 0 else prob.lo[j]))))
    sp = max(prob.scale_p, float(np.max(sr)))
    stat = float(np.max(np.abs(g))) / sd
    return max(stat, prim / prob.scale_p, dual / sd, comp / (sd * sp))


def test_kkt_residual_equals_the_entrywise_definition():
    """Random feasible points, stationary duals and working sets (pinned variables, infinite
    bounds, equality and range rows), so that the dual-sign and complementarity terms decide
    the residual: the vectorised residual equals the entry-by-entry one."""
    from hedgeopt.solvers.activeset import _Problem
    rng = np.random.default_rng(11)
    N, m = 40, 4
    M = rng.normal(size=(60, N))
    Q = M.T @ M / 60
    A = rng.normal(size=(m, N))
    for _ in range(60):
        lb = np.where(rng.random(N) < 0.3, -INF, rng.uniform(-1, 0, N))
        ub = np.where(rng.random(N) < 0.3, INF, rng.uniform(0, 1, N))
        lb[:3] = ub[:3] = 0.2  # pinned
        vs = rng.integers(-1, 2, N).astype(np.int8)
        vs[(vs < 0) & ~np.isfinite(lb)] = 0
        vs[(vs > 0) & ~np.isfinite(ub)] = 0
        vs[:3] = rng.integers(-1, 2, 3)
        x = np.clip(rng.normal(0, 0.3, N), lb, ub)
        near = rng.random(N) < 0.5  # held variables on or near their bound
        x = np.where((vs < 0) & near, lb, np.where((vs > 0) & near, ub, x))
        ax = A @ x
        lo = np.array([ax[0], -INF, ax[2] - 0.5, ax[3] - 0.1])
        hi = np.array([ax[0], ax[1] + 1.0, INF, ax[3] + 0.1])
        q = rng.normal(size=N)
        prob = _Problem(Q, q, lb, ub, A, lo, hi, 0.01, 1e-9)
        rs = rng.integers(-1, 2, m).astype(np.int8)
        mu = rng.normal(size=m)
        z = -(Q @ x + 0.01 * x - q + mu @ A)  # stationary: the signs decide
        z = np.where(rng.random(N) < 0.8, z, -z)
        got = prob.kkt_residual(x, z, mu, vs, rs)
        assert got == pytest.approx(_kkt_by_entries(prob, x, z, mu, vs, rs), rel=1e-9)



def test_kkt_residual_row_terms_equal_the_entrywise_definition():
    """Free variables and a stationary point (``q = Q x + A' mu``), so that only the rows' dual
    signs and complementarity decide: equality rows (free sign, whatever their state), upper
    and lower rows held or not, infinite limits, multipliers of either sign."""
    from hedgeopt.solvers.activeset import _Problem
    rng = np.random.default_rng(5)
    N, m = 20, 6
    M = rng.normal(size=(30, N))
    Q = M.T @ M / 30
    A = rng.normal(size=(m, N))
    free = np.full(N, INF)
    for _ in range(200):
        x = rng.normal(size=N)
        ax = A @ x
        lo = np.where(rng.random(m) < 0.3, -INF, ax - rng.uniform(0, 0.5, m))
        hi = np.where(rng.random(m) < 0.3, INF, ax + rng.uniform(0, 0.5, m))
        lo[:2] = hi[:2] = ax[:2]  # equality rows
        rs = rng.integers(-1, 2, m).astype(np.int8)
        rs[(rs > 0) & ~np.isfinite(hi)] = 0
        rs[(rs < 0) & ~np.isfinite(lo)] = 0
        mu = rng.normal(size=m) * rng.choice([1e-3, 1.0, 30.0], m)
        prob = _Problem(Q, Q @ x + mu @ A, -free, free, A, lo, hi, 0.0, 1e-9)
        args = (x, np.zeros(N), mu, np.zeros(N, np.int8), rs)
        assert prob.kkt_residual(*args) == pytest.approx(_kkt_by_entries(prob, *args),
                                                         rel=1e-9, abs=1e-300)


def _kkt_plain(prob, x, z, mu, vs, rs):
    """The residual written out term by term with one max per term (the formula of
    ``_Problem.kkt_residual`` before its terms were stacked into one reduction)."""
    hx = prob.Q @ x + prob.ridge * x if prob.ridge else prob.Q @ x
    g = hx - prob.q + z
    sd = max(prob.scale_d, np.max(np.abs(hx)))
    if prob.m:
        atmu = mu @ prob.A
        g += atmu
        sd = max(sd, np.max(np.abs(atmu)))
    fixed = vs != 0
    dual_v = np.where(fixed, -(vs * z), np.abs(z))
    dual_v[prob.pinned & (vs <= 0)] = 0.0
    with np.errstate(invalid="ignore"):
        comp_v = np.abs(z * (x - np.where(vs < 0, prob.lb, prob.ub)))
    comp_v[~fixed] = 0.0
    prim = max(np.max(prob.lb - x), np.max(x - prob.ub), 0.0)
    dual, comp, sp = max(np.max(dual_v), 0.0), np.max(comp_v), prob.scale_p
    if prob.m:
        ax = prob.A @ x
        sr = np.maximum(prob.scale_p, prob.absA @ np.abs(x))
        prim = max(prim, np.max(np.maximum(prob.lo - ax, ax - prob.hi) / sr) * prob.scale_p)
        sp = max(sp, np.max(sr))
        act = rs != 0
        dmu = np.where(act, -(rs * mu), np.abs(mu))
        dmu[prob.eq] = 0.0
        dual = max(dual, np.max(dmu))
        rd = ax - np.where(rs > 0, prob.hi, prob.lo)
        comp = max(comp, np.max(np.abs(mu[act] * rd[act]), initial=0.0))
    return [float(np.max(np.abs(g)) / sd), prim / prob.scale_p, dual / sd, comp / (sd * sp)]


def test_kkt_residual_is_the_term_by_term_formula_bit_for_bit():
    """The stacked reduction gives the very float of the term-by-term formula: with and without
    rows, ridge and pinned variables, infinite bounds and limits, held and free states, every
    term deciding somewhere (stationary or not, duals of either sign, points off their
    bounds)."""
    from hedgeopt.solvers.activeset import _Problem
    rng = np.random.default_rng(23)
    N = 30
    M = rng.normal(size=(50, N))
    Q = M.T @ M / 50
    deciders = set()  # which of stationarity, primal, dual signs, complementarity is largest
    for k in range(400):
        m = (0, 1, 5)[k % 3]
        A = rng.normal(size=(m, N))
        lb = np.where(rng.random(N) < 0.3, -INF, rng.uniform(-1, 0, N))
        ub = np.where(rng.random(N) < 0.3, INF, rng.uniform(0, 1, N))
        if k % 2:
            lb[:3] = ub[:3] = 0.2  # pinned
        vs = rng.integers(-1, 2, N).astype(np.int8)
        vs[(vs < 0) & ~np.isfinite(lb)] = 0
        vs[(vs > 0) & ~np.isfinite(ub)] = 0
        x = rng.normal(0, 0.5, N) * rng.choice([1e-3, 1.0, 3.0, 30.0])
        x = np.where(rng.random(N) < 0.5, np.clip(x, lb, ub), x)
        ax = A @ x
        size = np.abs(A) @ np.abs(x)  # row excesses relative to it (>= 1 somewhere)
        lo = np.where(rng.random(m) < 0.3, -INF, ax - rng.uniform(-0.2, 0.5, m) * size)
        hi = np.where(rng.random(m) < 0.3, INF, ax + rng.uniform(-0.2, 0.5, m) * size)
        lo[: m // 3] = hi[: m // 3] = ax[: m // 3]  # equality rows
        rs = rng.integers(-1, 2, m).astype(np.int8)
        ridge = (0.0, 0.01)[k % 2]
        prob = _Problem(Q, rng.normal(size=N), lb, ub, A, lo, hi, ridge, 1e-9)
        mu = rng.normal(size=m) * rng.choice([1e-3, 1.0, 30.0], m)
        z = -(Q @ x + ridge * x - prob.q + mu @ A) if k % 4 < 2 else rng.normal(size=N)
        z = np.where(rng.random(N) < 0.8, z, -z) * rng.choice([1e-6, 1.0])
        got = prob.kkt_residual(x, z, mu, vs, rs)
        terms = _kkt_plain(prob, x, z, mu, vs, rs)
        assert np.float64(got).tobytes() == np.float64(max(terms)).tobytes(), k
        deciders.add((int(np.argmax(terms)), m > 0))
    assert deciders == {(i, rows) for i in range(4) for rows in (False, True)}


def test_kkt_residual_gives_pinned_variables_a_free_sign():
    """A stationary point whose only large multipliers belong to pinned variables held at their
    "lower" bound or free (free sign: no dual-sign or complementarity term) has a residual of
    round-off size; held at their "upper" bound (``vs > 0``), or not pinned, they count."""
    from hedgeopt.solvers.activeset import _Problem
    rng = np.random.default_rng(3)
    N = 12
    M = rng.normal(size=(20, N))
    Q = M.T @ M / 20
    lb, ub = np.zeros(N), np.ones(N)
    lb[:4] = ub[:4] = 0.5  # pinned
    x = np.where(np.arange(N) < 4, 0.5, rng.uniform(0.1, 0.9, N))
    vs = np.zeros(N, dtype=np.int8)
    vs[[0, 2]] = -1  # pinned, reported at the lower bound; 1 and 3 pinned and free
    row = (np.ones((1, N)), [-INF], [INF], 0.0, 1e-9)  # one inactive row
    mu, rs = np.zeros(1), np.zeros(1, np.int8)
    for z_pinned in (5.0, -5.0):
        z = np.zeros(N)
        z[:4] = z_pinned
        q = Q @ x + z  # stationary: Q x - q + z = 0
        prob = _Problem(Q, q, lb, ub, *row)
        got = prob.kkt_residual(x, z, mu, vs, rs)
        assert got < 1e-14
        assert got == pytest.approx(_kkt_by_entries(prob, x, z, mu, vs, rs), abs=1e-15)
        up = vs.copy()
        up[0] = 1  # pinned at its "upper" bound: the sign counts (z < 0 is wrong there)
        assert (prob.kkt_residual(x, z, mu, up, rs) > 1e-3) == (z_pinned < 0)
        lb2 = lb.copy()
        lb2[0] = 0.0  # not pinned, at its lower bound 0 < x: complementarity 5 * 0.5 counts
        assert _Problem(Q, q, lb2, ub, *row).kkt_residual(x, z, mu, vs, rs) > 1e-3


def test_violations_equal_the_rule_entry_by_entry():
    """Random iterates, with and without bound violations (the no-violation fast path), with
    and without row violations: the reported set is the PDAS rule applied entry by entry."""
    from hedgeopt.solvers.activeset import _Iterate, _Problem
    rng = np.random.default_rng(5)
    N, m = 30, 3
    M = rng.normal(size=(50, N))
    A = rng.normal(size=(m, N))
    lb, ub = np.zeros(N), np.full(N, 0.4)
    lb[5] = ub[5] = 0.2  # pinned: its multiplier has free sign, never reported
    lo, hi = np.array([1.0, -INF, -50.0]), np.array([1.0, 50.0, INF])
    prob = _Problem(M.T @ M / 50, rng.normal(size=N), lb, ub, A, lo, hi, 0.0, 1e-9)
    kinds = set()
    for k in range(80):
        vs = rng.integers(-1, 2, N).astype(np.int8)
        rs = rng.integers(-1, 2, m).astype(np.int8)
        rs[0] = 1
        x = np.where(vs < 0, 0.0, np.where(vs > 0, 0.4, rng.uniform(0.01, 0.39, N)))
        g = np.where(vs < 0, rng.uniform(0, 1, N), np.where(vs > 0, -rng.uniform(0, 1, N), 0.0))
        mu = np.where(rs > 0, rng.uniform(0, 1, m), -rng.uniform(0, 1, m)) * (rs != 0)
        vs[5], x[5], g[5] = -1, 0.2, rng.choice([-1.0, 1.0])
        if k % 2:  # some bound violations: a free variable out of its box, a wrong sign
            i = int(rng.integers(N))
            if k % 4 == 1:
                x[i], vs[i] = (0.5 if k % 8 == 1 else -0.1), 0
            j = int(rng.integers(N))
            if j != i and vs[j]:
                g[j] = -g[j]
            elif k % 4 == 3:  # a wrong sign alone
                vs[j], x[j], g[j] = -1, 0.0, -1.0
        if k % 3 == 0:  # a row violation: an active row's multiplier of the wrong sign
            rs[1], mu[1] = 1, -1.0
        elif k % 3 == 1:  # an inactive row out of its range
            rs[2], x[:] = 0, -3.0 * np.sign(A[2])
        it = _Iterate(x=x, g=g, mu=mu, bad_rows=np.zeros(0, np.intp), qx=prob.Q @ x)
        idx, new, score = prob.violations(it, vs, rs)
        td = max(prob.tau_d, 0.5 * prob.tol * float(np.max(np.abs(it.qx))))
        sp, sd = prob.scale_p, prob.scale_d
        # the order the solver's exchanges rely on (stable sorts by score): free variables
        # over their upper bound, under their lower one, wrong-signed bounds, then rows
        over = [(i, 1, (x[i] - ub[i]) / sp) for i in range(N)
                if vs[i] == 0 and x[i] > ub[i] + prob.tau_p]
        under = [(i, -1, (lb[i] - x[i]) / sp) for i in range(N)
                 if vs[i] == 0 and x[i] < lb[i] - prob.tau_p]
        wrong = [(i, 0, abs(g[i]) / sd) for i in range(N)
                 if i != 5 and ((vs[i] < 0 and g[i] < -td) or (vs[i] > 0 and g[i] > td))]
        rows = []
        ax = A @ x
        for j in range(m):
            tr = max(prob.tau_p, 0.5 * prob.tol * float(np.abs(A[j]) @ np.abs(x)))
            if j == 0:  # the equality row is never reported
                continue
            up, down = ax[j] - hi[j], lo[j] - ax[j]
            if rs[j] == 0 and (up > tr or down > tr):
                rows.append((N + j, 1 if up > down else -1, max(up, down) / sp))
            elif (rs[j] > 0 and -mu[j] > td) or (rs[j] < 0 and mu[j] > td):
                rows.append((N + j, 0, abs(mu[j]) / sd))
        expected = over + under + wrong + rows
        ref = {i: n for i, n, _ in expected}
        assert dict(zip(idx.tolist(), new.tolist(), strict=True)) == ref
        got = list(zip(idx.tolist(), new.tolist(), strict=True))
        assert [(i, n) for i, n, _ in expected] == got
        np.testing.assert_allclose(score, [sc for _, _, sc in expected], rtol=1e-12)
        assert score.shape == idx.shape and np.all(score > 0)
        kinds.add((any(i < N for i in ref), any(i >= N for i in ref)))
    assert kinds == {(False, False), (False, True), (True, False), (True, True)}



def test_a_free_variable_within_tolerance_outside_its_box_is_put_on_the_bound():
    """The optimum of a free variable 1e-10 outside its box (below the primal tolerance, so no
    exchange) is reported on the bound itself, on either side."""
    for q, lb, ub, at in ((1.0 + 1e-10, -INF, 1.0, 1.0), (-1.0 - 1e-10, -1.0, INF, -1.0)):
        sol = solve_qp(np.eye(1), np.array([q]), lb=lb, ub=ub, tol=1e-9)
        assert sol.status == "optimal" and sol.bound_state.tolist() == [0]
        assert sol.x.tolist() == [at]


@pytest.mark.parametrize(("d", "bad"), [(1e-6, False), (5.01e-6, False), (5.1e-6, True),
                                        (6e-6, True), (-6e-6, True), (0.0, False)])
def test_eqp_reports_the_active_rows_it_cannot_satisfy(d, bad):
    """A pinned variable 1000 + d against the equality row x = 1000: the row is unsatisfiable
    when |d| exceeds 10 (tau_p + 1e-12 (|A||x| + |c|)) = 5.02e-6; below 10 tau_p = 5e-6 the
    rows are not examined one by one, between the two they are and pass."""
    from hedgeopt.solvers.activeset import _Problem
    v = 1000.0 + d
    prob = _Problem(np.eye(1), np.zeros(1), [v], [v], np.ones((1, 1)), [1000.0], [1000.0],
                    0.0, 1e-9)
    assert prob.tau_p == pytest.approx(5e-7, rel=1e-5)
    fac = prob.factor()
    vs, rs = np.array([-1], np.int8), np.array([1], np.int8)
    fac.refactor(vs == 0)
    it = prob.eqp(fac, vs, rs)
    assert it.bad_rows.tolist() == ([0] if bad else [])


def test_sanitize_equals_the_masked_rule() -> None:
    """``_sanitize`` (states clipped into precomputed limits) equals the rule written out with
    masks: no lower state without a finite lower bound, no upper state without a finite upper
    one, pinned variables at ``-1``, equality rows at ``+1``; a state beyond +-1 means its bound."""
    from hedgeopt.solvers.activeset import _Problem, _sanitize

    rng = np.random.default_rng(5)
    pool = np.array([-INF, -1.0, 0.0, 0.5, 2.0, INF])
    for _ in range(300):
        N, m = int(rng.integers(1, 12)), int(rng.integers(0, 5))
        lb, ub = rng.choice(pool, N), rng.choice(pool, N)
        pin = rng.random(N) < 0.2
        ub[pin] = lb[pin]
        lo, hi = rng.choice(pool, m), rng.choice(pool, m)
        eq = rng.random(m) < 0.3
        hi[eq] = lo[eq]
        prob = _Problem(np.eye(N), np.zeros(N), lb, ub, rng.normal(size=(m, N)), lo, hi,
                        0.0, 1e-9)
        vs = rng.integers(-2, 3, N).astype(np.int8)
        rs = rng.integers(-2, 3, m).astype(np.int8)
        got_v, got_r = _sanitize(prob, vs, rs)
        want_v = np.sign(vs).astype(np.int8)
        want_v[((want_v < 0) & ~np.isfinite(lb)) | ((want_v > 0) & ~np.isfinite(ub))] = 0
        want_v[lb == ub] = -1
        want_r = np.sign(rs).astype(np.int8)
        want_r[((want_r < 0) & ~np.isfinite(lo)) | ((want_r > 0) & ~np.isfinite(hi))] = 0
        want_r[lo == hi] = 1
        assert got_v.dtype == np.int8 and got_r.dtype == np.int8
        np.testing.assert_array_equal(got_v, want_v)
        np.testing.assert_array_equal(got_r, want_r)
        assert got_v is not vs and got_r is not rs  # the guess itself is never written


def test_a_nan_kkt_residual_is_no_certificate(monkeypatch):
    """A KKT residual that is NaN (``nan > tol`` is False) must not leave the status optimal."""
    import hedgeopt.solvers.activeset as aset

    rng = np.random.default_rng(3)
    M = rng.normal(size=(30, 8))
    Q, q = M.T @ M, rng.normal(size=8)
    assert solve_qp(Q, q, lb=0.0).status == "optimal"
    monkeypatch.setattr(aset._Problem, "kkt_residual", lambda self, *a, **k: float("nan"))
    sol = solve_qp(Q, q, lb=0.0)
    assert sol.status != "optimal"



def test_fresh_factors_reusing_memory_equal_numpy():
    """Fresh factors (their rows and blocks in memory reused from one to the next) are the
    Cholesky factors of ``Q[F, F] + shift I`` and ``qx`` is ``Q[:, F] x[F]``, also after
    bordering and after a larger block follows a smaller one."""
    import hedgeopt.solvers.activeset as aset

    rng = np.random.default_rng(11)
    N = 40
    M = rng.normal(size=(60, N))
    Q = M.T @ M
    fac = aset._Factor(Q, 0.5, 1e-12, 1e-4)
    x = rng.normal(size=N)
    for size, more in [(25, [3, 39]), (12, [0]), (30, [1, 2])]:
        F = np.sort(rng.choice(N, size, replace=False))
        mask = np.zeros(N, dtype=bool)
        mask[F] = True
        fac.refactor(mask)
        np.testing.assert_allclose(fac.R.T @ fac.R, Q[np.ix_(F, F)] + 0.5 * np.eye(F.size),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fac.qx(x), Q[:, F] @ x[F], rtol=1e-12, atol=1e-12)
        add = np.setdiff1d(more, F)
        assert fac.extend(add)
        F2 = np.concatenate([F, add])
        np.testing.assert_allclose(fac.R.T @ fac.R, Q[np.ix_(F2, F2)] + 0.5 * np.eye(F2.size),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(fac.qx(x), Q[:, F2] @ x[F2], rtol=1e-12, atol=1e-12)


def test_a_factor_given_up_as_singular_is_left_empty_not_stale():
    """When the automatic ridge runs out inside a fresh factor, the factor it overwrote is not
    left behind half-written: the factor is the empty one (and ``qx`` is zero)."""
    import hedgeopt.solvers.activeset as aset

    rng = np.random.default_rng(2)
    M = rng.normal(size=(3, 20))
    Q = M.T @ M  # rank 3
    fac = aset._Factor(Q, 0.0, 1e-20, 1e-19)
    fac.refactor(np.arange(3))
    with pytest.raises(aset._Singular):
        fac.refactor(np.arange(20))
    assert fac.n0 == 0 and not fac.mask.any() and fac.R.shape == (0, 0)
    assert not fac.qx(rng.normal(size=20)).any()
