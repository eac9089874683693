"""Which MIP backends are installed, and the exact install command of a missing one."""

from __future__ import annotations

from hedgeopt.exceptions import SolverNotAvailable

__all__ = ["_module_ok", "_require"]


def _module_ok(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


_PIP = {
    "SCIP": 'pip install "hedgeopt[mip]"  (or: pip install pyscipopt)',
    "GUROBI": "pip install gurobipy  (needs a Gurobi licence)",
    "MOSEK": "pip install mosek  (needs a MOSEK licence)",
}
_MODULE = {"SCIP": "pyscipopt", "GUROBI": "gurobipy", "MOSEK": "mosek"}


def _require(key: str) -> None:
    if not _module_ok(_MODULE[key]):
        have = [m for m in ("SCIP", "GUROBI", "MOSEK") if _module_ok(_MODULE[m])]
        raise SolverNotAvailable(
            f"solver {key} is not installed: {_PIP[key]}. Installed whole-share solvers: "
            f"{', '.join(['HEURISTIC'] + have)}"
        )
