"""HedgeContext: validated, aligned and scaled data of one hedge problem.

Scaling
-------
A hedge holds ``n_i`` shares of instrument ``i``. With ``P`` the T x N price matrix, ``B`` the
basket's dollar path and ``r`` the reference row (the date the hedge is put on), hedgeopt
optimises the dimensionless **dollar weights**

.. math::  w_i = n_i P_{r,i} / B_r ,

against **relative prices** ``R_{t,i} = P_{t,i} / P_{r,i}`` and the relative basket
``b_t = B_t / B_r``. Then ``d_t / B_r = (R w - b)_t`` and every entry of ``R`` and ``b`` is
O(1), whatever the price levels and the notional: the share-space problem's condition number
(prices from $5 to $1000, a $10M notional) does not reach the solver.

Gram form
---------
The tracking objective only needs two (N+1) x (N+1) Gram matrices of the augmented data
``X = [R, -b]`` (so that ``d / B_r = X [w; 1]``):

.. math::  H_0 = \\frac{X_c^\\top X_c}{T-1}, \\qquad
           H_1 = \\frac{(\\Delta X)_c^\\top (\\Delta X)_c}{T-2},

where ``_c`` centres columns and ``\\Delta`` takes first differences (with a ``half_life``, rows
carry exponential weights: see :attr:`HedgeContext.blocks`). Then
``Var[d] = B_r^2 [w;1]^T H_0 [w;1]`` and ``Var[Δd] = B_r^2 [w;1]^T H_1 [w;1]`` exactly (ddof=1).
They are computed once, lazily, with one BLAS level-3 product each, and cached.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cvxpy as cp
import numpy as np
import pandas as pd
from scipy.linalg import blas

from hedgeopt.dates import is_iso_date, looks_like_date
from hedgeopt.defaults import DEFAULT_PNL
from hedgeopt.exceptions import InputError
from hedgeopt.hugepages import empty as empty_array
from hedgeopt.text import fmt_date, fmt_label, fmt_number, fmt_values
from hedgeopt.validation import check_number

__all__ = ["HedgeContext", "as_ticker_series", "validate_lam", "validate_pnl"]

MIN_ROWS = 3
#: P&L measures of the objective's difference term (see :class:`HedgeContext`).
PNL_MEASURES = ("price", "reference")
_VERSIONS = itertools.count()


def validate_lam(lam: Any) -> float:
    """Return ``lam`` as a float, raising :class:`InputError` unless it lies in [0, 1]."""
    return check_number(lam, "lam", lo=0.0, hi=1.0)


def validate_pnl(pnl: Any) -> str:
    """``pnl`` if it is one of :data:`PNL_MEASURES`, else :class:`InputError`."""
    if pnl not in PNL_MEASURES:
        raise InputError(f"pnl must be one of {PNL_MEASURES}, got {pnl!r}", field="pnl")
    return str(pnl)


def validate_half_life(half_life: Any) -> float | None:
    """``half_life`` in rows (> 0), or None for equal weights."""
    return None if half_life is None else check_number(half_life, "half_life", lo=0.0,
                                                       lo_open=True)


def as_ticker_series(
    values: Any, tickers: pd.Index, field: str, *, fill: float | None = None,
    finite: bool = False,
) -> pd.Series:
    """Align a scalar, dict or Series keyed by ticker to ``tickers``.

    Parameters
    ----------
    values : scalar, dict or pandas.Series
        Per-ticker values. A scalar is broadcast.
    tickers : pandas.Index
        The hedge universe.
    field : str
        Name used in error messages.
    fill : float, optional
        Value for tickers absent from ``values``. ``None`` means every ticker must be present.
    finite : bool
        Refuse infinite values too (NaN is always refused: it is never a value).

    Raises
    ------
    InputError
        If ``values`` names tickers outside the universe, repeats a ticker, misses tickers
        (when ``fill`` is None), or holds non-numeric, boolean, NaN (or, with ``finite``,
        infinite) values; the message names ``field`` and the tickers.
    """
    if np.isscalar(values) or values is None:
        if isinstance(values, (bool, str, bytes, np.bool_)) or values is None:
            raise InputError(f"{field} must be a number or numbers per ticker, got {values!r}",
                             field=field)
        value = float(values)  # type: ignore[arg-type]  # a real scalar: checked above
        if np.isnan(value) or (finite and not np.isfinite(value)):
            raise InputError(f"{field} must be a finite number, got {value:g}", field=field)
        return pd.Series(value, index=tickers, dtype=float)
    if isinstance(values, pd.DataFrame):
        raise InputError(f"{field} must be one number per ticker (a dict or Series), got a "
                         f"{values.shape[0]} x {values.shape[1]} DataFrame (for a volume "
                         f"history, its mean: frame.mean())", field=field)
    series = pd.Series(values, dtype=object) if isinstance(values, dict) else pd.Series(values)
    if _numbers_on(series, tickers):  # the common case: no label or cell checks needed
        return _finite_numbers(series, series, field, fill, finite, index=tickers)
    if series.index.has_duplicates:
        dup = sorted(map(str, series.index[series.index.duplicated()].unique()))
        raise InputError(f"{field}: duplicate tickers {dup}", field=field)
    unknown = series.index.difference(tickers)
    if len(unknown):
        raise InputError(
            f"{field}: unknown tickers {sorted(map(str, unknown))[:20]} (not in the prices' "
            f"columns)",
            field=field,
        )
    missing = tickers.difference(series.index)
    if len(missing) and fill is None:
        raise InputError(f"{field}: missing tickers {sorted(map(str, missing))[:20]}", field=field)
    flags = series.map(lambda x: isinstance(x, (bool, np.bool_)))
    if pd.api.types.is_bool_dtype(series.dtype) or flags.any():
        raise InputError(f"{field}: values must be numbers, got true/false for "
                         f"{sorted(map(str, series.index[flags.to_numpy(bool)]))[:10]}",
                         field=field)
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() & series.notna()
    if bad.any():
        first = series.index[bad.to_numpy()][0]
        raise InputError(f"{field}: values must be numeric, got {series[first]!r} for ticker "
                         f"{first!r}", field=field)
    out = _finite_numbers(series, numeric, field, fill, finite).reindex(tickers)
    return out if fill is None else out.fillna(fill)


def _numbers_on(series: pd.Series, tickers: pd.Index) -> bool:
    """Whether ``series`` holds real numbers (an integer or float dtype, numpy or pandas) on
    exactly ``tickers`` in their order, so :func:`as_ticker_series` needs no label or cell
    checks."""
    return getattr(series.dtype, "kind", None) in ("i", "u", "f") and \
        series.index.equals(tickers)


def _finite_numbers(series: pd.Series, numeric: pd.Series, field: str, fill: float | None,
                    finite: bool, index: pd.Index | None = None) -> pd.Series:
    """``numeric`` as floats (a new Series on ``index``, default its own), after refusing NaN
    (and, with ``finite``, infinite) values.

    The checks run on one float copy of the values (numpy masks): pandas' ``isna`` and two
    ``astype`` passes cost ~0.3 ms per call on 500 tickers, and a solve aligns each
    per-ticker argument twice (its form, then the independent check).
    """
    values = numeric.to_numpy(dtype=float, na_value=np.nan, copy=True)
    nan = np.isnan(values)
    if nan.any():
        raise InputError(f"{field}: NaN for ticker(s) {sorted(map(str, series.index[nan]))[:10]}"
                         f"; give a number (tickers left out are treated as "
                         f"{'required' if fill is None else fill})", field=field)
    if finite:
        inf = np.isinf(values)
        if inf.any():
            raise InputError(f"{field}: infinite value for ticker(s) "
                             f"{sorted(map(str, series.index[inf]))[:10]}", field=field)
    return pd.Series(values, index=numeric.index if index is None else index,
                     name=numeric.name, copy=False)


@dataclass(frozen=True)
class GramPair:
    """The two augmented Gram matrices of the objective, in scaled units.

    Attributes
    ----------
    levels : numpy.ndarray
        ``H_0``, (N+1) x (N+1): covariance (ddof=1) of ``[R, -b]``.
    diffs : numpy.ndarray
        ``H_1``, (N+1) x (N+1): covariance (ddof=1) of the first differences of ``[R, -b]``.
    """

    levels: np.ndarray
    diffs: np.ndarray

    @staticmethod
    def weights(lam: float, scale: float = 1.0) -> tuple[float, float]:
        """``(a, b)``: the weights of ``H_1`` and ``H_0`` in :meth:`combined` (``scale (1 - lam)``
        and ``scale lam``)."""
        return scale * (1.0 - lam), scale * lam

    def combined(self, lam: float, scale: float = 1.0) -> np.ndarray:
        """``scale ((1 - lam) H_1 + lam H_0)``: the objective's Gram at ``lam``, a new array.

        Formed in two passes over one fresh (N+1) x (N+1) array (a scaled copy of ``H_1``, then
        BLAS ``daxpy`` adds ``H_0``), with no temporaries: a frontier forms it at every point.
        """
        a, b = self.weights(lam, scale)
        return _weighted_sum(self.levels, self.diffs, a, b, np.empty_like(self.diffs))

    def instruments(self, lam: float, scale: float = 1.0) -> np.ndarray:
        """``combined(lam, scale)[:N, :N]`` as a new C-ordered ``N x N`` array.

        Formed a band of :data:`BAND_ROWS` rows at a time, with the same two operations per
        entry as :meth:`combined` (a scaled copy of ``H_0``, then ``daxpy`` adds ``H_1``) and
        one small reused buffer: the answer (the native solver's ``Q``) is the one fresh
        ``N x N`` array, instead of the ``(N+1) x (N+1)`` sum and its contiguous copy.
        """
        a, b = self.weights(lam, scale)
        n = self.diffs.shape[0] - 1
        out = np.empty((n, n))
        band = np.empty(min(BAND_ROWS, n) * n)
        for i in range(0, n, BAND_ROWS):
            j = min(i + BAND_ROWS, n)
            _weighted_sum(self.levels[i:j, :n], self.diffs[i:j, :n], a, b, out[i:j], band)
        return out

    def border(self, lam: float, scale: float = 1.0) -> np.ndarray:
        """The last column of :meth:`combined` (``N + 1`` entries), the same operations per
        entry."""
        a, b = self.weights(lam, scale)
        return _weighted_sum(self.levels[:, -1], self.diffs[:, -1], a, b,
                             np.empty(self.diffs.shape[0]))


def _weighted_sum(levels: np.ndarray, diffs: np.ndarray, a: float, b: float, out: np.ndarray,
                  scratch: np.ndarray | None = None) -> np.ndarray:
    """``b levels + a diffs`` into ``out`` (C-ordered, their shape), the one sequence of
    operations per entry of :meth:`GramPair.combined`, ``instruments`` and ``border``: a
    scaled copy of ``levels`` (of ``diffs`` alone when ``b`` is 0), then BLAS ``daxpy`` adds
    ``a diffs``, read from a contiguous copy (into ``scratch`` when given)."""
    if b == 0.0:
        return np.multiply(diffs, a, out=out)
    np.multiply(levels, b, out=out)
    if a != 0.0:
        if scratch is None:
            src = np.ascontiguousarray(diffs).reshape(-1)
        else:
            src = scratch[: diffs.size]
            src.reshape(diffs.shape)[...] = diffs
        blas.daxpy(src, out.reshape(-1), a=a)  # out's view: daxpy adds in place
    return out


#: Rows per band of :meth:`GramPair.instruments` (64 x 500 doubles: 256 KB, kept in cache).
BAND_ROWS = 64


class HedgeContext:
    """Validated prices and basket, the reference date and the scaled data.

    Parameters
    ----------
    prices : pandas.DataFrame
        Dates x tickers, dollar prices. Every value finite and > 0; unique dates and tickers.
    basket : pandas.Series
        Basket dollar value on the same dates (the order may differ; the dates must match).
    reference : label or int, optional
        Date the hedge is put on. A label of ``prices.index`` or an integer row position.
        Default: the last row.
    half_life : float, optional
        Exponential observation weights halving every ``half_life`` rows into the past; the
        variances become reliability-weighted (equal weights = the ddof=1 sample variance).
    multipliers : dict or pandas.Series, optional
        Contract multiplier per ticker (an index future: 50 x the index level); tickers absent
        hold 1. The context then works in **units** (contracts): ``P`` is dollars per unit,
        ``prices x multiplier``, so shares, lots, share bounds, turnover and participation are
        in units and every dollar figure is ``units x price x multiplier``.
    pnl : {"price", "reference"}
        How the P&L term measures each period. ``"price"`` (default): price differences
        ``P_t - P_{t-1}``, the dollar P&L the shares made on that day. ``"reference"``: returns at
        the reference date's dollar exposure, ``r_t P_ref`` (and ``r^B_t B_ref`` for the basket),
        so that old days are not weighted by old price levels. The level term is unchanged.

    Raises
    ------
    InputError
        Naming the ticker and date of a NaN or non-positive price, duplicate dates or tickers,
        dates that do not match between prices and basket, fewer than 3 rows, or a bad reference.
    """

    def __init__(self, prices: pd.DataFrame, basket: pd.Series, reference: Any = None,
                 half_life: float | None = None, pnl: str = DEFAULT_PNL,
                 multipliers: Any = None) -> None:
        prices, basket = _validate(prices, basket)
        #: contract multiplier per ticker (1 for plain shares)
        self.multipliers: pd.Series = _multipliers(multipliers, prices.columns)
        if multipliers is not None:
            prices = prices * self.multipliers
        self.pnl = validate_pnl(pnl)
        #: unique per context (unlike ``id``), so compiled problems know when data changed
        self.version: int = next(_VERSIONS)
        self.half_life = validate_half_life(half_life)
        self.prices: pd.DataFrame = prices
        self.basket: pd.Series = basket
        self.tickers: pd.Index = prices.columns
        self.dates: pd.Index = prices.index
        values = prices.to_numpy(dtype=float)
        #: T x N prices, C-ordered (a copy in huge pages when the frame's are not)
        self.P: np.ndarray = values if values.flags.c_contiguous else _c_copy(values)
        self.B: np.ndarray = basket.to_numpy(dtype=float)
        self.ref: int = _reference_row(reference, prices.index)
        self.reference_date = prices.index[self.ref]
        self.p_ref: np.ndarray = self.P[self.ref].copy()
        self.notional: float = float(self.B[self.ref])
        if not np.isfinite(self.notional) or self.notional <= 0:
            raise InputError(
                f"basket value at the reference date {fmt_date(self.reference_date)} must be "
                f"> 0, got {fmt_number(self.notional)}",
                field="basket",
            )

    # -- sizes and unit conversions -------------------------------------------------------
    @property
    def n_assets(self) -> int:
        """Number of instruments N."""
        return self.P.shape[1]

    @property
    def n_obs(self) -> int:
        """Number of observations T."""
        return self.P.shape[0]

    def weights_from_shares(self, shares: np.ndarray) -> np.ndarray:
        """Dollar weights ``n * P_ref / B_ref`` of a share vector."""
        return np.asarray(shares, dtype=float) * self.p_ref / self.notional

    def shares_from_weights(self, weights: np.ndarray) -> np.ndarray:
        """Shares ``w * B_ref / P_ref`` of a weight vector."""
        return np.asarray(weights, dtype=float) * self.notional / self.p_ref

    def shares(self, w: Any) -> Any:
        """Shares as an expression of the weight variable (cvxpy expression or numpy array)."""
        per_weight = self.notional / self.p_ref
        if isinstance(w, cp.Expression):
            return cp.multiply(per_weight, w)
        return np.asarray(w, dtype=float) * per_weight

    def dollars(self, w: Any) -> Any:
        """Dollar positions at the reference date as an expression of the weights."""
        return w * self.notional

    def ticker_mask(self, tickers: Any, field: str) -> np.ndarray:
        """Boolean mask of ``tickers`` in the universe; unknown tickers raise InputError."""
        names = pd.Index([tickers] if isinstance(tickers, str) else list(tickers))
        unknown = names.difference(self.tickers)
        if len(unknown):
            raise InputError(f"{field}: unknown tickers {sorted(map(str, unknown))}", field=field)
        return self.tickers.isin(names)

    # -- scaled data ----------------------------------------------------------------------
    @cached_property
    def augmented(self) -> np.ndarray:
        """``X = [R, -b]``: relative prices and the negated relative basket, T x (N+1)."""
        return self._relative()

    def _relative(self, out: np.ndarray | None = None) -> np.ndarray:
        """``X`` (:attr:`augmented`), written into ``out`` (``T x (N+1)``) or a new array."""
        X = np.empty((self.n_obs, self.n_assets + 1)) if out is None else out
        np.divide(self.P, self.p_ref, out=X[:, :-1])
        X[:, -1] = -self.B / self.notional
        return X

    @cached_property
    def blocks(self) -> tuple[np.ndarray, np.ndarray]:
        """Row-weighted, centred levels (T rows) and first differences (T-1 rows) of ``X``.

        Their Gram matrices are ``H_0`` and ``H_1``: with observation weights ``a_t`` (summing
        to 1; equal unless ``half_life`` is set) each row is centred on the weighted mean and
        scaled by ``sqrt(a_t / (1 - sum a^2))``, the unbiased (reliability-weights) variance,
        which is the ddof=1 sample variance when the weights are equal.

        Both blocks are formed in one fresh ``(2T - 1) x (N + 1)`` array (the levels its first
        ``T`` rows, the differences the rest: two C-ordered views) and centred and scaled there,
        with no temporaries (:attr:`augmented` is not kept, nor a difference array). A fresh
        array is page-faulted in at its first touch, 4 KB at a time, unless it lies in huge
        pages (:func:`hedgeopt.hugepages.empty`). On the desk row (N=500, T=756) the two 3 MB
        blocks took 1,447 faults, ~4.7 ms of a ~36 ms first solve; in one array, in huge
        pages, they take none (with the Grams and the prices' copy in huge pages too, the
        solve's faults went from 4,144 to ~1,000-1,400, and its time from ~36 to ~28 ms).
        """
        T, m = self.n_obs, self.n_assets + 1
        stacked = empty_array((2 * T - 1, m))
        X, D = stacked[:T], stacked[T:]  # X becomes the levels block
        self._relative(out=X)
        if self.pnl == "reference":
            np.divide(self.P[1:], self.P[:-1], out=D[:, :-1])
            D[:, :-1] -= 1.0
            D[:, -1] = 1.0 - self.B[1:] / self.B[:-1]
        else:
            np.subtract(X[1:], X[:-1], out=D)  # np.diff(X), without its temporary
        return (_weighted_centred(X, self.half_life, in_place=True),
                _weighted_centred(D, self.half_life, in_place=True))

    @cached_property
    def gram(self) -> GramPair:
        """The Gram matrices ``H_0`` (levels) and ``H_1`` (differences); computed once."""
        levels, diffs = self.blocks
        m = levels.shape[1]
        pair = empty_array((2, m, m))  # one array (in huge pages: see blocks)
        return GramPair(levels=_syrk(levels, out=pair[0]), diffs=_syrk(diffs, out=pair[1]))

    def scaled_objective(self, w: np.ndarray, lam: float) -> float:
        """Objective in scaled units, ``[w;1]' H(lam) [w;1]``; dollars^2 = this x B_ref^2."""
        z = np.append(np.asarray(w, dtype=float), 1.0)
        return float(z @ self.gram.combined(lam) @ z)

    def __repr__(self) -> str:
        return (
            f"HedgeContext(T={self.n_obs}, N={self.n_assets}, "
            f"reference={fmt_date(self.reference_date)}, "
            f"notional={self.notional:,.2f})"
        )


def observation_weights(n: int, half_life: float | None) -> np.ndarray:
    """Weights summing to 1 that halve every ``half_life`` rows into the past (equal if None)."""
    if half_life is None:
        return np.full(n, 1.0 / n)
    a = 0.5 ** (np.arange(n - 1, -1, -1) / float(half_life))
    return a / a.sum()


def _weighted_centred(X: np.ndarray, half_life: float | None, *, in_place: bool = False
                      ) -> np.ndarray:
    """``X`` centred on its (weighted) column means, each row scaled as
    :attr:`HedgeContext.blocks` says; a new array, or ``X`` itself with ``in_place`` (the same
    operations either way, so the same bits)."""
    n = X.shape[0]
    if half_life is None:
        mean, scale = X.mean(axis=0), 1.0 / np.sqrt(n - 1)
    else:
        a = observation_weights(n, half_life)
        mean, scale = a @ X, np.sqrt(a / (1.0 - a @ a))[:, None]
    out = np.subtract(X, mean, out=X if in_place else None)
    out *= scale
    return out


def _c_copy(A: np.ndarray) -> np.ndarray:
    """A C-ordered copy of ``A`` (in huge pages when it is large: see :mod:`hedgeopt.hugepages`)."""
    out = empty_array(A.shape)
    np.copyto(out, A)
    return out


def _syrk(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``A' A`` in one BLAS level-3 call (numpy returns it exactly symmetric), into ``out``
    (C-ordered, ``m x m``) if given."""
    return np.matmul(A.T, A, out=out)


def _index_kind(index: pd.Index) -> str:
    if isinstance(index, pd.DatetimeIndex):
        return "dates"
    if pd.api.types.is_numeric_dtype(index.dtype):
        return "numbers"
    return "labels"


def _normalise_index(index: pd.Index, field: str) -> pd.Index:
    """Dates as dates, never as text: the one rule for the prices' and the basket's index.

    A DatetimeIndex, a numeric index and an index of other labels are returned as they are;
    ``datetime.date`` objects become a DatetimeIndex; ISO date strings (``2021-01-11``) are
    parsed. Any other string that reads as a date (``12/31/2025``, ``31.12.2025``,
    ``20251231``) is an :class:`InputError`: sorted as text, ``01/01/2026`` would come
    before ``12/31/2025``, and hedgeopt does not guess the day/month order.
    """
    if isinstance(index, (pd.DatetimeIndex, pd.MultiIndex)) or not (
        index.dtype == object or pd.api.types.is_string_dtype(index.dtype)
    ):
        return index
    values = list(index)
    if values and all(isinstance(v, (_dt.date, np.datetime64)) and not pd.isna(v)
                      for v in values):
        try:
            return pd.DatetimeIndex(pd.to_datetime(values), name=index.name)
        except (TypeError, ValueError):  # e.g. mixed time zones: leave them to the user
            return index
    dated = [v for v in values if looks_like_date(v)]
    if not dated:
        return index
    if len(dated) == len(values) and all(map(is_iso_date, values)):
        try:
            return pd.DatetimeIndex(pd.to_datetime(index, format="ISO8601"), name=index.name)
        except (TypeError, ValueError):
            pass
    shown = [v for v in dated if not is_iso_date(v)] or dated
    raise InputError(
        f"{field}: dates written as text that is not ISO (YYYY-MM-DD), e.g. "
        f"{fmt_values(shown)}; hedgeopt does not sort dates as text or guess their day/month "
        f"order: parse them first, e.g. pd.to_datetime(index, format=\"%d/%m/%Y\"), or read "
        f"the file with ho.io.read_frame(path, field, date_format=\"%d/%m/%Y\")",
        field=field,
    )


def _validate(prices: Any, basket: Any) -> tuple[pd.DataFrame, pd.Series]:
    if not isinstance(prices, pd.DataFrame):
        raise InputError(
            f"prices must be a pandas DataFrame (dates x tickers), got {type(prices).__name__}",
            field="prices",
        )
    if isinstance(basket, pd.DataFrame):
        if basket.shape[1] != 1:
            raise InputError("basket must be a Series (or a one-column DataFrame)", field="basket")
        basket = basket.iloc[:, 0]
    if not isinstance(basket, pd.Series):
        raise InputError(
            f"basket must be a pandas Series of dollar values, got {type(basket).__name__}",
            field="basket",
        )
    if prices.shape[1] == 0:
        raise InputError("prices has no columns (tickers)", field="prices")
    if prices.columns.has_duplicates:
        dup = sorted(map(str, prices.columns[prices.columns.duplicated()].unique()))
        raise InputError(f"prices: duplicate tickers {dup}", field="prices.columns")
    p_index = _normalise_index(prices.index, "prices.index")
    if p_index is not prices.index:
        prices = prices.set_axis(p_index, axis=0)
    b_index = _normalise_index(basket.index, "basket.index")
    if b_index is not basket.index:
        basket = basket.set_axis(b_index)
    if prices.index.has_duplicates:
        dup = prices.index[prices.index.duplicated()].unique()
        raise InputError(f"prices: duplicate dates [{fmt_values(dup, 10)}]", field="prices.index")
    if basket.index.has_duplicates:
        dup = basket.index[basket.index.duplicated()].unique()
        raise InputError(f"basket: duplicate dates [{fmt_values(dup, 10)}]", field="basket.index")
    if len(prices) < MIN_ROWS:
        raise InputError(
            f"need at least {MIN_ROWS} dates to estimate Var[d] and Var[Δd], got {len(prices)}",
            field="prices",
        )
    if not prices.index.equals(basket.index):
        only_p = prices.index.difference(basket.index, sort=False)
        only_b = basket.index.difference(prices.index, sort=False)
        if len(only_p) or len(only_b):
            kinds = (_index_kind(prices.index), _index_kind(basket.index))
            hint = (f" (prices are indexed by {kinds[0]}, the basket by {kinds[1]})"
                    if kinds[0] != kinds[1] else "")
            raise InputError(
                "basket dates do not match prices dates: "
                f"{len(only_p)} price dates missing from the basket [{fmt_values(only_p, 5)}], "
                f"{len(only_b)} basket dates missing from prices [{fmt_values(only_b, 5)}]"
                f"{hint}",
                field="basket.index",
            )
        basket = basket.reindex(prices.index)
    if not prices.index.is_monotonic_increasing and _index_kind(prices.index) != "labels":
        # real dates (or integer periods) out of order are sorted; labels keep their order
        order = np.argsort(prices.index.to_numpy(), kind="stable")
        prices, basket = prices.iloc[order], basket.iloc[order]
    try:
        values = prices.to_numpy(dtype=float)
    except (TypeError, ValueError):
        for col in prices.columns:
            raw = prices[col]
            bad = pd.to_numeric(raw, errors="coerce").isna() & raw.notna()
            if bad.any():
                t = int(bad.to_numpy().argmax())
                raise InputError(
                    f"prices: non-numeric value {fmt_label(raw.iloc[t])} for ticker "
                    f"{fmt_label(col)} on {fmt_date(raw.index[t])}",
                    field=f"prices[{col!r}]",
                ) from None
        raise InputError("prices must be numeric", field="prices") from None
    # two reductions (no T x N masks) pass every valid table: a NaN makes the minimum NaN,
    # so only a bad value reaches the masks that find it
    if not (values.min() > 0 and values.max() < np.inf):
        bad = ~np.isfinite(values) | (values <= 0)
        t, i = np.argwhere(bad)[0]
        kind = (
            "missing (NaN)" if np.isnan(values[t, i])
            else f"not a positive finite number ({fmt_number(values[t, i])})"
        )
        raise InputError(
            f"prices: {int(bad.sum())} bad value(s); first: ticker {fmt_label(prices.columns[i])} "
            f"on {fmt_date(prices.index[t])} is {kind}",
            field=f"prices[{prices.columns[i]!r}]",
        )
    try:
        bvals = basket.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError("basket must be numeric", field="basket") from None
    if not np.isfinite(bvals).all():
        t = int(np.flatnonzero(~np.isfinite(bvals))[0])
        raise InputError(f"basket: value on {fmt_date(basket.index[t])} is NaN or infinite",
                         field="basket")
    return prices, basket


def _multipliers(values: Any, tickers: pd.Index) -> pd.Series:
    """Multipliers per ticker (absent: 1), finite and > 0, or :class:`InputError`."""
    if values is None:  # (a scalar broadcast costs ~0.1 ms at N=500; ones are the same)
        return pd.Series(np.ones(len(tickers)), index=tickers, copy=False)
    m = as_ticker_series(values, tickers, "multipliers", fill=1.0, finite=True)
    if (m <= 0).any():
        raise InputError(f"multipliers must be > 0; not for {list(m.index[m <= 0][:10])}",
                         field="multipliers")
    return m


def _reference_row(reference: Any, index: pd.Index) -> int:
    if reference is None:
        return len(index) - 1
    if isinstance(reference, (int, np.integer)) and not isinstance(reference, bool) and (
        reference not in index
    ):
        pos = int(reference)
        if not -len(index) <= pos < len(index):
            raise InputError(f"reference row {pos} out of range (prices have {len(index)} rows)",
                             field="reference")
        return pos % len(index)
    span = f" (prices run from {fmt_date(index[0])} to {fmt_date(index[-1])})"
    missing = InputError(f"reference date {fmt_label(reference)} is not a date of prices{span}",
                         field="reference")
    key = reference
    if isinstance(index, pd.DatetimeIndex) and not isinstance(reference, bool):
        if isinstance(reference, str):
            if not is_iso_date(reference):
                if looks_like_date(reference):
                    raise InputError(
                        f"reference date {reference!r} is not an ISO date: write it as "
                        f"YYYY-MM-DD (e.g. {fmt_date(index[-1])}) so that day and month cannot "
                        f"be swapped", field="reference")
                raise missing
            key = pd.Timestamp(reference)
        elif isinstance(reference, (_dt.date, np.datetime64)):
            key = pd.Timestamp(reference)
        if isinstance(key, pd.Timestamp) and index.tz is not None and key.tz is None:
            key = key.tz_localize(index.tz)
    try:
        loc = index.get_loc(key)
    except (KeyError, TypeError, ValueError):
        raise missing from None
    if not isinstance(loc, (int, np.integer)):
        raise InputError(f"reference {fmt_label(reference)} is ambiguous: it matches several "
                         f"rows", field="reference")
    return int(loc)
