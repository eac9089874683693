"""Solver-neutral MIP data: the propagated lot bounds, the thresholds in lots and the factor
form of the objective, as both MIP builders (:mod:`.scip`, :mod:`.cvxpy_mip`) read them.

MIP formulation
---------------
Integer lots ``z`` with bounds tightened by the rows (a long-only budget bounds every name);
``y = sigma (F[:, :N] (u * z) + F[:, N])`` with ``k = min(N+1, 2T-1)`` rows and the convex
quadratic constraint ``t >= ||y||^2``; minimise ``t``. ``sigma`` scales the objective so that the
incumbent is ``O(1)`` (the normalised objective can be 1e-7, below SCIP's tolerances).
Cardinality and minimum positions use binaries ``p_i`` (long) and ``n_i`` (short) with
``m_i p_i + l_i n_i <= z_i <= u_i p_i - m_i n_i``, whose big-M values ``l_i, u_i`` are the
propagated lot bounds (never a blind constant; names without finite bounds get SCIP indicator
constraints instead). Minimum trades use the same construction on ``z_i - h_i``; turnover
uses ``s_i >= |w_i - h_i|``, ``sum s_i <= tau``. Linear costs add ``p_i - m_i = w_i - h_i``
(``p, m >= 0``) priced ``trade_rate_i (p_i + m_i)``, and ``s_i >= -w_i, s_i >= 0`` priced
``short_rate_i s_i``, to the objective (exact at the optimum: the prices are >= 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hedgeopt.solvers.wholeshare.bounds import lot_bounds
from hedgeopt.solvers.wholeshare.restrictions.base import Restriction
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["MipBounds", "mip_bounds", "_factor_constant"]


@dataclass
class MipBounds:
    """Integer bounds and thresholds of the MIP.

    Attributes
    ----------
    zl, zu : numpy.ndarray
        Propagated lot bounds (:func:`~hedgeopt.solvers.wholeshare.bounds.lot_bounds`),
        ``-inf`` / ``+inf`` where unbounded: the big-M values of the binaries.
    rules : list of Restriction
        The spec's restrictions (:mod:`.restrictions`), which add their own rows.
    mw : numpy.ndarray or None
        Minimum ``|z|`` in lots when held, the largest of the rules'
        (:meth:`~.restrictions.base.Restriction.held_lots`; None when no rule has one): the
        held binaries that several rules share use it.
    """

    zl: np.ndarray
    zu: np.ndarray
    rules: list[Restriction]
    mw: np.ndarray | None


def mip_bounds(spec: WholeShareSpec) -> MipBounds:
    """The :class:`MipBounds` of ``spec`` (the same numbers the search uses)."""
    zl, zu = lot_bounds(spec)
    rules = spec.restrictions()
    held = [m for m in (r.held_lots() for r in rules) if m is not None]
    return MipBounds(zl, zu, rules, np.maximum.reduce(held) if held else None)


def _factor_constant(spec: WholeShareSpec) -> tuple[np.ndarray, float] | None:
    """``(F, c_F)`` with ``f(w) = ||F [w; 1]||^2 + c_F`` for the quadratic part of ``f`` (the
    linear costs are >= 0 on top), or None if the factor disagrees."""
    F = np.asarray(spec.factor, dtype=float)
    n = spec.n
    if F.ndim != 2 or F.shape[1] != n + 1:
        return None
    cF = spec.quad_value(np.zeros(n)) - float(F[:, n] @ F[:, n])
    rng = np.random.default_rng(12345)
    for _ in range(2):
        z = rng.integers(-3, 4, n)
        w = spec.unit * z
        r = F[:, :n] @ w + F[:, n]
        a, b = float(r @ r) + cF, spec.quad_value(z)
        if abs(a - b) > 1e-8 * max(abs(a), abs(b), 1e-12):
            return None
    return F, cF
