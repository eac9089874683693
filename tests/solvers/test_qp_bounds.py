"""The validated bounds and rows kept between solves: reused only when equal by value."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers.qp_bounds import _feasible


def test_equal_arrays_reuse_and_changed_arrays_rebuild() -> None:
    lb, ub = np.zeros(4), np.full(4, 0.5)
    A, lo, hi = np.ones((1, 4)), np.array([1.0]), np.array([1.0])
    first = _feasible(4, lb, ub, A, lo, hi)
    assert _feasible(4, lb.copy(), ub.copy(), A.copy(), lo.copy(), hi.copy()) is first
    ub[2] = 0.25  # changed in place: same object, other values
    again = _feasible(4, lb, ub, A, lo, hi)
    assert again is not first and again.ub[2] == 0.25 and first.ub[2] == 0.5
    assert not again.ub.flags.writeable  # private read-only copies
    assert again.eq.tolist() == [True] and not again.crossed
    assert _feasible(4, 0.0, 0.5, A, lo, hi) is not again  # scalars are never taken as equal


def test_derived_facts_and_refusals() -> None:
    f = _feasible(3, np.array([0.0, 1.0, -np.inf]), np.array([1.0, 1.0, 2.0]), None, None, None)
    assert f.pinned.tolist() == [False, True, False] and f.any_pinned
    assert f.has_lb.tolist() == [True, True, False] and f.scale_p == 2.0
    vs_min, vs_max, rs_min, rs_max = f.states  # the admissible working-set states
    assert vs_min.tolist() == [-1, -1, 0] and vs_max.tolist() == [1, -1, 1]  # pinned: -1 only
    assert rs_min.size == rs_max.size == 0
    assert not any(v.flags.writeable for v in f.states)  # shared by every solve of a loop
    rows = _feasible(1, None, None, np.ones((3, 1)), np.array([2.0, -np.inf, 0.0]),
                     np.array([2.0, 1.0, np.inf]))
    assert rows.states[2].tolist() == [1, 0, -1] and rows.states[3].tolist() == [1, 1, 0]
    assert _feasible(2, np.array([1.0, 0.0]), np.array([0.0, 1.0]), None, None, None).crossed
    with pytest.raises(ValueError, match="NaN"):
        _feasible(2, np.array([np.nan, 0.0]), None, None, None, None)
    with pytest.raises(ValueError, match="3 entries"):
        _feasible(3, np.zeros(2), None, None, None, None)


def test_equal_by_bytes_or_by_value() -> None:
    """Equal copies are reused (the bytes agree); equal values with other bytes (``-0.0``,
    another dtype) are reused too; a changed entry, or a NaN, is rebuilt (and a NaN refused)."""
    lb, ub = np.zeros(3), np.full(3, 2.0)
    A, lo, hi = np.ones((2, 3)), np.array([-1.0, 0.0]), np.array([1.0, 5.0])
    first = _feasible(3, lb, ub, A, lo, hi)
    assert _feasible(3, -lb, ub.copy(), A.copy(), lo.copy(), hi.copy()) is first  # -0.0
    assert _feasible(3, lb, np.full(3, 2, dtype=np.int64), A.astype(np.float32), lo, hi) \
        is first
    assert _feasible(3, lb, ub, np.asfortranarray(A), lo, hi) is first  # the layout: no matter
    A2 = A.copy()
    A2[1, 2] = np.nextafter(1.0, 2.0)  # one bit
    assert _feasible(3, lb, ub, A2, lo, hi) is not first
    with pytest.raises(ValueError, match="lb contains NaN"):
        _feasible(3, np.array([0.0, np.nan, 0.0]), ub, A2, lo, hi)
