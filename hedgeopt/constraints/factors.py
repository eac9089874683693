"""Factor exposure limits: ``lower_f <= sum_i w_i L_if (- e_f) <= upper_f``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.exposure import ExposureLimit
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["BASKET_SCALE", "FactorExposure"]

#: A basket exposure beyond this multiple of its factor's largest loading (at least 1) is
#: refused as a likely dollar amount.
BASKET_SCALE = 10.0


class FactorExposure(ExposureLimit):
    """The hedge's exposure to each factor, as a fraction of the notional.

    .. math::  \\ell_f \\le \\sum_i w_i L_{if} - e_f \\le u_f, \\qquad w_i = n_i P_{r,i} / B_r

    Parameters
    ----------
    loadings : pandas.DataFrame
        Tickers x factors: exposure per dollar held (a stock with loading 1.2 on "value" adds
        $1.20 of value exposure per dollar). It must cover every ticker of the universe (it may
        hold more); NaN is an error, never "no exposure".
    lower, upper : float, dict or pandas.Series, optional
        Limits as fractions of the notional: one for every factor, or per factor (factors
        absent from a dict / Series are not limited on that side).
    basket : dict or pandas.Series, optional
        The basket's own exposure per factor, in the same unit (``sum_j v_j L_jf`` over its
        constituents' dollar weights ``v_j``); then the limits apply to hedge minus basket.
        It must name every factor. An exposure more than :data:`BASKET_SCALE` times the
        largest loading of its factor is refused (a dollar amount given for a fraction).
    leverage : bool
        Allow limits beyond +-1 of the notional with ``basket`` (net exposure), or beyond the
        factor's largest |loading| (at least 1) without it; otherwise ``upper=5`` is refused as
        a likely percent ("did you mean 0.05?").
    """

    row_kind = "factor"

    def __init__(self, loadings: pd.DataFrame, lower: Any = None, upper: Any = None,
                 basket: Any = None, *, leverage: bool = False) -> None:
        if not isinstance(loadings, pd.DataFrame):
            raise InputError(f"FactorExposure.loadings must be a DataFrame (tickers x factors), "
                             f"got {type(loadings).__name__}", field="loadings")
        if loadings.shape[1] == 0:
            raise InputError("FactorExposure.loadings has no factor columns", field="loadings")
        if loadings.index.has_duplicates or loadings.columns.has_duplicates:
            raise InputError("FactorExposure.loadings repeats a ticker or a factor",
                             field="loadings")
        super().__init__(lower, upper, leverage=leverage)
        self.loadings = loadings
        self.basket = basket
        names = self.factors()
        # unknown factor names and (over every row given) implausible limits fail early
        L = _numeric(loadings).T
        self.limits(names, self.limit_scale(np.where(np.isfinite(L), L, 0.0)))
        self._basket_exposure(names)

    def relative_rows(self) -> bool:
        return self.basket is not None

    def factors(self) -> list[str]:
        """The factor names (columns of ``loadings``), as strings."""
        return [str(c) for c in self.loadings.columns]

    def _basket_exposure(self, names: list[str]) -> np.ndarray:
        if self.basket is None:
            return np.zeros(len(names))
        e = pd.Series(self.basket, dtype=float) if isinstance(self.basket, dict) else \
            pd.Series(self.basket)
        e.index = e.index.map(str)
        missing = [n for n in names if n not in e.index]
        unknown = sorted(set(e.index) - set(names))
        if missing or unknown:
            raise InputError(f"FactorExposure.basket must give one exposure per factor: "
                             f"missing {missing}, unknown {unknown}", field="basket")
        values = pd.to_numeric(e.reindex(names), errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).all():
            bad = [n for n, v in zip(names, values, strict=True) if not np.isfinite(v)]
            raise InputError(f"FactorExposure.basket: not a finite number for {bad}",
                             field="basket")
        return values

    def exposures(self, ctx: HedgeContext) -> tuple[np.ndarray, list[str], np.ndarray]:
        names = self.factors()
        if self.loadings.index.equals(ctx.tickers):  # rows in the universe's order
            L = _numeric(self.loadings)
            return self._checked(L, names, ctx)
        pos = self.loadings.index.get_indexer(ctx.tickers)
        if (pos < 0).any():
            if ctx.tickers.isin(self.loadings.columns).all():
                raise InputError("FactorExposure.loadings has the tickers as columns: it must "
                                 "be tickers x factors (one row per ticker); pass "
                                 "loadings.T", field="loadings")
            missing = sorted(map(str, ctx.tickers[pos < 0]))
            raise InputError(f"FactorExposure.loadings misses {len(missing)} ticker(s): "
                             f"{missing[:20]}", field="loadings")
        return self._checked(_numeric(self.loadings)[pos], names, ctx)

    def _checked(self, L: np.ndarray, names: list[str], ctx: HedgeContext
                 ) -> tuple[np.ndarray, list[str], np.ndarray]:
        """:meth:`exposures` from the loadings ``L`` aligned to the universe: refuse missing
        values and a basket exposure out of scale."""
        bad = ~np.isfinite(L)
        if bad.any():
            i, f = np.argwhere(bad)[0]
            raise InputError(f"FactorExposure.loadings: {int(bad.sum())} missing or non-numeric "
                             f"value(s); first: ticker {ctx.tickers[i]!r}, factor {names[f]!r}",
                             field="loadings")
        e = self._basket_exposure(names)
        scale = np.abs(L).max(axis=0)
        far = np.abs(e) > BASKET_SCALE * np.maximum(scale, 1.0)
        if far.any() and not self.leverage:
            f = int(np.flatnonzero(far)[0])
            raise InputError(f"FactorExposure.basket[{names[f]!r}] = {e[f]:g}, but the "
                             f"loadings of {names[f]!r} reach only {scale[f]:g}: the basket's "
                             f"exposure is per dollar of the notional, like the loadings (for "
                             f"dollars of exposure, divide by the notional "
                             f"${ctx.notional:,.0f}: {e[f] / ctx.notional:g}); give "
                             f"leverage=True if {e[f]:g} is meant", field="basket")
        return L.T.copy(), names, e

    def _repr_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"factors": self.factors() if len(self.factors()) <= 5
                                else f"<{len(self.factors())} factors>"}
        for k in ("lower", "upper"):
            if getattr(self, k) is not None:
                args[k] = getattr(self, k)
        if self.basket is not None:
            args["basket"] = self.basket
        if self.leverage:
            args["leverage"] = True
        return args


def _numeric(loadings: pd.DataFrame) -> np.ndarray:
    """The loadings as floats, NaN where a cell is not a number (every row, in order).

    Columns already of a numeric (not boolean) dtype are read as they are; only the others go
    through ``pd.to_numeric`` cell by cell, so the usual all-float frame costs one copy. The
    frame's own values are looked at first: when their common dtype is a numpy integer or float
    one, every column is of such a dtype (a boolean, text, nullable or object column makes the
    common dtype ``bool`` or ``object``), and ``loadings.dtypes`` (a Series: ~0.05-0.1 ms at
    N=500, twice per solve) is not needed.
    """
    values = loadings.to_numpy()
    if values.dtype.kind in "iuf":
        return values.astype(float)  # a copy: the caller's frame is never shared
    if all(pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)
           for d in loadings.dtypes):
        return loadings.to_numpy(dtype=float, na_value=np.nan)
    return loadings.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
