"""Beta limits: the hedge's dollar beta to a benchmark (minus the basket's), per notional."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.exposure import ExposureLimit
from hedgeopt.context import HedgeContext, as_ticker_series
from hedgeopt.exceptions import InputError
from hedgeopt.hugepages import empty
from hedgeopt.text import fmt_date
from hedgeopt.validation import as_float

__all__ = ["Beta", "ols_betas"]


def ols_betas(values: np.ndarray, benchmark: np.ndarray) -> np.ndarray:
    """OLS slopes of the simple daily returns of each column of ``values`` on the benchmark's.

    ``beta_i = cov(r_i, r_m) / var(r_m)`` over the T-1 returns of the T rows (with an
    intercept: the returns are centred). Only the benchmark's returns are centred: with
    ``sum_t m_t = 0``, ``m' (r_i - mean(r_i)) = m' r_i = m' g_i - sum_t m_t`` with the gross
    returns ``g = values[1:] / values[:-1]``, so one T x N pass (the ratios) and one
    matrix-vector product give the same slopes (``sum_t m_t``, zero up to rounding, is
    subtracted as computed so that the rounding of the centring does not meet ``g ~ 1``).

    The ratios are formed in blocks of at least :data:`_BLOCK` numbers into one buffer in huge
    pages (:func:`hedgeopt.hugepages.empty`): a fresh T x N temporary in 4 KiB pages costs a
    page fault per page at its first touch, which in a fresh problem's solve was most of this
    function's time (N=500, T=756: ~2 ms instead of 0.25); and each block costs ~13 us of
    its own (a call of each kernel), so blocks of 16,384 numbers (24 at N=500) took 0.56 ms
    where two take 0.25-0.3 ms.
    """
    m = benchmark[1:] / benchmark[:-1]
    m = m - m.mean()
    n_ret, width = values.shape[0] - 1, values.shape[1]
    step = max(1, min(n_ret, -(-_BLOCK // max(width, 1))))  # >= _BLOCK numbers: huge pages
    buf = empty((step, width))
    acc = np.zeros(width)
    for s in range(0, n_ret, step):
        e = min(s + step, n_ret)
        g = buf[:e - s]
        np.divide(values[s + 1:e + 1], values[s:e], out=g)
        acc += m[s:e] @ g
    return np.asarray((acc - m.sum()) / (m @ m))


#: Numbers per block of gross returns in :func:`ols_betas` (2 MiB: one huge page).
_BLOCK = 1 << 18


class Beta(ExposureLimit):
    """The hedge's dollar beta to a benchmark, as a fraction of the notional.

    .. math::  \\ell \\le \\sum_i w_i \\beta_i - \\beta_B \\le u

    with ``w_i = n_i P_{r,i} / B_r`` and, when ``relative``, ``beta_B`` the basket's own beta
    (its dollar beta over its value). ``Beta(spx, -0.02, 0.02)`` is a hedge whose dollar beta is
    within 2% of the notional of the basket's.

    Parameters
    ----------
    benchmark : pandas.Series
        Either the benchmark's **prices** on (at least) every date of the problem's window: the
        betas of the instruments and of the basket are then the OLS slopes of their simple
        daily returns on the benchmark's over the window (equal weights); or the **betas**
        themselves, one per ticker of the universe (tickers absent are an error).
    lower, upper : float, optional
        Limits as fractions of the notional (``None``: no limit on that side).
    relative : bool
        Limit the hedge's beta minus the basket's (default) rather than the hedge's alone.
    basket_beta : float, optional
        The basket's beta, needed with given betas and ``relative=True`` (with benchmark
        prices it is estimated like the others unless given).
    leverage : bool
        Allow limits beyond +-1 (100% of the notional; with ``relative=False``, beyond the
        largest |beta|, at least 1). Without it ``Beta(spx, -2, 2)`` is refused as a likely
        percent ("did you mean -0.02?").
    """

    row_kind = "beta"

    def __init__(self, benchmark: pd.Series, lower: Any = None, upper: Any = None,
                 relative: bool = True, basket_beta: float | None = None, *,
                 leverage: bool = False) -> None:
        if not isinstance(benchmark, pd.Series):
            raise InputError(f"Beta.benchmark must be a pandas Series (benchmark prices by "
                             f"date, or betas by ticker), got {type(benchmark).__name__}",
                             field="benchmark")
        for side, v in (("lower", lower), ("upper", upper)):
            if v is not None and not np.isscalar(v):
                raise InputError(f"Beta.{side} must be a number, got {type(v).__name__}",
                                 field=side)
        super().__init__(lower, upper, leverage=leverage)
        self.benchmark = benchmark
        self.relative = bool(relative)
        self.basket_beta = None if basket_beta is None else as_float(
            basket_beta, "Beta.basket_beta", finite=True)
        if self.relative:  # the scale is known before any data: fail early
            self.limits(["hedge - basket"], np.ones(1))

    def relative_rows(self) -> bool:
        return self.relative

    def betas(self, ctx: HedgeContext) -> tuple[np.ndarray, float | None]:
        """``(beta per ticker, the basket's beta or None)`` for the problem's window."""
        bench = self.benchmark
        if _on_dates(bench, ctx):
            if bench.index.equals(ctx.dates):  # the usual case: no label look-ups
                m = _prices(bench)
            else:
                once = bench if bench.index.is_unique else bench[~bench.index.duplicated()]
                m = _prices(once.reindex(ctx.dates))
            bad = ~np.isfinite(m) | (m <= 0)
            if bad.any():
                raise InputError(f"Beta.benchmark: price on {fmt_date(ctx.dates[bad][0])} is "
                                 f"missing or not a positive number", field="benchmark")
            if np.ptp(m[1:] / m[:-1]) == 0:
                raise InputError("Beta.benchmark has constant returns over the window: no "
                                 "beta can be estimated", field="benchmark")
            beta = ols_betas(ctx.P, m)
            basket = self.basket_beta
            if basket is None:
                basket = float(ols_betas(ctx.B[:, None], m)[0])
            return beta, basket
        if bench.index.isin(ctx.tickers).any():
            beta = as_ticker_series(bench, ctx.tickers, "Beta.benchmark (betas)",
                                    finite=True).to_numpy()
            return beta, self.basket_beta
        missing = ctx.dates[~ctx.dates.isin(bench.index)]
        raise InputError(
            f"Beta.benchmark is neither benchmark prices covering every date of the window "
            f"({fmt_date(ctx.dates[0])} .. {fmt_date(ctx.dates[-1])}; {len(missing)} dates "
            f"missing, first {fmt_date(missing[0])}) nor betas by ticker{_index_hint(bench)}",
            field="benchmark")

    def exposures(self, ctx: HedgeContext) -> tuple[np.ndarray, list[str], np.ndarray]:
        beta, basket = self.betas(ctx)
        if self.relative and basket is None:
            raise InputError("Beta: with given betas and relative=True, give basket_beta= (the "
                             "basket's beta), or relative=False", field="basket_beta")
        offset = np.array([basket if self.relative else 0.0])
        return beta[None, :], ["hedge - basket" if self.relative else "hedge"], offset

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for k in ("lower", "upper"):
            if getattr(self, k) is not None:
                args[k] = float(getattr(self, k))
        if not self.relative:
            args["relative"] = False
        if self.leverage:
            args["leverage"] = True
        return args


def _prices(bench: pd.Series) -> np.ndarray:
    """The benchmark's prices as floats, NaN where a cell is not a number (a numeric dtype is
    read as it is: ``pd.to_numeric`` costs ~0.1 ms on a float Series, twice per solve)."""
    if getattr(bench.dtype, "kind", None) in ("i", "u", "f"):
        return bench.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(bench, errors="coerce").to_numpy(dtype=float)


def _on_dates(bench: pd.Series, ctx: HedgeContext) -> bool:
    """Whether ``bench`` is benchmark prices: its index covers every date of the window and is
    not made of tickers alone. An index equal to the window's dates (unique) has more labels
    than there are tickers when ``T > N``: then it cannot be tickers alone, and the two label
    look-ups (a date index against text tickers costs ~1 ms) are skipped."""
    if bench.index.equals(ctx.dates) and len(ctx.dates) > len(ctx.tickers):
        return True
    return bool(ctx.dates.isin(bench.index).all() and not bench.index.isin(ctx.tickers).all())


def _index_hint(bench: pd.Series) -> str:
    """Why a benchmark's dates may fail to match the window's: text dates, or times of day."""
    idx = bench.index
    if isinstance(idx, pd.DatetimeIndex):
        if (idx != idx.normalize()).any():
            return "; its dates carry a time of day (use bench.index.normalize())"
        return ""
    if len(idx) and all(isinstance(v, str) for v in idx[:5]):
        try:
            pd.to_datetime(idx[:5])
        except (ValueError, TypeError):
            return ""
        return "; its index is text (use pd.to_datetime(bench.index))"
    return ""
