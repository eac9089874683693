"""Hedge a whole book of baskets, in-process or on Dask distributed.

A desk hedges many basket options every night: each basket is one
:class:`~hedgeopt.HedgeProblem`, and the problems are independent. :func:`solve_book` solves a
mapping ``key -> HedgeProblem`` and returns a :class:`BookResult` keyed the same way:

- one basket's failure (infeasible constraints, bad data, a solver error) is recorded in
  ``BookResult.failures[key]`` and never loses the other baskets;
- with a :class:`distributed.Client`, one task per basket runs on the cluster; a worker that
  dies mid-batch has its tasks re-run on the others by the scheduler (and a task that raised a
  transient error, e.g. ``OSError`` or ``MemoryError``, is retried ``retries`` times);
- price tables shared by several baskets are sent once to every worker
  (``client.scatter(panel, broadcast=True)``), not once per task.

:func:`book_from_panel` describes "many baskets over one price panel" without building the
problems on the client at all: each task receives the (scattered) panel and builds its problem
on the worker.

Examples
--------
>>> import hedgeopt as ho
>>> from hedgeopt.book import book_from_panel, solve_book
>>> prices, basket, sectors = ho.datasets.synthetic_market(n_assets=30, n_days=60, seed=1)
>>> book = book_from_panel(prices, {"a": prices.iloc[-1, :5] * 0 + 100,
...                                 "b": prices.iloc[-1, 5:9] * 0 + 50},
...                        [ho.Budget(), ho.LongOnly()], lam=0.3, exclude_constituents=True)
>>> out = solve_book(book, progress=False)
>>> sorted(out.results), out.failures
(['a', 'b'], {})

Layout
------
``recipes`` (:class:`Book`, :class:`BookEntry`, :func:`book_from_panel`), ``selection`` (the
shared column selections of a panel), ``results`` (:class:`BookResult`, the records results
travel as), ``tasks`` (what one task does; which errors are the basket's, transient, or bugs),
``execute`` (:func:`solve_book`, the in-process executor), ``cluster`` (the Dask executor),
``configured`` (book.toml glue).
"""

from hedgeopt.book.cluster import BATCH_INSTALL, require_distributed
from hedgeopt.book.configured import (
    ConfiguredBook,
    ConfiguredEntry,
    book_from_config,
    merge_failures,
)
from hedgeopt.book.execute import solve_book
from hedgeopt.book.recipes import Book, BookEntry, book_from_panel
from hedgeopt.book.results import BookResult, ResultMap
from hedgeopt.book.tasks import BUGS, DETERMINISTIC

__all__ = [
    "BATCH_INSTALL", "BUGS", "DETERMINISTIC", "Book", "BookEntry", "BookResult", "ConfiguredBook",
    "ConfiguredEntry", "ResultMap", "book_from_config", "book_from_panel", "merge_failures",
    "require_distributed", "solve_book",
]
