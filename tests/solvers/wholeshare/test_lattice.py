"""Lattice reduction (lattice.py): a unimodular basis change of the same lattice."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hedgeopt.solvers.wholeshare.lattice import _lll


def test_lll_keeps_the_lattice() -> None:
    rng = np.random.default_rng(0)
    M = rng.standard_normal((12, 12))
    R = np.linalg.qr(M, mode="r")
    t = rng.standard_normal(12)
    Rr, U, tr = _lll(R, t)
    assert np.allclose(U, np.round(U))
    assert abs(round(np.linalg.det(U))) == 1
    assert np.allclose(Rr.T @ Rr, U.T @ (R.T @ R) @ U)
    y = rng.integers(-3, 4, 12)
    assert np.linalg.norm(Rr @ y - tr) == pytest.approx(np.linalg.norm(R @ (U @ y) - t))


def test_lll_stops_at_a_past_deadline() -> None:
    """Past the deadline the cut lattice reduction is still a valid basis change."""
    past = time.perf_counter() - 1.0
    rng = np.random.default_rng(1)
    R = np.linalg.qr(rng.standard_normal((40, 40)), mode="r")
    t = rng.standard_normal(40)
    Rr, U, tr = _lll(R, t, deadline=past)
    assert np.allclose(U, np.round(U)) and abs(round(np.linalg.det(U))) == 1
    y = rng.integers(-3, 4, 40)
    assert np.linalg.norm(Rr @ y - tr) == pytest.approx(np.linalg.norm(R @ (U @ y) - t))
