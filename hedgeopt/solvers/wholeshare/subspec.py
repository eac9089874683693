"""The whole-share problem restricted to a subset of names (the others held at zero).

:func:`restrict_spec` gives the problem on the names ``S`` with every other name fixed at 0:
the objective's block, the linear form's columns and each rule restricted
(:meth:`~.restrictions.Restriction.restrict`: the per-name data sliced, the turnover limit
less what selling out the other names trades); :func:`lift` puts a lot
vector on ``S`` back into the full problem. A point of the restricted problem lifted is
feasible for the full one whenever every name outside ``S`` may be 0 (the caller's checker
decides; :func:`~.selection.forced_names` keeps the names that cannot be 0 in ``S``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from hedgeopt.constraints.base import LinearForm
from hedgeopt.solvers.wholeshare.spec import WholeShareSpec

__all__ = ["restrict_spec", "lift"]


def restrict_spec(spec: WholeShareSpec, S: np.ndarray, relaxed: np.ndarray | None = None
                  ) -> WholeShareSpec:
    """``spec`` on the names ``S`` (sorted indices), the others at zero.

    Parameters
    ----------
    spec : WholeShareSpec
        The full problem.
    S : numpy.ndarray
        The names kept (sorted, distinct).
    relaxed : numpy.ndarray, optional
        A continuous point on ``S`` (the selection's optimum there), the rounding's start.

    Returns
    -------
    WholeShareSpec
        The restricted problem; its ``relaxed_value`` is None (the subset's optimum is no
        bound of the full problem, and with minimum positions not even of the subset's).
    """
    S = np.asarray(S, dtype=np.int64)
    if S.size > 1 and not np.all(np.diff(S) > 0):
        raise ValueError("restrict_spec needs the names S sorted and distinct")
    n = spec.n
    f = spec.form
    A = np.asarray(f.A, dtype=float).reshape(-1, n)
    form = LinearForm(lb=np.asarray(f.lb)[S].copy(), ub=np.asarray(f.ub)[S].copy(),
                      A=A[:, S].copy(), lo=np.asarray(f.lo).copy(), hi=np.asarray(f.hi).copy(),
                      labels=list(f.labels), owners=list(f.owners))
    cols = np.append(S, n)
    F = np.asarray(spec.factor, dtype=float)
    factor = F[:, cols] if F.ndim == 2 and F.shape[1] == n + 1 else F
    changes: dict[str, object] = {
        "Q": np.asarray(spec.Q, dtype=float)[np.ix_(S, S)],
        "q": np.asarray(spec.q, dtype=float)[S], "factor": factor, "form": form,
        "relaxed": None if relaxed is None else np.asarray(relaxed, dtype=float),
        "relaxed_value": None,
        "names": [spec.name(int(i)) for i in S],
    }
    keep = np.zeros(n, dtype=bool)
    keep[S] = True
    changes["rules"] = tuple(r for r in (rule.restrict(keep) for rule in spec.rules)
                             if r is not None)
    for fld in dataclasses.fields(spec):
        if fld.name in changes:
            continue
        v = getattr(spec, fld.name)
        if isinstance(v, np.ndarray) and v.shape == (n,):
            changes[fld.name] = v[S].copy()
    return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]


def lift(z_sub: np.ndarray, S: np.ndarray, n: int) -> np.ndarray:
    """The full lot vector holding ``z_sub`` on ``S`` and 0 elsewhere."""
    z = np.zeros(n, dtype=np.int64)
    z[np.asarray(S, dtype=np.int64)] = np.asarray(z_sub, dtype=np.int64)
    return z
