"""The tracking objective: dollars^2 value, normalisation, factor, quadratic form.

Every number is compared with ``(1-lam) np.var(np.diff(d), ddof=1) + lam np.var(d, ddof=1)``
computed from the raw frames, or with np.cov.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import hedgeopt as ho

LAMS = (0.0, 0.3, 0.5, 1.0)


@pytest.mark.parametrize("lam", LAMS)
def test_result_objective_is_numpy_formula(market, ref, lam):
    prices, basket, sectors = market
    res = ho.HedgeProblem(prices, basket, lam=lam).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)
    ).solve(solver="OSQP")
    d = prices.to_numpy() @ res.shares.to_numpy() - basket.to_numpy()
    expected = (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1)
    assert res.objective == pytest.approx(expected, rel=1e-12)
    assert res.solver_objective == pytest.approx(res.objective, rel=1e-6)


@pytest.mark.parametrize("solver", ["OSQP", "CLARABEL", "ECOS", "ACTIVESET", None])
def test_solver_objective_matches_recomputed_objective(market, solver):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.4).add(ho.Budget(), ho.LongOnly()).solve(
        solver=solver
    )
    assert res.solver_objective == pytest.approx(res.objective, rel=1e-6)


def test_tracking_objective_function_is_numpy_formula(market, ref):
    prices, basket, _ = market
    n = np.random.default_rng(5).normal(size=prices.shape[1]) * 100
    for lam in LAMS:
        got = ho.tracking_objective(dict(zip(prices.columns, n, strict=True)), prices, basket, lam)
        assert got == pytest.approx(ref.objective(n, prices, basket, lam), rel=1e-12)


@pytest.mark.parametrize("lam", LAMS)
def test_scaled_objective_random_weights(market, ref, lam):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam)
    rng = np.random.default_rng(6)
    for _ in range(5):
        w = rng.normal(scale=0.1, size=ctx.n_assets)
        n = w * ctx.notional / prices.iloc[-1].to_numpy()
        expected = ref.objective(n, prices, basket, lam)
        assert ctx.scaled_objective(w, lam) * ctx.notional**2 == pytest.approx(expected, rel=1e-9)
        assert obj.scaled_value(w, ctx) * ctx.notional**2 == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("lam", LAMS)
def test_scale_is_unhedged_variance(market, lam):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    B = basket.to_numpy()
    unhedged = (1 - lam) * np.var(np.diff(B), ddof=1) + lam * np.var(B, ddof=1)
    s = ho.TrackingObjective(lam).scale(ctx)
    assert s * ctx.notional**2 == pytest.approx(unhedged, rel=1e-10)
    # dollars2 maps a normalised value back to dollars^2
    assert ho.TrackingObjective(lam).dollars2(1.0, ctx) == pytest.approx(unhedged, rel=1e-10)


def test_scale_of_a_flat_basket_is_one(tiny):
    prices, basket = tiny
    flat = basket * 0 + 100.0
    assert ho.TrackingObjective(0.5).scale(ho.HedgeContext(prices, flat)) == 1.0


def _check_factor(prices, basket, lam, expect_rows):
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam)
    F = obj.factor(ctx)
    N, T = prices.shape[1], prices.shape[0]
    assert F.shape == (expect_rows, N + 1)
    assert expect_rows == min(N + 1, 2 * T - 1)
    # H(lam) from np.cov, independent of the library's Gram code
    X = np.column_stack([prices.to_numpy() / prices.iloc[-1].to_numpy(),
                         -basket.to_numpy() / basket.iloc[-1]])
    H = (1 - lam) * np.cov(np.diff(X, axis=0), rowvar=False) + lam * np.cov(X, rowvar=False)
    s = obj.scale(ctx)
    np.testing.assert_allclose(F.T @ F, H / s, rtol=0, atol=1e-10 * np.abs(H / s).max())
    np.testing.assert_allclose(obj.gram(ctx), H, rtol=0, atol=1e-12 * np.abs(H).max())


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_factor_cholesky_branch(lam):
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=12, n_days=50, n_sectors=3, seed=3)
    _check_factor(prices, basket, lam, expect_rows=13)  # N+1 = 13 <= 2T-1 = 99


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_factor_qr_branch(lam):
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=60, n_days=20, n_sectors=4, seed=4)
    _check_factor(prices, basket, lam, expect_rows=39)  # N+1 = 61 > 2T-1 = 39


@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_factor_cholesky_branch_with_singular_gram(lam):
    """N+1 <= 2T-1 but N+1 > T-1: H at lam in {0, 1} is rank deficient (Cholesky may fail)."""
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=30, n_days=20, n_sectors=4, seed=5)
    _check_factor(prices, basket, lam, expect_rows=31)


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_quadratic_consistent_with_gram(market, ref, lam):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam)
    Q, q, c = obj.quadratic(ctx)
    H = obj.gram(ctx)
    s = obj.scale(ctx)
    N = ctx.n_assets
    assert Q.shape == (N, N) and q.shape == (N,)
    np.testing.assert_allclose(Q, Q.T, rtol=0, atol=0)
    np.testing.assert_allclose(Q, 2 * H[:-1, :-1] / s, rtol=1e-14)
    np.testing.assert_allclose(q, -2 * H[:-1, -1] / s, rtol=1e-14)
    assert c == pytest.approx(H[-1, -1] / s, rel=1e-14)
    rng = np.random.default_rng(7)
    for _ in range(3):
        w = rng.normal(scale=0.1, size=N)
        n = w * ctx.notional / prices.iloc[-1].to_numpy()
        value = 0.5 * w @ Q @ w - q @ w + c
        assert value * s * ctx.notional**2 == pytest.approx(
            ref.objective(n, prices, basket, lam), rel=1e-9
        )


@pytest.mark.parametrize("shape", [(12, 50), (60, 20)])
def test_cvxpy_expression_value(shape, ref):
    n_assets, n_days = shape
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=n_assets, n_days=n_days,
                                                     n_sectors=3, seed=8)
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(0.4)
    w = cp.Variable(ctx.n_assets)
    expr = obj.expression(w, ctx)
    assert expr.is_dpp()
    assert obj.compatible(ctx)
    w.value = np.random.default_rng(9).normal(scale=0.05, size=ctx.n_assets)
    n = w.value * ctx.notional / prices.iloc[-1].to_numpy()
    assert obj.dollars2(expr.value, ctx) == pytest.approx(
        ref.objective(n, prices, basket, 0.4), rel=1e-9
    )
    # only the shapes of the compiled parameters decide compatibility
    other = ho.HedgeContext(prices.iloc[:, :5], basket)
    assert not obj.compatible(other)


def test_update_refreshes_parameters_after_lam_change(market, ref):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(0.1)
    w = cp.Variable(ctx.n_assets)
    expr = obj.expression(w, ctx)
    w.value = np.full(ctx.n_assets, 1.0 / ctx.n_assets)
    n = w.value * ctx.notional / prices.iloc[-1].to_numpy()
    obj.lam = 0.9
    obj.update(ctx)
    assert obj.dollars2(expr.value, ctx) == pytest.approx(
        ref.objective(n, prices, basket, 0.9), rel=1e-9
    )


def test_update_before_expression_is_a_noop(market):
    prices, basket, _ = market
    obj = ho.TrackingObjective(0.5)
    obj.update(ho.HedgeContext(prices, basket))
    assert not obj.compatible(ho.HedgeContext(prices, basket))


def test_objective_validates_lam_and_repr():
    with pytest.raises(ho.InputError, match="lam"):
        ho.TrackingObjective(1.5)
    assert repr(ho.TrackingObjective(0.25)) == "TrackingObjective(lam=0.25)"


def test_perfect_hedge_has_zero_objective(tiny, ref):
    prices, basket = tiny
    for solver in ("OSQP", "CLARABEL", "ECOS", "ACTIVESET"):
        res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget()).solve(solver=solver)
        np.testing.assert_allclose(res.shares, [1.0, 2.0, 3.0], rtol=1e-6)
        assert res.objective <= 1e-9 * np.var(basket, ddof=1)


# -- the low-rank form (N >> T) ----------------------------------------------------------------

@pytest.mark.parametrize("lam", LAMS)
def test_low_rank_quadratic_is_the_dense_quadratic(wide_market, ref, lam):
    """2T - 1 < N: the operator ``V'V`` and ``q, c`` equal the np.cov quadratic."""
    from hedgeopt.solvers.lowrank import LowRankHessian

    prices, basket, _ = wide_market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam)
    Q, q, c = obj.quadratic(ctx, low_rank=True)
    assert isinstance(Q, LowRankHessian)
    assert Q.rank == obj.low_rank_rows(ctx) == (len(prices) - 1) * (lam < 1) + len(prices) * (
        lam > 0)
    r = ref.quad(prices, basket, lam)
    s = r.c  # the unhedged variance over notional^2
    np.testing.assert_allclose(Q.dense(), 2 * r.G / s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(q, 2 * r.g / s, rtol=1e-9, atol=1e-12)
    assert c == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(obj.diagonal(ctx), np.diag(Q.dense()), rtol=1e-12)
    assert obj.scale(ctx) == pytest.approx(s, rel=1e-12)


def test_low_rank_form_only_when_rows_are_fewer_than_instruments(market, wide_market):
    prices, basket, _ = market  # T=120, N=30
    ctx = ho.HedgeContext(prices, basket)
    Q, _, _ = ho.TrackingObjective(0.5).quadratic(ctx, low_rank=True)
    assert isinstance(Q, np.ndarray)
    np.testing.assert_allclose(ho.TrackingObjective(0.5).diagonal(ctx), np.diag(Q), rtol=1e-12)
    wide = ho.HedgeContext(*wide_market[:2])
    Q, _, _ = ho.TrackingObjective(0.5).quadratic(wide)  # the dense form unless asked
    assert isinstance(Q, np.ndarray) and Q.shape == (80, 80)
