"""The subset QP against cvxpy, and its pricing / swap predictions against exact solves."""

from __future__ import annotations

import numpy as np

from hedgeopt.solvers.wholeshare.restrictions import MinPositionRule, TurnoverRule
from hedgeopt.solvers.wholeshare.subsetqp import SubsetQP


def test_subset_values_match_cvxpy(make_tiny, subset_value_cvxpy) -> None:
    spec = make_tiny(8, seed=1, sector=True)
    sq = SubsetQP(spec)
    rng = np.random.default_rng(0)
    for _ in range(6):
        S = np.sort(rng.choice(8, 3, replace=False))
        got = sq.value(S)
        want = subset_value_cvxpy(spec, S)
        assert np.isfinite(want)
        np.testing.assert_allclose(got.value, want, rtol=1e-6)
        assert got.w is not None and np.all(got.w >= -1e-12)
        assert 0.98 - 1e-9 <= got.w.sum() <= 1.0 + 1e-9
        assert got.w[S < 4].sum() <= 0.5 + 1e-9  # the sector cap


def test_turnover_and_min_position_subsets_match_cvxpy(make_tiny, subset_value_cvxpy) -> None:
    h = np.array([0.3, 0.3, 0.2, 0.2, 0.0, 0.0])
    spec = make_tiny(6, seed=2, rules=(TurnoverRule(h, 0.9),))
    sq = SubsetQP(spec)
    for S in ([0, 1, 4], [2, 4, 5], [0, 5]):
        S = np.array(S)
        want = subset_value_cvxpy(spec, S, turnover=(h, 0.9))
        np.testing.assert_allclose(sq.value(S).value, want, rtol=1e-6)
    mw = np.full(6, 0.3)
    spec = make_tiny(6, seed=2, rules=(MinPositionRule(mw),), unit_scale=1e-6)
    sq = SubsetQP(spec)
    least = spec.restrictions()[0].held_lots() * spec.unit  # the least weight in whole lots
    for S in ([0, 1, 4], [2, 3]):
        S = np.array(S)
        np.testing.assert_allclose(sq.value(S).value, subset_value_cvxpy(spec, S, least),
                                   rtol=1e-6)
    assert not np.isfinite(sq.value(np.arange(4)).value)  # 4 x 0.3 > 1: no point


def test_kkt_swaps_equal_the_qp(make_tiny) -> None:
    spec = make_tiny(12, seed=3)
    sq = SubsetQP(spec)
    cur = sq.value(np.array([0, 3, 5, 7]))
    P, floor = sq.swap_values(cur)
    assert floor == np.inf  # every name computed
    fast = 0
    for a in range(4):
        for j in range(12):
            if j in cur.S:
                assert P[a, j] == np.inf
                continue
            exact = sq._solve(np.sort(np.append(np.delete(cur.S, a), j)))
            got = sq._swap_kkt(cur, a, j)
            if got is not None:
                fast += 1
                np.testing.assert_allclose(got.value, exact.value, rtol=1e-9)
                np.testing.assert_allclose(got.w, exact.w, atol=1e-9)
            via = sq.swap(cur, a, j)
            np.testing.assert_allclose(via.value, exact.value, rtol=1e-9)
    assert fast > 0  # the KKT check decides some swaps without a QP


def test_predictions_are_exact_without_inequalities(make_tiny) -> None:
    """Free signs and an equality budget: the working set never changes, so pricing and swap
    predictions are the exact values."""
    spec = make_tiny(10, seed=4)
    spec.form.lb = np.full(10, -np.inf)
    spec.form.lo = spec.form.hi = np.array([1.0])
    sq = SubsetQP(spec)
    cur = sq.value(np.array([1, 2, 6]))
    gain = sq.price(cur)
    P, _ = sq.swap_values(cur)
    for j in range(10):
        if j in cur.S:
            continue
        np.testing.assert_allclose(cur.value - gain[j], sq.value(np.append(cur.S, j)).value,
                                   rtol=1e-9)
        for a in range(3):
            S2 = np.append(np.delete(cur.S, a), j)
            np.testing.assert_allclose(P[a, j], sq.value(S2).value, rtol=1e-9)
    cost = sq.removal_costs(cur)
    for a in range(3):
        np.testing.assert_allclose(cur.value + cost[a], sq.value(np.delete(cur.S, a)).value,
                                   rtol=1e-9)


def test_pricing_leaves_out_only_the_names_that_cannot_enter(make_tiny) -> None:
    """The Schur complements are formed only for the names whose allowed sign lowers ``v``:
    every other name prices 0 and its swaps ``+inf``, and the gain of the rest equals
    ``g^2 / 2s`` from a numpy solve of the full bordered KKT system (long-only and free-sign
    names mixed, so both signs of ``g`` can enter)."""
    n = 12
    spec = make_tiny(n, seed=5, sector=True)
    spec.form.lb = np.where(np.arange(n) % 3 == 0, -np.inf, spec.form.lb)
    sq = SubsetQP(spec)
    m = sq.A.shape[0]
    entered = left_out = 0
    for S in ([0, 4, 7], [1, 2, 5, 9], [3, 6, 10, 11], [2, 4, 8]):
        cur = sq.value(np.array(S))
        assert cur.sol is not None and cur.w is not None
        gain = sq.price(cur)
        P, _ = sq.swap_values(cur)
        x = np.zeros(n)
        x[cur.S] = cur.w
        g = sq.Q @ x - sq.q + sq.A.T @ cur.sol.row_duals[:m]
        E = np.flatnonzero(cur.sol.active_rows[:m] != 0)
        F = cur.S[cur.sol.free[: cur.S.size]]
        AE = sq.A[np.ix_(E, F)]
        K = np.block([[sq.Q[np.ix_(F, F)], AE.T], [AE, np.zeros((E.size, E.size))]])
        for j in np.setdiff1d(np.arange(n), cur.S):
            if not ((g[j] < 0 and sq.ub[j] > 0) or (g[j] > 0 and sq.lb[j] < 0)):
                assert gain[j] == 0.0 and np.all(P[:, j] == np.inf)
                left_out += 1
                continue
            b = np.concatenate([sq.Q[F, j], sq.A[E, j]])
            s = max(sq.Q[j, j] - b @ np.linalg.solve(K, b), 1e-12 * sq.Q[j, j])
            np.testing.assert_allclose(gain[j], g[j] ** 2 / (2.0 * s), rtol=1e-8)
            assert np.isfinite(P[:, j]).any()
            entered += 1
    assert entered and left_out  # both kinds of name occur


def test_pricing_the_entering_names_equals_pricing_every_name(make_tiny, monkeypatch
                                                               ) -> None:
    """Gains, removal costs and the full swap matrix are the same whether the pricing forms
    its columns for the names that can enter or for every name outside ``S`` (the
    benchmark's previous rows), and the swaps decided from them too."""
    from hedgeopt.solvers.wholeshare import subsetqp

    spec = make_tiny(40, seed=6, sector=True)
    sets = [np.sort(np.random.default_rng(s).choice(40, 5, replace=False)) for s in range(6)]
    got = {}
    for entering in (True, False):
        monkeypatch.setattr(subsetqp, "ENTERING_ONLY", entering)
        sq = SubsetQP(spec)
        rows = []
        for S in sets:
            cur = sq.value(S)
            P, _ = sq.swap_values(cur)
            block, cols = sq.swap_block(cur)
            assert cols.size == (40 - 5 if not entering else np.count_nonzero(sq.price(cur)))
            a, c = np.unravel_index(np.argmin(block), block.shape)
            rows.append((sq.price(cur), sq.removal_costs(cur), P,
                         sq.swap(cur, int(a), int(cols[c])).value))
        got[entering] = rows
    assert sum(np.count_nonzero(r[0]) for r in got[True]) < 35 * len(sets)  # some left out
    for new, old in zip(got[True], got[False], strict=True):
        for x, y in zip(new, old, strict=True):
            assert np.array_equal(np.isinf(x), np.isinf(y))
            np.testing.assert_allclose(np.where(np.isinf(x), 0, x), np.where(np.isinf(y), 0, y),
                                       rtol=1e-12, atol=0)


def _eqp_value(sq: SubsetQP, cur, free: np.ndarray, fixed: np.ndarray) -> tuple[float, dict]:
    """The equality-constrained QP of a kept working set, by one dense numpy solve: ``free``
    names free, ``fixed`` names at their weights in ``cur``, the active rows of ``cur`` held
    at their values, every other name zero."""
    m = sq.A.shape[0]
    E = np.flatnonzero(cur.sol.active_rows[:m] != 0)
    x = np.zeros(sq.n)
    x[cur.S] = cur.w
    xb = np.zeros(sq.n)
    xb[fixed] = x[fixed]
    AE = sq.A[E][:, free]
    K = np.block([[sq.Q[np.ix_(free, free)], AE.T], [AE, np.zeros((E.size, E.size))]])
    rhs = np.concatenate([sq.q[free] - sq.Q[free] @ xb, sq.A[E] @ x - sq.A[E] @ xb])
    if np.linalg.cond(K) > 1e8:
        raise np.linalg.LinAlgError("ill-conditioned working set")
    sol = np.linalg.solve(K, rhs)
    w = xb.copy()
    w[free] = sol[: free.size]
    value = float(0.5 * w @ sq.Q @ w - sq.q @ w + sq.c)
    return value, dict(zip(free.tolist(), w[free], strict=True))


def test_swap_values_equal_an_independent_kkt_solve(make_tiny) -> None:
    """Every predicted swap ``v(S - i + j)`` (working set kept) against a fresh dense solve of
    the bordered KKT system, on random subsets with the budget band, upper bounds and a
    sector cap; limited calls return the same entries and a floor below every left-out one."""
    rng = np.random.default_rng(7)
    checked = skipped = 0
    for seed in range(4):
        spec = make_tiny(14, seed=seed, sector=True)
        spec.form.ub = np.full(14, 0.3)  # some names sit at the upper bound
        sq = SubsetQP(spec)
        for _ in range(4):
            cur = sq.value(np.sort(rng.choice(14, 5, replace=False)))
            if cur.sol is None:
                continue
            P, floor = sq.swap_values(cur)
            assert floor == np.inf
            free = cur.S[cur.sol.free[: cur.S.size]]
            fixed = np.setdiff1d(cur.S, free)
            for j in np.setdiff1d(np.arange(14), cur.S):
                add, wt = _eqp_value(sq, cur, np.append(free, j), fixed)
                allowed = (wt[j] > 0 and sq.ub[j] > 0) or (wt[j] < 0 and sq.lb[j] < 0)
                for a, i in enumerate(cur.S):
                    if not allowed:
                        assert P[a, j] == np.inf
                        continue
                    if i in free:
                        try:
                            want, _ = _eqp_value(sq, cur, np.append(free[free != i], j), fixed)
                        except np.linalg.LinAlgError:
                            skipped += 1  # the active rows (nearly) dependent on the names
                            continue
                    else:
                        want = add  # a name at a bound leaves for free
                    np.testing.assert_allclose(P[a, j], want, rtol=1e-9)
                    checked += 1
            Pl, fl = sq.swap_values(cur, 3)
            cols = np.isfinite(Pl).any(axis=0)
            assert np.array_equal(Pl[:, cols], P[:, cols])
            assert np.all(P[:, ~cols].min(initial=np.inf) >= fl)
    assert checked > 100 and skipped < checked / 10


def _cvxpy_bounded(spec, S: np.ndarray) -> float:
    """The subset optimum with the form's upper bounds too, written in cvxpy (Clarabel)."""
    import cvxpy as cp

    f = spec.form
    w = cp.Variable(S.size)
    A = f.A[:, S]
    L = np.linalg.cholesky(spec.Q[np.ix_(S, S)] + 1e-13 * np.eye(S.size))
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(L.T @ w) - spec.q[S] @ w),
                      [A @ w >= f.lo, A @ w <= f.hi, w >= f.lb[S], w <= f.ub[S]])
    prob.solve(solver="CLARABEL")
    wv = w.value
    return float(0.5 * wv @ spec.Q[np.ix_(S, S)] @ wv - spec.q[S] @ wv + spec.c)


def _capped_subsets(make_tiny):
    """``(spec, SubsetQP, current value)`` of three 4-name subsets on three tiny problems with
    sector caps and upper bounds 0.35 (one SubsetQP per problem, kept across its subsets)."""
    for seed in range(3):
        spec = make_tiny(12, seed=seed, sector=True)
        spec.form.ub = np.full(12, 0.35)
        sq = SubsetQP(spec)
        for S in ([0, 3, 5, 7], [1, 2, 8, 10], [4, 6, 9, 11]):
            cur = sq.value(np.array(S))
            if cur.sol is not None:
                yield spec, sq, cur


def test_settled_swaps_equal_cvxpy(make_tiny) -> None:
    """Swaps whose bordered prediction misses (a name crosses a bound, the budget band or the
    sector cap changes side) and that the working-set rounds of ``_settle`` correct: the
    value and weights equal a cvxpy solve of the subset, and the working set returned is the
    one the weights and multipliers show."""
    settled = 0
    for spec, sq, cur in _capped_subsets(make_tiny):
        for a in range(4):
            for j in np.setdiff1d(np.arange(12), cur.S):
                before = sq.settled
                got = sq._swap_kkt(cur, a, j)
                if got is None or sq.settled == before:
                    continue
                settled += 1
                S2 = np.sort(np.append(np.delete(cur.S, a), j))
                np.testing.assert_array_equal(got.S, S2)
                np.testing.assert_allclose(got.value, _cvxpy_bounded(spec, S2), rtol=1e-6)
                exact = SubsetQP(spec)._solve(S2)
                np.testing.assert_allclose(got.value, exact.value, rtol=1e-10)
                np.testing.assert_allclose(got.w, exact.w, atol=1e-9)
                at_bound = got.sol.bound_state != 0
                np.testing.assert_allclose(
                    got.w[at_bound], np.where(got.sol.bound_state > 0, sq.ub[S2],
                                              sq.lb[S2])[at_bound])
    assert settled > 0  # the rounds decide some swaps the bordered check alone could not


def test_settle_gives_up_to_the_qp(make_tiny) -> None:
    """With no rounds allowed a missed prediction goes to the QP: the same values, more QPs."""
    from hedgeopt.solvers.wholeshare import subsetqp

    counts = []
    values = []
    for rounds in (0, subsetqp.SETTLE):
        saved, subsetqp.SETTLE = subsetqp.SETTLE, rounds
        vals = []
        try:
            seen: dict[int, SubsetQP] = {}
            for _, sq, cur in _capped_subsets(make_tiny):
                seen[id(sq)] = sq
                vals += [sq.swap(cur, a, j).value for a in range(4)
                         for j in np.setdiff1d(np.arange(12), cur.S)]
            settled = sum(sq.settled for sq in seen.values())
            solves = sum(sq.solves for sq in seen.values())
        finally:
            subsetqp.SETTLE = saved
        counts.append((settled, solves))
        values.append(vals)
    assert counts[0][0] == 0 and counts[1][0] > 0
    assert counts[1][1] < counts[0][1]  # fewer QPs
    np.testing.assert_allclose(values[0], values[1], rtol=1e-10)


def test_settle_refuses_a_dense_solve_that_misses(make_tiny, monkeypatch) -> None:
    """A working-set round whose dense solve does not solve its system (as a nearly singular
    KKT matrix can return without an error) is not accepted: the swap goes to the QP and its
    value is the QP's (the checks of the round take the active rows and the stationarity of the
    solve for granted)."""
    def values(sq_list):
        return [sq.swap(cur, a, j).value for sq, cur in sq_list for a in range(4)
                for j in np.setdiff1d(np.arange(12), cur.S)]

    exact = values([(sq, cur) for _, sq, cur in _capped_subsets(make_tiny)])
    real = np.linalg.solve

    def missed(K, rhs):
        sol = real(K, rhs)
        return sol + 1e-5 * np.linspace(1.0, 2.0, sol.size)

    monkeypatch.setattr(np.linalg, "solve", missed)
    pairs = [(sq, cur) for _, sq, cur in _capped_subsets(make_tiny)]
    got = values(pairs)
    monkeypatch.undo()
    assert all(sq.settled == 0 for sq, _ in pairs)
    np.testing.assert_allclose(got, exact, rtol=1e-10)
