"""Progress bars for long operations (frontier, backtest, tuning, a batch): a thin tqdm adapter.

The drawing is tqdm's (``tqdm.auto``: a widget in Jupyter when ``ipywidgets`` is installed, a
text bar on stderr otherwise); what hedgeopt adds is *when* a bar is drawn, decided by
:func:`enabled`:

1. never when the caller asks for quiet (``quiet=True``, the CLI's ``--quiet``,
   ``solve_book(progress=False)``) or ``$HEDGEOPT_QUIET`` is true (``1``, ``true``, ``yes``,
   ``on``);
2. never when ``$CI`` is set (to anything but an empty or false value): CI logs stay clean even
   where the runner allocates a pseudo-terminal, and notebooks executed in CI have no widgets;
3. always inside a Jupyter (IPython) kernel, whose stderr is not a terminal;
4. elsewhere only when the stream (default ``sys.stderr``) is a terminal, so pipes, redirected
   output and cron or scheduler logs get nothing at all.

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
import warnings
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

__all__ = ["Progress", "enabled", "in_kernel", "progress", "quiet_requested"]

T = TypeVar("T")

#: Minimum seconds between two redraws (tqdm's ``mininterval``; close always draws the end).
REFRESH = 0.1
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quiet_requested(quiet: bool | None = None) -> bool:
    """Whether output should be suppressed: ``quiet`` if given, else ``$HEDGEOPT_QUIET``."""
    if quiet:
        return True
    return os.environ.get("HEDGEOPT_QUIET", "").strip().lower() in _TRUE


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in _FALSE


def in_kernel() -> bool:
    """Whether this process is an IPython kernel (Jupyter, VS Code, Colab), not a terminal.

    True when ``ipykernel`` is imported and the running shell has a kernel: a plain IPython
    terminal has a shell but no kernel, and a script that merely imports ``ipykernel`` has no
    shell. IPython is never imported here.
    """
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
    except Exception:  # a half-initialised or foreign IPython: treat as no kernel
        return False
    return getattr(shell, "kernel", None) is not None


def _is_tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def enabled(quiet: bool | None = None, stream: IO[str] | None = None) -> bool:
    """Whether a bar is drawn (the rule in the module docstring).

    Parameters
    ----------
    quiet : bool, optional
        ``True`` never draws; ``None`` or ``False`` leaves it to ``$HEDGEOPT_QUIET``, ``$CI``,
        the kernel and the terminal.
    stream : file, optional
        The stream the bar would go to (default ``sys.stderr``).
    """
    if quiet_requested(quiet) or _in_ci():
        return False
    if in_kernel():
        return True
    return _is_tty(sys.stderr if stream is None else stream)


def _bar_class() -> Any:
    # imported only when a bar is drawn; tqdm.auto picks the notebook widget inside a kernel
    # with ipywidgets and the text bar everywhere else (a kernel without ipywidgets gets the
    # text bar on stderr without tqdm's "IProgress not found" warning: hedgeopt does not need
    # ipywidgets, and the text bar is a working bar)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from tqdm.auto import tqdm

    return tqdm


class Progress:
    """A progress bar updated by hand (``update``) or by :func:`progress`.

    Parameters
    ----------
    total : int, optional
        Number of steps; without it the bar shows a count and a rate only.
    desc : str
        Label drawn before the bar.
    quiet : bool, optional
        ``True`` never draws. ``None`` or ``False``: see :func:`enabled`.
    stream : file, optional
        Where a text bar is drawn (default ``sys.stderr``; a notebook widget ignores it).

    Attributes
    ----------
    count, failed : int
        Steps done and, of those, steps that failed (shown as ``N failed`` after the bar).
    enabled : bool
        Whether anything is drawn; a silent bar only counts.

    Notes
    -----
    Use it as a context manager so that the bar is finished even on errors::

        with Progress(total=len(jobs), desc="batch") as bar:
            for job in jobs:
                ok = run(job)
                bar.update(failed=int(not ok))
    """

    def __init__(self, total: int | None = None, desc: str = "", quiet: bool | None = None,
                 stream: IO[str] | None = None) -> None:
        self.total = None if total is None else max(0, int(total))
        self.desc = desc
        self.count = 0
        self.failed = 0
        stream = sys.stderr if stream is None else stream
        self.enabled = enabled(quiet, stream)
        self._bar: Any = None
        if self.enabled:
            self._bar = _bar_class()(total=self.total, desc=desc or None, file=stream,
                                     mininterval=REFRESH, dynamic_ncols=True, disable=False)

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Advance by ``n`` steps, ``failed`` of which failed."""
        self.count += n
        self.failed += failed
        if self._bar is None:
            return
        if failed:
            self._bar.set_postfix_str(f"{self.failed} failed", refresh=False)
        self._bar.update(n)
        if failed and not n:
            self._bar.refresh()

    def close(self) -> None:
        """Draw the final state and end the line (idempotent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "",
             quiet: bool | None = None, stream: IO[str] | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` while drawing a progress bar (see :func:`enabled`).

    Parameters
    ----------
    iterable : iterable
        The items; ``len()`` is used for the total when it exists and ``total`` is not given.
    total : int, optional
        Number of items.
    desc : str
        Label of the bar.
    quiet : bool, optional
        ``True`` draws nothing; otherwise :func:`enabled` decides.
    stream : file, optional
        Where a text bar is drawn (default ``sys.stderr``).

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
