"""hedgeopt: buy-and-hold share hedges whose dollar value tracks a basket's dollar value.

The names below load on first use (PEP 562), so ``import hedgeopt`` and ``hedgeopt --version``
do not import cvxpy, pandas' plotting or matplotlib until a name that needs them is touched;
``from hedgeopt import X`` and ``hedgeopt.X`` work as with eager imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hedgeopt._version import __version__ as __version__

if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported eagerly
    from hedgeopt import datasets, io, solvers
    from hedgeopt.book import Book, BookResult, book_from_panel, solve_book
    from hedgeopt.config import ConfigError, load_book, load_config
    from hedgeopt.constraints import (
        Beta,
        Bounds,
        Budget,
        Constraint,
        Custom,
        Exclude,
        FactorExposure,
        Leverage,
        LinearConstraint,
        LinearForm,
        LongOnly,
        MaxNames,
        MaxParticipation,
        MaxWeight,
        MinPosition,
        MinTrade,
        SectorCap,
        ShareLots,
        Turnover,
    )
    from hedgeopt.context import HedgeContext
    from hedgeopt.costs import BorrowCost, Soft, Term, TransactionCost
    from hedgeopt.exceptions import (
        DataNotFound,
        HedgeOptError,
        InfeasibleError,
        InputError,
        MissingDependency,
        NotFittedError,
        SolverError,
        SolverNotAvailable,
        VerificationError,
    )
    from hedgeopt.metrics import basket_value, compare, evaluate, tracking_objective
    from hedgeopt.objective import TrackingObjective
    from hedgeopt.problem import HedgeProblem
    from hedgeopt.regularization import L1, Penalty, Ridge
    from hedgeopt.reporting.plots import plot_backtest, plot_frontier, plot_hedge, plot_holdings
    from hedgeopt.reporting.report import write_outputs
    from hedgeopt.result import HedgeResult
    from hedgeopt.solvers import available_solvers
    from hedgeopt.workflow.backtest import BacktestResult, backtest
    from hedgeopt.workflow.estimator import HedgeEstimator
    from hedgeopt.workflow.tuning import TuneResult, tune

#: subpackages loaded on first attribute access
_SUBMODULES = ("datasets", "io", "solvers")
#: module -> public names it defines
_EXPORTS: dict[str, tuple[str, ...]] = {
    "hedgeopt.book": ("Book", "BookResult", "book_from_panel", "solve_book"),
    "hedgeopt.config": ("ConfigError", "load_book", "load_config"),
    "hedgeopt.constraints": (
        "Bounds", "Budget", "Constraint", "Custom", "Exclude", "LinearConstraint", "LinearForm",
        "LongOnly", "MaxNames", "MinPosition", "MinTrade", "SectorCap", "ShareLots", "Turnover",
        "Beta", "FactorExposure", "Leverage", "MaxParticipation", "MaxWeight",
    ),
    "hedgeopt.context": ("HedgeContext",),
    "hedgeopt.costs": ("BorrowCost", "Soft", "Term", "TransactionCost"),
    "hedgeopt.exceptions": (
        "DataNotFound", "HedgeOptError", "InfeasibleError", "InputError", "MissingDependency",
        "NotFittedError", "SolverError", "SolverNotAvailable", "VerificationError",
    ),
    "hedgeopt.metrics": ("basket_value", "compare", "evaluate", "tracking_objective"),
    "hedgeopt.objective": ("TrackingObjective",),
    "hedgeopt.problem": ("HedgeProblem",),
    "hedgeopt.regularization": ("L1", "Penalty", "Ridge"),
    "hedgeopt.reporting.plots": ("plot_backtest", "plot_frontier", "plot_hedge", "plot_holdings"),
    "hedgeopt.result": ("HedgeResult",),
    "hedgeopt.solvers": ("available_solvers",),
    "hedgeopt.workflow.backtest": ("BacktestResult", "backtest"),
    "hedgeopt.workflow.estimator": ("HedgeEstimator",),
    "hedgeopt.workflow.tuning": ("TuneResult", "tune"),
    "hedgeopt.reporting.report": ("write_outputs",),
}
_ORIGIN = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first access and cache the value."""
    if name in _SUBMODULES:
        value = importlib.import_module(f"hedgeopt.{name}")
    elif name in _ORIGIN:
        value = getattr(importlib.import_module(_ORIGIN[name]), name)
    else:
        raise AttributeError(f"module 'hedgeopt' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "BacktestResult",
    "Book",
    "BookResult",
    "ConfigError",
    "Bounds",
    "Budget",
    "Beta",
    "BorrowCost",
    "Constraint",
    "Custom",
    "DataNotFound",
    "FactorExposure",
    "Leverage",
    "MaxParticipation",
    "MaxWeight",
    "Soft",
    "Term",
    "TransactionCost",
    "Exclude",
    "HedgeContext",
    "HedgeEstimator",
    "HedgeOptError",
    "HedgeProblem",
    "HedgeResult",
    "InfeasibleError",
    "InputError",
    "L1",
    "LinearConstraint",
    "LinearForm",
    "LongOnly",
    "Penalty",
    "MaxNames",
    "MissingDependency",
    "NotFittedError",
    "MinPosition",
    "MinTrade",
    "Ridge",
    "SectorCap",
    "ShareLots",
    "SolverError",
    "SolverNotAvailable",
    "TrackingObjective",
    "TuneResult",
    "Turnover",
    "VerificationError",
    "available_solvers",
    "backtest",
    "basket_value",
    "book_from_panel",
    "compare",
    "datasets",
    "io",
    "solvers",
    "evaluate",
    "load_book",
    "load_config",
    "plot_backtest",
    "plot_frontier",
    "plot_hedge",
    "plot_holdings",
    "solve_book",
    "tracking_objective",
    "tune",
    "write_outputs",
]
