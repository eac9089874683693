"""hedgeopt: buy-and-hold share hedges whose dollar value tracks a basket's dollar value."""

from hedgeopt import datasets, io, solvers
from hedgeopt._version import __version__ as __version__
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
    SolverError,
    SolverNotAvailable,
    VerificationError,
)
from hedgeopt.metrics import basket_value, compare, evaluate, tracking_objective
from hedgeopt.objective import TrackingObjective
from hedgeopt.problem import HedgeProblem
from hedgeopt.regularization import L1, Penalty, Ridge
from hedgeopt.reporting.plots import plot_backtest, plot_frontier, plot_hedge
from hedgeopt.result import HedgeResult
from hedgeopt.solvers import available_solvers
from hedgeopt.workflow.backtest import BacktestResult, backtest
from hedgeopt.workflow.tuning import TuneResult, tune

__all__ = [
    "Beta",
    "FactorExposure",
    "Leverage",
    "MaxParticipation",
    "MaxWeight",
    "BacktestResult",
    "Book",
    "BorrowCost",
    "BookResult",
    "ConfigError",
    "Bounds",
    "Budget",
    "Constraint",
    "Custom",
    "DataNotFound",
    "Exclude",
    "HedgeContext",
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
    "MinPosition",
    "MinTrade",
    "Ridge",
    "SectorCap",
    "ShareLots",
    "Soft",
    "SolverError",
    "Term",
    "TransactionCost",
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
    "solve_book",
    "tracking_objective",
    "tune",
]
