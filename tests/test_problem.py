"""HedgeProblem: composition, infeasibility diagnosis, re-solves through parameters, frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")


def _ids(s):
    return "default" if s is None else s


# ------------------------------------------------------------------------------------------------
# composition
# ------------------------------------------------------------------------------------------------


def test_add_is_chainable_and_constraints_kwarg_equivalent(market):
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    p1 = ho.HedgeProblem(prices, basket, lam=0.3)
    assert p1.add(*cons) is p1
    p2 = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    assert [repr(c) for c in p1.constraints] == [repr(c) for c in p2.constraints]
    r1, r2 = p1.solve(solver="OSQP"), p2.solve(solver="OSQP")
    assert r1.objective == pytest.approx(r2.objective, rel=1e-10)


def test_add_rejects_non_constraints(market):
    import cvxpy as cp

    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"got str.*ho.Custom") as e:
        prob.add("LongOnly")
    assert e.value.field == "constraints"
    with pytest.raises(ho.InputError, match="Custom"):
        prob.add(cp.Variable(2) >= 0)
    assert prob.constraints == []


def test_repr(market):
    prices, basket, sectors = market
    prob = ho.HedgeProblem(prices, basket, lam=0.25).add(ho.Budget(), ho.LongOnly())
    r = repr(prob)
    assert "T=120" in r and "N=30" in r and "lam=0.25" in r and "10,000,000.00" in r
    assert "Budget()" in r and "LongOnly()" in r
    assert "constraints=[none]" in repr(ho.HedgeProblem(prices, basket))


def test_unconstrained_problem_is_a_regression(market, ref):
    """No constraints: the optimum is the least-squares hedge of the normal equations."""
    prices, basket, _ = market
    q = ref.quad(prices, basket, 0.6)
    expected = q.shares(np.linalg.solve(q.G, q.g))
    for solver in SOLVERS:
        res = ho.HedgeProblem(prices, basket, lam=0.6).solve(solver=solver)
        np.testing.assert_allclose(res.shares, expected, rtol=0,
                                   atol=1e-6 * np.abs(expected).max(), err_msg=str(solver))


def test_reference_date_moves_the_budget(market):
    prices, basket, _ = market
    ref_date = prices.index[60]
    res = ho.HedgeProblem(prices, basket, lam=0.5, reference=ref_date).add(ho.Budget()).solve(
        solver="OSQP")
    value = float(res.shares.to_numpy() @ prices.loc[ref_date].to_numpy())
    assert value == pytest.approx(basket.loc[ref_date], rel=1e-8)
    assert res.reference_date == ref_date
    pd.testing.assert_series_equal(res.prices, prices.loc[ref_date].rename("price"),
                                   check_names=False)


# ------------------------------------------------------------------------------------------------
# infeasibility
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_budget_vs_sector_caps_summing_below_one(market, solver):
    prices, basket, sectors = market
    assert sectors.nunique() == 5  # 5 caps of 0.15 sum to 0.75 < 1
    cap = ho.SectorCap(sectors, max_weight=0.15)
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly(), cap)
    with pytest.raises(ho.InfeasibleError) as e:
        prob.solve(solver=solver)
    err = e.value
    assert isinstance(err, ValueError)
    assert err.culprits == ["Budget()", "SectorCap(max_weight=0.15)"]
    assert err.constraints == ["Budget()", "LongOnly()", "SectorCap(max_weight=0.15)"]
    msg = str(err)
    assert "no hedge satisfies all 3 constraints" in msg
    assert "Dropping any one of [Budget(), SectorCap(max_weight=0.15)] makes it feasible" in msg
    assert "Conflicting pairs: Budget() + SectorCap(max_weight=0.15)" in msg


@pytest.mark.parametrize("solver", ["OSQP", None], ids=_ids)
def test_budget_vs_small_upper_bounds(market, solver):
    prices, basket, _ = market
    bounds = ho.Bounds(upper=1e5, unit="dollars")  # 30 names x $100k = $3M < $10M
    with pytest.raises(ho.InfeasibleError, match=r"Budget\(\) \+ Bounds\(") as e:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), bounds).solve(solver=solver)
    assert e.value.culprits == ["Budget()", repr(bounds)]


def test_budget_vs_turnover_uses_conic_feasibility(market):
    prices, basket, _ = market
    turnover = ho.Turnover({}, max_dollars=1e6)  # from nothing, $1M of trades cannot buy $10M
    with pytest.raises(ho.InfeasibleError) as e:
        ho.HedgeProblem(prices, basket).add(ho.LongOnly(), ho.Budget(), turnover).solve()
    assert e.value.culprits == ["Budget()", "Turnover(max_dollars=1e+06)"]
    assert "Budget() + Turnover(max_dollars=1e+06)" in str(e.value)


def test_budget_vs_custom(market):
    prices, basket, _ = market
    cap = ho.Custom(lambda w, ctx: ctx.dollars(w) <= 1e5, name="max $100k each")
    with pytest.raises(ho.InfeasibleError) as e:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), cap).solve()
    assert e.value.culprits == ["Budget()", "Custom(name='max $100k each')"]


def test_no_single_removal_restores_feasibility(market):
    prices, basket, _ = market
    b1 = ho.Bounds(upper=1e5, unit="dollars")
    b2 = ho.Bounds(upper=2e5, unit="dollars")
    with pytest.raises(ho.InfeasibleError) as e:
        ho.HedgeProblem(prices, basket).add(b1, ho.Budget(), b2).solve(solver="OSQP")
    # only dropping the budget helps; each bound alone still conflicts with it
    assert e.value.culprits == ["Budget()"]
    assert "Conflicting pairs" in str(e.value)


def test_two_independent_conflicts_name_no_single_culprit(market):
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.Budget(notional=2e7), ho.Bounds(upper=1e5, unit="dollars")]
    with pytest.raises(ho.InfeasibleError) as e:
        ho.HedgeProblem(prices, basket).add(*cons).solve(solver="OSQP")
    assert e.value.culprits == []
    assert "No single constraint's removal restores feasibility" in str(e.value)


def test_constraint_infeasible_on_its_own(market):
    """(A SectorCap with min_weight > max_weight is a bad argument: tests/test_units.py.)"""
    prices, basket, sectors = market
    bad = ho.Custom(lambda w, ctx: [w[0] >= 0.2, w[0] <= 0.1], name="contradiction")
    with pytest.raises(ho.InfeasibleError, match="Infeasible on its own: Custom") as e:
        ho.HedgeProblem(prices, basket).add(ho.LongOnly(), bad).solve(solver="OSQP")
    assert e.value.culprits == [repr(bad)]


# ------------------------------------------------------------------------------------------------
# re-solves through parameters
# ------------------------------------------------------------------------------------------------


def _sector_problem(prices, basket, sectors, lam):
    return ho.HedgeProblem(prices, basket, lam=lam).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25),
        ho.Turnover({}, max_dollars=1.5e7),
    )


@pytest.mark.parametrize("solver", ["OSQP", "CLARABEL", "ECOS"])
def test_lam_change_resolves_without_recompiling(market, solver):
    prices, basket, sectors = market
    prob = _sector_problem(prices, basket, sectors, 0.2)
    first = prob.solve(solver=solver)
    compiled, variable = prob._compiled
    param_prog = compiled._cache.param_prog
    prob.lam = 0.8
    second = prob.solve(solver=solver)
    assert prob._compiled[0] is compiled and prob._compiled[1] is variable
    assert compiled._cache.param_prog is param_prog  # cvxpy did not re-canonicalise
    fresh = _sector_problem(prices, basket, sectors, 0.8).solve(solver=solver)
    assert second.objective == pytest.approx(fresh.objective, rel=1e-8)
    np.testing.assert_allclose(second.shares, fresh.shares, rtol=0,
                               atol=1e-5 * fresh.shares.abs().max())
    assert second.lam == 0.8 and first.lam == 0.2
    assert second.objective != pytest.approx(first.objective, rel=1e-3)


def test_lam_change_with_default_backend(market):
    prices, basket, sectors = market
    prob = ho.HedgeProblem(prices, basket, lam=0.1).add(ho.Budget(), ho.LongOnly())
    prob.solve()
    prob.lam = 0.9
    res = prob.solve()
    fresh = ho.HedgeProblem(prices, basket, lam=0.9).add(ho.Budget(), ho.LongOnly()).solve()
    assert res.objective == pytest.approx(fresh.objective, rel=1e-9)


def _window(long_market, start, stop):
    prices, basket, sectors = long_market
    return prices.iloc[start:stop], basket.iloc[start:stop], sectors


@pytest.mark.parametrize("solver", ["OSQP", "CLARABEL"])
def test_update_data_resolves_without_recompiling(long_market, solver):
    p1, b1, sectors = _window(long_market, 0, 120)
    p2, b2, _ = _window(long_market, 40, 160)
    current = pd.Series(100.0, index=p1.columns)

    def build(p, b):
        return ho.HedgeProblem(p, b, lam=0.4).add(
            ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.5),
            ho.Bounds(upper=2.5e6, unit="dollars"), ho.Turnover(current, max_dollars=2e7))

    prob = build(p1, b1)
    prob.solve(solver=solver)
    compiled = prob._compiled[0]
    param_prog = compiled._cache.param_prog
    assert prob.update_data(p2, b2) is prob
    res = prob.solve(solver=solver)
    assert prob._compiled[0] is compiled
    assert compiled._cache.param_prog is param_prog
    fresh = build(p2, b2).solve(solver=solver)
    assert res.objective == pytest.approx(fresh.objective, rel=1e-8)
    np.testing.assert_allclose(res.shares, fresh.shares, rtol=0,
                               atol=1e-5 * fresh.shares.abs().max())
    assert res.reference_date == p2.index[-1]


def test_update_data_with_new_shape_recompiles(long_market):
    p1, b1, _ = _window(long_market, 0, 120)
    p2, b2, _ = _window(long_market, 0, 100)
    prob = ho.HedgeProblem(p1, b1).add(ho.Budget(), ho.Turnover({}, 2e7))
    prob.solve(solver="OSQP")
    compiled = prob._compiled[0]
    res = prob.update_data(p2, b2).solve(solver="OSQP")
    assert prob._compiled[0] is not compiled
    fresh = ho.HedgeProblem(p2, b2).add(ho.Budget(), ho.Turnover({}, 2e7)).solve(solver="OSQP")
    assert res.objective == pytest.approx(fresh.objective, rel=1e-8)


def test_update_data_keeps_the_warm_start_as_a_guess_only(long_market):
    """A window of another length and the same names keeps the native solver's last working
    set as the next first guess (a stale one: the answer is a fresh problem's); other names
    drop it; any value set by hand, even a foreign problem's, gives the same answer."""
    p1, b1, sectors = _window(long_market, 0, 120)
    p2, b2, _ = _window(long_market, 0, 90)
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.5)]
    prob = ho.HedgeProblem(p1, b1, lam=0.2, constraints=cons)
    prob.solve()
    first = prob.warm_start
    assert first is not None and first.status == "optimal"
    res = prob.update_data(p2, b2).solve()
    assert prob.warm_start is not first  # the next solve's own working set
    fresh = ho.HedgeProblem(p2, b2, lam=0.2, constraints=cons).solve()
    assert res.solver == fresh.solver == "ACTIVESET"
    assert res.objective == pytest.approx(fresh.objective, rel=1e-9)
    other = ho.HedgeProblem(p2, b2 * 0 + p2.iloc[:, 0] * 1e4, lam=0.9, constraints=cons)
    other.solve()
    prob.warm_start = other.warm_start  # another problem's optimum
    assert prob.solve().objective == pytest.approx(fresh.objective, rel=1e-9)
    prob.update_data(p2.iloc[:, 1:], b2)
    assert prob.warm_start is None


def test_update_data_validates_constraints(long_market):
    p1, b1, _ = _window(long_market, 0, 120)
    prob = ho.HedgeProblem(p1, b1).add(ho.Exclude([p1.columns[0]]))
    with pytest.raises(ho.InputError, match="unknown tickers"):
        prob.update_data(p1.iloc[:, 1:], b1)
    assert prob.ctx.n_assets == p1.shape[1]  # the failed update left the problem untouched


def test_update_data_default_backend(long_market):
    p1, b1, _ = _window(long_market, 0, 120)
    p2, b2, _ = _window(long_market, 40, 160)
    prob = ho.HedgeProblem(p1, b1, lam=0.4).add(ho.Budget(), ho.LongOnly())
    prob.solve()
    res = prob.update_data(p2, b2).solve()
    fresh = ho.HedgeProblem(p2, b2, lam=0.4).add(ho.Budget(), ho.LongOnly()).solve()
    assert res.objective == pytest.approx(fresh.objective, rel=1e-9)


def test_update_data_refreshes_custom_constraints(long_market):
    p1, b1, _ = _window(long_market, 0, 120)

    def build(b):
        return ho.HedgeProblem(p1, b, lam=0.3).add(
            ho.Budget(), ho.LongOnly(), ho.Custom(lambda w, ctx: ctx.dollars(w)[0] <= 1e5))

    prob = build(b1)
    prob.solve(solver="OSQP")
    res = prob.update_data(p1, b1 * 2).solve(solver="OSQP")
    fresh = build(b1 * 2).solve(solver="OSQP")
    assert res.objective == pytest.approx(fresh.objective, rel=1e-8)


def test_repeated_update_data_never_solves_stale_data(long_market):
    prices, basket, _ = long_market
    windows = [(prices.iloc[s:s + 100], basket.iloc[s:s + 100]) for s in range(0, 60, 10)]
    expected = [
        ho.HedgeProblem(p, b, lam=0.3).add(ho.Budget(), ho.LongOnly()).solve(
            solver="OSQP").objective
        for p, b in windows
    ]
    prob = ho.HedgeProblem(*windows[0], lam=0.3).add(ho.Budget(), ho.LongOnly())
    bad = []
    for k in range(24):
        prob.solve(solver="OSQP")  # result dropped: nothing else keeps the old context alive
        i, j = (2 * k) % len(windows), (2 * k + 1) % len(windows)
        prob.update_data(*windows[i])
        prob.update_data(*windows[j])
        got = prob.solve(solver="OSQP").objective
        if got != pytest.approx(expected[j], rel=1e-7):
            bad.append((k, got, expected[j]))
    assert bad == []


# ------------------------------------------------------------------------------------------------
# frontier
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", [None, "OSQP"], ids=_ids)
def test_frontier_is_a_monotone_trade_off(market, ref, solver):
    prices, basket, sectors = market
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3))
    lams = [0, 0.25, 0.5, 0.75, 1]
    opts = {} if solver is None else {"solver": solver}
    fr = prob.frontier(lams, **opts)
    assert list(fr.columns) == ["lam", "var_pnl", "var_value", "objective", "pnl_te",
                                "value_te", "names", "solver"]
    assert fr["lam"].tolist() == lams
    assert prob.lam == 0.3  # restored
    tol = 1e-9 * fr["var_value"].max()
    assert np.all(np.diff(fr["var_pnl"]) >= -tol), fr["var_pnl"].tolist()
    assert np.all(np.diff(fr["var_value"]) <= tol), fr["var_value"].tolist()
    np.testing.assert_allclose(
        fr["objective"], (1 - fr["lam"]) * fr["var_pnl"] + fr["lam"] * fr["var_value"],
        rtol=1e-9)
    # each row equals an independent solve at that lam
    for lam, obj in zip(lams[1::2], fr["objective"].iloc[1::2], strict=True):
        fresh = ho.HedgeProblem(prices, basket, lam=lam).add(
            ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)).solve(**opts)
        assert obj == pytest.approx(fresh.objective, rel=1e-7)
    if solver:
        assert set(fr["solver"]) == {solver}


def test_frontier_restores_lam_after_error(market):
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget())
    with pytest.raises(ho.InputError):
        prob.frontier([0.5, 2.0], solver="OSQP")
    assert prob.lam == 0.3


def test_solve_tol_is_relative_to_notional(market, monkeypatch):
    """A violation of $50 on $10M passes tol=1e-5 and fails the default 1e-6."""
    import hedgeopt.problem as hp
    from hedgeopt.solvers.continuous import Outcome

    prices, basket, _ = market
    n = prices.shape[1]

    def fake(problem, w, backend, **kw):
        x = np.full(n, 1.0 / n)
        x[0] += 5e-6  # hedge value $50 above the notional
        return Outcome(status="optimal", weights=x, objective=0.0)

    monkeypatch.setattr(hp, "solve_cvxpy", fake)
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Turnover({}, 2e7))
    res = prob.solve(solver="OSQP", tol=1e-5)
    assert res.violations == []
    with pytest.raises(ho.SolverError, match="violates"):
        prob.solve(solver="OSQP")


def test_smallest_problem_three_rows_one_name():
    idx = pd.bdate_range("2024-01-01", periods=3)
    prices = pd.DataFrame({"A": [1.0, 2.0, 1.5]}, index=idx)
    basket = pd.Series([10.0, 19.0, 16.0], index=idx)
    for solver in SOLVERS:
        res = ho.HedgeProblem(prices, basket).add(ho.Budget()).solve(solver=solver)
        assert res.shares["A"] == pytest.approx(16.0 / 1.5, rel=1e-9)
        # unconstrained: the least-squares slope of the 0.5/0.5 objective, by hand
        res = ho.HedgeProblem(prices, basket, lam=0.5).solve(solver=solver)
        P, B = prices["A"].to_numpy(), basket.to_numpy()
        num = 0.5 * np.cov(np.diff(P), np.diff(B))[0, 1] + 0.5 * np.cov(P, B)[0, 1]
        den = 0.5 * np.var(np.diff(P), ddof=1) + 0.5 * np.var(P, ddof=1)
        assert res.shares["A"] == pytest.approx(num / den, rel=1e-7)


def test_whole_share_shares_are_exact_lot_multiples():
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=25, n_days=120, seed=4,
                                                     notional=2e6)
    lots = ho.datasets.synthetic_lots(prices, seed=4)
    res = (ho.HedgeProblem(prices, basket, lam=0.3)
           .add(ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.ShareLots(lots))
           .solve(solver="HEURISTIC", time_limit=1))
    assert (res.shares.to_numpy() % lots.to_numpy() == 0).all()  # exact, not within 1e-9
    assert res.violations == []
    assert res.bound <= res.objective


# ------------------------------------------------------------------------------------------------
# many more instruments than observations: the low-rank path
# ------------------------------------------------------------------------------------------------


def _data_space_optimum(prices, basket, sectors, lam, ridge_strength, cap):
    """An independent cvxpy model with the T x N data in it (no Gram): dollar weights ``w``
    against relative prices, the objective over the unhedged variance, as hedgeopt defines it."""
    import cvxpy as cp

    P, B = prices.to_numpy(dtype=float), basket.to_numpy(dtype=float)
    T, N = P.shape
    R, b = P / P[-1], B / B[-1]
    w = cp.Variable(N)
    d = R @ w - b
    dd = cp.diff(d)
    labels = sectors.reindex(prices.columns).to_numpy()
    A = np.vstack([(labels == s).astype(float) for s in pd.unique(labels)])
    unhedged = (1 - lam) * np.var(np.diff(b), ddof=1) + lam * np.var(b, ddof=1)
    f = ((1 - lam) * cp.sum_squares(dd - cp.sum(dd) / (T - 1)) / (T - 2)
         + lam * cp.sum_squares(d - cp.sum(d) / T) / (T - 1)) / unhedged
    prob = cp.Problem(cp.Minimize(f + ridge_strength * cp.sum_squares(w)),
                      [cp.sum(w) == 1, w >= 0, A @ w <= cap])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert prob.status == "optimal"
    return float(prob.value)


@pytest.mark.parametrize("lam, ridge", [(0.0, 0.0), (0.5, 0.0), (0.5, 0.01), (1.0, 0.1)])
def test_wide_problem_low_rank_solve_is_the_gram_optimum(wide_market, ref, lam, ridge):
    """T=40, N=80: the default solve runs on V'V; it equals the dense Gram QP and a share-space
    cvxpy model, and its result is verified from the raw prices as usual."""
    from hedgeopt.solvers.activeset import solve_qp
    from hedgeopt.solvers.lowrank import LowRankHessian

    prices, basket, sectors = wide_market
    prob = ho.HedgeProblem(prices, basket, lam=lam, constraints=[
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.4), ho.Ridge(ridge)])
    form = prob.linear_form()
    Q_low = prob.quadratic(form, low_rank=True)[0]
    assert isinstance(Q_low, LowRankHessian)
    res = prob.solve()
    assert res.solver == "ACTIVESET" and res.status == "optimal" and not res.violations
    Q, q, c = prob.quadratic(form)  # the dense Gram form
    assert isinstance(Q, np.ndarray)
    gram = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi)
    w = ho.HedgeContext(prices, basket).weights_from_shares(res.shares.to_numpy())
    ours = 0.5 * w @ Q @ w - q @ w + c
    assert ours == pytest.approx(gram.objective + c, rel=1e-8, abs=1e-12)
    if ridge > 0:  # strictly convex: the same hedge
        np.testing.assert_allclose(w, gram.x, atol=1e-6)
    assert ours == pytest.approx(_data_space_optimum(prices, basket, sectors, lam, ridge, 0.4),
                                 rel=1e-6, abs=1e-9)
    assert res.objective == pytest.approx(ref.objective(res.shares, prices, basket, lam),
                                          rel=1e-12)


def test_frontier_rows_are_the_points_metrics(market):
    """The frontier's table (computed without the points' metrics) equals each point's
    HedgeResult metrics exactly, and each point is verified like a solve."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    lams = [0.0, 0.4, 1.0]
    fr = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons).frontier(lams, quiet=True)
    for lam, row in zip(lams, fr.itertuples(), strict=True):
        res = ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve()
        m = res.metrics
        assert row.objective == pytest.approx(res.objective, rel=1e-9)
        assert row.pnl_te == pytest.approx(m["pnl_te"], rel=1e-9)
        assert row.value_te == pytest.approx(m["value_te"], rel=1e-9)
        assert row.var_pnl == pytest.approx(m["pnl_te"] ** 2, rel=1e-9)
        assert row.names == int(m["names"])


def test_frontier_verifies_every_point(market, monkeypatch):
    """A point whose native answer breaks a constraint is not tabulated: the one batched
    verification of the points' native answers flags it, and that point alone is solved again
    through the attempts loop (native answer verified on its own, then the next backend,
    verified too); its row is what a solve at that lam gives, the others are untouched."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly()]
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    lams = [0.0, 0.5, 1.0]
    clean = prob.frontier(lams, quiet=True)
    import hedgeopt.problem as hp

    calls, batches = [], []
    real_verify, real_many = hp.verify, hp.verify_many

    def spy(shares, ctx, constraints, tol, solver, **kw):
        calls.append(solver)
        return real_verify(shares, ctx, constraints, tol, solver, **kw)

    def spy_many(shares, *args, **kw):
        found = real_many(shares, *args, **kw)
        batches.append((shares.shape, [bool(f) for f in found]))
        return found

    real_native = hp.solve_native

    def short_at_half(*args, **kwargs):
        out, warm = real_native(*args, **kwargs)
        if owner[0].lam == 0.5:  # a "solution" that shorts the first name: not tabulated
            out.weights = out.weights.copy()
            out.weights[0] = -0.01
        return out, warm

    monkeypatch.setattr(hp, "verify", spy)
    monkeypatch.setattr(hp, "verify_many", spy_many)
    monkeypatch.setattr(hp, "solve_native", short_at_half)
    owner = [prob]
    prob.warm_start = None  # the same walk as the clean frontier's (up from the smallest lam)
    table = prob.frontier(lams, quiet=True)
    assert [(shape, sum(bad)) for shape, bad in batches] == [((prices.shape[1], 3), 1)]
    assert len(calls) == 2 and calls[0] == "ACTIVESET" and calls[1] != "ACTIVESET"
    assert list(table["solver"]) == ["ACTIVESET", calls[1], "ACTIVESET"]
    # the point's row is that of a solve at lam 0.5 with the same broken native answer
    alone = ho.HedgeProblem(prices, basket, lam=0.5, constraints=cons)
    owner[0] = alone
    res = alone.solve()
    assert res.solver == table["solver"][1] and "ACTIVESET" in res.attempts[0]
    assert table["objective"][1] == res.objective
    assert not res.violations
    monkeypatch.undo()
    for k in (0, 2):  # the other rows: as without the broken point, bit for bit
        assert table.iloc[k].equals(clean.iloc[k])
    for lam, row in zip(lams, table.itertuples(), strict=True):
        exact = ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve()
        assert row.objective == pytest.approx(exact.objective, rel=1e-6)


def test_frontier_rows_match_results(market):
    """Each row of the lean frontier path equals what a HedgeResult of the same shares says."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    table = prob.frontier([0.0, 0.25, 1.0], quiet=True)
    for row in table.itertuples():
        res = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=cons).solve()
        m = ho.evaluate(res.shares, prices, basket, lam=row.lam)
        assert row.objective == pytest.approx(m["objective"], rel=1e-7)
        assert row.pnl_te == pytest.approx(m["pnl_te"], rel=1e-7)
        assert row.value_te == pytest.approx(m["value_te"], rel=1e-7)
        assert row.var_pnl == pytest.approx(m["pnl_te"] ** 2, rel=1e-7)
        assert row.names == int(m["names"])


def test_frontier_of_a_solved_problem_walks_out_from_its_lam(market, monkeypatch):
    """A solved problem's frontier starts at the point nearest its lam (one subproblem from its
    own answer), goes up, then back down from there: rows stay in the given order, each equals
    a cold solve, and the problem's warm start is its own again afterwards."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    prob = ho.HedgeProblem(prices, basket, lam=0.45, constraints=cons)
    prob.solve()
    own = prob.warm_start
    import hedgeopt.problem as hp

    seen = []
    real_native = hp.solve_native

    def spy(*args, **kwargs):
        seen.append(prob.lam)
        return real_native(*args, **kwargs)

    monkeypatch.setattr(hp, "solve_native", spy)
    lams = [1.0, 0.0, 0.5, 0.25, 0.75, 0.4]
    table = prob.frontier(lams, quiet=True)
    monkeypatch.undo()
    assert seen == [0.4, 0.5, 0.75, 1.0, 0.25, 0.0]
    assert table["lam"].tolist() == lams and prob.lam == 0.45
    assert prob.warm_start is own
    for row in table.itertuples():
        cold = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=cons).solve(
            solver="CLARABEL")
        assert row.objective == pytest.approx(cold.objective, rel=1e-6)
        assert row.objective <= cold.objective * (1 + 1e-9)


def test_frontier_turn_extrapolates_from_the_walks_first_points(market, monkeypatch):
    """Back at the walk's first point, the way down extrapolates from the first three points
    of the way up (the nearest last), not from the first point alone; every row still equals
    a cold solve."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    prob = ho.HedgeProblem(prices, basket, lam=0.45, constraints=cons)
    prob.solve()
    import hedgeopt.problem as hp

    paths = []
    real = hp.path_warm_start

    def spy(path, lam, *args, **kwargs):
        paths.append(([p[0] for p in path], lam))
        return real(path, lam, *args, **kwargs)

    monkeypatch.setattr(hp, "path_warm_start", spy)
    lams = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    table = prob.frontier(lams, quiet=True)
    monkeypatch.undo()
    down = [given for given, at in paths if at == 0.3]
    assert down == [[0.6, 0.5, 0.4]]
    for row in table.itertuples():
        cold = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=cons).solve(
            solver="CLARABEL")
        assert row.objective == pytest.approx(cold.objective, rel=1e-6)


def test_wide_problem_without_bounds_fits_exactly(wide_market, ref):
    """N > 2T-1 with a budget only: some hedge tracks the window exactly (rank <= 2T-3 < N); the
    singular free block goes straight to the regularised capacitance form and finds it."""
    prices, basket, _ = wide_market
    res = ho.HedgeProblem(prices, basket, lam=0.5, constraints=[ho.Budget()]).solve()
    unhedged = ref.objective(np.zeros(prices.shape[1]), prices, basket, 0.5)
    assert res.status == "optimal" and not res.violations
    assert res.objective <= 1e-9 * unhedged
    assert res.objective == pytest.approx(ref.objective(res.shares, prices, basket, 0.5),
                                          rel=1e-9, abs=1e-12 * unhedged)


def test_frontier_sees_a_constraint_series_changed_in_place(market):
    """The verification keys of the frontier path (arrow buffers of a ``str`` sector map) are
    value keys: relabelling names *in place* in the constraint's own Series between two
    frontiers changes both the solve and its verification, and every row of the second
    frontier equals a cold solve with the new labels (a key that missed the change would
    verify against the old sectors, or keep their answer)."""
    prices, basket, sectors = market
    labels = sectors.astype("string[pyarrow]")
    cap = ho.SectorCap(labels, max_weight=0.3)
    prob = ho.HedgeProblem(prices, basket, lam=0.5, constraints=[ho.Budget(), ho.LongOnly(),
                                                                 cap])
    res = prob.solve()
    lams = [0.0, 0.5, 1.0]
    before = prob.frontier(lams, quiet=True)
    top = res.shares.mul(res.prices).nlargest(6).index  # the largest positions: one sector
    assert isinstance(cap.sectors.array, pd.arrays.ArrowExtensionArray)
    cap.sectors.loc[top] = "one"
    after = prob.frontier(lams, quiet=True)
    moved = labels.copy()
    moved.loc[top] = "one"
    for row, old in zip(after.itertuples(), before.itertuples(), strict=True):
        cold = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=[
            ho.Budget(), ho.LongOnly(), ho.SectorCap(moved, max_weight=0.3)]).solve(
                solver="CLARABEL")
        assert row.objective == pytest.approx(cold.objective, rel=1e-6)
        assert row.objective > old.objective * (1 + 1e-6)  # the new cap binds


def test_frontier_verifies_against_a_changed_argument(market, monkeypatch):
    """The batched verification reads the arguments at each frontier: after ``max_weight``
    is lowered, the first frontier's native answers replayed in the second are checked
    against the new cap; those that break it are re-solved (the fallback's answers, which
    hold), those that keep it stay (a stale form would have kept them all)."""
    prices, basket, sectors = market
    cap = ho.SectorCap(sectors, max_weight=0.3)
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[ho.Budget(), ho.LongOnly(),
                                                                 cap])
    lams = [0.0, 0.5, 1.0]
    import hedgeopt.problem as hp

    real_native, answers = hp.solve_native, {}

    def record(*args, **kwargs):
        out, warm = real_native(*args, **kwargs)
        answers[prob.lam] = out.weights.copy()
        return out, warm

    monkeypatch.setattr(hp, "solve_native", record)
    before = prob.frontier(lams, quiet=True)
    assert set(before["solver"]) == {"ACTIVESET"}
    labels = sectors.reindex(prices.columns).to_numpy()
    top = {lam: max(w[labels == s].sum() for s in set(labels)) for lam, w in answers.items()}
    new = (min(top.values()) + max(top.values())) / 2  # some old answers break it, some not
    cap.max_weight = new

    def replay(*args, **kwargs):
        out, warm = real_native(*args, **kwargs)
        out.weights = answers[prob.lam].copy()  # the old cap's answer
        return out, warm

    monkeypatch.setattr(hp, "solve_native", replay)
    after = prob.frontier(lams, quiet=True)
    monkeypatch.undo()
    broken = [top[lam] > new + 1e-6 for lam in lams]
    assert any(broken) and not all(broken)
    for row, bad in zip(after.itertuples(), broken, strict=True):
        assert (row.solver != "ACTIVESET") == bad
        if bad:
            cold = ho.HedgeProblem(prices, basket, lam=row.lam, constraints=[
                ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=new)]).solve()
            assert row.objective == pytest.approx(cold.objective, rel=1e-5)


def test_frontier_point_without_a_native_answer_takes_the_attempts_loop(market, monkeypatch):
    """A point whose native solve fails is solved through the attempts loop (after the
    points before it are verified): its row is the next backend's, as for a solve at that
    lam with the same failure; the other rows are the native answers, bit for bit."""
    prices, basket, sectors = market
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    lams = [0.0, 0.25, 0.5, 0.75, 1.0]
    clean = prob.frontier(lams, quiet=True)
    import hedgeopt.problem as hp

    real_native, owner = hp.solve_native, [prob]

    def fails_at_half(*args, **kwargs):
        if owner[0].lam == 0.5:
            raise ho.SolverError("no answer at 0.5")
        return real_native(*args, **kwargs)

    monkeypatch.setattr(hp, "solve_native", fails_at_half)
    prob.warm_start = None
    table = prob.frontier(lams, quiet=True)
    owner[0] = alone = ho.HedgeProblem(prices, basket, lam=0.5, constraints=cons)
    res = alone.solve()
    monkeypatch.undo()
    assert res.solver != "ACTIVESET" and "no answer at 0.5" in res.attempts[0]
    assert table["solver"][2] == res.solver and table["objective"][2] == res.objective
    for k in (0, 1):  # before it on the walk: the same answers
        assert table.iloc[k].equals(clean.iloc[k])
    for k in (3, 4):  # after it: warm-started from elsewhere, the same optimum
        assert table["solver"][k] == "ACTIVESET"
        assert table["objective"][k] == pytest.approx(clean["objective"][k], rel=1e-9)


def test_snap_puts_dust_on_finite_bounds_only(market):
    """``_snap`` against the rule written out with numpy's masks: within DUST of 0 -> 0, then
    within DUST of a finite lower / upper bound -> that bound; infinite bounds never snap
    (weights near them, of any size, are kept), and a NaN or infinite weight is kept."""
    from hedgeopt.constraints.base import LinearForm
    from hedgeopt.problem import DUST

    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    n = prob.ctx.n_assets
    rng = np.random.default_rng(3)
    lb = np.where(rng.random(n) < 0.3, -np.inf, -rng.random(n) * 0.1)
    ub = np.where(rng.random(n) < 0.3, np.inf, rng.random(n) * 0.2)
    base = np.where(rng.random(n) < 0.5, lb, ub)
    base = np.where(np.isfinite(base), base, rng.standard_normal(n) * 1e300)
    w = base + rng.choice([0.0, 0.3, -0.7, 2.0, 1e3], n) * DUST
    w[:3] = [np.nan, np.inf, -np.inf]
    w[3:6] = [0.5 * DUST, -0.99 * DUST, 1.01 * DUST]
    lb[6], ub[6], w[6] = 0.0, 1.0, DUST  # exactly DUST from a bound: kept
    form = LinearForm(lb=lb, ub=ub, A=np.zeros((0, n)), lo=np.zeros(0), hi=np.zeros(0))
    want = np.where(np.abs(w) < DUST, 0.0, w)
    for b in (lb, ub):
        near = np.isfinite(b) & (np.abs(want - b) < DUST)
        want[near] = b[near]
    with np.errstate(invalid="ignore"):
        got = prob._snap(w, form)
    assert got.tobytes() == want.tobytes()
    assert (got == lb).any() and (got == ub).any() and (got != w).any()
