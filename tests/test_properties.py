"""Hypothesis properties of the continuous problem (small N and T, 20 examples each).

Precise statements of the guide's invariants:

(a) prices x c AND basket x c (the basket built from prices): shares unchanged;
(b) basket x c with prices fixed: shares x c (Budget + LongOnly);
(c) adding a constraint never lowers the optimum.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import hedgeopt as ho

FAST = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

seeds = st.integers(min_value=0, max_value=10_000)
lams = st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
factors = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
solvers = st.sampled_from([None, "OSQP", "CLARABEL"])


@functools.lru_cache(maxsize=64)
def _market(seed: int):
    return ho.datasets.synthetic_market(n_assets=8, n_days=30, n_sectors=3, seed=seed)


def _solve(prices, basket, lam, cons, solver):
    return ho.HedgeProblem(prices, basket, lam=lam, constraints=cons).solve(solver=solver)


def _close(a: pd.Series, b: pd.Series, rtol: float = 1e-6):
    scale = max(float(np.abs(b).max()), 1e-12)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=rtol * scale)


@FAST
@given(seed=seeds, c=factors, lam=lams, solver=solvers)
def test_scaling_prices_and_basket_leaves_shares_unchanged(seed, c, lam, solver):
    prices, basket, sectors = _market(seed)
    cons = lambda: [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.6)]  # noqa: E731
    a = _solve(prices, basket, lam, cons(), solver)
    b = _solve(prices * c, basket * c, lam, cons(), solver)
    _close(b.shares, a.shares)
    assert b.objective == pytest.approx(a.objective * c**2, rel=1e-6, abs=1e-9 * c**2)


@FAST
@given(seed=seeds, c=factors, lam=lams, solver=solvers)
def test_scaling_basket_scales_shares(seed, c, lam, solver):
    prices, basket, _ = _market(seed)
    a = _solve(prices, basket, lam, [ho.Budget(), ho.LongOnly()], solver)
    b = _solve(prices, basket * c, lam, [ho.Budget(), ho.LongOnly()], solver)
    _close(b.shares, a.shares * c)
    assert b.objective == pytest.approx(a.objective * c**2, rel=1e-6)


@FAST
@given(seed=seeds, c=factors, lam=lams)
def test_basket_built_from_units_scales_with_units(seed, c, lam):
    """Doubling (c-times) the basket's units is the same as (b): shares x c."""
    prices, _, _ = _market(seed)
    units = pd.Series({prices.columns[0]: 10.0, prices.columns[3]: 5.0, prices.columns[5]: 2.0})
    b1 = ho.basket_value(units, prices)
    bc = ho.basket_value(units * c, prices)
    a = _solve(prices, b1, lam, [ho.Budget()], "CLARABEL")
    b = _solve(prices, bc, lam, [ho.Budget()], "CLARABEL")
    _close(b.shares, a.shares * c)
    # the basket IS a portfolio of the hedge instruments: its units are the exact hedge
    _close(a.shares, units.reindex(prices.columns).fillna(0.0), rtol=1e-5)


@FAST
@given(seed=seeds, lam=lams, cap=st.floats(0.35, 1.0), upper=st.floats(0.15, 1.0),
       extra=st.sampled_from(["long_only", "sector", "bounds", "exclude", "band", "turnover"]))
def test_adding_a_constraint_never_lowers_the_optimum(seed, lam, cap, upper, extra):
    prices, basket, sectors = _market(seed)
    notional = float(basket.iloc[-1])
    more = {
        "long_only": ho.LongOnly(),
        "sector": ho.SectorCap(sectors, max_weight=cap),
        "bounds": ho.Bounds(lower=-upper * notional, upper=upper * notional, unit="dollars"),
        "exclude": ho.Exclude(list(prices.columns[:2])),
        "band": ho.Budget(band=(0.98, 1.02)),
        "turnover": ho.Turnover({}, max_dollars=(1 + cap) * notional),
    }[extra]
    base = [ho.Budget(notional=notional)]
    if extra == "sector":
        base.append(ho.LongOnly())
    solver = "CLARABEL" if extra == "turnover" else None
    a = _solve(prices, basket, lam, base, solver)
    try:
        b = _solve(prices, basket, lam, [*base, more], solver)
    except ho.InfeasibleError:
        assume(False)
    assert b.objective >= a.objective * (1 - 1e-7)


@FAST
@given(seed=seeds, lam=lams, perm_seed=seeds)
def test_permuting_tickers_permutes_shares(seed, lam, perm_seed):
    prices, basket, sectors = _market(seed)
    order = np.random.default_rng(perm_seed).permutation(prices.shape[1])
    cons = lambda: [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.5)]  # noqa: E731
    a = _solve(prices, basket, lam, cons(), None)
    b = _solve(prices.iloc[:, order], basket, lam, cons(), None)
    _close(b.shares.reindex(a.shares.index), a.shares)


@FAST
@given(seed=seeds, lam=lams)
def test_objective_is_the_numpy_formula_and_beats_the_basket(seed, lam):
    prices, basket, _ = _market(seed)
    res = _solve(prices, basket, lam, [ho.Budget(), ho.LongOnly()], None)
    d = prices.to_numpy() @ res.shares.to_numpy() - basket.to_numpy()
    expected = (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1)
    assert res.objective == pytest.approx(expected, rel=1e-12)
    assert res.solver_objective == pytest.approx(res.objective, rel=1e-6)
    # the equal-dollar long-only hedge is feasible, so the optimum is no worse
    n = prices.shape[1]
    naive = basket.iloc[-1] / n / prices.iloc[-1]
    assert res.objective <= ho.tracking_objective(naive, prices, basket, lam) * (1 + 1e-9)


@FAST
@given(seed=seeds, lo=st.floats(0.0, 0.5), hi=st.floats(0.5, 1.0))
def test_frontier_trade_off_is_monotone(seed, lo, hi):
    assume(hi - lo > 0.05)
    prices, basket, _ = _market(seed)
    prob = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.LongOnly())
    fr = prob.frontier([lo, hi])
    scale = max(fr["var_pnl"].max(), fr["var_value"].max())
    assert fr["var_pnl"].iloc[1] >= fr["var_pnl"].iloc[0] - 1e-7 * scale
    assert fr["var_value"].iloc[1] <= fr["var_value"].iloc[0] + 1e-7 * scale


@FAST
@given(seed=seeds, lam=lams, solver=solvers)
def test_feasible_results_pass_their_own_checks_and_numpy_checks(seed, lam, solver):
    prices, basket, sectors = _market(seed)
    res = _solve(prices, basket, lam,
                 [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.5)], solver)
    assert res.violations == []
    dollars = res.shares * prices.iloc[-1]
    assert dollars.sum() == pytest.approx(basket.iloc[-1], rel=1e-6)
    assert dollars.min() >= -1e-6 * basket.iloc[-1]
    assert (dollars.groupby(sectors).sum() / basket.iloc[-1]).max() <= 0.5 + 1e-6
