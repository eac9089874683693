"""What one task of a book does, wherever it runs: build a basket's problem, solve it, send back
a compact record or the error; and how the client takes an outcome in."""

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

__all__ = ["DETERMINISTIC", "Outcome", "collect_outcome", "run_chunk", "run_entry"]

#: Errors that a re-run cannot fix: reported at once as the basket's failure. Anything else
#: (OSError, MemoryError, a worker's RuntimeError, ...) is treated as transient and retried.
DETERMINISTIC: tuple[type[BaseException], ...] = (
    HedgeOptError, ValueError, TypeError, KeyError, IndexError, AttributeError,
    ArithmeticError, NotImplementedError, AssertionError, np.linalg.LinAlgError,
)


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


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (to travel from a worker), else a HedgeOptError copy."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return HedgeOptError(f"{type(exc).__name__}: {exc}")


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

    A :data:`DETERMINISTIC` error comes back in the outcome; a transient error is raised, for
    the executor to retry.
    """
    start = time.perf_counter()
    worker = _worker_name()
    try:
        prob = entry.build(panel)
        res = prob.solve(**{**options, **entry.options})
    except DETERMINISTIC as exc:
        tb = None if isinstance(exc, HedgeOptError) else traceback.format_exc()
        return Outcome(entry.key, None, _portable(exc), tb, time.perf_counter() - start, worker)
    return Outcome(entry.key, record_of(res), seconds=time.perf_counter() - start, worker=worker,
                   notional=res.notional, reference_date=res.reference_date)


def run_chunk(entries: list[BookEntry], panel: pd.DataFrame,
              options: Mapping[str, Any]) -> list[Outcome]:
    """One task: several baskets over the same panel (see :func:`run_entry`)."""
    return [run_entry(entry, panel, options) for entry in entries]


def collect_outcome(collect: Collector, entry: BookEntry, out: Outcome, panel: pd.DataFrame,
                    ctx: HedgeContext | None = None) -> None:
    """Take a task's outcome in: a success (its context rebuilt from ``panel`` on access, or
    ``ctx``) or a failure."""
    if out.record is None:
        if out.error is None:  # pragma: no cover - run_entry always sets one of the two
            raise RuntimeError(f"basket {entry.key!r}: the task sent neither result nor error")
        collect.failure(entry.key, out.error, out.seconds, out.worker, out.traceback)
        return
    make_ctx = (lambda: ctx) if ctx is not None else functools.partial(entry.context, panel)
    collect.success(entry.key, (out.record, make_ctx), out.record, out.notional, out.seconds,
                    out.worker)
