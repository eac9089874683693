"""Shared test problems of the whole-share tests: tiny random tracking specs and brute force.

Not a test module: the test files of this folder import it.
"""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pandas as pd
import pytest

from hedgeopt.constraints.base import LinearForm
from hedgeopt.context import HedgeContext
from hedgeopt.objective import TrackingObjective
from hedgeopt.solvers.activeset import solve_qp
from hedgeopt.solvers.wholeshare import Searcher, WholeShareSpec, violations
from hedgeopt.solvers.wholeshare.restrictions import (
    MaxNamesRule,
    MinPositionRule,
    MinTradeRule,
    Restriction,
    TurnoverRule,
)

HAVE_SCIP = importlib.util.find_spec("pyscipopt") is not None
needs_scip = pytest.mark.skipif(not HAVE_SCIP, reason="pyscipopt not installed")


def make_spec(n: int = 5, seed: int = 0, lots_per_name: float = 1.5, T: int = 30,
              long_only: bool = True, band: tuple[float, float] = (0.95, 1.0),
              ub: float = 0.6, **extra) -> WholeShareSpec:
    """A tiny tracking problem from random prices; one lot is ~1/(n lots_per_name) of B."""
    rng = np.random.default_rng(seed)
    rets = 0.02 * rng.standard_normal((T, n)) + 0.01 * rng.standard_normal((T, 1))
    P = 100 * np.exp(np.cumsum(rets, axis=0)) * rng.uniform(0.5, 3, n)
    w_true = rng.dirichlet(np.ones(n))
    B = (P / P[-1]) @ w_true * 1e6 + 3e3 * rng.standard_normal(T).cumsum()
    B = np.abs(B) + 1e5
    prices = pd.DataFrame(P, columns=[f"S{i}" for i in range(n)])
    ctx = HedgeContext(prices, pd.Series(B))
    obj = TrackingObjective(0.3)
    Q, q, c = obj.quadratic(ctx)
    unit = rng.uniform(0.6, 1.4, n) / (n * lots_per_name)
    lb = np.zeros(n) if long_only else np.full(n, -0.5)
    form = LinearForm(lb=lb, ub=np.full(n, ub), A=np.ones((1, n)), lo=np.array([band[0]]),
                      hi=np.array([band[1]]), labels=["budget"])
    sol = solve_qp(Q, q, form.lb, form.ub, form.A, form.lo, form.hi)
    x = sol.x
    spec = WholeShareSpec(Q=Q, q=q, c=c, factor=obj.factor(ctx), unit=unit, form=form,
                          relaxed=x, relaxed_value=float(0.5 * x @ Q @ x - q @ x + c))
    for k, v in extra.items():
        setattr(spec, k, v)
    return spec


def brute_force(spec: WholeShareSpec) -> tuple[np.ndarray | None, float]:
    """Enumerate every lot vector inside the bounds; the best feasible one."""
    s = Searcher(spec)
    ranges = [range(int(s.zl[i]), int(s.zu[i]) + 1) for i in range(spec.n)]
    best, bz = np.inf, None
    for z in itertools.product(*ranges):
        z = np.array(z)
        if violations(spec, z):
            continue
        v = spec.value(z)
        if v < best:
            best, bz = v, z
    return bz, best


CASES = {
    "budget": {},
    "max_names": {"rules": (MaxNamesRule(2),)},
    "min_weight": {"rules": (MinPositionRule(np.full(5, 0.3)),)},
    "turnover": {"rules": (TurnoverRule(np.array([0.2, 0.2, 0.2, 0.2, 0.2]), 0.5),)},
    "min_trade": {},  # the rule needs the lots: see with_case
}


def with_case(case: str, spec: WholeShareSpec) -> WholeShareSpec:
    """``spec`` with the rules of ``CASES[case]`` (min_trade: holdings in whole lots)."""
    for k, v in CASES[case].items():
        setattr(spec, k, v)
    if case == "min_trade":
        h = spec.unit * np.array([1, 0, 1, 0, 1])
        spec.rules = (MinTradeRule(h, np.full(5, 0.25)),)
    return spec


def with_units(spec: WholeShareSpec, unit, band, ub: float = 1.0) -> WholeShareSpec:
    """``spec`` with lots worth ``unit``, the budget row ``band`` and upper bounds ``ub``."""
    spec.unit = np.asarray(unit, dtype=float)
    spec.form.lo, spec.form.hi = np.array([band[0]]), np.array([band[1]])
    spec.form.ub = np.full(spec.n, ub)
    spec.relaxed = spec.relaxed_value = None
    return spec


def raw_brute_force(spec: WholeShareSpec) -> np.ndarray | None:
    """A feasible lot vector by enumeration over the box of the raw bounds alone (no
    propagation: independent of the code under test), or None."""
    lo = np.ceil(spec.form.lb / spec.unit - 1e-9).astype(int)
    hi = np.floor(spec.form.ub / spec.unit + 1e-9).astype(int)
    for z in itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi, strict=True)]):
        if not violations(spec, np.array(z)):
            return np.array(z)
    return None


class AtMostOneName(Restriction):
    """A rule that is not MaxNames but limits the names held: the proofs reach it through
    the protocol (name_limit) alone."""

    label = "the one-name rule"

    def name_limit(self) -> int | None:
        return 1

    def violations(self, z: np.ndarray, w: np.ndarray, tol: float) -> list[str]:
        return ["more than one name"] if np.count_nonzero(z) > 1 else []


def assert_holes_match(rule: Restriction, i: int, values: np.ndarray, ok, margin: int = 0
                       ) -> None:
    """``rule.allowed`` and ``rule.fix`` (up and down) of name ``i`` over ``values`` against
    the definition ``ok(v)``: allowed exactly where ``ok``; fix moves to the nearest allowed
    value in each direction (checked ``margin`` values away from the ends of ``values``)."""
    idx = np.full(values.size, i)
    v = values.astype(float)
    np.testing.assert_array_equal(rule.allowed(idx, v), [ok(x) for x in values])
    allowed = [x for x in values if ok(x)]
    up, down = rule.fix(idx, v, True), rule.fix(idx, v, False)
    for k in range(margin, values.size - margin):
        assert up[k] == min(a for a in allowed if a >= values[k])
        assert down[k] == max(a for a in allowed if a <= values[k])


def assert_subset_sound(tracker, S: np.ndarray, X: np.ndarray, keep: np.ndarray,
                        x0: np.ndarray, zl: np.ndarray, zu: np.ndarray) -> None:
    """Every point ``X[keep]`` (kept by ``points_ok``) passes the tracker's enumeration
    account level by level (the account never cuts a feasible point)."""
    assert keep.any() and not keep.all()  # the test has both kinds of points
    for x in X[keep]:
        sub = tracker.subset(S, x0, zl, zu)
        for j in range(len(S) - 1, -1, -1):
            assert sub.level(j, np.array([0]), np.array([x[j]]))[0]
            sub.select(np.array([0]))


def priced_spec(seed: int = 0, **kw) -> WholeShareSpec:
    """:func:`make_spec` (long and short) with linear costs large enough to move the optimum:
    trading from current weights ``trade_ref`` and a borrow rate on the shorts."""
    spec = make_spec(seed=seed, long_only=False, **kw)
    rng = np.random.default_rng(100 + seed)
    f0 = abs(spec.value(np.zeros(spec.n))) + 1e-12
    spec.trade_ref = spec.unit * rng.integers(-1, 3, spec.n)
    spec.trade_rate = f0 * rng.uniform(0.05, 0.4, spec.n)
    spec.short_rate = f0 * rng.uniform(0.1, 0.6, spec.n)
    return spec
