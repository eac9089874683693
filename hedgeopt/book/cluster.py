"""The Dask executor of a book: one task per chunk of baskets over a panel, shared panels
scattered once to every worker, tasks of dead workers re-run (see :func:`solve_dask`)."""

from __future__ import annotations

import math
import traceback
import uuid
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from hedgeopt.book.recipes import BookEntry
from hedgeopt.book.results import Collector
from hedgeopt.book.tasks import collect_outcome, run_chunk
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import MissingDependency
from hedgeopt.progress import Progress

__all__ = ["BATCH_INSTALL", "chunks", "require_distributed", "solve_dask"]

#: The ``pip install`` line of the batch extra (Dask distributed).
BATCH_INSTALL = 'pip install "hedgeopt[batch]"'


def require_distributed(feature: str = "solving a book on Dask") -> Any:
    """The :mod:`distributed` module, or :class:`MissingDependency` with the pip line.

    Parameters
    ----------
    feature : str
        What needs Dask, named in the message (``"hedgeopt batch"``).

    Raises
    ------
    MissingDependency
        When ``distributed`` cannot be imported; the message ends with
        ``pip install "hedgeopt[batch]"``. Solving in-process (``client=None``,
        ``hedgeopt batch --workers 0``) needs no Dask.
    """
    try:
        import distributed
    except ImportError:
        raise MissingDependency(
            f"{feature} needs Dask distributed, which is not installed; install the batch "
            f"extra: {BATCH_INSTALL} (or solve in this process: solve_book(book) without a "
            f"client, hedgeopt batch --workers 0)", package="distributed", extra="batch") from None
    return distributed


def chunks(entries: list[BookEntry], size: int) -> list[list[BookEntry]]:
    """Consecutive groups of at most ``size`` entries over the same panel."""
    by_panel: dict[str, list[BookEntry]] = {}
    for e in entries:
        by_panel.setdefault(e.panel, []).append(e)
    return [group[i:i + size] for group in by_panel.values()
            for i in range(0, len(group), size)]


def solve_dask(entries: list[BookEntry], panels: dict[str, pd.DataFrame],
               ctxs: dict[Hashable, HedgeContext] | None, client: Any, collect: Collector,
               bar: Progress, retries: int, options: Mapping[str, Any],
               chunksize: int | None = None) -> dict[str, Any]:
    """Solve ``entries`` as Dask tasks of ``client``; outcomes go to ``collect`` as they come.

    ``ctxs`` (key -> data context) are the contexts of a mapping of problems, reused for the
    results; a :class:`~hedgeopt.book.recipes.Book`'s are rebuilt from the panel on access.
    Returns how the batch ran (``mode``, ``scheduler``, ``workers``, ``tasks``, ``chunksize``,
    ``scattered``). A bug of a task is raised here (see :mod:`hedgeopt.book.tasks`).
    """
    from concurrent.futures import CancelledError

    as_completed = require_distributed("solve_book(..., client)").as_completed

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    size = chunksize or max(1, math.ceil(len(entries) / (4 * n_workers)))
    uses = Counter(e.panel for e in entries)
    shared = [name for name in panels if uses[name] > 1]
    tag = uuid.uuid4().hex[:8]
    pending = list(entries)
    n_tasks = 0
    for round_ in range(2):  # a second round only for tasks whose scattered panel was lost
        # a panel shared by several baskets goes once to every worker (broadcast: a dead worker
        # does not take the only copy); a panel of one basket travels inside its task, so the
        # scheduler can re-run it anywhere. Unique keys (hash=False): no clash with other calls.
        need = {e.panel for e in pending}
        refs: dict[str, Any] = {
            name: (client.scatter(panels[name], broadcast=True, hash=False)
                   if name in shared else panels[name])
            for name in need
        }
        groups = chunks(pending, size)
        n_tasks += len(groups)
        futures = client.map(run_chunk, groups, [refs[c[0].panel] for c in groups],
                             options=dict(options), retries=retries,
                             key=[f"hedgeopt-{tag}-{round_}-{i}" for i in range(len(groups))])
        by_future = dict(zip(futures, groups, strict=True))
        lost: list[BookEntry] = []
        for fut, outs in as_completed(futures, with_results=True, raise_errors=False):
            chunk = by_future[fut]
            if fut.status == "error" or isinstance(outs, BaseException):
                exc = outs if isinstance(outs, BaseException) else fut.exception()
                if isinstance(exc, CancelledError) and round_ == 0:
                    lost += chunk  # its scattered panel was lost with the workers
                    continue
                # the task kept failing (transient errors), or its workers kept dying
                tb = "".join(traceback.format_exception(exc))
                for entry in chunk:
                    collect.failure(entry.key, exc, tb=tb)
                bar.update(len(chunk), failed=len(chunk))
                continue
            for entry, out in zip(chunk, outs, strict=True):
                collect_outcome(collect, entry, out, panels[entry.panel],
                         None if ctxs is None else ctxs[entry.key])
            bar.update(len(chunk), failed=sum(e.key in collect.failures for e in chunk))
        del futures, by_future, refs  # releases the scattered panels and the results
        if not lost:
            break
        pending = lost
    return {"mode": "dask", "scheduler": client.scheduler.address, "workers": n_workers,
            "tasks": n_tasks, "chunksize": size, "scattered": shared}
