"""The defaults every entry point shares: one place, chosen from out-of-sample evidence.

``lam = 0`` and the ``"price"`` P&L measure: the fit of the day-to-day dollar P&L gap, with the
hedge's level pinned by the budget. Measured out of sample with long-only budget hedges
(``Var`` of the held P&L gap and of the value gap, geometric mean of the ratios to the
returns-space fit ``lam=0, pnl="reference"`` that skfolio and PyPortfolioOpt give):

============================  ==================  ==================
setting                       daily SPY, 46 win.  OR-Library 1-7
============================  ==================  ==================
lam 0, "price" (default)      1.009 / 1.053       0.844 / 0.780
lam 0, "reference"            1 / 1               1 / 1
lam 0.01 / 0.1 / 0.5, price   1.03 / 1.12 / 1.20  0.86 / 0.85 / 1.01
                              (P&L gap)           (P&L gap)
============================  ==================  ==================

The level term ``Var[d]`` fits drifts of the estimation window that do not persist, so every
``lam > 0`` loses on daily data; ``"price"`` wins clearly on the weekly OR-Library sets and is
within 1% / 5% on daily data (daily: 504-day fits, 126-day holds, SPY hedged with the stocks of
``../shared/data/daily`` that have full data; OR-Library: fit weeks 0-144, hold 144-290). It is
also the objective exactly as defined, ``(1 - lam) Var[Δd] + lam Var[d]`` with ``Δd`` the
day-to-day change of the dollar gap.
"""

from __future__ import annotations

__all__ = ["DEFAULT_LAM", "DEFAULT_PNL", "DEFAULT_TOL"]

#: Weight of the level term ``Var[d]`` in ``(1 - lam) Var[Δd] + lam Var[d]``.
DEFAULT_LAM = 0.0
#: How the P&L term measures a period: ``"price"`` (price differences) or ``"reference"``.
DEFAULT_PNL = "price"
#: Verification tolerance, relative to the notional ($10 on $10M).
DEFAULT_TOL = 1e-6
