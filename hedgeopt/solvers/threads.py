"""One BLAS thread for the solvers' inner loops.

The active-set iterations (the ACTIVESET backend, :mod:`hedgeopt.solvers.native`) are long
sequences of small BLAS calls (matrix-vector products, rank-one updates, Cholesky factors of the
free block); the whole-share search was measured unaffected by the thread count and is left
alone. A multi-threaded
BLAS pays a thread hand-off on each of them, which costs more than it saves and, on a machine
whose cores are busy, turns into waits that grow with the load: OR-Library indtrack7 (N=1317,
T=145) took 4.8 s for one ACTIVESET solve with OpenBLAS's two threads on a loaded 2-core machine,
and 0.14 s with one (``tune``: 56 s against 3.1 s). The Gram itself (one large product) is formed
outside these loops and keeps every thread.

The limit is set with threadpoolctl's :class:`~threadpoolctl.ThreadpoolController` (created once)
and restored on exit. Entering a limit costs about 30 microseconds (threadpoolctl reads every
library's state). Two cheaper paths: when every BLAS already runs within the limit
(``OMP_NUM_THREADS=1``) the libraries are read but nothing is changed; and inside a limit of the
same count held by this thread (a frontier holds one around all its points), entering is one
environment read and a shared null context (no library is asked). That second path trusts that
the limit this thread entered stays in force until its own exit: threadpoolctl's limits are
process-wide, so a user who runs solves in several threads and lets another thread release a
limit under this one can leave this thread's nested entries on more BLAS threads (speed only,
never the answers; hedgeopt starts no threads of its own). The environment variable
``HEDGEOPT_SOLVER_BLAS_THREADS`` changes the number (``0`` leaves BLAS alone; anything but a
whole number >= 0 is an :class:`~hedgeopt.InputError`).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from hedgeopt.exceptions import InputError

__all__ = ["solver_blas_threads"]

_CONTROLLER: Any = None
_BLAS: list[Any] = []  # the controller's BLAS libraries
_HELD = threading.local()  # .counts: the limits this thread is inside, innermost last
_NULL = contextlib.nullcontext()


ENV_VAR = "HEDGEOPT_SOLVER_BLAS_THREADS"


def _limit() -> int:
    """The thread limit the environment asks for: unset or empty is 1, ``0`` is none."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return 1
    try:
        threads = int(raw)
    except ValueError:
        threads = -1
    if threads < 0:
        raise InputError(
            f"the environment variable {ENV_VAR} = {raw!r} is not a thread count: give a whole "
            "number (1, 2, ...), 0 to leave BLAS alone, or unset it for the default of one "
            "thread", field=ENV_VAR)
    return threads


def solver_blas_threads() -> contextlib.AbstractContextManager[None]:
    """Run the body with the solvers' BLAS thread limit (default one thread).

    Inside a limit of the same count that this thread holds (a frontier's, around its points)
    it is a null context: that limit is in force and is restored by its own exit. The decision
    is taken when this is called, so create it in the ``with`` statement that enters it.
    """
    threads = _limit()
    counts = getattr(_HELD, "counts", None)
    if counts and counts[-1] == threads:
        return _NULL
    return _held(threads)


@contextlib.contextmanager
def _held(threads: int) -> Iterator[None]:
    """The limit of ``threads`` (0: BLAS left alone), recorded as held while the body runs."""
    global _CONTROLLER
    counts = getattr(_HELD, "counts", None)
    if counts is None:
        counts = _HELD.counts = []
    counts.append(threads)
    try:
        if threads == 0:
            yield
            return
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

            _CONTROLLER = ThreadpoolController()
            _BLAS[:] = [lib for lib in _CONTROLLER.lib_controllers if lib.user_api == "blas"]
        if all(0 < lib.num_threads <= threads for lib in _BLAS):  # already within the limit
            yield
            return
        with _CONTROLLER.limit(limits=threads, user_api="blas"):
            yield
    finally:
        counts.pop()
