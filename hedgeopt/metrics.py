"""Tracking statistics of any share vector on any window, in plain numpy.

These functions never touch a solver: they are the independent check of every solution
(``HedgeResult.objective`` is :func:`tracking_objective` of the solved shares).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.context import HedgeContext, as_ticker_series, validate_lam
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_int, check_number

__all__ = [
    "basket_value", "compare", "evaluate", "gap_path", "gap_variances", "tracking_objective",
    "window_metrics", "window_objective",
]


def gap_path(shares: np.ndarray, P: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``d_t = sum_i n_i P_{t,i} - B_t``."""
    return np.asarray(P @ shares - B)


def _objective_from_gap(d: np.ndarray, lam: float) -> float:
    return float((1.0 - lam) * np.var(np.diff(d), ddof=1) + lam * np.var(d, ddof=1))


def _aligned(shares: Any, prices: pd.DataFrame, basket: pd.Series, reference: Any = None
             ) -> tuple[np.ndarray, HedgeContext]:
    ctx = HedgeContext(prices, basket, reference)
    n = as_ticker_series(shares, ctx.tickers, "shares", fill=0.0, finite=True).to_numpy()
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


def evaluate(shares: Any, prices: pd.DataFrame, basket: pd.Series, lam: float = DEFAULT_LAM,
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
    return window_metrics(n, ctx.P, ctx.B, ref=ctx.ref, lam=lam)


#: The metrics of :func:`evaluate` / :func:`window_metrics`, in order.
_METRICS = pd.Index(["objective", "pnl_te", "value_te", "rms_gap", "effectiveness", "pnl_corr",
                     "final_gap", "max_abs_gap", "names", "gross", "net"])


def window_metrics(n: np.ndarray, P: np.ndarray, B: np.ndarray, *, ref: int = -1,
                   lam: float = DEFAULT_LAM) -> pd.Series:
    """The metrics of :func:`evaluate` for shares ``n`` held on the rows of ``P`` and ``B``.

    The one computation of the tracking statistics: :func:`evaluate`, every
    :class:`~hedgeopt.HedgeResult`, the validation folds of :func:`hedgeopt.tune` and the
    holding periods of :func:`hedgeopt.backtest` all read it.

    Parameters
    ----------
    n : numpy.ndarray
        Shares per instrument (columns of ``P``).
    P, B : numpy.ndarray
        Prices (rows x instruments) and basket dollar values on the same rows.
    ref : int
        Row whose prices value ``gross`` and ``net`` (default: the last).
    lam : float
        Weight of the level term in ``objective`` (not checked here).

    Returns
    -------
    pandas.Series
        As :func:`evaluate`. With fewer than 3 rows (a one-period hold) the statistics that
        need a sample variance (``objective``, ``pnl_te``, ``value_te``, ``effectiveness``,
        ``pnl_corr``) are NaN; the gaps, ``names``, ``gross`` and ``net`` are still given.
    """
    value = P @ n
    d = value - B
    at = P[ref]
    nan = float("nan")
    objective = pnl_te = value_te = effectiveness = pnl_corr = nan
    if len(d) >= 3:
        dB, dV = np.diff(B), np.diff(value)
        var_dd, var_d = gap_variances(d)
        var_dB = float(np.var(dB, ddof=1))
        objective = (1.0 - lam) * var_dd + lam * var_d  # as window_objective
        pnl_te, value_te = math.sqrt(var_dd), math.sqrt(var_d)  # np.std is sqrt(np.var)
        effectiveness = 1.0 - var_dd / var_dB if var_dB > 0 else nan
        if np.var(dV) > 0 and var_dB > 0:
            pnl_corr = float(np.corrcoef(dV, dB)[0, 1])
    values = [objective, pnl_te, value_te, float(np.sqrt(np.mean(d**2))), effectiveness,
              pnl_corr, float(d[-1]), float(np.max(np.abs(d))), float(np.count_nonzero(n)),
              float(np.abs(n) @ at), float(n @ at)]
    return pd.Series(np.array(values), index=_METRICS, name="metrics", copy=False)


def gap_variances(d: np.ndarray) -> tuple[float, float]:
    """``(Var[Δd], Var[d])`` (ddof=1): the one computation behind every objective value."""
    return float(np.var(np.diff(d), ddof=1)), float(np.var(d, ddof=1))


def window_objective(n: np.ndarray, P: np.ndarray, B: np.ndarray, lam: float) -> float:
    """``(1 - lam) Var[Δd] + lam Var[d]`` of shares ``n`` on the rows of ``P`` and ``B``.

    Bit for bit ``window_metrics(n, P, B, lam=lam)["objective"]`` (the same operations), at a
    fraction of its cost; NaN with fewer than 3 rows.
    """
    d = P @ n - B
    if len(d) < 3:
        return float("nan")
    var_dd, var_d = gap_variances(d)
    return (1.0 - lam) * var_dd + lam * var_d


def compare(shares_a: Any, shares_b: Any, prices: pd.DataFrame, basket: pd.Series, *,
            block: int | None = None, n_boot: int = 2000, level: float = 0.9,
            seed: int | None = 0) -> pd.DataFrame:
    """Is hedge ``a`` really better than hedge ``b`` on this window? A paired block bootstrap.

    One out-of-sample path is one draw: a 5% difference in tracking error over a few months can
    be luck. ``compare`` resamples the window's period P&L gaps of both hedges *together*
    (circular moving blocks of ``block`` periods, so that both hedges see the same resampled
    market and short-range dependence is kept), rebuilds each value-gap path as the cumulative
    sum of its resampled P&L gaps, and reports the distribution of the ratio ``a / b`` of the
    P&L-gap std and of the value-gap std.

    Parameters
    ----------
    shares_a, shares_b : pandas.Series or dict
        The two hedges (shares per ticker; tickers absent are 0).
    prices, basket : pandas.DataFrame, pandas.Series
        The evaluation window (typically out of sample).
    block : int, optional
        Block length in periods. Default ``ceil(sqrt(n))`` for ``n`` P&L periods: long enough
        to keep the drifts that make the value gap, short enough to give many distinct draws.
    n_boot : int
        Bootstrap draws (>= 100).
    level : float
        Two-sided level of the interval, in (0, 1).
    seed : int or None
        Seed of the resampling (the default makes the table reproducible).

    Returns
    -------
    pandas.DataFrame
        Rows ``pnl_te`` and ``value_te``; columns ``a`` and ``b`` (the stds on the window, $),
        ``ratio`` (``a / b``), ``low`` and ``high`` (the bootstrap interval of the ratio at
        ``level``), ``p_a_better`` (the share of draws where ``a``'s std is the lower).

    Notes
    -----
    The value-gap interval treats the P&L gaps as stationary: a drift that happened once in the
    window is resampled as if it could happen anywhere, so the interval is wide, which is the
    honest reading of a single path's value gap.
    """
    n_boot = as_int(n_boot, "n_boot", lo=100)
    level = check_number(level, "level", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    a, ctx = _aligned(shares_a, prices, basket)
    b, _ = _aligned(shares_b, prices, basket)
    da, db = gap_path(a, ctx.P, ctx.B), gap_path(b, ctx.P, ctx.B)
    pa, pb = np.diff(da), np.diff(db)
    n = len(pa)
    if block is None:
        block = math.ceil(math.sqrt(n))
    block = as_int(block, "block", lo=1, hi=n)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n, size=(n_boot, math.ceil(n / block)))
    idx = ((starts[:, :, None] + np.arange(block)) % n).reshape(n_boot, -1)[:, :n]
    xa, xb = pa[idx], pb[idx]

    def value(x: np.ndarray) -> np.ndarray:  # the gap path from 0, as d is from d_0
        return np.concatenate([np.zeros((len(x), 1)), np.cumsum(x, axis=1)], axis=1)

    draws = {}
    for key, window, resampled in (
        ("pnl_te", (pa, pb), (xa, xb)), ("value_te", (da, db), (value(xa), value(xb))),
    ):
        full_a, full_b = (float(np.std(x, ddof=1)) for x in window)
        sa, sb = (np.std(x, axis=1, ddof=1) for x in resampled)
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = np.quantile(sa / sb, [(1 - level) / 2, (1 + level) / 2])
        draws[key] = {"a": full_a, "b": full_b,
                      "ratio": full_a / full_b if full_b > 0 else float("nan"),
                      "low": float(lo), "high": float(hi),
                      "p_a_better": float(np.mean(sa < sb))}
    return pd.DataFrame.from_dict(draws, orient="index")[
        ["a", "b", "ratio", "low", "high", "p_a_better"]]


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
