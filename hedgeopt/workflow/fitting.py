"""Fits that the workflows share: build or update a problem, the relative ridge, a fit with a
parameter set, and the average of several fits.

:func:`hedgeopt.tune` and :func:`hedgeopt.backtest` both fit through these helpers, so a
parameter set (``TuneResult.best``, a row of ``BacktestResult.periods``) means the same hedge
in both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.context import validate_pnl
from hedgeopt.problem import HedgeProblem
from hedgeopt.regularization import Ridge
from hedgeopt.result import HedgeResult

__all__ = ["average_fits", "fit_with", "make_problem", "ridge_scale", "update_problem"]


def make_problem(prices: pd.DataFrame, basket: pd.Series, *, lam: float = 0.0,
                 constraints: Iterable[Any] = (), half_life: float | None = None,
                 pnl: str = "reference", value_horizon: int | None = None,
                 shrinkage: float = 0.0) -> HedgeProblem:
    """A :class:`HedgeProblem` with the P&L measure ``pnl`` ("price" or "reference") and the
    objective options ``value_horizon`` and ``shrinkage`` (one factor)."""
    validate_pnl(pnl)
    return HedgeProblem(prices, basket, lam=lam, constraints=constraints, half_life=half_life,
                        pnl=pnl, value_horizon=value_horizon, shrinkage=shrinkage)


def update_problem(prob: HedgeProblem, prices: pd.DataFrame, basket: pd.Series) -> HedgeProblem:
    """``prob.update_data(prices, basket)`` (the P&L measure and half-life are kept)."""
    return prob.update_data(prices, basket)


def ridge_scale(prob: HedgeProblem) -> float:
    """Mean diagonal of the normalised tracking Gram: the unit of the relative ridge.

    The normalised objective is ``0.5 w'Qw - q'w + c`` (tracking variance over unhedged
    variance); ``ridge_scale = mean(diag(Q)) / 2`` is the average instrument variance relative to
    the basket's. A relative ridge ``r`` adds ``r * ridge_scale * ||w - w0||^2``: shrinkage of
    the instruments' covariance toward ``ridge_scale * I`` with intensity ``r / (1 + r)``, the
    same meaning whatever N, the window length or the price levels.
    """
    scale = float(np.mean(prob.objective.diagonal(prob.ctx))) / 2.0
    return scale if math.isfinite(scale) and scale > 0 else 1.0


def fit_with(prices: pd.DataFrame, basket: pd.Series, constraints: Sequence[Any],
             params: Mapping[str, Any], *, prior: Any = None, solver: str | None = None,
             warm: Any = None) -> tuple[HedgeProblem, HedgeResult]:
    """Fit on the last ``params["window"]`` rows with ``params`` (as in ``TuneResult.best``).

    The ridge is relative (see :func:`hedgeopt.tune`); the problem's last penalty is the
    :class:`~hedgeopt.Ridge` term with the absolute strength. ``warm`` is a first guess of the
    native solver's working set (:attr:`HedgeProblem.warm_start`; the answer does not depend
    on it).
    """
    win = params.get("window")
    P = prices if win is None else prices.iloc[-int(win):]
    B = basket if win is None else basket.iloc[-int(win):]
    ridge_term = Ridge(0.0, prior=prior)
    prob = make_problem(P, B, lam=params.get("lam", 0.0), constraints=[*constraints, ridge_term],
                        half_life=params.get("half_life"), pnl=params.get("pnl", "reference"),
                        value_horizon=params.get("value_horizon"),
                        shrinkage=params.get("shrinkage", 0.0))
    ridge_term.strength = float(params.get("ridge", 0.0)) * ridge_scale(prob)
    prob.warm_start = warm
    return prob, prob.solve(solver)


def average_fits(fits: Sequence[tuple[HedgeProblem, HedgeResult]],
                 members: Sequence[Mapping[str, Any]], *, solve_time: float = 0.0
                 ) -> HedgeResult:
    """The equal average of the hedges of ``fits`` (one per parameter set of ``members``).

    Averaging hedges that each satisfy convex constraints satisfies them too; the average is
    verified against the first fit's constraints on its data. The result says it is an
    average: ``solver`` and ``method`` read "average of ...", ``lam`` is the mean of the
    members' lams (its ``objective`` is evaluated there), and ``info["members"]`` /
    ``info["lam_label"]`` list each member's lam, P&L measure and ridge. One fit is returned
    as it is.
    """
    prob, first = fits[0]
    if len(fits) == 1:
        return first
    k = len(fits)
    lams = [float(m["lam"]) for m in members]
    label = "; ".join(f"lam {m['lam']:g}, {m['pnl']} P&L, ridge {m['ridge']:g}" for m in members)
    return HedgeResult.build(
        np.mean([res.shares.to_numpy() for _, res in fits], axis=0), prob.ctx,
        float(np.mean(lams)), prob.constraints, tol=1e-6, status="optimal",
        solver=f"average of {k} ({first.solver})", method=f"average of {k} refits",
        solve_time=solve_time,
        info={"members": list(members),
              "lam_label": f"{np.mean(lams):g} (mean of the members': {label})"})
