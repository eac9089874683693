"""The options ``HedgeProblem.solve(**options)`` accepts, checked by name and by value.

A misspelt option must never be silently ignored (``time_limt=1``) nor reach a backend as a raw
``TypeError``: every name is checked against what the backends that will run accept, with a
did-you-mean, and hedgeopt's own options are checked for type and range.

hedgeopt's own options
    ``time_limit`` (seconds > 0): whole-share solves, per backend; continuous solves pass it to
    OSQP and Clarabel as their time limit (ACTIVESET and ECOS stop at their iteration limits).
    ``gap`` (fraction in [0, 1)), ``threads`` (integer >= 1), ``seed`` (integer >= 0):
    whole-share solves.
Backend options
    ACTIVESET: ``max_iter``, ``ridge``. OSQP, CLARABEL: their settings names (read from the
    installed package). ECOS: ``max_iters``, ``abstol``, ``reltol``, ``feastol`` and the
    ``*_inacc`` variants. SCIP: parameter names with a ``/`` (``"limits/nodes"``), passed as
    ``options={"limits/nodes": 100}`` or as keywords. GUROBI, MOSEK: passed to cvxpy as they are.
"""

from __future__ import annotations

import difflib
import math
from functools import cache
from typing import Any

from hedgeopt.exceptions import InputError
from hedgeopt.validation import check_number

__all__ = ["WHOLE_SHARE_OPTIONS", "backend_options", "split_options", "validate_values"]

#: Options of hedgeopt's whole-share pipeline (every whole-share method takes them).
WHOLE_SHARE_OPTIONS = ("time_limit", "gap", "threads", "seed")
#: Keywords cvxpy's ``Problem.solve`` takes for any backend.
_CVXPY_KEYWORDS = frozenset({"warm_start", "ignore_dpp", "canon_backend", "enforce_dpp"})
_ECOS = frozenset({"max_iters", "abstol", "reltol", "feastol", "abstol_inacc", "reltol_inacc",
                   "feastol_inacc"})


@cache
def _osqp_settings() -> frozenset[str]:
    try:
        import numpy as np
        import osqp
        import scipy.sparse as sp

        s = osqp.OSQP()
        one = sp.csc_matrix(np.eye(1))
        s.setup(one, np.zeros(1), one, np.zeros(1), np.ones(1), verbose=False)
        names = {k for k in dir(s.settings) if not k.startswith("_")}
    except Exception:  # noqa: BLE001 - any failure: fall back to the documented settings
        names = {"eps_abs", "eps_rel", "eps_prim_inf", "eps_dual_inf", "max_iter", "rho",
                 "sigma", "alpha", "scaling", "adaptive_rho", "polishing", "time_limit",
                 "linsys_solver", "check_termination", "scaled_termination", "delta",
                 "polish_refine_iter", "warm_starting"}
    return frozenset(names | {"polish"} | _CVXPY_KEYWORDS)


@cache
def _clarabel_settings() -> frozenset[str]:
    try:
        import clarabel

        names = {k for k in dir(clarabel.DefaultSettings()) if not k.startswith("_")}
    except Exception:  # noqa: BLE001 - any failure: fall back to the usual settings
        names = {"max_iter", "time_limit", "tol_gap_abs", "tol_gap_rel", "tol_feas",
                 "tol_infeas_abs", "tol_infeas_rel", "tol_ktratio", "equilibrate_enable",
                 "presolve_enable", "direct_solve_method", "max_threads"}
    return frozenset(names - {"default", "verbose"} | _CVXPY_KEYWORDS)


def backend_options(name: str) -> frozenset[str] | None:
    """Option names backend ``name`` takes (None: any, passed through unchecked)."""
    if name == "ACTIVESET":
        return frozenset({"max_iter", "ridge"})
    if name == "OSQP":
        return _osqp_settings()
    if name == "CLARABEL":
        return _clarabel_settings()
    if name == "ECOS":
        return _ECOS | _CVXPY_KEYWORDS
    if name in ("SCIP", "HEURISTIC"):
        return frozenset({"options"})
    return None  # GUROBI, MOSEK and other cvxpy solvers: their own keywords


def _unknown(key: str, known: set[str], own: set[str], where: str) -> InputError:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    rest = sorted(known - own - _CVXPY_KEYWORDS)
    shown = ", ".join(sorted(own))
    if rest:
        shown += (f", and the backend settings {', '.join(rest)}" if len(rest) <= 8 else
                  f", and {len(rest)} backend settings (help(hedgeopt.solvers.options))")
    return InputError(f"solve(): unknown option {key!r}{hint} for {where}: {shown}", field=key)


def split_options(options: dict[str, Any], backends: list[str], *, integer: bool,
                  requested: bool) -> dict[str, dict[str, Any]]:
    """Each backend's share of ``options``, after checking every name.

    Parameters
    ----------
    options : dict
        The keywords given to ``solve`` (hedgeopt's own ones included).
    backends : list of str
        The backends that may run, in order.
    integer : bool
        Whole-share problem.
    requested : bool
        The user named the backend: every option must be one it takes. Otherwise every option
        must be taken by at least one of ``backends``, and each backend gets the ones it takes.

    Raises
    ------
    InputError
        Naming the unknown option, with the closest known name.
    """
    validate_values(options)
    own = set(WHOLE_SHARE_OPTIONS) if integer else {"time_limit"}
    per: dict[str, dict[str, Any]] = {}
    known: set[str] = set(own)
    for name in backends:
        names = backend_options(name)
        take = {k: v for k, v in options.items()
                if k in own or names is None or k in names or (name == "SCIP" and "/" in k)}
        if not integer and "time_limit" in take and name not in ("OSQP", "CLARABEL"):
            del take["time_limit"]  # ACTIVESET and ECOS stop at their iteration limits
        per[name] = take
        known |= set(names or ())
        if names is None and requested:  # a named pass-through backend checks its own
            known |= set(options)
    where = (f"{backends[0]}; options it takes" if requested else
             f"the backends that may run ({', '.join(backends)}); options they take")
    for key in options:
        if key not in known and not ("/" in key and "SCIP" in backends):
            raise _unknown(key, known, own, where)
    return per


def validate_values(options: dict[str, Any]) -> None:
    """Type and range of hedgeopt's own options (``tol`` is checked by ``solve`` itself)."""
    for key, lo, hi, integer in (("time_limit", 0.0, math.inf, False), ("gap", 0.0, 1.0, False),
                                 ("threads", 1, math.inf, True), ("seed", 0, math.inf, True)):
        if key not in options:
            continue
        check_number(options[key], key, lo=lo, hi=hi, integer=integer,
                     lo_open=key == "time_limit", hi_open=key == "gap")
