"""Workflows over many fits: walk-forward model selection (:func:`~hedgeopt.tune`) and
walk-forward backtests (:func:`~hedgeopt.backtest`).

``fitting`` holds what both fit through (problem building, the relative ridge, a fit with a
parameter set, the average of several fits), ``folds`` the validation plan of ``tune``.
"""

from hedgeopt.workflow.backtest import BacktestResult, backtest
from hedgeopt.workflow.tuning import TuneResult, tune

__all__ = ["BacktestResult", "TuneResult", "backtest", "tune"]
