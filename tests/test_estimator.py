"""ho.HedgeEstimator: the scikit-learn estimator contract, checked against direct fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.workflow.fitting import fit_with

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score  # noqa: E402

CONS = (ho.Budget(), ho.LongOnly())


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=10, n_days=240, n_basket=12, seed=3)
    return prices, basket


def _objective(shares: np.ndarray, P: np.ndarray, B: np.ndarray, lam: float = 0.0) -> float:
    d = P @ shares - B
    return (1 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1)


def test_fit_predict_score_match_direct_computation(data) -> None:
    prices, basket = data
    est = ho.HedgeEstimator(lam=0.1, constraints=CONS, pnl="reference", ridge=0.05)
    assert est.fit(prices, basket) is est
    direct = fit_with(prices, basket, CONS, {"lam": 0.1, "pnl": "reference", "ridge": 0.05})[1]
    np.testing.assert_allclose(est.shares_.to_numpy(), direct.shares.to_numpy(), rtol=1e-9)
    assert est.weights_.sum() == pytest.approx(1.0, abs=1e-9)
    assert (est.shares_ >= 0).all() and est.result_.violations == []
    n = est.shares_.to_numpy()
    np.testing.assert_allclose(est.predict(prices).to_numpy(), prices.to_numpy() @ n)
    later = prices.iloc[-60:]
    assert est.score(later, basket.iloc[-60:]) == pytest.approx(
        -_objective(n, later.to_numpy(), basket.iloc[-60:].to_numpy()), rel=1e-10)
    est.set_params(score_lam=0.5)
    assert est.score(later, basket.iloc[-60:]) == pytest.approx(
        -_objective(n, later.to_numpy(), basket.iloc[-60:].to_numpy(), 0.5), rel=1e-10)
    # extra columns are not held and are ignored; numpy arrays work too
    wider = later.assign(EXTRA=1.0)
    np.testing.assert_allclose(est.predict(wider), est.predict(later))


def test_objective_options_reach_the_fit(data) -> None:
    """value_horizon and shrinkage are estimator parameters: the fit equals a HedgeProblem with
    the same options, and a grid search can vary them."""
    prices, basket = data
    est = ho.HedgeEstimator(lam=0.3, constraints=CONS, pnl="reference", value_horizon=5,
                            shrinkage=0.2).fit(prices, basket)
    direct = ho.HedgeProblem(prices, basket, lam=0.3, pnl="reference", value_horizon=5,
                             shrinkage=0.2, constraints=CONS).solve("CLARABEL")
    np.testing.assert_allclose(est.weights_.to_numpy(), direct.weights.to_numpy(), atol=1e-6)
    plain = ho.HedgeEstimator(lam=0.3, constraints=CONS, pnl="reference").fit(prices, basket)
    assert np.abs(plain.weights_.to_numpy() - est.weights_.to_numpy()).max() > 1e-4
    assert clone(est).get_params()["value_horizon"] == 5
    search = GridSearchCV(ho.HedgeEstimator(lam=0.3, constraints=CONS),
                          {"value_horizon": [None, 5]}, cv=TimeSeriesSplit(3))
    assert search.fit(prices, basket).best_params_["value_horizon"] in (None, 5)


def test_clone_params_and_errors(data) -> None:
    prices, basket = data
    est = ho.HedgeEstimator(lam=0.2, constraints=CONS, window=120)
    twin = clone(est)
    assert twin.get_params().keys() == est.get_params().keys()
    assert twin.lam == 0.2 and twin.window == 120 and twin.constraints is not est.constraints
    assert not hasattr(twin, "shares_")
    with pytest.raises(ho.NotFittedError, match="fit"):
        twin.predict(prices)
    with pytest.raises(ho.InputError, match="alpha"):
        twin.set_params(alpha=1.0)
    twin.fit(prices, basket)
    assert twin.result_.ctx.n_obs == 120
    with pytest.raises(ho.InputError, match=str(prices.columns[0])):
        twin.predict(prices.drop(columns=prices.columns[0]))
    assert "lam=0.2" in repr(est) and "window=120" in repr(est)


def test_grid_search_with_time_series_split_matches_manual_loop(data) -> None:
    prices, basket = data
    est = ho.HedgeEstimator(constraints=CONS)
    grid = {"lam": [0.0, 0.3], "pnl": ["price", "reference"]}
    cv = TimeSeriesSplit(n_splits=4)
    search = GridSearchCV(est, grid, cv=cv).fit(prices, basket)
    means = {}
    for lam in grid["lam"]:
        for pnl in grid["pnl"]:
            vals = []
            for train, test in cv.split(prices):
                n = fit_with(prices.iloc[train], basket.iloc[train], CONS,
                             {"lam": lam, "pnl": pnl})[1].shares.to_numpy()
                vals.append(-_objective(n, prices.iloc[test].to_numpy(),
                                        basket.iloc[test].to_numpy()))
            means[(lam, pnl)] = np.mean(vals)
    best = max(means, key=means.get)
    assert (search.best_params_["lam"], search.best_params_["pnl"]) == best
    assert search.best_score_ == pytest.approx(means[best], rel=1e-8)


def test_skfolio_walk_forward() -> None:
    pytest.importorskip("skfolio")
    from skfolio.model_selection import WalkForward

    prices, basket, _ = ho.datasets.synthetic_market(n_assets=10, n_days=200, n_basket=8, seed=4)
    est = ho.HedgeEstimator(constraints=CONS)
    cv = WalkForward(train_size=100, test_size=25)
    got = cross_val_score(est, prices, basket, cv=cv)
    want = [clone(est).fit(prices.iloc[tr], basket.iloc[tr]).score(prices.iloc[te],
                                                                     basket.iloc[te])
            for tr, te in cv.split(prices)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert len(got) == 4
