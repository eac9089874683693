"""The whole-share problem as the integer backends see it (the spec and the outcome).

In lots ``z`` (integers) the hedge holds ``n_i = lot_i z_i`` shares, i.e. dollar weights
``w_i = unit_i z_i`` with ``unit_i = lot_i P_ref,i / B_ref``. The backends minimise the same
normalised objective as the continuous solvers,

.. math::  f(w) = \\tfrac12 w^\\top Q w - q^\\top w + c,

plus, when the problem prices trading or borrow costs, their exact separable piecewise-linear
dollars in the same units,

``sum_i trade_rate_i |w_i - trade_ref_i| + short_rate_i max(-w_i, 0)``

(:meth:`WholeShareSpec.cost`), subject to the merged linear form (``lb <= w <= ub``,
``lo <= A w <= hi``) and the whole-share
restrictions in :attr:`WholeShareSpec.rules` (turnover, name count, minimum positions and
trades, ...: one :class:`~.restrictions.base.Restriction` each, holding its own data; see
:mod:`.restrictions`). Dollars^2 are ``f * scale * B_ref^2`` (see
:class:`~hedgeopt.objective.TrackingObjective`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearForm
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction

__all__ = ["WholeShareSpec", "WholeShareOutcome"]


@dataclass
class WholeShareSpec:
    """Everything an integer backend needs, in scaled units.

    Attributes
    ----------
    Q, q, c : numpy.ndarray, numpy.ndarray, float
        Normalised objective ``0.5 w'Qw - q'w + c`` (``Q`` is N x N PSD, possibly singular).
    factor : numpy.ndarray
        ``F`` (k x (N+1)) with ``f(w) = ||F [w; 1]||^2`` up to the constant ``c_factor``
        (a QR/Cholesky-reduced form for MIP backends: ``k = min(N+1, 2T-1)``).
    unit : numpy.ndarray
        Weight of one lot per name (> 0): ``w = unit * z``.
    form : LinearForm
        Merged polyhedral constraints in weights.
    rules : tuple of Restriction
        The whole-share restrictions, each with its data in weights
        (:class:`~.restrictions.TurnoverRule`, :class:`~.restrictions.MaxNamesRule`, ...).
    relaxed : numpy.ndarray or None
        The continuous optimum (weights) without the integer restrictions, if known.
    relaxed_value : float or None
        Its objective ``f`` (a lower bound when the relaxation dropped only integer restrictions).
    lots : numpy.ndarray or None
        Lot size in shares per name (``shares = lots * z`` exactly; ``unit = lots P_ref / B_ref``).
    notional : float or None
        ``B_ref`` in dollars, so that messages (proofs of infeasibility) speak dollars.
    names : list of str or None
        Ticker of each name, for messages.
    trade_ref, trade_rate, short_rate : numpy.ndarray or None
        Linear costs (None: none): ``trade_rate_i |w_i - trade_ref_i|`` (transaction costs from
        the current weights ``trade_ref``) and ``short_rate_i max(-w_i, 0)`` (borrow), in the
        normalised objective's units per unit of weight (>= 0). Per name, so that a spec
        restricted to some names keeps its own.
    """

    Q: np.ndarray
    q: np.ndarray
    c: float
    factor: np.ndarray
    unit: np.ndarray
    form: LinearForm
    rules: tuple[Restriction, ...] = ()
    relaxed: np.ndarray | None = None
    relaxed_value: float | None = None
    lots: np.ndarray | None = None
    notional: float | None = None
    names: list[str] | None = None
    trade_ref: np.ndarray | None = None
    trade_rate: np.ndarray | None = None
    short_rate: np.ndarray | None = None

    def name(self, i: int) -> str:
        """Ticker of name ``i`` (``"name i"`` when unknown)."""
        return str(self.names[i]) if self.names is not None else f"name {i}"

    def money(self, w: float) -> str:
        """A weight in plain dollars (``$1,234,567``), or as a fraction of the notional."""
        if self.notional is None:
            return f"{w:.6g} x the notional"
        d = w * self.notional
        return f"-${-d:,.0f}" if d < 0 else f"${d:,.0f}"

    def restrictions(self) -> list[Restriction]:
        """The rules bound to the lot values :attr:`unit` (:meth:`Restriction.bind`), in
        :attr:`rules` order."""
        return [r.bind(self.unit) for r in self.rules]

    def name_limit(self) -> int | None:
        """The least name-count limit of the rules (None when no rule limits it)."""
        limits = [k for k in (r.name_limit() for r in self.rules) if k is not None]
        return min(limits) if limits else None

    @property
    def n(self) -> int:
        """Number of instruments."""
        return self.q.shape[0]

    @property
    def has_costs(self) -> bool:
        """Whether the objective carries linear costs (:meth:`cost`)."""
        return self.trade_rate is not None or self.short_rate is not None

    def cost(self, w: np.ndarray) -> np.ndarray:
        """The linear costs of each name at weights ``w`` (normalised units; zeros without)."""
        w = np.asarray(w, dtype=float)
        out = np.zeros(w.shape)
        if self.trade_rate is not None:
            assert self.trade_ref is not None
            out += self.trade_rate * np.abs(w - self.trade_ref)
        if self.short_rate is not None:
            out += self.short_rate * np.maximum(-w, 0.0)
        return out

    def quad_value(self, z: np.ndarray) -> float:
        """The quadratic part ``0.5 w'Qw - q'w + c`` of the objective at lots ``z``."""
        w = self.unit * np.asarray(z, dtype=float)
        return float(0.5 * w @ (self.Q @ w) - self.q @ w + self.c)

    def value(self, z: np.ndarray) -> float:
        """Objective ``f`` of the lot vector ``z`` (the quadratic plus the linear costs)."""
        f = self.quad_value(z)
        if self.has_costs:
            f += float(self.cost(self.unit * np.asarray(z, dtype=float)).sum())
        return f


@dataclass
class WholeShareOutcome:
    """What an integer backend returns (lots, not yet verified)."""

    z: np.ndarray | None
    value: float | None          # f(z), normalised
    bound: float | None          # best proven lower bound on f (normalised), if any
    status: str                  # "optimal" (gap closed) | "feasible" | "infeasible" | "failed"
    method: str                  # which method found the incumbent, e.g. "rounding", "LNS", "SCIP"
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
