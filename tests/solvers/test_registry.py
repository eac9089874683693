"""Solver registry: availability, choice, the missing-backend message, fallback and verification."""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho
import hedgeopt.problem as hp
import hedgeopt.solvers.native as native
import hedgeopt.solvers.registry as reg
from hedgeopt.exceptions import SolverError, SolverNotAvailable, VerificationError
from hedgeopt.solvers.continuous import Outcome
from hedgeopt.solvers.registry import BACKENDS, available_solvers, candidates, get_backend

CONTINUOUS = ["ACTIVESET", "OSQP", "CLARABEL", "ECOS"]


@pytest.fixture
def problem(market):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.4).add(ho.Budget(), ho.LongOnly())


@pytest.fixture
def nonlinear_problem(market):
    """Turnover is not a LinearForm, so ACTIVESET cannot take it: cvxpy backends only."""
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.4).add(ho.Budget(), ho.Turnover({}, 2e7))


def _missing(*modules):
    real = reg._module_present

    def present(module):
        return module not in modules and real(module)

    return present


# ------------------------------------------------------------------------------------------------
# what exists, what is installed
# ------------------------------------------------------------------------------------------------


def test_available_solvers_lists_installed_continuous_backends_in_preference_order():
    names = available_solvers()
    assert names == ho.available_solvers()
    for name in CONTINUOUS:
        assert name in names
    # preference order is the registry order
    order = list(BACKENDS)
    assert names == sorted(names, key=order.index)
    assert names.index("ACTIVESET") < names.index("OSQP") < names.index("CLARABEL") < \
        names.index("ECOS")


def test_available_solvers_by_kind():
    assert set(CONTINUOUS) <= set(available_solvers(integer=False))
    assert all(BACKENDS[n].continuous for n in available_solvers(integer=False))
    assert all(BACKENDS[n].integer for n in available_solvers(integer=True))
    assert not set(CONTINUOUS) & set(available_solvers(integer=True))


def test_backend_flags():
    assert BACKENDS["ACTIVESET"].linear_only and not BACKENDS["ACTIVESET"].via_cvxpy
    for name in ("OSQP", "CLARABEL", "ECOS"):
        b = BACKENDS[name]
        assert b.continuous and not b.integer and not b.linear_only and b.via_cvxpy
        assert b.pip.startswith("pip install")


def test_get_backend_is_case_insensitive():
    assert get_backend("osqp") is BACKENDS["OSQP"]
    assert get_backend("Clarabel") is BACKENDS["CLARABEL"]


@pytest.mark.parametrize("name", ["FOO", "", "gurobi2"])
def test_unknown_solver_is_input_error(problem, name):
    with pytest.raises(ho.InputError, match=r"unknown solver .*known solvers: .*OSQP") as e:
        problem.solve(solver=name)
    assert e.value.field == "solver"


def test_availability_is_checked_without_import(monkeypatch):
    monkeypatch.setattr(reg, "_module_present", _missing("osqp"))
    assert "OSQP" not in available_solvers()
    assert not BACKENDS["OSQP"].available()


# ------------------------------------------------------------------------------------------------
# missing backend
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, module", [("OSQP", "osqp"), ("CLARABEL", "clarabel"),
                                          ("ECOS", "ecos")])
def test_missing_backend_says_what_to_pip_install(problem, monkeypatch, name, module):
    monkeypatch.setattr(reg, "_module_present", _missing(module))
    with pytest.raises(SolverNotAvailable, match=rf"{name} is not installed: pip install {module}")\
            as e:
        problem.solve(solver=name)
    msg = str(e.value)
    assert "Installed:" in msg and "ACTIVESET" in msg and name not in msg.split("Installed:")[1]
    # SolverNotAvailable is both a SolverError and an ImportError
    assert isinstance(e.value, SolverError) and isinstance(e.value, ImportError)


def test_missing_backend_is_skipped_by_default(nonlinear_problem, monkeypatch):
    monkeypatch.setattr(reg, "_module_present", _missing("osqp"))
    res = nonlinear_problem.solve()
    assert res.solver == "CLARABEL"
    assert res.attempts == []


def test_no_continuous_backend_at_all(nonlinear_problem, monkeypatch):
    monkeypatch.setattr(reg, "_module_present", _missing("osqp", "clarabel", "ecos"))
    with pytest.raises(SolverNotAvailable, match="pip install"):
        nonlinear_problem.solve()


def test_candidates_order_and_capabilities():
    names = [b.name for b in candidates(None, integer=False, linear=True)]
    assert names[:4] == CONTINUOUS
    names = [b.name for b in candidates(None, integer=False, linear=False)]
    assert names[:3] == ["OSQP", "CLARABEL", "ECOS"] and "ACTIVESET" not in names
    # a named backend runs alone: it is never silently replaced
    assert [b.name for b in candidates("ECOS", integer=False, linear=True)] == ["ECOS"]
    with pytest.raises(ho.InputError, match="linear constraints only"):
        candidates("ACTIVESET", integer=False, linear=False)
    with pytest.raises(ho.InputError, match="whole-share solver"):
        candidates("HEURISTIC", integer=False, linear=True)
    with pytest.raises(ho.InputError, match="continuous problems only"):
        candidates("OSQP", integer=True, linear=True)


def test_activeset_refuses_nonlinear_constraint(nonlinear_problem):
    with pytest.raises(ho.InputError, match="ACTIVESET handles linear constraints only") as e:
        nonlinear_problem.solve(solver="ACTIVESET")
    assert e.value.field == "solver"


def test_default_uses_activeset_when_all_linear(problem):
    res = problem.solve()
    assert res.solver == "ACTIVESET"
    assert res.attempts == []


def test_default_uses_osqp_when_not_all_linear(nonlinear_problem):
    res = nonlinear_problem.solve()
    assert res.solver == "OSQP"


# ------------------------------------------------------------------------------------------------
# fallback
# ------------------------------------------------------------------------------------------------


def _failing(name, real=hp.solve_cvxpy):
    def fake(problem, w, backend, **kw):
        if backend.name == name:
            raise SolverError(f"{name} failed: simulated crash")
        return real(problem, w, backend, **kw)

    return fake


@pytest.mark.parametrize("name", ["OSQP", "CLARABEL", "ECOS"])
def test_requested_backend_that_fails_raises(problem, monkeypatch, name):
    """A backend the user named is never replaced by another (issue: solve(solver="OSQP",
    max_itr=5) returned an ACTIVESET answer)."""
    monkeypatch.setattr(hp, "solve_cvxpy", _failing(name))
    with pytest.raises(SolverError, match=rf"requested solver {name} produced no verified "
                                          rf"solution.*{name} failed: simulated crash"):
        problem.solve(solver=name)


def test_requested_backend_hitting_its_iteration_limit_raises(problem):
    with pytest.raises(SolverError, match="requested solver OSQP.*status"):
        problem.solve(solver="OSQP", max_iter=5)
    res = problem.solve(max_iter=5)  # solver=None: ACTIVESET takes max_iter too, or falls back
    assert res.violations == []


def test_fallback_among_cvxpy_backends(nonlinear_problem, monkeypatch):
    monkeypatch.setattr(hp, "solve_cvxpy", _failing("OSQP"))
    res = nonlinear_problem.solve()
    assert res.solver == "CLARABEL"
    assert len(res.attempts) == 1 and res.attempts[0].startswith("OSQP:")
    assert res.violations == []


def test_fallback_when_default_backend_fails(problem, monkeypatch):
    def broken(*a, **k):
        raise SolverError("ACTIVESET: simulated crash")

    monkeypatch.setattr(hp, "solve_native", broken)
    res = problem.solve()
    assert res.solver == "OSQP"
    assert res.attempts == ["ACTIVESET: ACTIVESET: simulated crash"]


def test_every_backend_failing_raises_solver_error_listing_attempts(nonlinear_problem,
                                                                   monkeypatch):
    def fake(problem, w, backend, **kw):
        raise SolverError(f"{backend.name} down")

    monkeypatch.setattr(hp, "solve_cvxpy", fake)
    with pytest.raises(SolverError, match="no backend produced a verified solution") as e:
        nonlinear_problem.solve()
    for name in ("OSQP", "CLARABEL", "ECOS"):
        assert f"{name}: {name} down" in str(e.value)


def test_backend_specific_options_do_not_break_fallback(nonlinear_problem, monkeypatch):
    """solver=None: each backend gets the options it takes (eps_abs: OSQP only)."""
    seen = {}
    real = _failing("OSQP")

    def spy(problem, w, backend, **kw):
        seen[backend.name] = kw
        return real(problem, w, backend, **kw)

    monkeypatch.setattr(hp, "solve_cvxpy", spy)
    res = nonlinear_problem.solve(eps_abs=1e-9)
    assert res.solver == "CLARABEL"
    assert res.attempts[0].startswith("OSQP:")
    assert seen["OSQP"] == {"verbose": False, "eps_abs": 1e-9} and "eps_abs" not in seen["CLARABEL"]


def test_options_reach_the_backend(nonlinear_problem, cvxpy_calls):
    seen = cvxpy_calls
    nonlinear_problem.solve(solver="OSQP", max_iter=50_000)
    assert seen["OSQP"]["max_iter"] == 50_000


# ------------------------------------------------------------------------------------------------
# verification
# ------------------------------------------------------------------------------------------------


def _returning(name, weights_fn, real=hp.solve_cvxpy):
    def fake(problem, w, backend, **kw):
        if backend.name == name:
            return Outcome(status="optimal", weights=weights_fn(w.shape[0]), objective=0.0)
        return real(problem, w, backend, **kw)

    return fake


def test_violating_solution_falls_back(nonlinear_problem, monkeypatch):
    # all-zero weights break the Budget (hedge value 0 instead of the notional)
    monkeypatch.setattr(hp, "solve_cvxpy", _returning("OSQP", np.zeros))
    res = nonlinear_problem.solve()
    assert res.solver == "CLARABEL"
    assert len(res.attempts) == 1
    assert "OSQP: solution from OSQP violates 1 constraint(s)" in res.attempts[0]
    assert "Budget()" in res.attempts[0] and "hedge value" in res.attempts[0]
    assert res.violations == []


def test_violating_native_solution_falls_back(problem, monkeypatch):
    real = native.solve_native

    def fake(*args, **kw):
        out, warm = real(*args, **kw)
        out.weights = -np.abs(out.weights) - 0.01  # shorts everywhere: breaks LongOnly, Budget
        return out, warm

    monkeypatch.setattr(hp, "solve_native", fake)
    res = problem.solve()
    assert res.solver == "OSQP"
    assert "ACTIVESET: solution from ACTIVESET violates" in res.attempts[0]
    assert "LongOnly()" in res.attempts[0]


def test_all_backends_violating_raises(nonlinear_problem, monkeypatch):
    def fake(problem, w, backend, **kw):
        return Outcome(status="optimal", weights=np.zeros(w.shape[0]), objective=0.0)

    monkeypatch.setattr(hp, "solve_cvxpy", fake)
    with pytest.raises(SolverError, match="violates") as e:
        nonlinear_problem.solve()
    assert not isinstance(e.value, VerificationError)  # the summary, not one attempt's error
    assert str(e.value).count("violates") == 3


def test_verification_error_from_result_build(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    with pytest.raises(VerificationError, match=r"solution from X violates 1 constraint"):
        ho.HedgeResult.build(np.zeros(ctx.n_assets), ctx, 0.5, [ho.Budget()], tol=1e-6,
                             status="optimal", solver="X", solve_time=0.0)
    assert issubclass(VerificationError, SolverError)


def test_backend_reporting_false_infeasibility_falls_back(nonlinear_problem, monkeypatch):
    real = hp.solve_cvxpy

    def fake(problem, w, backend, **kw):
        if backend.name == "OSQP":
            return Outcome(status="infeasible")
        return real(problem, w, backend, **kw)

    monkeypatch.setattr(hp, "solve_cvxpy", fake)
    res = nonlinear_problem.solve()
    assert res.solver == "CLARABEL"
    assert res.attempts == ["OSQP: reported infeasible, but the set is feasible"]
