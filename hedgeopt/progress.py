"""A tiny dependency-free progress bar for long operations (frontier, batch, benchmarks).

The bar is drawn on ``stderr`` only when ``stderr`` is a terminal, the caller did not ask for
quiet, and the environment variable ``HEDGEOPT_QUIET`` is not set to a true value (``1``,
``true``, ``yes``, ``on``). Otherwise nothing at all is written, so logs of schedulers (cron,
Airflow, CI) and redirected output stay clean.

Examples
--------
>>> from hedgeopt.progress import progress
>>> total = sum(x for x in progress(range(3), desc="sum", quiet=True))
>>> total
3
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

__all__ = ["Progress", "progress", "quiet_requested"]

T = TypeVar("T")

#: Minimum seconds between two redraws (the last state is always drawn).
REFRESH = 0.1
_TRUE = {"1", "true", "yes", "on"}


def quiet_requested(quiet: bool | None = None) -> bool:
    """Whether output should be suppressed: ``quiet`` if given, else ``$HEDGEOPT_QUIET``."""
    if quiet:
        return True
    return os.environ.get("HEDGEOPT_QUIET", "").strip().lower() in _TRUE


def _is_tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _fmt_time(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:4.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A progress bar updated by hand (``update``) or by :func:`progress`.

    Parameters
    ----------
    total : int, optional
        Number of steps; without it the bar shows a count and a rate only.
    desc : str
        Label drawn before the bar.
    quiet : bool, optional
        ``True`` never draws. ``None`` or ``False``: draw when ``stream`` is a TTY and
        ``$HEDGEOPT_QUIET`` is not set.
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    width : int
        Width of the bar in characters.

    Notes
    -----
    Use it as a context manager so that the line is finished (newline) even on errors::

        with Progress(total=len(jobs), desc="batch") as bar:
            for job in jobs:
                run(job)
                bar.update(failed=0)
    """

    def __init__(self, total: int | None = None, desc: str = "", quiet: bool | None = None,
                 stream: IO[str] | None = None, width: int = 28) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.total = None if total is None else max(0, int(total))
        self.desc = desc
        self.width = width
        self.count = 0
        self.failed = 0
        self.enabled = not quiet_requested(quiet) and _is_tty(self.stream)
        self._start = time.perf_counter()
        self._last = -float("inf")
        self._closed = False

    # -- drawing ------------------------------------------------------------------------------
    def line(self) -> str:
        """The current state as one line of text (what is drawn)."""
        elapsed = time.perf_counter() - self._start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        head = f"{self.desc}: " if self.desc else ""
        tail = f" [{_fmt_time(elapsed)}, {rate:.2f}/s"
        if self.failed:
            tail += f", {self.failed} failed"
        if self.total:
            frac = min(1.0, self.count / self.total)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            left = (self.total - self.count) / rate if rate > 0 else float("nan")
            eta = f", eta {_fmt_time(left)}" if rate > 0 and self.count < self.total else ""
            return f"{head}{frac:4.0%} |{bar}| {self.count}/{self.total}{tail}{eta}]"
        return f"{head}{self.count}{tail}]"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < REFRESH:
            return
        self._last = now
        self.stream.write("\r" + self.line() + "\x1b[K")
        self.stream.flush()

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Advance by ``n`` steps, ``failed`` of which failed."""
        self.count += n
        self.failed += failed
        self._draw(force=self.total is not None and self.count >= self.total)

    def close(self) -> None:
        """Draw the final state and end the line (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "",
             quiet: bool | None = None, stream: IO[str] | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` while drawing a progress bar on stderr.

    Parameters
    ----------
    iterable : iterable
        The items; ``len()`` is used for the total when it exists and ``total`` is not given.
    total : int, optional
        Number of items.
    desc : str
        Label of the bar.
    quiet : bool, optional
        ``True`` draws nothing. Otherwise the bar is drawn only when stderr is a TTY and
        ``$HEDGEOPT_QUIET`` is not set.
    stream : file, optional
        Where to draw (default ``sys.stderr``).

    Yields
    ------
    The items of ``iterable``, unchanged.
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    with Progress(total=total, desc=desc, quiet=quiet, stream=stream) as bar:
        for item in iterable:
            yield item
            bar.update()
