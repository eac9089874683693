"""Tracking statistics of any share vector on any window, in plain numpy.

These functions never touch a solver: they are the independent check of every solution
(``HedgeResult.objective`` is :func:`tracking_objective` of the solved shares).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.context import HedgeContext, as_ticker_series, validate_lam
from hedgeopt.exceptions import InputError

__all__ = ["basket_value", "evaluate", "tracking_objective", "gap_path"]


def gap_path(shares: np.ndarray, P: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``d_t = sum_i n_i P_{t,i} - B_t``."""
    return P @ shares - B


def _objective_from_gap(d: np.ndarray, lam: float) -> float:
    return float((1.0 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1))


def _aligned(shares: Any, prices: pd.DataFrame, basket: pd.Series, reference: Any = None
             ) -> tuple[np.ndarray, HedgeContext]:
    ctx = HedgeContext(prices, basket, reference)
    n = as_ticker_series(shares, ctx.tickers, "shares", fill=0.0).to_numpy()
    if not np.isfinite(n).all():
        raise InputError("shares must be finite numbers", field="shares")
    return n, ctx


def tracking_objective(shares: Any, prices: pd.DataFrame, basket: pd.Series, lam: float) -> float:
    """``(1 - lam) Var[Δd] + lam Var[d]`` in dollars^2, sample variances (ddof=1).

    Parameters
    ----------
    shares : pandas.Series or dict
        Shares per ticker (tickers absent are 0).
    prices : pandas.DataFrame
        Dates x tickers, dollars.
    basket : pandas.Series
        Basket dollar value on the same dates.
    lam : float
        Weight of the level term, in [0, 1].
    """
    lam = validate_lam(lam)
    n, ctx = _aligned(shares, prices, basket)
    return _objective_from_gap(gap_path(n, ctx.P, ctx.B), lam)


def evaluate(shares: Any, prices: pd.DataFrame, basket: pd.Series, lam: float = 0.5,
             reference: Any = None) -> pd.Series:
    """Tracking metrics of ``shares`` held through the window of ``prices``.

    Parameters
    ----------
    shares : pandas.Series or dict
        Shares per ticker (tickers absent are 0; unknown tickers are an error).
    prices, basket : pandas.DataFrame, pandas.Series
        The window to evaluate on (in-sample or out-of-sample).
    lam : float
        Weight of the level term in ``objective``.
    reference : label or int, optional
        Date at which ``gross`` and ``net`` are valued (default: the last row).

    Returns
    -------
    pandas.Series
        ``objective`` ($^2), ``pnl_te`` (std of the period $ P&L gap, ddof=1), ``value_te``
        (std of the $ value gap), ``rms_gap`` (root mean square $ gap), ``effectiveness``
        (``1 - Var[Δd] / Var[ΔB]``), ``pnl_corr`` (correlation of hedge and basket $ P&L),
        ``final_gap`` and ``max_abs_gap`` ($), ``names`` (instruments held), ``gross`` and ``net``
        ($ at the reference date).
    """
    lam = validate_lam(lam)
    n, ctx = _aligned(shares, prices, basket, reference)
    return _metrics(n, ctx, lam)


def _metrics(n: np.ndarray, ctx: HedgeContext, lam: float) -> pd.Series:
    value = ctx.P @ n
    d = value - ctx.B
    dd = np.diff(d)
    dB = np.diff(ctx.B)
    dV = np.diff(value)
    var_dB = float(np.var(dB, ddof=1))
    if np.std(dV) > 0 and np.std(dB) > 0:
        corr = float(np.corrcoef(dV, dB)[0, 1])
    else:
        corr = float("nan")
    at = ctx.P[ctx.ref]
    return pd.Series(
        {
            "objective": _objective_from_gap(d, lam),
            "pnl_te": float(np.std(dd, ddof=1)),
            "value_te": float(np.std(d, ddof=1)),
            "rms_gap": float(np.sqrt(np.mean(d**2))),
            "effectiveness": (
                1.0 - float(np.var(dd, ddof=1)) / var_dB if var_dB > 0 else float("nan")
            ),
            "pnl_corr": corr,
            "final_gap": float(d[-1]),
            "max_abs_gap": float(np.max(np.abs(d))),
            "names": int(np.count_nonzero(n)),
            "gross": float(np.abs(n) @ at),
            "net": float(n @ at),
        },
        name="metrics",
    )


def basket_value(units: Any, prices: pd.DataFrame) -> pd.Series:
    """Dollar value of a basket of ``units`` (shares per ticker) through ``prices``.

    Every ticker of ``units`` must be a column of ``prices``; prices must be finite and > 0.
    """
    if not isinstance(prices, pd.DataFrame):
        raise InputError("prices must be a pandas DataFrame", field="prices")
    u = pd.Series(units, dtype=float)
    missing = u.index.difference(prices.columns)
    if len(missing):
        raise InputError(f"units: no prices for {sorted(map(str, missing))[:20]}", field="units")
    sub = prices[u.index].to_numpy(dtype=float)
    if not np.isfinite(sub).all() or (sub <= 0).any():
        raise InputError("prices of the basket constituents must be finite and > 0", "prices")
    return pd.Series(sub @ u.to_numpy(), index=prices.index, name="basket")
