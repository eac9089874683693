"""Limits on linear exposures of the hedge (factors, beta), optionally net of the basket's.

A row ``a`` (one factor, or the beta) gives the hedge's exposure as a fraction of the notional,
``a' w`` with ``w`` the dollar weights; with the basket's own exposure ``e`` subtracted the limit
reads ``lower <= a' w - e <= upper``, i.e. the form's rows ``lower + e <= a' w <= upper + e``.
:class:`ExposureLimit` holds that arithmetic once: the limits per row, the form and a check that
speaks fractions of the notional and dollars.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import (
    LinearConstraint,
    LinearForm,
    as_float,
    as_fraction,
    shares_array,
)
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import InputError

__all__ = ["ExposureLimit", "per_row"]


def per_row(value: Any, names: list[str], default: float, field: str,
            scale: np.ndarray | None = None, leverage: bool = False) -> np.ndarray:
    """One limit per row of ``names``: a scalar for all, or a dict / Series keyed by name
    (names absent from it get ``default``; unknown names and NaN are an error). With ``scale``
    (one per row), a limit beyond it in absolute value is refused as a likely percent unless
    ``leverage``."""
    if value is None:
        return np.full(len(names), default)
    if isinstance(value, (dict, pd.Series)):
        items = dict(value.items())
        unknown = set(map(str, items)) - set(names)
        if unknown:
            raise InputError(f"{field}: unknown names {sorted(unknown)} (known: "
                             f"{names[:20]})", field=field.split(".")[-1])
        got = {str(k): as_float(v, f"{field}[{k!r}]") for k, v in items.items()}
        out = np.array([got.get(n, default) for n in names])
        shown = [f"{field}[{n!r}]" if n in got else field for n in names]
    else:
        out = np.full(len(names), as_float(value, field))
        shown = [field] * len(names)
    if scale is not None:
        for v, lim, f in zip(out, scale, shown, strict=True):
            if np.isfinite(v):
                as_fraction(v, f, float(lim), leverage=leverage)
    return out


class ExposureLimit(LinearConstraint):
    """``lower <= A w - offset <= upper`` per row, in fractions of the notional.

    Subclasses implement :meth:`exposures` (the rows ``A``, their names and the ``offset``);
    ``lower`` and ``upper`` are scalars or per-row dicts / Series, fractions of the notional.

    A limit no hedge of a notional's worth can need is refused as a likely percent
    (``Beta(spx, -2, 2)`` meaning 2%) unless ``leverage=True``: beyond +-1 (100% of the
    notional) on a row relative to the basket, beyond ``max(1, max_i |A_ri|)`` (the whole
    notional in the most exposed name) on an absolute row (:meth:`limit_scale`).
    """

    #: What one row is called in messages ("factor", "beta").
    row_kind: str = "exposure"

    def __init__(self, lower: Any = None, upper: Any = None, *, leverage: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        self.leverage = bool(leverage)
        if lower is None and upper is None:
            raise InputError(f"{name}: give lower, upper or both", field="lower")
        for side, value in (("lower", lower), ("upper", upper)):
            if value is not None and np.isscalar(value):
                as_float(value, f"{name}.{side}")
        if np.isscalar(lower) and np.isscalar(upper):
            lo, hi = as_float(lower, f"{name}.lower"), as_float(upper, f"{name}.upper")
            if lo > hi:
                raise InputError(f"{name}: lower = {lo:g} > upper = {hi:g}", field="lower")
        self.lower, self.upper = lower, upper

    @abstractmethod
    def exposures(self, ctx: HedgeContext) -> tuple[np.ndarray, list[str], np.ndarray]:
        """``(A, names, offset)``: m x N rows (exposure per dollar weight), their names and
        what is subtracted from ``A w`` before the limits apply (zeros when not relative)."""

    def relative_rows(self) -> bool:
        """Whether the rows are net of the basket's exposure (subclasses say)."""
        return False

    def limit_scale(self, A: np.ndarray) -> np.ndarray:
        """The largest plausible limit per row (see the class docstring): 1 on rows net of
        the basket, ``max(1, max_i |A_ri|)`` on absolute ones."""
        if self.relative_rows() or A.shape[1] == 0:
            return np.ones(A.shape[0])
        return np.maximum(np.abs(A).max(axis=1), 1.0)

    def limits(self, names: list[str], scale: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` per row, ``-inf`` / ``inf`` where a side is absent; with
        ``scale``, implausibly large limits are refused (see the class docstring)."""
        name = type(self).__name__
        lo = per_row(self.lower, names, -np.inf, f"{name}.lower", scale, self.leverage)
        hi = per_row(self.upper, names, np.inf, f"{name}.upper", scale, self.leverage)
        clash = lo > hi
        if clash.any():
            which = [names[i] for i in np.flatnonzero(clash)]
            raise InputError(f"{name}: lower > upper for {which}", field="lower")
        return lo, hi

    def _linear(self, ctx: HedgeContext) -> LinearForm:
        A, names, offset = self.exposures(ctx)
        lo, hi = self.limits(names, self.limit_scale(A))
        keep = np.isfinite(lo) | np.isfinite(hi)
        return LinearForm.rows(ctx.n_assets, A[keep], (lo + offset)[keep], (hi + offset)[keep],
                               [self._label(n) for n, k in zip(names, keep, strict=True) if k])

    def _label(self, name: str) -> str:
        return f"{self.row_kind} {name!r}"

    def exposure(self, shares: Any, ctx: HedgeContext) -> pd.Series:
        """The limited quantity ``A w - offset`` of ``shares`` per row (fractions of the
        notional; times ``ctx.notional`` for dollars)."""
        values, names = self._exposure_values(shares, ctx)
        return pd.Series(values, index=names, name=type(self).__name__)

    def _exposure_values(self, shares: Any, ctx: HedgeContext) -> tuple[np.ndarray, list[str]]:
        """:meth:`exposure` as an array and the row names (no Series: its text index costs
        more than the product)."""
        A, names, offset = self.exposures(ctx)
        w = ctx.weights_from_shares(shares_array(shares, ctx))
        return A @ w - offset, names

    def check(self, shares: Any, ctx: HedgeContext, tol: float = 1e-6) -> list[str]:
        values, names = self._exposure_values(shares, ctx)
        lo, hi = self.limits(names)
        out = []
        for j, (name, v) in enumerate(zip(names, values.tolist(), strict=True)):
            for side, bound, bad in (("below", lo[j], v < lo[j] - tol),
                                     ("above", hi[j], v > hi[j] + tol)):
                if bad:
                    out.append(f"{self!r}: {self._label(str(name))} is {v:.6g} of the notional "
                               f"(${v * ctx.notional:,.2f}), {side} {bound:.6g} "
                               f"(${bound * ctx.notional:,.2f})")
        return out
