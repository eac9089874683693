"""The native backend's outcome: the objective value it reports."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.solvers.native import solve_native


@pytest.mark.parametrize("ridge", [0.0, 0.3])
def test_reported_objective_is_the_quadratic_at_the_answer(ridge):
    """``0.5 x'Qx - q'x + c`` recomputed here with numpy (the ridge is not part of it), whether
    it comes from the solver's own ``Q x`` (no ridge) or from a product afterwards."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 6))
    Q, q = X.T @ X, X.T @ rng.standard_normal(40)
    form = LinearForm(lb=np.zeros(6), ub=np.full(6, np.inf), A=np.ones((1, 6)),
                      lo=np.ones(1), hi=np.ones(1))
    opts = {"ridge": ridge} if ridge else {}
    out, sol = solve_native(Q, q, 2.5, form, **opts)
    x = out.weights
    assert out.status == "optimal" and x is not None
    assert out.objective == pytest.approx(0.5 * x @ Q @ x - q @ x + 2.5, rel=1e-12, abs=1e-12)
