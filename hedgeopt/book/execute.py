"""Solving a book: :func:`solve_book` and its in-process executor (the Dask one is
:mod:`hedgeopt.book.cluster`)."""

from __future__ import annotations

import time
import traceback
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from hedgeopt.book.cluster import require_distributed, solve_dask
from hedgeopt.book.recipes import Book, BookEntry
from hedgeopt.book.results import BookResult, Collector, record_of
from hedgeopt.book.tasks import BUGS, DETERMINISTIC, collect_outcome, raise_bug, run_entry
from hedgeopt.context import HedgeContext
from hedgeopt.exceptions import HedgeOptError, InputError
from hedgeopt.problem import HedgeProblem
from hedgeopt.progress import Progress
from hedgeopt.validation import check_number

__all__ = ["solve_book", "solve_local"]


def solve_book(problems: Mapping[Hashable, HedgeProblem] | Book, client: Any = None, *,
               retries: int = 2, progress: bool | None = None, chunksize: int | None = None,
               **solve_options: Any) -> BookResult:
    """Solve every basket of a book; one failure never loses the others.

    Parameters
    ----------
    problems : mapping or Book
        Key -> :class:`~hedgeopt.HedgeProblem`, or a :class:`Book` (see
        :func:`book_from_panel`), whose problems are built inside the tasks.
    client : distributed.Client or str, optional
        ``None`` solves sequentially in this process (Dask is not needed). A Client (or a
        scheduler address, for which a Client is opened and closed) runs the baskets as Dask
        tasks (see ``chunksize``).
    retries : int
        Re-runs of a task that raised a transient error (not a hedgeopt, value or type error,
        which a re-run cannot fix). Tasks of a worker that dies are re-run by the scheduler
        regardless (up to ``distributed.scheduler.allowed-failures`` times).
    progress : bool, optional
        ``False`` never draws a progress bar; otherwise one is drawn in a terminal or a
        Jupyter kernel unless ``$HEDGEOPT_QUIET`` or ``$CI`` is set (see
        :mod:`hedgeopt.progress`).
    chunksize : int, optional
        Baskets per Dask task. Default: about four tasks per worker
        (``ceil(baskets / (4 * workers))``), which amortises Dask's per-task cost (a few ms,
        comparable to a 300-name continuous solve) while keeping the load balanced; use 1 for
        long whole-share solves. A chunk whose worker dies is re-run as a whole.
    **solve_options
        Passed to every ``HedgeProblem.solve`` (``solver=``, ``tol=``, ``time_limit=`` ...).

    Returns
    -------
    BookResult
        ``results`` and ``failures`` keyed like ``problems``, and a ``summary`` table.

    Notes
    -----
    On a cluster, price tables shared by several baskets (the same DataFrame object behind
    several problems, or a :class:`Book` panel) are scattered once to every worker with
    ``broadcast=True``, so a worker that dies does not take the only copy with it. Results
    come back as compact records (shares, metrics, status: a few kB) and the data context of
    a result is rebuilt on the client when it is looked up.
    """
    retries = int(check_number(retries, "retries", lo=0, integer=True))
    if chunksize is not None:
        chunksize = int(check_number(chunksize, "chunksize", lo=1, integer=True))
    if isinstance(problems, Book):
        entries, panels = list(problems.entries.values()), problems.panels
        ctxs: dict[Hashable, HedgeContext] | None = None
    else:
        entries, panels, ctxs = _entries_of(problems)
    keys = [e.key for e in entries]
    collect = Collector(keys)
    start = time.perf_counter()
    quiet = True if progress is False else None
    with Progress(total=len(entries), desc="hedging", quiet=quiet) as bar:
        if client is None:
            info = {"mode": "in-process", "workers": 1}
            solve_local(problems, entries, panels, collect, bar, retries, solve_options)
        else:
            own = False
            if isinstance(client, str):
                client, own = require_distributed(
                    f"solve_book(..., {client!r})").Client(client), True
            try:
                info = solve_dask(entries, panels, ctxs, client, collect, bar, retries,
                                  solve_options, chunksize)
            finally:
                if own:
                    client.close()
    return collect.finish(time.perf_counter() - start, info)


def _entries_of(problems: Mapping[Hashable, HedgeProblem]
                ) -> tuple[list[BookEntry], dict[str, pd.DataFrame], dict[Hashable, HedgeContext]]:
    """Recipes of a mapping of problems: one panel per distinct price table, and the contexts."""
    if not isinstance(problems, Mapping):
        raise InputError("problems must be a mapping key -> HedgeProblem (or a Book)",
                         field="problems")
    entries, panels, ctxs = [], {}, {}
    for key, prob in problems.items():
        if not isinstance(prob, HedgeProblem):
            raise InputError(f"problems[{key!r}] is a {type(prob).__name__}, not a HedgeProblem",
                             field="problems")
        ctx = prob.ctx
        name = f"prices-{id(ctx.prices):x}"
        panels[name] = ctx.prices
        ctxs[key] = ctx
        entries.append(BookEntry(key=key, panel=name, basket=ctx.basket, lam=prob.lam,
                                 constraints=list(prob.constraints),
                                 reference=ctx.reference_date))
    return entries, panels, ctxs


def solve_local(problems: Any, entries: list[BookEntry], panels: dict[str, pd.DataFrame],
                collect: Collector, bar: Progress, retries: int,
                options: Mapping[str, Any]) -> None:
    """The in-process executor: the baskets one after the other, retrying transient errors."""
    direct = not isinstance(problems, Book)
    for entry in entries:
        start = time.perf_counter()
        panel = panels[entry.panel]
        for attempt in range(retries + 1):
            try:
                if direct:
                    res = problems[entry.key].solve(**options)
                    collect.success(entry.key, res, record_of(res), res.notional,
                                    time.perf_counter() - start)
                else:
                    out = run_entry(entry, panel, options)
                    collect_outcome(collect, entry, out, panel)
                break
            except (KeyboardInterrupt, SystemExit):
                raise
            except BUGS as exc:
                if direct:
                    raise_bug(entry.key, exc)
                raise  # from collect_outcome: raise_bug has said which basket
            except DETERMINISTIC as exc:
                tb = None if isinstance(exc, HedgeOptError) else traceback.format_exc()
                collect.failure(entry.key, exc, time.perf_counter() - start, tb=tb)
                break
            except Exception as exc:  # transient: retry, then report
                if attempt == retries:
                    collect.failure(entry.key, exc, time.perf_counter() - start,
                                    tb=traceback.format_exc())
        bar.update(failed=int(entry.key in collect.failures))
