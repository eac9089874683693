"""Exception tree of hedgeopt.

Every error hedgeopt raises derives from :class:`HedgeOptError`. Classes that refine a built-in
also subclass it (``InputError`` is a ``ValueError``), so existing ``except ValueError`` blocks
keep working, as in scikit-learn.
"""

from __future__ import annotations

__all__ = [
    "HedgeOptError",
    "InputError",
    "DataNotFound",
    "MissingDependency",
    "NotFittedError",
    "InfeasibleError",
    "SolverError",
    "SolverNotAvailable",
    "VerificationError",
]


class HedgeOptError(Exception):
    """Base class of every hedgeopt error."""


class InputError(HedgeOptError, ValueError):
    """Bad user input: prices, basket, parameters or constraint arguments.

    Parameters
    ----------
    message : str
        What is wrong, naming the offending field (ticker, date, key).
    field : str, optional
        The name of the offending field, for programmatic use.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFittedError(HedgeOptError, AttributeError):
    """An estimator (:class:`~hedgeopt.HedgeEstimator`) was used before ``fit``.

    Subclasses ``AttributeError`` as scikit-learn's ``NotFittedError`` does.
    """


class MissingDependency(HedgeOptError, ImportError):
    """An optional package that a feature needs is not installed.

    The message names the feature and the exact ``pip install`` line (``pip install
    "hedgeopt[batch]"``); the command line reports it with exit status 2.

    Parameters
    ----------
    message : str
        What is missing and how to install it.
    package : str, optional
        The importable name of the missing package (``"distributed"``).
    extra : str, optional
        The hedgeopt extra that installs it (``"batch"``).
    """

    def __init__(self, message: str, package: str | None = None,
                 extra: str | None = None) -> None:
        super().__init__(message)
        self.package = package
        self.extra = extra


class DataNotFound(HedgeOptError, FileNotFoundError):
    """A data file (e.g. OR-Library) is not where hedgeopt looked for it."""


class InfeasibleError(HedgeOptError, ValueError):
    """The constraint set admits no hedge.

    Attributes
    ----------
    constraints : list of str
        Descriptions of the constraints in the problem.
    culprits : list of str
        Constraints whose removal (one at a time) makes the problem feasible.
    """

    def __init__(
        self, message: str, constraints: list[str] | None = None, culprits: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.constraints = list(constraints or [])
        self.culprits = list(culprits or [])


class SolverError(HedgeOptError, RuntimeError):
    """A backend failed or returned an answer that does not survive verification."""


class SolverNotAvailable(SolverError, ImportError):
    """The requested backend is not installed (the message says what to ``pip install``)."""


class VerificationError(SolverError):
    """A returned solution violates a constraint beyond tolerance when re-checked in user units."""
