"""Which backends exist, which are installed, and how one is chosen.

Backends are listed in preference order with capability flags, as in cvxpy's solver registry.
Availability is checked by module spec, without importing the backend. A missing backend raises
:class:`~hedgeopt.exceptions.SolverNotAvailable` with the exact ``pip install`` that fixes it and
the list of what is installed (qpsolvers' message style).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hedgeopt.exceptions import InputError, SolverNotAvailable

__all__ = ["Backend", "BACKENDS", "available_solvers", "candidates", "get_backend"]


@dataclass(frozen=True)
class Backend:
    """A solver backend and what it can do.

    Attributes
    ----------
    name : str
        Public name (``solver=`` argument).
    module : str
        Python module whose presence makes the backend available.
    pip : str
        What to install when it is missing.
    integer : bool
        Solves whole-share (mixed-integer) problems (cvxpy's ``MIP_CAPABLE``).
    continuous : bool
        Solves the continuous problem.
    linear_only : bool
        Needs every constraint in :class:`~hedgeopt.constraints.LinearForm` (native solvers).
    options : dict
        Default options (tolerances) passed to the backend.
    """

    name: str
    module: str
    pip: str
    integer: bool = False
    continuous: bool = True
    linear_only: bool = False
    via_cvxpy: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def available(self) -> bool:
        """Installed (module importable); licensed backends may still fail at solve time."""
        return _module_present(self.module)


@cache
def _module_present(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# Tolerances: each backend must agree with an independent high-accuracy solution to <= 1e-6
# relative objective on the normalised problem (tests/solvers/test_continuous.py checks it).
BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in [
        Backend("ACTIVESET", "numpy", "pip install hedgeopt", linear_only=True, via_cvxpy=False),
        Backend(
            "OSQP", "osqp", "pip install osqp",
            options={"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iter": 200_000,
                     "eps_prim_inf": 1e-12, "eps_dual_inf": 1e-12},
        ),
        Backend(
            "CLARABEL", "clarabel", "pip install clarabel",
            options={"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10,
                     "max_iter": 500},
        ),
        Backend(
            "ECOS", "ecos", "pip install ecos",
            options={"abstol": 1e-9, "reltol": 1e-9, "feastol": 1e-9, "max_iters": 500},
        ),
        Backend("SCIP", "pyscipopt", 'pip install "hedgeopt[mip]"  (or: pip install pyscipopt)',
                integer=True, continuous=False, via_cvxpy=False),
        Backend("GUROBI", "gurobipy", "pip install gurobipy  (needs a Gurobi licence)",
                integer=True, continuous=False),
        Backend("MOSEK", "mosek", "pip install mosek  (needs a MOSEK licence)",
                integer=True, continuous=False),
        Backend("HEURISTIC", "numpy", "pip install hedgeopt", integer=True, continuous=False,
                linear_only=True, via_cvxpy=False),
    ]
}


def available_solvers(integer: bool | None = None) -> list[str]:
    """Installed backends in preference order (``integer=True``: whole-share ones only)."""
    return [
        b.name
        for b in BACKENDS.values()
        if b.available() and (integer is None or (b.integer if integer else b.continuous))
    ]


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (case-insensitive), checking that it is installed."""
    key = str(name).upper()
    if key not in BACKENDS:
        raise InputError(
            f"unknown solver {name!r}; known solvers: {', '.join(BACKENDS)}", field="solver"
        )
    backend = BACKENDS[key]
    if not backend.available():
        raise SolverNotAvailable(
            f"solver {backend.name} is not installed: {backend.pip}. "
            f"Installed: {', '.join(available_solvers()) or 'none'}"
        )
    return backend


def candidates(requested: str | None, *, integer: bool, linear: bool) -> list[Backend]:
    """Backends to try, in order: the requested one alone, or (``requested=None``) every
    capable installed backend in preference order.

    A backend the user named is never silently replaced: when it fails, the solve fails with
    what it said. Fallbacks are for ``solver=None`` only.

    Raises
    ------
    SolverNotAvailable
        When the problem needs whole shares and no whole-share backend is installed, or the
        requested backend is missing.
    InputError
        When the requested backend cannot handle the problem (e.g. a continuous solver asked for
        whole shares, a native solver asked for a non-linear constraint).
    """
    def capable(b: Backend) -> bool:
        kind_ok = b.integer if integer else b.continuous
        return kind_ok and (linear or not b.linear_only)

    pool = [b for b in BACKENDS.values() if capable(b) and b.available()]
    if requested is None:
        if not pool:
            what = "whole-share (MIP)" if integer else "continuous"
            fix = BACKENDS["SCIP"].pip if integer else "pip install osqp"
            raise SolverNotAvailable(f"no {what} solver is installed: {fix}")
        return pool
    first = get_backend(requested)
    if not capable(first):
        if integer and not first.integer:
            why = (f"{first.name} solves continuous problems only, and the constraints ask for "
                   f"whole shares; use one of {[b.name for b in pool] or ['SCIP', 'HEURISTIC']}")
        elif not integer and not first.continuous:
            why = f"{first.name} is a whole-share solver and no constraint asks for whole shares"
        else:
            why = f"{first.name} handles linear constraints only (this problem has others)"
        raise InputError(why, field="solver")
    return [first]
