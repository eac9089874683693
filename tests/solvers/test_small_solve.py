"""Tests of the small symmetric solver of the active-set QP's Schur complement."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt.solvers import small_solve
from hedgeopt.solvers.small_solve import SymSolver


def _spd(p: int, seed: int) -> np.ndarray:
    M = np.random.default_rng(seed).standard_normal((p, p + 2))
    return M @ M.T + 0.1 * np.eye(p)


@pytest.mark.parametrize("p", range(1, 11))
def test_positive_definite_solves_like_numpy(p: int) -> None:
    S = _spd(p, p)
    b = np.random.default_rng(100 + p).standard_normal(p)
    s = SymSolver(S)
    assert not s.singular
    # the Python-float factor up to _SMALL rows, LAPACK's beyond
    assert (s.r is not None) == (2 <= p <= small_solve._SMALL)
    assert (s.c is not None) == (p > small_solve._SMALL)
    y = s.solve(b)
    np.testing.assert_allclose(y, np.linalg.solve(S, b), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(s.solve(2.0 * b), 2.0 * y, rtol=1e-14)  # reusable factor


@pytest.mark.parametrize("p", [2, 3, 4, 7])
def test_only_the_symmetric_part_counts(p: int) -> None:
    S = _spd(p, 7 + p)
    K = np.random.default_rng(p).standard_normal((p, p))
    b = np.arange(1.0, p + 1.0)
    y = SymSolver(S + (K - K.T)).solve(b)  # an antisymmetric part is dropped
    np.testing.assert_allclose(y, np.linalg.solve(S, b), rtol=1e-11)


@pytest.mark.parametrize("p", [2, 3, 4, 6])
def test_dependent_rows_take_the_pseudo_inverse(p: int) -> None:
    M = np.random.default_rng(p).standard_normal((p, p - 1))
    S = M @ M.T  # rank p - 1
    b = S @ np.random.default_rng(50 + p).standard_normal(p)  # a consistent right-hand side
    s = SymSolver(S)
    assert s.singular
    np.testing.assert_allclose(s.solve(b), np.linalg.pinv(S) @ b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("small", [4, 0])  # the Python-float path, then LAPACK's for every p
@pytest.mark.parametrize("S", [
    np.array([[1.0, 1.0], [1.0, 1.0 + 1e-13]]),  # last pivot^2 = 1e-13 of its diagonal
    np.array([[1.0, 0.0], [0.0, 0.0]]),  # a zero diagonal
    np.array([[1.0, 2.0], [2.0, 1.0]]),  # indefinite: a negative pivot
    np.array([[2.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 3.0]]),  # a negative diagonal
], ids=["tiny-pivot", "zero-diagonal", "indefinite", "negative-diagonal"])
def test_both_paths_refuse_the_same_factors(S: np.ndarray, small: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(small_solve, "_SMALL", small)
    s = SymSolver(S)
    assert s.singular and s.r is None and s.c is None
    w, V = np.linalg.eigh(S)
    keep = w > 1e-12 * max(w[-1], 0.0)
    b = np.ones(S.shape[0])
    expected = V[:, keep] @ ((V[:, keep].T @ b) / w[keep])
    np.testing.assert_allclose(s.solve(b), expected, rtol=1e-12)


def test_a_pivot_just_above_the_threshold_is_kept() -> None:
    s = SymSolver(np.array([[1.0, 1.0], [1.0, 1.0 + 1e-11]]))  # pivot^2 = 1e-11 >= 1e-12
    assert not s.singular and s.r is not None
    np.testing.assert_allclose(s.r[1][1] ** 2, 1e-11, rtol=1e-4)


def test_the_input_is_not_modified_and_empty_and_scalar_systems() -> None:
    S = np.array([[4.0, 1.0], [3.0, 2.0]])
    keep = S.copy()
    SymSolver(S).solve(np.ones(2))
    np.testing.assert_array_equal(S, keep)
    assert SymSolver(np.zeros((0, 0))).solve(np.zeros(0)).shape == (0,)
    np.testing.assert_allclose(SymSolver(np.array([[4.0]])).solve(np.array([2.0])), [0.5])
    assert SymSolver(np.array([[0.0]])).singular
