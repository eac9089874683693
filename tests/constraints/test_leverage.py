"""Leverage: gross and short exposure, ACTIVESET by sign flips against a cvxpy model."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.constraints.base import AbsoluteRows, LinearForm
from hedgeopt.solvers.signsplit import solve_signed


def _weights(res, prices, basket) -> np.ndarray:
    return res.shares.to_numpy() * prices.iloc[-1].to_numpy() / basket.iloc[-1]


@pytest.mark.parametrize("gross, short", [(1.05, 0.03), (1.1, None), (None, 0.01), (1.0, 0.5)])
@pytest.mark.parametrize("solver", ("ACTIVESET", "CLARABEL", "OSQP"))
def test_limits_bind_and_match_reference(market, cvx_reference, gross, short, solver) -> None:
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.Leverage(gross=gross, short=short)).solve(solver=solver)
    w = _weights(res, prices, basket)

    def cons(x):
        out = [sum(x) == 1]
        if gross is not None:
            out.append(cp.norm1(x) <= gross)
        if short is not None:
            out.append(cp.sum(cp.neg(x)) <= short)
        return out

    _, obj = cvx_reference(prices, basket, 0.0, cons)
    assert res.objective == pytest.approx(obj, rel=1e-6)
    if gross is not None:
        assert np.abs(w).sum() <= gross + 1e-7
    if short is not None:
        assert np.maximum(-w, 0).sum() <= short + 1e-7
    assert res.violations == []


def test_wide_long_short_on_many_sign_flips(wide_market, cvx_reference, monkeypatch) -> None:
    """N=80 > T=40 (the low-rank operator): from sign(q) the flips take several rounds, from
    the ridge solution's signs (the default) at most as many; both are CLARABEL's optimum."""
    from hedgeopt.solvers import signsplit

    prices, basket, _ = wide_market  # N=80 > T=40: a dense long-short unconstrained fit
    free = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Ridge(1e-3)).solve()
    gross0 = float(np.abs(_weights(free, prices, basket)).sum())
    assert gross0 > 1.5
    cons = [ho.Budget(), ho.Ridge(1e-3), ho.Leverage(gross=1.3)]
    ridged = ho.HedgeProblem(prices, basket).add(*cons).solve(solver="ACTIVESET")
    monkeypatch.setattr(signsplit, "RIDGE_START_LOW_RANK", False)
    res = ho.HedgeProblem(prices, basket).add(*cons).solve(solver="ACTIVESET")
    assert res.info["sign_rounds"] >= 2
    assert ridged.info["sign_rounds"] <= res.info["sign_rounds"]
    assert ridged.objective == pytest.approx(res.objective, rel=1e-9)
    ref = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Ridge(1e-3),
                                              ho.Leverage(gross=1.3)).solve(solver="CLARABEL")
    assert res.objective <= ref.objective * (1 + 1e-7)
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert np.abs(_weights(res, prices, basket)).sum() == pytest.approx(1.3, abs=1e-8)


def test_signed_solver_against_brute_force_qp() -> None:
    """Random QPs: solve_signed equals cvxpy on min 0.5 x'Qx - q'x, |x|_1 <= g, neg(x) <= s."""
    rng = np.random.default_rng(0)
    for trial in range(20):
        n = 12
        M = rng.normal(size=(20, n))
        Q = M.T @ M / 20 + 1e-3 * np.eye(n)
        q = rng.normal(size=n) * 2
        form = LinearForm.rows(n, np.ones((1, n)), 0.5, 1.0, ["sum"])
        form.lb, form.ub = np.full(n, -1.0), np.full(n, 1.0)
        rows = AbsoluteRows(np.array([np.ones(n), np.zeros(n)]), np.ones((2, n)),
                            np.array([1.5, 0.2]), ["gross", "short"])
        sol, _ = solve_signed(Q, q, form, rows)
        x = cp.Variable(n)
        prob = cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, Q) - q @ x),
                          [cp.sum(x) >= 0.5, cp.sum(x) <= 1, x >= -1, x <= 1,
                           cp.norm1(x) <= 1.5, cp.sum(cp.neg(x)) <= 0.2])
        prob.solve(solver="CLARABEL")
        assert sol.status == "optimal", trial
        f = 0.5 * sol.x @ Q @ sol.x - q @ sol.x
        assert f == pytest.approx(prob.value, abs=1e-7), trial
        assert rows.values(sol.x)[0] <= 1.5 + 1e-9 and rows.values(sol.x)[1] <= 0.2 + 1e-9


def test_real_prices_gross_and_short(real_daily, cvx_reference) -> None:
    prices, basket, _ = real_daily
    res = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.Leverage(gross=1.1, short=0.05)).solve()
    assert res.solver == "ACTIVESET"
    _, obj = cvx_reference(prices, basket, 0.0, lambda x: [
        sum(x) == 1, cp.norm1(x) <= 1.1, cp.sum(cp.neg(x)) <= 0.05])
    assert res.objective == pytest.approx(obj, rel=1e-6)
    assert res.violations == []


def test_check_messages_and_bad_inputs(tiny) -> None:
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    shares = pd.Series({"AAA": 4.0, "BBB": 2.0, "CCC": -6.0})  # $60, $50, -$30 on $80
    c = ho.Leverage(gross=1.5, short=0.25)
    assert c.exposures(shares, ctx) == {"gross": 140.0, "short": 30.0}
    msgs = c.check(shares, ctx)
    assert len(msgs) == 2
    assert "gross exposure is $140.00" in msgs[0] and "$120.00" in msgs[0]
    assert "short exposure is $30.00" in msgs[1] and "$20.00" in msgs[1]
    with pytest.raises(ho.InputError, match="did you mean 1.2"):
        ho.Leverage(gross=120)
    with pytest.raises(ho.InputError, match=">= 0"):
        ho.Leverage(short=-0.1)
    with pytest.raises(ho.InputError, match="give gross, short"):
        ho.Leverage()


def test_infeasible_names_leverage(market) -> None:
    prices, basket, _ = market
    c = ho.Leverage(gross=0.5)  # a budget of 1 needs gross >= 1
    with pytest.raises(ho.InfeasibleError, match="Leverage") as err:
        ho.HedgeProblem(prices, basket).add(ho.Budget(), c).solve()
    assert repr(c) in err.value.culprits


@pytest.mark.parametrize("n, t, seed, lam, gross, cap, sectors", [
    (259, 200, 511136, 0.0, 1.0889, 0.4607, False),
    (289, 230, 628378, 1.0, 1.2848, 0.3716, True),
], ids=["N=259-T=200", "N=289-T=230"])
def test_no_short_exposure_is_the_long_only_hedge(n, t, seed, lam, gross, cap, sectors) -> None:
    """``Leverage(short=0)`` allows no short weight: ACTIVESET's answer is the long-only one
    (the same problem with ``LongOnly()`` and no short row), on the two random desk problems
    where a sign pattern with shorts made a degenerate subproblem and ACTIVESET gave no answer."""
    prices, basket, sec = ho.datasets.synthetic_market(n_assets=n, n_days=t, n_sectors=5,
                                                       seed=seed)
    cons = [ho.Budget(), ho.MaxWeight(cap)] + ([ho.SectorCap(sec, max_weight=0.5)]
                                               if sectors else [])
    res = ho.HedgeProblem(prices, basket, lam=lam, constraints=[
        *cons, ho.Leverage(gross=gross, short=0.0)]).solve(solver="ACTIVESET")
    ref = ho.HedgeProblem(prices, basket, lam=lam, constraints=[
        *cons, ho.LongOnly(), ho.Leverage(gross=gross)]).solve(solver="CLARABEL")
    assert (res.shares >= 0).all() and res.violations == []
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)


def test_random_long_short_hedges_match_clarabel() -> None:
    """Eight random long-short hedges (N 60-200 against T 40-200, so both sides of N = T; lam,
    gross and short drawn, short 0 among them): ACTIVESET's verified answer is CLARABEL's
    optimum (relative to the objective, or to 1e-9 of the basket's P&L variance when the hedge
    tracks perfectly, N > T)."""
    rng = np.random.default_rng(2026)
    for _ in range(8):
        n, t = int(rng.integers(60, 200)), int(rng.integers(40, 200))
        prices, basket, sectors = ho.datasets.synthetic_market(
            n_assets=n, n_days=t, n_sectors=5, seed=int(rng.integers(10**6)))
        lam = float(rng.choice([0.0, 0.3, 1.0]))
        short = [0.0, 0.05, None][int(rng.integers(3))]
        cons = [ho.Budget(), ho.Leverage(gross=float(rng.uniform(1.05, 1.6)), short=short),
                ho.MaxWeight(0.3), ho.SectorCap(sectors, max_weight=0.5)]
        res = ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve(
            solver="ACTIVESET")
        ref = ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve(
            solver="CLARABEL")
        floor = 1e-9 * float(np.var(np.diff(basket.to_numpy()), ddof=1))
        assert res.violations == []
        assert res.objective <= ref.objective + 1e-6 * max(ref.objective, floor)
        assert res.objective == pytest.approx(ref.objective, rel=1e-6, abs=floor)
