"""What one task of a book does, wherever it runs: build a basket's problem, solve it, send back
a compact record or the error; and how the client takes an outcome in.

Three kinds of error, three fates:

- :data:`DETERMINISTIC` errors describe the basket (infeasible constraints, bad data, a solver
  error): a re-run cannot fix them, so they are at once that basket's failure, and the others go
  on;
- :data:`BUGS` (``AttributeError``, ``AssertionError``, ``NameError``) say that code is wrong,
  hedgeopt's or a constraint factory's, not that the basket is: they are never retried and never
  recorded as a failure; :func:`~hedgeopt.solve_book` raises them, with the basket's key and,
  from a Dask worker, the worker's traceback as the cause;
- anything else (``OSError``, ``MemoryError``, a worker's ``RuntimeError``, ...) is transient:
  retried, then recorded as the basket's failure.
"""

from __future__ import annotations

import functools
import pickle
import sys
import time
import traceback
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.book.recipes import BookEntry
from hedgeopt.book.results import Collector, record_of
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import HedgeOptError

__all__ = ["BUGS", "DETERMINISTIC", "Outcome", "collect_outcome", "raise_bug", "run_chunk",
           "run_entry"]

#: Errors that a re-run cannot fix and that describe the basket: reported at once as the
#: basket's failure. Anything else but :data:`BUGS` (OSError, MemoryError, a worker's
#: RuntimeError, ...) is treated as transient and retried.
DETERMINISTIC: tuple[type[BaseException], ...] = (
    HedgeOptError, ValueError, TypeError, KeyError, IndexError, ArithmeticError,
    NotImplementedError, np.linalg.LinAlgError,
)

#: Errors that say the code is wrong, not the basket: never retried, never a basket's failure;
#: :func:`~hedgeopt.solve_book` raises them.
BUGS: tuple[type[BaseException], ...] = (AttributeError, AssertionError, NameError)


@dataclass
class Outcome:
    """What a task sends back: a compact result record (no data) or the error."""

    key: Hashable
    record: dict[str, Any] | None
    error: BaseException | None = None
    traceback: str | None = None
    seconds: float = 0.0
    worker: str | None = None
    notional: float | None = None
    reference_date: Any = None
    bug: bool = False


class RemoteTraceback(Exception):
    """The traceback of a bug raised on a Dask worker (the cause of the re-raised error)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def _portable(exc: BaseException, fallback: type[Exception] = HedgeOptError) -> BaseException:
    """``exc`` if it survives pickling (to travel from a worker), else a ``fallback`` copy."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return fallback(f"{type(exc).__name__}: {exc}")


def _worker_name() -> str | None:
    """Address of the Dask worker running this code, or None (never imports Dask)."""
    dist = sys.modules.get("distributed")
    if dist is None:
        return None
    try:
        return str(dist.get_worker().address)
    except Exception:  # not inside a worker
        return None


def run_entry(entry: BookEntry, panel: pd.DataFrame, options: Mapping[str, Any]) -> Outcome:
    """One task: build the basket's problem on the worker, solve it, return a record.

    A :data:`DETERMINISTIC` error or one of the :data:`BUGS` comes back in the outcome (a bug
    flagged as such, so that a worker does not retry it); a transient error is raised, for the
    executor to retry.
    """
    start = time.perf_counter()
    worker = _worker_name()
    try:
        prob = entry.build(panel)
        res = prob.solve(**{**options, **entry.options})
    except BUGS as exc:
        return Outcome(entry.key, None, _portable(exc, RuntimeError), traceback.format_exc(),
                       time.perf_counter() - start, worker, bug=True)
    except DETERMINISTIC as exc:
        tb = None if isinstance(exc, HedgeOptError) else traceback.format_exc()
        return Outcome(entry.key, None, _portable(exc), tb, time.perf_counter() - start, worker)
    return Outcome(entry.key, record_of(res), seconds=time.perf_counter() - start, worker=worker,
                   notional=res.notional, reference_date=res.reference_date)


def run_chunk(entries: list[BookEntry], panel: pd.DataFrame,
              options: Mapping[str, Any]) -> list[Outcome]:
    """One task: several baskets over the same panel (see :func:`run_entry`)."""
    return [run_entry(entry, panel, options) for entry in entries]


def raise_bug(key: Hashable, exc: BaseException, tb: str | None = None,
              worker: str | None = None) -> None:
    """Raise ``exc``, one of the :data:`BUGS`, saying which basket raised it.

    The basket's key goes in a note of the exception (Python >= 3.11); an error that came from a
    Dask ``worker`` is raised from a :class:`RemoteTraceback` holding the worker's traceback
    ``tb`` (as :mod:`concurrent.futures` does for its processes).
    """
    where = f"basket {key!r}" + (f" on worker {worker}" if worker else "")
    if hasattr(exc, "add_note"):
        exc.add_note(f"hedgeopt: raised while solving {where}: a bug, not a basket failure")
    if worker and tb:
        raise exc from RemoteTraceback(f'\n"""\n{where}:\n{tb}"""')
    raise exc


def collect_outcome(collect: Collector, entry: BookEntry, out: Outcome, panel: pd.DataFrame,
                    ctx: HedgeContext | None = None) -> None:
    """Take a task's outcome in: a success (its context rebuilt from ``panel`` on access, or
    ``ctx``), a failure, or a bug (raised, see :func:`raise_bug`)."""
    if out.record is None:
        if out.error is None:  # pragma: no cover - run_entry always sets one of the two
            raise RuntimeError(f"basket {entry.key!r}: the task sent neither result nor error")
        if out.bug:
            raise_bug(entry.key, out.error, out.traceback, out.worker)
        collect.failure(entry.key, out.error, out.seconds, out.worker, out.traceback)
        return
    make_ctx = (lambda: ctx) if ctx is not None else functools.partial(entry.context, panel)
    collect.success(entry.key, (out.record, make_ctx), out.record, out.notional, out.seconds,
                    out.worker)
