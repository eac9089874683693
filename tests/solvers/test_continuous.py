"""Continuous backends: every backend against every other, and against independent references.

References are computed here with plain numpy: a closed-form KKT solve for the budget-only
problem (one Lagrange multiplier), and, for problems with inequalities, the KKT system on the
active set a solver found, with every KKT condition asserted (so the reference is certified
optimal whatever produced the guess).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.exceptions import SolverError
from hedgeopt.solvers.continuous import Outcome, solve_cvxpy
from hedgeopt.solvers.registry import BACKENDS

SOLVERS = (None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS")
LINEAR_ONLY = {"ACTIVESET"}


def _ids(s):
    return "default" if s is None else s


def _problems(market, wide_market):
    prices, basket, sectors = market
    wp, wb, _ = wide_market
    current = pd.Series(np.round(basket.iloc[-1] / 30 / prices.iloc[-1]), index=prices.columns)
    return {
        "budget": (prices, basket, [ho.Budget()]),
        "long_only_budget": (prices, basket, [ho.Budget(), ho.LongOnly()]),
        "sector_caps": (prices, basket,
                        [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.22)]),
        "dollar_bounds": (prices, basket,
                          [ho.Budget(), ho.Bounds(lower=-2e5, upper=6e5, unit="dollars")]),
        "turnover": (prices, basket, [ho.Budget(), ho.Turnover(current, max_dollars=2e6)]),
        "n_gt_t": (wp, wb, [ho.Budget(), ho.LongOnly()]),
    }


CASES = ("budget", "long_only_budget", "sector_caps", "dollar_bounds", "turnover", "n_gt_t")


@pytest.fixture(scope="module")
def solved(market, wide_market):
    """Every case solved by every backend (None where the backend refuses the problem)."""
    out: dict[str, dict] = {}
    for name, (prices, basket, cons) in _problems(market, wide_market).items():
        out[name] = {}
        for solver in SOLVERS:
            prob = ho.HedgeProblem(prices, basket, lam=0.4, constraints=cons)
            if solver in LINEAR_ONLY and name == "turnover":
                with pytest.raises(ho.InputError, match="linear constraints only"):
                    prob.solve(solver=solver)
                continue
            try:
                out[name][solver] = prob.solve(solver=solver)
            except Exception as exc:  # reported by the per-backend test below
                out[name][solver] = exc
    return out


def _get(solved, case, solver):
    res = solved[case].get(solver, "skip")
    if isinstance(res, str):
        pytest.skip(f"{solver} does not take {case}")
    if isinstance(res, Exception):
        raise res
    return res


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
@pytest.mark.parametrize("case", CASES)
def test_backend_solves_and_verifies(solved, case, solver):
    res = _get(solved, case, solver)
    assert res.status == "optimal"
    assert res.violations == []
    if solver is not None:
        assert res.solver == solver
        assert res.attempts == []
    assert res.solver_objective == pytest.approx(res.objective, rel=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_backends_agree_pairwise(solved, case):
    results = {s: r for s, r in solved[case].items() if isinstance(r, ho.HedgeResult)}
    assert len(results) >= 3
    for a, ra in results.items():
        for b, rb in results.items():
            assert ra.objective == pytest.approx(rb.objective, rel=1e-6), (a, b)


@pytest.mark.parametrize("case", ["budget", "long_only_budget", "sector_caps", "dollar_bounds"])
def test_shares_agree_pairwise_when_unique(solved, case):
    """N < T: the Gram is positive definite, so the shares themselves are unique."""
    results = [r for r in solved[case].values() if isinstance(r, ho.HedgeResult)]
    base = results[0].shares
    for r in results[1:]:
        np.testing.assert_allclose(r.shares, base, rtol=0, atol=1e-4 * base.abs().max())


# ------------------------------------------------------------------------------------------------
# independent references
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS, ids=_ids)
def test_budget_only_matches_closed_form_kkt(solved, market, ref, solver):
    prices, basket, _ = market
    res = _get(solved, "budget", solver)
    expected = ref.budget_shares(prices, basket, 0.4)
    np.testing.assert_allclose(res.shares, expected, rtol=1e-6,
                               atol=1e-6 * np.abs(expected).max())
    assert res.objective == pytest.approx(ref.objective(expected, prices, basket, 0.4), rel=1e-9)


@pytest.mark.parametrize("notional", [5e6, 2.5e7])
def test_budget_with_notional_matches_closed_form(market, ref, notional):
    prices, basket, _ = market
    expected = ref.budget_shares(prices, basket, 0.7, notional=notional)
    for solver in ("ACTIVESET", "OSQP", "CLARABEL"):
        res = ho.HedgeProblem(prices, basket, lam=0.7).add(ho.Budget(notional=notional)).solve(
            solver=solver
        )
        np.testing.assert_allclose(res.shares, expected, rtol=1e-6,
                                   atol=1e-6 * np.abs(expected).max())


def _kkt_reference(case, solved, market, wide_market, ref):
    prices, basket, sectors = market
    if case == "n_gt_t":
        prices, basket, sectors = wide_market
    q = ref.quad(prices, basket, 0.4)
    n = prices.shape[1]
    guess_res = next(r for r in solved[case].values() if isinstance(r, ho.HedgeResult))
    guess = q.weights(guess_res.shares.to_numpy())
    kw: dict = {"A_eq": np.ones((1, n)), "b_eq": [1.0], "guess": guess}
    if case in ("long_only_budget", "sector_caps", "n_gt_t"):
        kw["lb"] = np.zeros(n)
    if case == "sector_caps":
        names = sorted(sectors.unique())
        kw["C"] = np.vstack([(sectors.reindex(prices.columns) == s).to_numpy(float) for s in names])
        kw["h"] = np.full(len(names), 0.22)
    if case == "dollar_bounds":
        kw["lb"] = np.full(n, -2e5 / q.notional)
        kw["ub"] = np.full(n, 6e5 / q.notional)
    x = ref.kkt(q, **kw)
    return prices, basket, q.shares(x)


@pytest.mark.parametrize("case", ["long_only_budget", "sector_caps", "dollar_bounds", "n_gt_t"])
def test_inequality_problems_match_certified_kkt_reference(solved, market, wide_market, ref,
                                                           case):
    prices, basket, expected = _kkt_reference(case, solved, market, wide_market, ref)
    expected_obj = ref.objective(expected, prices, basket, 0.4)
    for solver, res in solved[case].items():
        if not isinstance(res, ho.HedgeResult):
            continue
        assert res.objective == pytest.approx(expected_obj, rel=1e-6), solver
        # never (materially) below the certified optimum
        assert res.objective >= expected_obj * (1 - 1e-8), solver
        if case != "n_gt_t":
            np.testing.assert_allclose(res.shares, expected, rtol=0,
                                       atol=1e-4 * np.abs(expected).max(), err_msg=str(solver))


def test_sector_case_has_binding_caps(solved, market):
    """The sector case is only a useful comparison if some cap binds."""
    prices, basket, sectors = market
    res = next(r for r in solved["sector_caps"].values() if isinstance(r, ho.HedgeResult))
    expo = (res.shares * prices.iloc[-1]).groupby(sectors).sum() / basket.iloc[-1]
    assert expo.max() == pytest.approx(0.22, abs=1e-7)


def test_turnover_case_binds_and_matches_share_space_cvxpy(solved, market, ref):
    """Reference: the turnover problem written by hand in dollar weights with cvxpy + CLARABEL."""
    prices, basket, _ = market
    current = pd.Series(np.round(basket.iloc[-1] / 30 / prices.iloc[-1]), index=prices.columns)
    p_ref = prices.iloc[-1].to_numpy()
    notional = float(basket.iloc[-1])
    R, b = prices.to_numpy() / p_ref, basket.to_numpy() / notional
    x = cp.Variable(R.shape[1])  # dollar position / notional
    d = R @ x - b
    dd = d[1:] - d[:-1]
    T = len(b)
    obj = 0.6 * cp.sum_squares(dd - cp.sum(dd) / (T - 1)) / (T - 2) + 0.4 * cp.sum_squares(
        d - cp.sum(d) / T) / (T - 1)
    h = current.to_numpy() * p_ref / notional
    cons = [cp.sum(x) == 1, cp.norm1(x - h) <= 2e6 / notional]
    cp.Problem(cp.Minimize(obj), cons).solve(solver="CLARABEL", tol_gap_abs=1e-12,
                                             tol_gap_rel=1e-12, tol_feas=1e-12)
    expected = ref.objective(x.value * notional / p_ref, prices, basket, 0.4)
    for solver, res in solved["turnover"].items():
        if isinstance(res, ho.HedgeResult):
            assert res.objective == pytest.approx(expected, rel=1e-6), solver
            traded = float(np.abs(res.shares.to_numpy() - current.to_numpy()) @ p_ref)
            assert traded == pytest.approx(2e6, rel=1e-7), solver


# ------------------------------------------------------------------------------------------------
# solve_cvxpy
# ------------------------------------------------------------------------------------------------


def _small_cvxpy():
    w = cp.Variable(2)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w - np.array([1.0, 2.0]))), [cp.sum(w) == 1])
    return prob, w


@pytest.mark.parametrize("name", ["OSQP", "CLARABEL", "ECOS"])
def test_solve_cvxpy_outcome(name):
    prob, w = _small_cvxpy()
    out = solve_cvxpy(prob, w, BACKENDS[name])
    assert isinstance(out, Outcome)
    assert out.status == "optimal"
    np.testing.assert_allclose(out.weights, [0.0, 1.0], atol=1e-8)
    assert out.objective == pytest.approx(2.0, rel=1e-8)
    assert out.seconds >= 0
    # the weights are a copy, not a view of the variable
    out.weights[0] = 99.0
    assert w.value[0] != 99.0


@pytest.mark.parametrize("name", ["OSQP", "CLARABEL", "ECOS"])
def test_solve_cvxpy_infeasible_status(name):
    w = cp.Variable(2)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(w)), [w >= 1, cp.sum(w) <= 1])
    out = solve_cvxpy(prob, w, BACKENDS[name])
    assert out.status == "infeasible"


def test_solve_cvxpy_maps_cvxpy_solver_error(monkeypatch):
    prob, w = _small_cvxpy()

    def boom(*a, **k):
        raise cp.error.SolverError("kaput")

    monkeypatch.setattr(prob, "solve", boom)
    with pytest.raises(SolverError, match="OSQP failed: kaput"):
        solve_cvxpy(prob, w, BACKENDS["OSQP"])


def test_solve_cvxpy_passes_options_over_defaults(monkeypatch):
    prob, w = _small_cvxpy()
    seen = {}
    real = prob.solve

    def spy(*a, **k):
        seen.update(k)
        return real(*a, **k)

    monkeypatch.setattr(prob, "solve", spy)
    solve_cvxpy(prob, w, BACKENDS["OSQP"], max_iter=1234)
    assert seen["solver"] == "OSQP"
    assert seen["max_iter"] == 1234
    assert seen["eps_abs"] == BACKENDS["OSQP"].options["eps_abs"]


def test_inaccurate_status_is_not_accepted(market, monkeypatch):
    """A backend reporting 'inaccurate' is followed by the next one (attempts record it) when
    solver=None, and is an error when it was requested by name."""
    import hedgeopt.problem as hp

    prices, basket, _ = market
    real = hp.solve_cvxpy

    def fake(problem, w, backend, **kw):
        out = real(problem, w, backend, **kw)
        if backend.name == "OSQP":
            out.status = "inaccurate"
        return out

    monkeypatch.setattr(hp, "solve_cvxpy", fake)
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Turnover({}, 2e7))
    with pytest.raises(ho.SolverError, match="requested solver OSQP.*status inaccurate"):
        prob.solve(solver="OSQP")
    res = prob.solve()
    assert res.solver != "OSQP"
    assert res.attempts == ["OSQP: status inaccurate"]


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_n_gt_t_extreme_lams_agree(wide_market, lam):
    """N > T with lam in {0, 1}: the Gram of one term alone is rank deficient."""
    prices, basket, _ = wide_market
    objs = {}
    for solver in SOLVERS:
        res = ho.HedgeProblem(prices, basket, lam=lam).add(ho.Budget(), ho.LongOnly()).solve(
            solver=solver)
        assert res.violations == []
        objs[solver] = res.objective
    best = min(objs.values())
    for solver, obj in objs.items():
        assert obj == pytest.approx(best, rel=1e-6), solver


def test_names_metric_agrees_across_backends(solved):
    names = {s: r.metrics["names"] for s, r in solved["long_only_budget"].items()
             if isinstance(r, ho.HedgeResult)}
    assert len(set(names.values())) == 1, names
