"""A time-limit assertion that a loaded machine does not break."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Assert that the block returns within ``seconds``.

    The block is timed on the wall clock and on this process's CPU clock, and the smaller of
    the two is asserted: code that ignores its time limit overruns on both, while a loaded
    machine (CPU handed to other processes) stretches only the wall clock. Only for
    CPU-bound work in this process (a block that sleeps, or waits on other processes,
    uses no CPU of its own and would pass).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert min(wall, cpu) < seconds, (
        f"took {wall:.2f} s of wall clock and {cpu:.2f} s of CPU (limit {seconds:g} s)")
