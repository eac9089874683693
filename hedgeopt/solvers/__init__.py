"""Solver backends behind one registry: native active-set, cvxpy (OSQP, Clarabel, ECOS), MIP."""

from hedgeopt.solvers.registry import BACKENDS, Backend, available_solvers, get_backend

__all__ = ["BACKENDS", "Backend", "available_solvers", "get_backend"]
