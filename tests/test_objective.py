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


# ------------------------------------------------------------------------------------------------
# value_horizon: Var[d_{t+H} - d_t]; shrinkage toward a factor model
# ------------------------------------------------------------------------------------------------

def _horizon_objective(n, prices, basket, lam, H):
    """``(1-lam) Var[Δd] + lam Var[d_{t+H} - d_t]`` recounted with numpy (ddof=1)."""
    d = prices.to_numpy() @ n - basket.to_numpy()
    return (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d[H:] - d[:-H], ddof=1)


def _weights_to_shares(w, prices, basket):
    return w * basket.iloc[-1] / prices.iloc[-1].to_numpy()


@pytest.mark.parametrize("H", [1, 5, 21])
@pytest.mark.parametrize("lam", [0.3, 1.0])
def test_value_horizon_is_the_variance_of_h_period_changes(market, lam, H):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam, value_horizon=H)
    rng = np.random.default_rng(H)
    for _ in range(3):
        w = rng.normal(scale=0.1, size=ctx.n_assets)
        expected = _horizon_objective(_weights_to_shares(w, prices, basket), prices, basket,
                                      lam, H)
        assert obj.scaled_value(w, ctx) * ctx.notional**2 == pytest.approx(expected, rel=1e-9)
        Q, q, c = obj.quadratic(ctx)
        normalised = 0.5 * w @ Q @ w - q @ w + c
        assert obj.dollars2(normalised, ctx) == pytest.approx(expected, rel=1e-9)
    B = basket.to_numpy()
    unhedged = (1 - lam) * np.var(np.diff(B), ddof=1) + lam * np.var(B[H:] - B[:-H], ddof=1)
    assert obj.dollars2(1.0, ctx) == pytest.approx(unhedged, rel=1e-10)


def test_value_horizon_one_is_the_price_pnl_term(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    w = np.random.default_rng(3).normal(scale=0.1, size=ctx.n_assets)
    a = ho.TrackingObjective(0.7, value_horizon=1).scaled_value(w, ctx)
    assert a == pytest.approx(ho.TrackingObjective(0.0).scaled_value(w, ctx), rel=1e-12)


def test_value_horizon_solve_matches_a_cvxpy_model(market):
    """The optimum of the horizon objective against a share-space cvxpy model written here."""
    prices, basket, _ = market
    H, lam = 10, 0.5
    res = ho.HedgeProblem(prices, basket, lam=lam, value_horizon=H).add(
        ho.Budget(), ho.LongOnly()).solve()
    assert res.solver == "ACTIVESET"
    P, B = prices.to_numpy(), basket.to_numpy()
    x = cp.Variable(P.shape[1], nonneg=True)  # dollars at the reference date / notional
    d = (P / P[-1]) @ x - B / B[-1]
    dd, dh = d[1:] - d[:-1], d[H:] - d[:-H]
    T = len(B)
    var = ((1 - lam) * cp.sum_squares(dd - cp.sum(dd) / (T - 1)) / (T - 2)
           + lam * cp.sum_squares(dh - cp.sum(dh) / (T - H)) / (T - H - 1))
    unhedged = _horizon_objective(np.zeros(P.shape[1]), prices, basket, lam, H) / B[-1] ** 2
    cp.Problem(cp.Minimize(var / unhedged), [cp.sum(x) == 1]).solve(solver="CLARABEL")
    n_ref = x.value * B[-1] / P[-1]
    got = _horizon_objective(res.shares.to_numpy(), prices, basket, lam, H)
    best = _horizon_objective(n_ref, prices, basket, lam, H)
    assert got == pytest.approx(best, rel=1e-5)
    assert got <= best * (1 + 1e-6)
    # res.objective stays the documented (1 - lam) Var[Δd] + lam Var[d]
    dn = P @ res.shares.to_numpy() - B
    assert res.objective == pytest.approx((1 - lam) * np.var(np.diff(dn), ddof=1)
                                          + lam * np.var(dn, ddof=1), rel=1e-12)


@pytest.mark.parametrize("solver", ["OSQP", "CLARABEL"])
@pytest.mark.parametrize("options", [{"value_horizon": 10}, {"shrinkage": 0.3},
                                     {"value_horizon": 5, "shrinkage": 0.5, "shrink_factors": 3}])
def test_options_agree_between_activeset_and_cvxpy(market, solver, options):
    prices, basket, _ = market

    def solve(s):
        prob = ho.HedgeProblem(prices, basket, lam=0.4, **options).add(ho.Budget(),
                                                                        ho.LongOnly())
        res = prob.solve(solver=s)
        w = prob.ctx.weights_from_shares(res.shares.to_numpy())
        return prob.objective.scaled_value(w, prob.ctx)

    assert solve(solver) == pytest.approx(solve("ACTIVESET"), rel=1e-5)


def _factor_model(G, k):
    """The factor-model target written from its definition: top-k eigenpairs + diagonal."""
    vals, vecs = np.linalg.eigh(G)
    top = np.argsort(vals)[::-1][:k]
    L = vecs[:, top] * np.sqrt(vals[top])
    F = L @ L.T
    np.fill_diagonal(F, np.diag(G))
    return F


@pytest.mark.parametrize("k", [1, 3])
def test_shrinkage_is_toward_the_factor_model_of_the_active_covariance(market, k):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    a, lam = 0.4, 0.2
    obj = ho.TrackingObjective(lam, shrinkage=a, shrink_factors=k)
    X = np.column_stack([prices.to_numpy() / prices.iloc[-1].to_numpy(),
                         -basket.to_numpy() / basket.iloc[-1]])
    G = (1 - lam) * np.cov(np.diff(X, axis=0), rowvar=False) + lam * np.cov(X, rowvar=False)
    expected = (1 - a) * G + a * _factor_model(G, k)
    np.testing.assert_allclose(obj.gram(ctx), expected, rtol=1e-9, atol=1e-14)
    # variances (and so the normaliser and the ridge scale) are kept
    assert obj.scale(ctx) == pytest.approx(G[-1, -1], rel=1e-12)


@pytest.mark.parametrize("options", [{"value_horizon": 7}, {"shrinkage": 0.3},
                                     {"value_horizon": 3, "shrinkage": 0.2, "shrink_factors": 2}])
@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_low_rank_form_of_the_options_is_the_dense_form(wide_market, options, lam):
    prices, basket = wide_market[0].iloc[:35], wide_market[1].iloc[:35]
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam, **options)
    assert obj.low_rank_rows(ctx) < ctx.n_assets
    low, q_low, c_low = obj.quadratic(ctx, low_rank=True)
    Q, q, c = ho.TrackingObjective(lam, **options).quadratic(ctx)
    np.testing.assert_allclose(low.dense(), Q, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(q_low, q, rtol=1e-9, atol=1e-12)
    assert c_low == pytest.approx(c, rel=1e-10)
    np.testing.assert_allclose(obj.diagonal(ctx), np.diag(Q), rtol=1e-9)
    F = obj.factor(ctx)
    np.testing.assert_allclose(F.T @ F, obj.gram(ctx) / obj.scale(ctx), rtol=1e-7, atol=1e-10)


def test_options_are_checked():
    with pytest.raises(ho.InputError, match="value_horizon"):
        ho.TrackingObjective(0.5, value_horizon=0)
    with pytest.raises(ho.InputError, match="value_horizon"):
        ho.TrackingObjective(0.5, value_horizon=2.5)
    with pytest.raises(ho.InputError, match="shrinkage"):
        ho.TrackingObjective(0.5, shrinkage=1.5)
    with pytest.raises(ho.InputError, match="shrink_factors"):
        ho.TrackingObjective(0.5, shrinkage=0.5, shrink_factors=0)
    assert repr(ho.TrackingObjective(0.5, value_horizon=5, shrinkage=0.25)) == (
        "TrackingObjective(lam=0.5, value_horizon=5, shrinkage=0.25, shrink_factors=1)")


def test_value_horizon_longer_than_the_window_is_an_error(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=rf"value_horizon = {len(prices)} needs at least "
                                            rf"{len(prices) + 2} rows"):
        ho.HedgeProblem(prices, basket, lam=0.5, value_horizon=len(prices))
    prob = ho.HedgeProblem(prices, basket, lam=0.5, value_horizon=2)
    with pytest.raises(ho.InputError, match="value_horizon = 2 needs at least 4 rows"):
        prob.update_data(prices.iloc[:3], basket.iloc[:3])


@pytest.mark.parametrize("lam", LAMS)
def test_quadratic_is_the_scaled_gram_in_a_contiguous_array(market, lam):
    """``(Q, q, c)`` of the native form from numpy's covariances, and ``Q`` C-contiguous (the
    active-set solver takes row blocks of it; a strided view made that ~17x slower)."""
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    obj = ho.TrackingObjective(lam)
    Q, q, c = obj.quadratic(ctx)
    assert Q.flags.c_contiguous
    s = obj.scale(ctx)
    H = (1 - lam) * ctx.gram.diffs + lam * ctx.gram.levels
    np.testing.assert_allclose(Q, H[:-1, :-1] * 2 / s, rtol=1e-12, atol=1e-15 * np.abs(H).max())
    np.testing.assert_allclose(q, -H[:-1, -1] * 2 / s, rtol=1e-12, atol=1e-15 * np.abs(H).max())
    assert c == pytest.approx(H[-1, -1] / s, rel=1e-12)


@pytest.mark.parametrize("lam", LAMS)
def test_gram_rows_is_the_quadratic_of_its_own_context(market, lam):
    """``gram_rows`` (the borders read once per context) bit for bit ``a H_1 + b H_0`` of the
    context it is given, also after the objective served another context."""
    prices, basket, _ = market
    obj = ho.TrackingObjective(lam)
    for ctx in (ho.HedgeContext(prices, basket), ho.HedgeContext(prices * 1.5, basket),
                ho.HedgeContext(prices.iloc[10:], basket.iloc[10:])):
        for _ in range(2):  # formed, then from the kept borders
            out = obj.gram_rows(ctx)
            assert out is not None
            Q, q, c = out
            w = 2.0 / obj.scale(ctx)
            a, b, g, n = w * (1 - lam), w * lam, ctx.gram, ctx.n_assets
            np.testing.assert_array_equal(q, -(a * g.diffs[:n, n] + b * g.levels[:n, n]))
            assert c == 0.5 * float(a * g.diffs[n, n] + b * g.levels[n, n])
            np.testing.assert_array_equal(
                Q.diagonal(), a * np.diagonal(g.diffs)[:n] + b * np.diagonal(g.levels)[:n])
