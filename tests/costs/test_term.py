"""Term: a user cvxpy term in the normalised objective; non-DCP terms are an InputError."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import hedgeopt as ho


def test_term_equals_ridge(market) -> None:
    prices, basket, _ = market
    ridge = ho.HedgeProblem(prices, basket).add(ho.Budget(), ho.Ridge(0.3)).solve(
        solver="CLARABEL")
    term = ho.HedgeProblem(prices, basket).add(
        ho.Budget(), ho.Term(lambda w, ctx: 0.3 * cp.sum_squares(w), name="ridge")
    ).solve(solver="CLARABEL")
    np.testing.assert_allclose(term.shares, ridge.shares, rtol=1e-5, atol=1e-3)


def test_non_convex_term_names_itself(market) -> None:
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"Term\('concave'\).*not convex"):
        prob.add(ho.Term(lambda w, ctx: -cp.sum_squares(w), name="concave"))
    with pytest.raises(ho.InputError, match=r"Term\('vec'\).*scalar"):
        prob.add(ho.Term(lambda w, ctx: w, name="vec"))
    with pytest.raises(ho.InputError, match=r"Term\('boom'\).*ZeroDivisionError"):
        prob.add(ho.Term(lambda w, ctx: 1 / 0, name="boom"))
