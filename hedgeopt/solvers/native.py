"""The native continuous backend: the dense active-set QP on the Gram form.

It takes the objective as ``0.5 w'Qw - q'w + c`` straight from the N x N Gram, or from its
low-rank factor when there are more instruments than observations (no cvxpy canonicalisation,
no T x N data) and the constraints as one merged
:class:`~hedgeopt.constraints.LinearForm`; its answers come with a KKT certificate.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from hedgeopt.constraints.base import LinearForm
from hedgeopt.solvers.activeset import Hessian, QPSolution, solve_qp
from hedgeopt.solvers.continuous import Outcome
from hedgeopt.solvers.signsplit import solve_signed
from hedgeopt.solvers.threads import solver_blas_threads

__all__ = ["solve_native"]


def solve_native(Q: np.ndarray | Hessian, q: np.ndarray, c: float, form: LinearForm, *,
                 warm: QPSolution | None = None, **options: Any
                 ) -> tuple[Outcome, QPSolution | None]:
    """Solve with the active-set QP; returns the outcome and the next warm start.

    ``form.absolute``, piecewise-linear rows (gross / short leverage), are taken by fixing the
    signs of the weights (:func:`~hedgeopt.solvers.signsplit.solve_signed`).
    """
    start = time.perf_counter()
    if warm is not None and warm.x.shape != q.shape:
        warm = None
    detail: dict[str, Any] = {}
    with solver_blas_threads():  # many small BLAS calls: threads cost more than they save
        if form.absolute is not None:
            sol, detail["sign_rounds"] = solve_signed(Q, q, form, form.absolute, warm=warm,
                                                      **options)
        else:
            sol = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi, warm=warm,
                           **options)
    x = sol.x
    value = None
    if x is not None and math.isfinite(sol.objective) and not options.get("ridge"):
        value = float(sol.objective + c)  # the solver's 0.5 x'Qx - q'x, from its own Q x
    elif x is not None:
        qx = Q @ x if isinstance(Q, np.ndarray) else Q.matvec(x)
        value = float(0.5 * x @ qx - q @ x + c)
    out = Outcome(
        status=sol.status, weights=x, objective=value, iterations=sol.iterations,
        seconds=time.perf_counter() - start, detail={"kkt_residual": sol.kkt_residual, **detail},
    )
    return out, (sol if sol.status == "optimal" else warm)
