"""A hedge as a scikit-learn style estimator: ``fit(prices, basket)``, ``predict``, ``score``.

:class:`HedgeEstimator` follows the scikit-learn estimator contract (parameters stored as given
by ``__init__``, fitted attributes with a trailing underscore, ``get_params`` / ``set_params``),
so ``sklearn.base.clone``, ``GridSearchCV`` with ``TimeSeriesSplit`` and skfolio's
``WalkForward`` take it as it is. scikit-learn itself is optional (``pip install
"hedgeopt[sklearn]"``): the estimator works without it, and imports it only to describe itself
(``__sklearn_tags__``) when a scikit-learn tool asks.

``X`` is the prices (dates x tickers, dollars) and ``y`` the basket's dollar value on the same
dates, not returns: a row subset of both is a shorter window of the same hedging problem, which
is what a time-series splitter hands out.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.defaults import DEFAULT_LAM, DEFAULT_PNL
from hedgeopt.exceptions import InputError, MissingDependency, NotFittedError
from hedgeopt.metrics import window_metrics
from hedgeopt.result import HedgeResult
from hedgeopt.validation import check_number
from hedgeopt.workflow.fitting import fit_with

__all__ = ["HedgeEstimator"]


def _as_frame(prices: Any, field: str = "prices") -> pd.DataFrame:
    if isinstance(prices, pd.DataFrame):
        return prices
    arr = np.asarray(prices, dtype=float)
    if arr.ndim != 2:
        raise InputError(f"{field} must be a DataFrame (dates x tickers) or a 2-D array, got "
                         f"{arr.ndim} dimension(s)", field=field)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _as_series(basket: Any, index: pd.Index) -> pd.Series:
    if isinstance(basket, pd.Series):
        return basket
    arr = np.asarray(basket, dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or len(arr) != len(index):
        raise InputError(f"basket must be a Series or a 1-D array of {len(index)} values (one per "
                         f"row of prices), got shape {arr.shape}", field="basket")
    return pd.Series(arr, index=index, name="basket")


class HedgeEstimator:
    """A buy-and-hold share hedge fitted on a window: the scikit-learn estimator of hedgeopt.

    Parameters
    ----------
    lam : float
        Weight of ``Var[d]`` against ``Var[Δd]`` in the fit (see :class:`~hedgeopt.HedgeProblem`).
    constraints : sequence
        Constraints and penalties of the fit, e.g. ``(ho.Budget(), ho.LongOnly())``. Stored as
        given (``clone`` deep-copies them).
    pnl : {"price", "reference"}
        P&L measure of the difference term.
    ridge : float
        *Relative* ridge strength, as in :func:`hedgeopt.tune` (0: none).
    half_life : float, optional
        Observation half-life in rows (None: equal weights).
    window : int, optional
        Fit on the last ``window`` rows only (None: all rows).
    value_horizon : int, optional
        The value term as ``Var[d_{t+H} - d_t]`` (see :class:`~hedgeopt.HedgeProblem`); None:
        the level ``Var[d]``.
    shrinkage : float
        Shrinkage of the objective's Gram toward its one-factor model, in [0, 1] (0: none).
    prior : None, "equal" or weights
        The point the ridge pulls toward.
    solver : str, optional
        Backend of the solve (default: hedgeopt's choice).
    score_lam : float
        The ``lam`` of the objective that :meth:`score` reports, the same for every candidate of
        a grid (so a search over ``lam`` compares like with like). Default
        :data:`~hedgeopt.defaults.DEFAULT_LAM` (the variance of the day-to-day P&L gap).

    Attributes
    ----------
    result_ : HedgeResult
        The fitted hedge (status, solver, metrics, ...).
    shares_ : pandas.Series
        Shares per ticker.
    weights_ : pandas.Series
        Dollar weights at the reference date (position / notional).
    tickers_ : pandas.Index
        The tickers of the fit.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit  # doctest: +SKIP
    >>> est = HedgeEstimator(constraints=(ho.Budget(), ho.LongOnly()))     # doctest: +SKIP
    >>> search = GridSearchCV(est, {"lam": [0, 0.1]}, cv=TimeSeriesSplit(4))  # doctest: +SKIP
    >>> search.fit(prices, basket).best_params_                               # doctest: +SKIP
    """

    def __init__(self, lam: float = DEFAULT_LAM, constraints: Sequence[Any] = (), *,
                 pnl: str = DEFAULT_PNL, ridge: float = 0.0, half_life: float | None = None,
                 window: int | None = None, value_horizon: int | None = None,
                 shrinkage: float = 0.0, prior: Any = None, solver: str | None = None,
                 score_lam: float = DEFAULT_LAM) -> None:
        self.lam = lam
        self.constraints = constraints
        self.pnl = pnl
        self.ridge = ridge
        self.half_life = half_life
        self.window = window
        self.value_horizon = value_horizon
        self.shrinkage = shrinkage
        self.prior = prior
        self.solver = solver
        self.score_lam = score_lam

    # -- the scikit-learn parameter protocol ------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (``deep`` is accepted for scikit-learn; none nest)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> HedgeEstimator:
        """Set constructor parameters; an unknown name raises :class:`~hedgeopt.InputError`."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise InputError(f"HedgeEstimator has no parameter {name!r}; valid: "
                                 f"{', '.join(valid)}", field=name)
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        try:
            from sklearn.utils import Tags, TargetTags  # type: ignore[import-untyped]
        except ImportError as exc:  # only a scikit-learn tool calls this
            raise MissingDependency(
                'scikit-learn is needed here: pip install "hedgeopt[sklearn]"',
                package="sklearn", extra="sklearn") from exc
        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True))

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        shown = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if not _same(v, defaults.get(k))]
        return f"HedgeEstimator({', '.join(shown)})"

    # -- fitting and using the hedge ----------------------------------------------------------
    def fit(self, prices: Any, basket: Any) -> HedgeEstimator:
        """Fit the hedge on ``prices`` / ``basket``; it is put on at their last row.

        Parameters
        ----------
        prices : pandas.DataFrame or 2-D array
            Dates x tickers, dollar prices (an array gets tickers ``x0, x1, ...``).
        basket : pandas.Series or 1-D array
            The basket's dollar value on the same rows.

        Returns
        -------
        HedgeEstimator
            ``self``, with ``result_``, ``shares_``, ``weights_``, ``tickers_``.
        """
        P = _as_frame(prices)
        B = _as_series(basket, P.index)
        check_number(self.ridge, "ridge", lo=0)
        params = {"lam": self.lam, "pnl": self.pnl, "ridge": self.ridge,
                  "half_life": self.half_life, "window": self.window,
                  "value_horizon": self.value_horizon, "shrinkage": self.shrinkage}
        _, res = fit_with(P, B, list(self.constraints), params, prior=self.prior,
                          solver=self.solver)
        self.result_: HedgeResult = res
        self.shares_: pd.Series = res.shares
        self.weights_: pd.Series = res.weights
        self.tickers_: pd.Index = res.shares.index
        return self

    def _held_prices(self, prices: pd.DataFrame) -> np.ndarray:
        """The prices of the hedge's tickers (other columns are ignored: they are not held)."""
        if not hasattr(self, "shares_"):
            raise NotFittedError("this HedgeEstimator is not fitted yet: call fit(prices, basket)")
        missing = [t for t in self.tickers_ if t not in prices.columns]
        if missing:
            raise InputError(f"prices lack the hedge's ticker(s) {', '.join(map(str, missing))}",
                             field=str(missing[0]))
        P = prices[self.tickers_].to_numpy(dtype=float)
        if not np.all(np.isfinite(P)):
            bad = self.tickers_[~np.isfinite(P).all(axis=0)][0]
            raise InputError(f"prices of {bad} hold missing or non-finite values", field=str(bad))
        return P

    def predict(self, prices: Any) -> pd.Series:
        """The hedge's dollar value ``sum_i n_i P_{t,i}`` on the rows of ``prices``."""
        P = _as_frame(prices)
        return pd.Series(self._held_prices(P) @ self.shares_.to_numpy(), index=P.index,
                         name="hedge")

    def score(self, prices: Any, basket: Any) -> float:
        """Minus the tracking objective of the held shares on this window (higher is better).

        ``-((1 - score_lam) Var[Δd] + score_lam Var[d])`` with ``d = predict(prices) - basket``,
        sample variances (ddof=1), dollars^2: what :func:`hedgeopt.evaluate` calls
        ``objective`` at ``lam=score_lam``.
        """
        P = _as_frame(prices)
        B = _as_series(basket, P.index).to_numpy(dtype=float)
        lam = check_number(self.score_lam, "score_lam", lo=0, hi=1)
        if len(B) < 3:
            raise InputError(f"score needs at least 3 rows, got {len(B)}", field="prices")
        held = self._held_prices(P)
        return -float(window_metrics(self.shares_.to_numpy(), held, B, lam=lam)["objective"])


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b
