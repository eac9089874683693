"""solve_signed (gross / short rows by sign flips) against a separate cvxpy model (CLARABEL)."""

from __future__ import annotations

from dataclasses import replace

import cvxpy as cp
import numpy as np
import pytest

from hedgeopt.constraints.base import AbsoluteRows, LinearForm
from hedgeopt.solvers import signsplit
from hedgeopt.solvers.lowrank import LowRankHessian
from hedgeopt.solvers.signsplit import solve_signed


def _problem(rng: np.random.Generator, n: int, t: int, *, rows: int = 0, box: float = 0.3,
             pull: float = 3.0, common: float = 0.0
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, LinearForm]:
    """A tracking-like QP: Q = M'M / t (singular when n > t; ``common`` loads every column on
    one factor, as prices do on the market), a budget row ``sum w = 1`` and ``rows`` random
    two-sided rows, long-short boxes ``[-box, box]``."""
    M = rng.normal(size=(t, n)) + common * rng.normal(size=(t, 1))
    y = M @ rng.normal(size=n) * pull / np.sqrt(n) + rng.normal(size=t)
    Q = M.T @ M / t
    A = np.vstack([np.ones(n), rng.normal(size=(rows, n)) / np.sqrt(n)])
    lo = np.concatenate([[1.0], np.full(rows, -0.05)])
    hi = np.concatenate([[1.0], np.full(rows, 0.05)])
    form = LinearForm.rows(n, A, lo, hi, ["budget", *[f"r{k}" for k in range(rows)]])
    form.lb, form.ub = np.full(n, -box), np.full(n, box)
    return M, y, Q, form


def _abs_rows(n: int, gross: float | None, short: float | None) -> AbsoluteRows:
    """Gross (long and short parts count) and short (short part counts) rows, those given."""
    given = [(1.0, gross, "gross"), (0.0, short, "short")]
    given = [g for g in given if g[1] is not None]
    return AbsoluteRows(np.array([np.full(n, p) for p, _, _ in given]).reshape(-1, n),
                        np.ones((len(given), n)), np.array([v for _, v, _ in given], dtype=float),
                        [label for _, _, label in given])


def _reference(M: np.ndarray, y: np.ndarray, form: LinearForm, gross: float | None,
               short: float | None) -> float:
    """The optimum of 0.5 w'Qw - q'w (Q = M'M/t, q = M'y/t) by CLARABEL, w in cvxpy's norm1."""
    t, n = M.shape
    x = cp.Variable(n)
    cons = [form.A @ x >= form.lo, form.A @ x <= form.hi, x >= form.lb, x <= form.ub]
    if gross is not None:
        cons.append(cp.norm1(x) <= gross)
    if short is not None:
        cons.append(cp.sum(cp.neg(x)) <= short)
    obj = 0.5 * cp.sum_squares(M @ x) / t - (M.T @ y / t) @ x
    prob = cp.Problem(cp.Minimize(obj), cons)
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert prob.status == "optimal"
    return float(prob.value)


def _check(sol, Q, q, form, rows, ref: float) -> None:
    assert sol.status == "optimal"
    f = 0.5 * sol.x @ Q @ sol.x - q @ sol.x
    assert f == pytest.approx(ref, abs=1e-7 * max(1.0, abs(ref)))
    assert np.all(rows.values(sol.x) <= rows.limit + 1e-8)
    assert np.all(sol.x >= form.lb - 1e-9) and np.all(sol.x <= form.ub + 1e-9)
    ax = form.A @ sol.x
    assert np.all(ax >= form.lo - 1e-8) and np.all(ax <= form.hi + 1e-8)


@pytest.mark.parametrize("n, t", [(30, 60), (60, 25)], ids=["N<T", "N>T"])
@pytest.mark.parametrize("extra", [0, 3], ids=["budget", "budget+rows"])
@pytest.mark.parametrize("gross, short", [(1.2, None), (1.5, 0.1), (None, 0.05), (1.4, 0.2),
                                          (50.0, None)],
                         ids=["gross", "gross+short", "short", "dependent", "slack"])
def test_random_long_short_against_clarabel(n, t, extra, gross, short) -> None:
    rng = np.random.default_rng(1000 * n + 10 * extra + int(10 * (gross or 0)))
    for _ in range(3):
        M, y, Q, form = _problem(rng, n, t, rows=extra)
        rows = _abs_rows(n, gross, short)
        sol, solves = solve_signed(Q, M.T @ y / t, form, rows)
        _check(sol, Q, M.T @ y / t, form, rows, _reference(M, y, form, gross, short))
        assert 1 <= solves <= signsplit.MAX_ROUNDS


def test_binding_gross_is_exact_and_carries_the_row() -> None:
    rng = np.random.default_rng(3)
    M, y, Q, form = _problem(rng, 40, 80, box=1.0, pull=6.0)
    q = M.T @ y / 80
    rows = _abs_rows(40, 1.1, None)
    sol, _ = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.1, None))
    assert rows.values(sol.x)[0] == pytest.approx(1.1, abs=1e-9)
    assert sol.row_duals.shape == (form.A.shape[0] + 1,)  # form rows, then the gross row
    assert sol.row_duals[-1] > 0


def test_slack_rows_are_answered_by_the_relaxation(monkeypatch) -> None:
    """A gross limit far above the unrestricted optimum's: the answer is the problem's
    without the row (rows of the form only), equal to cvxpy's without any gross row."""
    rng = np.random.default_rng(5)  # sign(q) is not the optimal pattern here
    M, y, Q, form = _problem(rng, 30, 60, pull=6.0)
    q = M.T @ y / 60
    rows = _abs_rows(30, 100.0, None)
    calls = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(a[4].shape[0])
                        or real(*a, **k))
    sol, solves = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, None, None))
    # two signed rounds leave the row slack (the first pattern's and the flipped one's),
    # then the relaxation answers
    assert solves == len(calls) == 3
    assert calls == [form.A.shape[0] + 1, form.A.shape[0] + 1, form.A.shape[0]]
    assert sol.row_duals.shape == (form.A.shape[0],)


def _between(monkeypatch, seed: int, n: int, t: int, frac: float):
    """A problem whose gross limit lies ``frac`` of the way from the first signed round's
    gross (signs of q: the ridge start is switched off) to the unrestricted optimum's, solved
    with the rows of every QP counted: ``(sol, solves, calls, m)`` after checking
    the answer against CLARABEL and the limit binding."""
    monkeypatch.setattr(signsplit, "RIDGE_START_MAX_N", 0)
    M, y, Q, form = _problem(np.random.default_rng(seed), n, t, box=1.0, pull=8.0)
    q = M.T @ y / t
    free, _ = solve_signed(Q, q, form, _abs_rows(n, 1e3, None))
    first = signsplit.solve_qp(Q, q, *_signed_bounds(form, q))
    g_first, g_free = float(np.abs(first.x).sum()), float(np.abs(free.x).sum())
    assert g_first < g_free - 0.2
    gross = g_first + frac * (g_free - g_first)
    rows = _abs_rows(n, gross, None)
    calls: list[int] = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(a[4].shape[0])
                        or real(*a, **k))
    sol, solves = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, gross, None))
    assert rows.values(sol.x)[0] == pytest.approx(gross, abs=1e-8)
    assert rows.values(first.x)[0] < gross  # the first round's point: the row is slack
    return sol, solves, calls, form.A.shape[0]


def test_relaxation_that_breaks_the_row_restarts_the_flips(monkeypatch) -> None:
    """Two signed rounds leave a gross limit slack that binds at the optimum: the relaxation
    is solved once, breaks the row, and its signs restart the flips to the optimum."""
    _, solves, calls, m = _between(monkeypatch, 10, 30, 60, 0.8)
    assert calls[:3] == [m + 1, m + 1, m] and calls.count(m) == 1  # the relaxation, once
    assert len(calls) == solves >= 4


def test_one_slack_round_does_not_send_a_binding_row_to_the_relaxation(monkeypatch) -> None:
    """The first pattern (sign(q)) leaves a gross limit that binds at the optimum slack: the
    flips alone reach the optimum, the problem without the row (whose answer breaks it, and
    which on a desk at N=2000 and lam=0 took ~19 s of a 20 s solve) is never solved."""
    _, solves, calls, m = _between(monkeypatch, 5, 60, 120, 0.5)
    assert calls == [m + 1] * solves  # every QP carries the row


def _signed_bounds(form: LinearForm, q: np.ndarray):
    """Bounds and rows of the first signed subproblem (signs of q) without absolute rows."""
    pos = q >= 0
    return (np.where(pos, 0.0, form.lb), np.where(pos, form.ub, 0.0), form.A, form.lo, form.hi)


def test_infeasible_first_pattern_is_replaced_by_a_feasible_point() -> None:
    """Every q_i < 0 signs every name short, which cannot fund a budget of 1."""
    rng = np.random.default_rng(6)
    M, y, Q, form = _problem(rng, 20, 50)
    q = -np.abs(M.T @ y / 50) - 0.01
    y2 = np.linalg.lstsq(M.T / 50, q, rcond=None)[0]  # the same q for the reference
    rows = _abs_rows(20, 1.3, 0.15)
    sol, _ = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y2, form, 1.3, 0.15))


def test_infeasible_problem_reports_infeasible() -> None:
    rng = np.random.default_rng(7)
    _, _, Q, form = _problem(rng, 10, 30)
    sol, _ = solve_signed(Q, np.ones(10), form, _abs_rows(10, 0.8, None))  # budget 1 > gross
    assert sol.status == "infeasible"


def test_warm_start_from_a_neighbour_gives_its_own_optimum() -> None:
    rng = np.random.default_rng(8)
    M, y, Q, form = _problem(rng, 50, 100, box=1.0, pull=6.0)
    rows = _abs_rows(50, 1.2, 0.1)
    q = M.T @ y / 100
    first, _ = solve_signed(Q, q, form, rows)
    y2 = y + 0.3 * rng.normal(size=100)
    q2 = M.T @ y2 / 100
    cold, _ = solve_signed(Q, q2, form, rows)
    warm, _ = solve_signed(Q, q2, form, rows, warm=first)
    ref = _reference(M, y2, form, 1.2, 0.1)
    _check(cold, Q, q2, form, rows, ref)
    _check(warm, Q, q2, form, rows, ref)


def test_no_absolute_rows_is_the_plain_qp() -> None:
    rng = np.random.default_rng(9)
    M, y, Q, form = _problem(rng, 15, 40)
    rows = AbsoluteRows(np.zeros((0, 15)), np.zeros((0, 15)), np.zeros(0), [])
    sol, solves = solve_signed(Q, M.T @ y / 40, form, rows)
    assert solves == 1
    _check(sol, Q, M.T @ y / 40, form, rows, _reference(M, y, form, None, None))


def test_warm_start_from_the_optimum_is_one_round_of_one_step(monkeypatch) -> None:
    """The working set of the answer, re-labelled for the signs it implies (a name at 0 sits at
    the bound 0 of its sign), is the optimal one: one QP, one step (the cold solve starts from
    sign(q), so that it takes several rounds)."""
    monkeypatch.setattr(signsplit, "RIDGE_START_MAX_N", 0)
    rng = np.random.default_rng(10)
    M, y, Q, form = _problem(rng, 80, 160, box=1.0, pull=6.0, common=3.0)
    q = M.T @ y / 160
    rows = _abs_rows(80, 1.15, 0.05)
    first, solves = solve_signed(Q, q, form, rows)
    assert solves >= 2 and first.x.shape == (80,)
    again, solves = solve_signed(Q, q, form, rows, warm=first)
    assert solves == 1 and again.iterations == 1
    np.testing.assert_allclose(again.x, first.x, atol=1e-10)
    _check(again, Q, q, form, rows, _reference(M, y, form, 1.15, 0.05))


@pytest.mark.parametrize("gross, short", [(1.2, None), (1.4, 0.2), (None, 0.05)],
                         ids=["gross", "gross+short", "short"])
def test_low_rank_q_is_solved_through_the_ridge_continuation(monkeypatch, gross, short) -> None:
    """N >> T with Q as the operator V'V: a signed round from a cold or widely flipped working
    set is the continuation (ridges of CONTINUATION, then the problem itself, each warm-started
    from the last), and the answer is CLARABEL's and the dense Q's (a ridged answer would be off
    by ~1e-4 of the objective)."""
    rng = np.random.default_rng(21)
    n, t = 120, 30
    M, y, Q, form = _problem(rng, n, t, rows=3, common=1.0)
    q = M.T @ y / t
    op = LowRankHessian(M / np.sqrt(t))
    rows = _abs_rows(n, gross, short)
    calls: list[tuple[float, bool]] = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(
        (k.get("ridge", 0.0), k.get("warm") is not None)) or real(*a, **k))
    sol, solves = solve_signed(op, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, gross, short))
    mean = float(np.mean(np.diag(Q)))
    want = [r * mean for r in signsplit.CONTINUATION]
    ridges = [r for r, _ in calls]
    chains = [i for i in range(len(calls) - 3)
              if ridges[i:i + 4] == pytest.approx([*want, 0.0], rel=1e-12, abs=0.0)]
    assert chains  # a round ran the whole continuation ...
    assert all(calls[i + 3][1] for i in chains)  # ... then the problem, from its working set
    assert calls[-1][0] == 0.0
    assert sum(r == 0.0 for r, _ in calls) == solves
    dense, _ = solve_signed(Q, q, form, rows)
    f = 0.5 * sol.x @ Q @ sol.x - q @ sol.x
    assert f == pytest.approx(0.5 * dense.x @ Q @ dense.x - q @ dense.x, rel=1e-9, abs=1e-12)


def test_low_rank_continuation_keeps_the_users_ridge(monkeypatch) -> None:
    """A ridge given by the caller is the problem solved (the continuation adds to it)."""
    rng = np.random.default_rng(22)
    n, t = 90, 25
    M, y, Q, form = _problem(rng, n, t, rows=2)
    q = M.T @ y / t
    rows = _abs_rows(n, 1.3, None)
    ridge = 1e-3
    calls: list[float] = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(k["ridge"])
                        or real(*a, **k))
    sol, _ = solve_signed(LowRankHessian(M / np.sqrt(t)), q, form, rows, ridge=ridge)
    monkeypatch.undo()
    dense, _ = solve_signed(Q + ridge * np.eye(n), q, form, rows)
    assert min(calls) == ridge and calls[-1] == ridge
    assert sol.status == dense.status == "optimal"
    f = 0.5 * sol.x @ (Q + ridge * np.eye(n)) @ sol.x - q @ sol.x
    g = 0.5 * dense.x @ (Q + ridge * np.eye(n)) @ dense.x - q @ dense.x
    assert f == pytest.approx(g, rel=1e-9, abs=1e-12)


def test_low_rank_warm_start_from_the_optimum_skips_the_continuation(monkeypatch) -> None:
    """The caller's working set (a re-solve) is solved directly: one round, one QP, no ridge."""
    rng = np.random.default_rng(23)
    n, t = 100, 30
    M, y, Q, form = _problem(rng, n, t, rows=3, common=1.0)
    q = M.T @ y / t
    op = LowRankHessian(M / np.sqrt(t))
    rows = _abs_rows(n, 1.2, None)
    first, _ = solve_signed(op, q, form, rows)
    calls: list[float] = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(k.get("ridge", 0.0))
                        or real(*a, **k))
    again, solves = solve_signed(op, q, form, rows, warm=first)
    assert solves == 1 and calls == [0.0]
    assert again.iterations == 1 and again.status == "optimal"
    f = 0.5 * again.x @ Q @ again.x - q @ again.x
    assert f == pytest.approx(0.5 * first.x @ Q @ first.x - q @ first.x, rel=1e-12, abs=1e-14)


def test_operator_of_full_rank_is_solved_directly(monkeypatch) -> None:
    """The continuation is for rank-deficient operators (N >> T) only: an operator with more
    rows than names (N < T) is solved like the dense array, every QP at ridge 0."""
    rng = np.random.default_rng(24)
    n, t = 30, 60
    M, y, Q, form = _problem(rng, n, t, rows=2)
    q = M.T @ y / t
    rows = _abs_rows(n, 1.2, None)
    calls: list[float] = []
    real = signsplit.solve_qp
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(k.get("ridge", 0.0))
                        or real(*a, **k))
    sol, solves = solve_signed(LowRankHessian(M / np.sqrt(t)), q, form, rows)
    assert calls == [0.0] * solves
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.2, None))


def test_cold_start_on_a_dense_q_takes_the_ridge_solutions_signs() -> None:
    """The first pattern of a cold start on a dense Q is sign((Q + r I)^-1 q), r = 0.1
    mean(diag Q), computed here by numpy; bounds that fix a sign win."""
    rng = np.random.default_rng(31)
    M, y, Q, form = _problem(rng, 40, 80, box=1.0, pull=6.0, common=2.0)
    q = M.T @ y / 80
    form.lb[:3] = 0.0  # long only
    form.ub[3:5] = 0.0  # short only
    x = np.linalg.solve(Q + signsplit.RIDGE_START * np.mean(np.diag(Q)) * np.eye(40), q)
    want = np.where(x > 0, 1, -1)
    want[:3], want[3:5] = 1, -1
    assert np.any(want[5:] != np.where(q[5:] < 0, -1, 1))  # not the same as sign(q)
    np.testing.assert_array_equal(signsplit._first_signs(form, Q, q, None)[0], want)


def test_ridge_solution_is_numpys_ridge_solve_in_single_precision() -> None:
    """_ridge_solution is (Q + r I)^-1 q (numpy, double precision) to single precision, leaves
    Q and q as they were, and is all zeros when Q + r I is not positive definite (LAPACK's
    info > 0: then q decides the signs)."""
    rng = np.random.default_rng(33)
    M, _, Q, _ = _problem(rng, 60, 120, box=1.0, pull=6.0, common=2.0)
    q = rng.standard_normal(60)
    Q0, q0 = Q.copy(), q.copy()
    r = signsplit.RIDGE_START * np.mean(np.diag(Q))
    want = np.linalg.solve(Q + r * np.eye(60), q)
    got = signsplit._ridge_solution(Q, q)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-4 * np.abs(want).max())
    np.testing.assert_array_equal(Q, Q0)
    np.testing.assert_array_equal(q, q0)
    bad = np.diag(np.r_[-1.0, np.full(59, 1.0)]) * 1e3  # mean(diag) > 0: a ridge is tried
    np.testing.assert_array_equal(signsplit._ridge_solution(bad, q), np.zeros(60))


def test_low_rank_ridge_solution_is_numpys_ridge_solve_in_single_precision() -> None:
    """_low_rank_ridge_solution is (V'V + diag(d) + r I)^-1 q with r = 0.1 mean(diag Q), solved
    here by numpy on the dense matrix, to single precision (N=80 > k=30, a diagonal part too);
    a Q with a NaN gives zeros (then q decides the signs)."""
    rng = np.random.default_rng(35)
    n, k = 80, 30
    V = rng.normal(size=(k, n)) + 2.0 * rng.normal(size=(k, 1))
    d = rng.uniform(0.0, 0.5, n)
    op = LowRankHessian(V, d)
    q = rng.standard_normal(n)
    Q = V.T @ V + np.diag(d)
    r = signsplit.RIDGE_START * np.mean(np.diag(Q))
    want = np.linalg.solve(Q + r * np.eye(n), q)
    got = signsplit._low_rank_ridge_solution(op, q)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-4 * np.abs(want).max())
    np.testing.assert_array_equal(signsplit._first_signs(
        LinearForm.free(n), op, q, None)[0], np.where(want > 0, 1, -1))
    bad = LowRankHessian(np.where(np.arange(n) == 3, np.nan, V))
    np.testing.assert_array_equal(signsplit._low_rank_ridge_solution(bad, q), np.zeros(n))


def test_low_rank_ridge_start_takes_fewer_rounds_to_the_same_optimum(monkeypatch) -> None:
    """N >> T (a market factor, binding gross and short limits) on the operator V'V, six
    problems: from the Woodbury ridge solution's signs the flips take fewer rounds in all than
    from sign(q) (never more than one round more on one problem), and every answer is
    CLARABEL's."""
    totals = {True: 0, False: 0}
    for seed in range(6):
        rng = np.random.default_rng(seed)
        M, y, Q, form = _problem(rng, 200, 40, rows=3, box=1.0, pull=6.0, common=3.0)
        q = M.T @ y / 40
        rows = _abs_rows(200, 1.15, 0.05)
        ref = _reference(M, y, form, 1.15, 0.05)
        rounds = {}
        for on in (True, False):
            monkeypatch.setattr(signsplit, "RIDGE_START_LOW_RANK", on)
            sol, rounds[on] = solve_signed(LowRankHessian(M / np.sqrt(40)), q, form, rows)
            _check(sol, Q, q, form, rows, ref)
            totals[on] += rounds[on]
        assert rounds[True] <= rounds[False] + 1
    assert totals[True] < totals[False]


def test_ridge_start_takes_fewer_rounds_to_the_same_optimum(monkeypatch) -> None:
    """A desk-like long-short problem (a market factor, binding gross): from the ridge
    solution's signs the flips take fewer rounds than from sign(q), and both answers are
    CLARABEL's; above RIDGE_START_MAX_N (set to 10 here) the start is sign(q) again."""
    rng = np.random.default_rng(12)
    M, y, Q, form = _problem(rng, 80, 160, box=1.0, pull=6.0, common=3.0)
    q = M.T @ y / 160
    rows = _abs_rows(80, 1.15, 0.05)
    ref = _reference(M, y, form, 1.15, 0.05)
    ridge, ridge_rounds = solve_signed(Q, q, form, rows)
    monkeypatch.setattr(signsplit, "RIDGE_START_MAX_N", 10)
    np.testing.assert_array_equal(signsplit._first_signs(form, Q, q, None)[0],
                                  np.where(q < 0, -1, 1))
    plain, plain_rounds = solve_signed(Q, q, form, rows)
    _check(ridge, Q, q, form, rows, ref)
    _check(plain, Q, q, form, rows, ref)
    assert ridge_rounds < plain_rounds


def test_guessed_working_set_frees_the_largest_ridge_weights_and_activates_the_rows() -> None:
    """The first working set of a cold dense solve, rebuilt here: the fewest largest |x_i|
    holding GUESS_SHARE of sum |x|, every other name at the bound 0 of its sign (lower when
    long, upper when short), the form's equalities and the absolute row x loads most (relative
    to its limit) active."""
    rng = np.random.default_rng(41)
    M, y, Q, form = _problem(rng, 50, 100, rows=2, box=1.0, pull=6.0, common=2.0)
    q = M.T @ y / 100
    rows = _abs_rows(50, 1.2, 0.1)
    sign, x = signsplit._first_signs(form, Q, q, None)
    assert x is not None
    guess = signsplit._guessed_working_set(x, sign, form, rows)
    a = np.sort(np.abs(x))[::-1]
    k = next(j + 1 for j in range(50) if a[: j + 1].sum() >= signsplit.GUESS_SHARE * a.sum())
    assert 1 < k < 50
    free = np.abs(x) >= a[k - 1]
    np.testing.assert_array_equal(guess.free, free)
    np.testing.assert_array_equal(guess.bound_state, np.where(free, 0, np.where(sign > 0, -1, 1)))
    load = rows.values(x) / rows.limit  # the most loaded absolute row only
    np.testing.assert_array_equal(guess.active_rows, [1, 0, 0, *(load == load.max())])
    assert signsplit._guessed_working_set(np.zeros(50), sign, form, rows) is None
    sol, _ = solve_signed(Q, q, form, rows)  # from that guess: CLARABEL's optimum
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.2, 0.1))


def test_guessed_first_working_set_takes_fewer_steps_to_the_same_point(monkeypatch) -> None:
    """The first signed subproblem of a desk-like problem from the guessed working set and
    from the cold start (the solver's own): the same point, in fewer PDAS steps."""
    rng = np.random.default_rng(12)
    M, y, Q, form = _problem(rng, 120, 240, box=1.0, pull=6.0, common=3.0)
    q = M.T @ y / 240
    rows = _abs_rows(120, 1.15, None)
    sign, x = signsplit._first_signs(form, Q, q, None)
    sub = signsplit._signed(form, rows, sign)
    args = (Q, q, sub.lb, sub.ub, sub.A, sub.lo, sub.hi)
    cold = signsplit.solve_qp(*args)
    guessed = signsplit.solve_qp(*args, warm=signsplit._guessed_working_set(x, sign, form,
                                                                              rows))
    assert cold.status == guessed.status == "optimal"
    np.testing.assert_allclose(guessed.x, cold.x, atol=1e-10)
    assert guessed.iterations < cold.iterations


@pytest.mark.parametrize("seed", range(4))
def test_budget_one_gross_one_with_a_short_limit_is_clarabels_optimum(seed) -> None:
    """Budget 1 and gross 1 leave no short side, so a short limit taken active with them
    contradicts them: the guessed working set activates one absolute row only, and the answer
    is CLARABEL's."""
    rng = np.random.default_rng(seed)
    M, y, Q, form = _problem(rng, 30, 60, box=1.0, pull=6.0, common=2.0)
    q = M.T @ y / 60
    rows = _abs_rows(30, 1.0, 0.5)
    sign, x = signsplit._first_signs(form, Q, q, None)
    assert signsplit._guessed_working_set(x, sign, form, rows).active_rows[-2:].sum() == 1
    sol, _ = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.0, 0.5))


def test_round_that_fails_from_the_guess_is_solved_again_cold(monkeypatch) -> None:
    """A round that fails from the guessed working set (its first PDAS solve ends in
    max_iter) is solved again from the cold start, and the answer is CLARABEL's."""
    rng = np.random.default_rng(0)
    M, y, Q, form = _problem(rng, 30, 60, box=1.0, pull=6.0, common=2.0)
    q = M.T @ y / 60
    rows = _abs_rows(30, 1.0, 0.5)
    calls: list[tuple[bool, str]] = []
    solve = signsplit.solve_qp

    def first_fails(*a, **k):
        out = solve(*a, **k)
        if not calls:
            out = replace(out, status="max_iter")
        calls.append((k.get("warm") is None, out.status))
        return out

    monkeypatch.setattr(signsplit, "solve_qp", first_fails)
    sol, solves = solve_signed(Q, q, form, rows)
    assert calls[:2] == [(False, "max_iter"), (True, "optimal")] and solves == len(calls)
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.0, 0.5))


def test_contradictory_guess_still_gives_the_optimum(monkeypatch) -> None:
    """A guessed working set with contradictory rows active (budget 1, gross 1 and short 0.5
    together) only costs steps: the answer is CLARABEL's whichever way its round ends."""
    rng = np.random.default_rng(0)
    M, y, Q, form = _problem(rng, 30, 60, box=1.0, pull=6.0, common=2.0)
    q = M.T @ y / 60
    rows = _abs_rows(30, 1.0, 0.5)
    real = signsplit._guessed_working_set

    def contradictory(*args):
        guess = real(*args)
        guess.active_rows[-2:] = 1
        return guess

    monkeypatch.setattr(signsplit, "_guessed_working_set", contradictory)
    sol, _ = solve_signed(Q, q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.0, 0.5))


def test_freed_frees_at_most_the_free_sets_size_largest_excess_first() -> None:
    """40 flips against a free set of 20 (and FREED_MIN 16): the 20 largest excesses are freed,
    the other 20 wait at the bound 0 of their new sign (lower when long, upper when short);
    names that did not flip keep their state."""
    n = 100
    state = np.full(n, -1, dtype=np.int8)
    state[:20] = 0
    x = np.zeros(n)
    sol = signsplit.QPSolution(x=x, bound_duals=x, row_duals=np.zeros(1), status="optimal",
                               iterations=1, kkt_residual=0.0, free=state == 0,
                               active_rows=np.zeros(1, dtype=np.int8), bound_state=state)
    flip = np.zeros(n, dtype=bool)
    flip[30:70] = True
    excess = np.arange(n, dtype=float)  # the largest among the flips: 50..69
    sign = np.where(np.arange(n) % 2 == 0, 1, -1)
    out = signsplit._freed(sol, flip, excess, sign)
    freed = np.flatnonzero(out.free & ~sol.free)
    assert freed.tolist() == list(range(50, 70))
    waiting = np.arange(30, 50)
    assert out.bound_state[waiting].tolist() == [-1 if i % 2 == 0 else 1 for i in waiting]
    assert not out.free[waiting].any()
    assert (out.bound_state[:20] == 0).all() and (out.bound_state[70:] == -1).all()
    few = np.zeros(n, dtype=bool)
    few[[40, 80]] = True
    small = signsplit._freed(sol, few, excess, sign)
    assert np.flatnonzero(small.free & ~sol.free).tolist() == [40, 80]


def test_round_after_few_flips_skips_the_continuation(monkeypatch) -> None:
    """On a low-rank Q (N=200, T=60) from sign(q): the cold round and the round after 195 flips are
    continuations (three ridges, then the problem), the round after 10 flips (at most
    FREED_MIN) is one direct QP from its working set; the answer is CLARABEL's."""
    monkeypatch.setattr(signsplit, "RIDGE_START_LOW_RANK", False)  # cold start: sign(q)
    rng = np.random.default_rng(0)
    n, t = 200, 60
    M, y, Q, form = _problem(rng, n, t, rows=3, common=1.0)
    q = M.T @ y / t
    rows = _abs_rows(n, 1.3, None)
    calls: list[float] = []
    flips: list[int] = []
    real_solve, real_freed = signsplit.solve_qp, signsplit._freed
    monkeypatch.setattr(signsplit, "solve_qp", lambda *a, **k: calls.append(
        k.get("ridge", 0.0)) or real_solve(*a, **k))
    monkeypatch.setattr(signsplit, "_freed", lambda sol, flip, *a: flips.append(
        int(flip.sum())) or real_freed(sol, flip, *a))
    sol, solves = solve_signed(LowRankHessian(M / np.sqrt(t)), q, form, rows)
    _check(sol, Q, q, form, rows, _reference(M, y, form, 1.3, None))
    assert solves == 3 and flips[0] > signsplit.FREED_MIN >= flips[1]
    chain = [r * float(np.mean(np.diag(Q))) for r in signsplit.CONTINUATION] + [0.0]
    assert calls == pytest.approx(chain + chain + [0.0], rel=1e-12, abs=0.0)


def test_rows_of_limit_zero_become_sign_bounds() -> None:
    """A row of limit 0 counting a name's short (long) part fixes its sign: lb >= 0 (ub <= 0);
    names it does not count, and forms without such rows, are left as they are."""
    n = 4
    form = LinearForm.free(n)
    form.lb, form.ub = np.full(n, -1.0), np.full(n, 1.0)
    rows = AbsoluteRows(pos=np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]),
                        neg=np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
                        limit=np.array([0.0, 0.0]), labels=["short", "long of one"])
    out = signsplit._zero_limits_as_bounds(form, rows)
    assert out.lb.tolist() == [0.0, 0.0, -1.0, -1.0]
    assert out.ub.tolist() == [1.0, 1.0, 0.0, 1.0]
    assert form.lb.tolist() == [-1.0] * 4  # the caller's form is not changed
    loose = AbsoluteRows(rows.pos, rows.neg, np.array([0.1, 0.2]), rows.labels)
    assert signsplit._zero_limits_as_bounds(form, loose) is form
