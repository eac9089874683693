"""solve(**options): names checked against the backends that will run, values by type and range,
a named backend never replaced."""

from __future__ import annotations

import time

import numpy as np
import pytest

import hedgeopt as ho
from hedgeopt.solvers.options import backend_options, split_options


@pytest.fixture(scope="module")
def linear(market):
    prices, basket, sectors = market
    return ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), ho.LongOnly())


@pytest.fixture(scope="module")
def lots(market):
    prices, basket, _ = market
    return ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.ShareLots(100))


@pytest.mark.parametrize("solver", [None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS"])
def test_typo_is_an_input_error_with_did_you_mean(linear, solver):
    with pytest.raises(ho.InputError, match=r"unknown option 'time_limt' \(did you mean "
                                            r"'time_limit'\?\)") as e:
        linear.solve(solver=solver, time_limt=1)
    assert e.value.field == "time_limt"


def test_typo_on_a_whole_share_problem_is_not_ignored(lots):
    with pytest.raises(ho.InputError, match="did you mean 'time_limit'"):
        lots.solve(time_limt=1)
    with pytest.raises(ho.InputError, match="unknown option 'max_iter'"):
        lots.solve(solver="HEURISTIC", max_iter=3)


def test_backend_option_for_another_backend(linear):
    with pytest.raises(ho.InputError, match="unknown option 'eps_abs'.*for ACTIVESET"):
        linear.solve(solver="ACTIVESET", eps_abs=1e-8)
    with pytest.raises(ho.InputError, match="unknown option 'max_iters' .*'max_iter'"):
        linear.solve(solver="OSQP", max_iters=10)
    res = linear.solve(solver="ECOS", max_iters=200)   # ECOS's own name
    assert res.solver == "ECOS"


@pytest.mark.parametrize("solver", [None, "ACTIVESET", "OSQP", "CLARABEL", "ECOS"])
def test_time_limit_on_a_continuous_problem(linear, solver):
    res = linear.solve(solver=solver, time_limit=30)
    ref = linear.solve(solver="CLARABEL")
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)


def test_time_limit_reaches_osqp_and_clarabel_only(linear, cvxpy_calls):
    seen = cvxpy_calls
    for name in ("OSQP", "CLARABEL", "ECOS"):
        linear.solve(solver=name, time_limit=7)
    assert seen["OSQP"]["time_limit"] == 7 and seen["CLARABEL"]["time_limit"] == 7
    assert "time_limit" not in seen["ECOS"]


@pytest.mark.parametrize("kw, pattern", [
    ({"time_limit": "5"}, "time_limit must be a number, got '5'"),
    ({"time_limit": 0}, r"time_limit must be a number > 0"),
    ({"time_limit": np.nan}, "time_limit must be a number"),
    ({"time_limit": True}, "time_limit must be a number, got True"),
    ({"gap": 1}, r"gap must be a number in \[0, 1\), got 1 \(did you mean 0.01\?\)"),
    ({"gap": -0.1}, "gap must be a number"),
    ({"threads": 0}, "threads must be an integer >= 1"),
    ({"threads": 1.5}, "threads must be an integer"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"seed": "7"}, "seed must be an integer, got '7'"),
    ({"tol": 0}, r"tol must be a number in \(0, 0.01\]"),
    ({"tol": 1}, r"tol must be a number in \(0, 0.01\]"),
    ({"tol": "1e-6"}, "tol must be a number"),
])
def test_option_values(linear, lots, kw, pattern):
    for prob in (linear, lots):
        with pytest.raises(ho.InputError, match=pattern):
            prob.solve(**kw)


def test_named_backend_never_replaced(linear):
    """solve(solver="OSQP", max_iter=5) used to return an ACTIVESET answer."""
    with pytest.raises(ho.SolverError, match="requested solver OSQP"):
        linear.solve(solver="OSQP", max_iter=5)


def test_split_options_gives_each_backend_its_own():
    per = split_options({"eps_abs": 1e-8, "max_iter": 50}, ["ACTIVESET", "OSQP", "CLARABEL",
                                                            "ECOS"], integer=False,
                        requested=False)
    assert per["ACTIVESET"] == {"max_iter": 50}
    assert per["OSQP"] == {"eps_abs": 1e-8, "max_iter": 50}
    assert per["CLARABEL"] == {"max_iter": 50} and per["ECOS"] == {}
    per = split_options({"time_limit": 3, "limits/nodes": 10}, ["SCIP", "HEURISTIC"],
                        integer=True, requested=False)
    assert per["SCIP"] == {"time_limit": 3, "limits/nodes": 10}
    assert per["HEURISTIC"] == {"time_limit": 3}
    assert backend_options("GUROBI") is None


def test_solve_book_time_limit_on_a_mixed_book(market):
    prices, basket, _ = market
    probs = {
        "continuous": ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget(), ho.LongOnly()),
        "lots": ho.HedgeProblem(prices, basket, lam=0.3).add(
            ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.ShareLots(100)),
    }
    t0 = time.perf_counter()
    book = ho.solve_book(probs, progress=False, time_limit=2)
    assert not book.failures, book.failures
    assert set(book.results) == {"continuous", "lots"}
    assert time.perf_counter() - t0 < 30
