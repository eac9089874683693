"""The solvers' BLAS thread limit: set inside, restored after, and switched off by the
environment variable."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from hedgeopt.exceptions import InputError
from hedgeopt.solvers import native, threads
from hedgeopt.solvers.threads import solver_blas_threads


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture(autouse=True)
def two_threads():
    """Two BLAS threads outside (whatever OMP_NUM_THREADS says), so that the limit shows."""
    with threadpool_limits(limits=2, user_api="blas"):
        if max(_blas_threads(), default=1) < 2:
            pytest.skip("this BLAS cannot run two threads here")
        yield


def test_limit_inside_and_restored_after() -> None:
    before = _blas_threads()
    with solver_blas_threads():
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_environment_sets_or_removes_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _blas_threads()
    monkeypatch.setenv("HEDGEOPT_SOLVER_BLAS_THREADS", "0")
    with solver_blas_threads():
        assert _blas_threads() == before
    monkeypatch.setenv("HEDGEOPT_SOLVER_BLAS_THREADS", " ")
    with solver_blas_threads():
        assert _blas_threads() == [1] * len(before)


@pytest.mark.parametrize("raw", ["not a number", "-1", "1.5", "two"])
def test_a_bad_thread_count_is_an_error_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("HEDGEOPT_SOLVER_BLAS_THREADS", raw)
    before = _blas_threads()
    with pytest.raises(InputError, match=f"HEDGEOPT_SOLVER_BLAS_THREADS = '{raw}'") as e:
        with solver_blas_threads():
            pass
    assert e.value.field == "HEDGEOPT_SOLVER_BLAS_THREADS"
    assert _blas_threads() == before


def test_native_solve_runs_under_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ACTIVESET backend's iterations see one BLAS thread (and the answer is unchanged)."""
    seen: list[list[int]] = []
    real = native.solve_qp

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(native, "solve_qp", spy)
    from hedgeopt.constraints.base import LinearForm

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 5))
    Q, q = X.T @ X, X.T @ rng.standard_normal(30)
    out, _ = native.solve_native(Q, q, 0.0, LinearForm.free(5))
    assert seen and all(t == 1 for t in seen[0])
    np.testing.assert_allclose(out.weights, np.linalg.solve(Q, q), rtol=1e-8)


def test_nested_limit_is_kept_and_not_entered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside an outer limit (a frontier holds one around its points) the inner one changes
    nothing and costs no threadpoolctl limiter; the outer one still restores on exit."""
    from hedgeopt.solvers import threads

    before = _blas_threads()
    with solver_blas_threads():  # creates the controller
        pass
    entered = []
    real_limit = threads._CONTROLLER.limit

    def counting(*args, **kwargs):
        entered.append(kwargs.get("limits"))
        return real_limit(*args, **kwargs)

    monkeypatch.setattr(threads._CONTROLLER, "limit", counting)
    with solver_blas_threads():
        with solver_blas_threads():
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == [1] * len(before)  # the inner exit did not undo the outer
    assert _blas_threads() == before and entered == [1]


def test_inside_a_held_limit_no_library_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cheap path: inside an outer limit of the same count, entering reads no library's
    thread count; a limit of another count (the environment changed) is still applied, and
    once the outer limit is left the next entry limits again."""
    from hedgeopt.solvers import threads

    before = _blas_threads()

    class Unread:
        user_api = "blas"

        @property
        def num_threads(self) -> int:
            raise AssertionError("a library was asked inside a held limit")

    with solver_blas_threads():
        real = list(threads._BLAS)
        monkeypatch.setattr(threads, "_BLAS", [Unread()])
        with solver_blas_threads():  # would read num_threads without the cheap path
            assert _blas_threads() == [1] * len(before)
        monkeypatch.setattr(threads, "_BLAS", real)
    assert _blas_threads() == before
    monkeypatch.setenv("HEDGEOPT_SOLVER_BLAS_THREADS", "0")
    with solver_blas_threads():  # BLAS left alone (two threads) ...
        monkeypatch.delenv("HEDGEOPT_SOLVER_BLAS_THREADS")
        with solver_blas_threads():  # ... then the default of one: a limit of another count
            assert _blas_threads() == [1] * len(before)
        assert _blas_threads() == before
    with solver_blas_threads():  # nothing held any more: limited again
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_an_exception_inside_drops_the_hold_and_restores() -> None:
    """A body that raises leaves no held count behind: the next entry limits again."""
    before = _blas_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with solver_blas_threads():
            raise RuntimeError("inside")
    assert _blas_threads() == before and not getattr(threads._HELD, "counts", [])
    with solver_blas_threads():  # limited again, not a null context
        assert _blas_threads() == [1] * len(before)


def test_the_branches_that_change_nothing_drop_their_hold(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEDGEOPT_SOLVER_BLAS_THREADS", "0")
    with solver_blas_threads():
        pass
    monkeypatch.delenv("HEDGEOPT_SOLVER_BLAS_THREADS")
    with threadpool_limits(limits=1, user_api="blas"), solver_blas_threads():  # already within
        pass
    assert not getattr(threads._HELD, "counts", [])


def test_another_threads_hold_is_not_this_threads() -> None:
    """A limit held by one thread never makes another thread's entry a null context."""
    got: list[bool] = []
    with solver_blas_threads():
        t = threading.Thread(target=lambda: got.append(solver_blas_threads() is threads._NULL))
        t.start()
        t.join()
    assert got == [False]
