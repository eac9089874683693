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
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import pickle
import sys
import time
import traceback
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.base import Constraint
from hedgeopt.context import HedgeContext, validate_lam
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.exceptions import HedgeOptError, InputError, MissingDependency
from hedgeopt.problem import HedgeProblem
from hedgeopt.progress import Progress
from hedgeopt.result import HedgeResult

__all__ = [
    "Book", "BookEntry", "BookResult", "ConfiguredBook", "book_from_config", "book_from_panel",
    "merge_failures", "solve_book",
]

#: Errors that a re-run cannot fix: reported at once as the basket's failure. Anything else
#: (OSError, MemoryError, a worker's RuntimeError, ...) is treated as transient and retried.
DETERMINISTIC: tuple[type[BaseException], ...] = (
    HedgeOptError, ValueError, TypeError, KeyError, IndexError, AttributeError,
    ArithmeticError, NotImplementedError, AssertionError, np.linalg.LinAlgError,
)

ConstraintsSpec = Callable[[Hashable], Iterable[Constraint]] | Iterable[Constraint] | None


# ------------------------------------------------------------------------------------------------
# recipes: what a task needs to build one problem
# ------------------------------------------------------------------------------------------------


@dataclass
class BookEntry:
    """A picklable recipe of one basket's problem over a price panel.

    Attributes
    ----------
    key : hashable
        The basket's key in the book.
    panel : str
        Name of the price table in :attr:`Book.panels`.
    basket : pandas.Series, optional
        Basket dollar values on the panel's dates, or
    units : pandas.Series, optional
        units per constituent (columns of the panel): ``basket = ho.basket_value(units, panel)``.
    universe : tuple of str, optional
        Hedge instruments (default: every column of the panel).
    exclude_constituents : bool
        Leave ``units``' constituents out of the universe.
    lam : float
        Objective weight.
    constraints : list of Constraint
        Copied for every build (constraints hold compiled state).
    factory : callable, optional
        ``factory(key) -> constraints``; used instead of ``constraints`` when given.
    reference : label or int, optional
        Reference date.
    options : dict
        ``HedgeProblem.solve`` options of this basket (over the book-wide ones).
    labels : dict
        Config origins of ``prices`` / ``basket`` / ``reference`` (for messages).
    """

    key: Hashable
    panel: str
    basket: pd.Series | None = None
    units: pd.Series | None = None
    universe: tuple[str, ...] | None = None
    exclude_constituents: bool = False
    lam: float = DEFAULT_LAM
    constraints: list[Constraint] = field(default_factory=list)
    factory: Callable[[Hashable], Iterable[Constraint]] | None = None
    reference: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)

    def hedge_prices(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The universe's columns of ``panel`` (the same selection is shared between baskets)."""
        cols = list(panel.columns) if self.universe is None else list(self.universe)
        if self.exclude_constituents and self.units is not None:
            drop = set(self.units.index)
            cols = [c for c in cols if c not in drop]
        if cols == list(panel.columns):
            return panel
        return _select(panel, tuple(cols))

    def basket_values(self, panel: pd.DataFrame) -> pd.Series:
        """Basket dollar values (from ``units`` through ``panel`` when needed)."""
        if self.basket is not None:
            return self.basket
        from hedgeopt.metrics import basket_value

        return basket_value(self.units, panel)

    def _located(self, fn: Callable[[], Any], default: str | None = None) -> Any:
        try:
            return fn()
        except InputError as exc:
            if not self.labels:
                raise
            from hedgeopt.config import _relabel

            raise _relabel(exc, self.labels, default) from None

    def context(self, panel: pd.DataFrame) -> HedgeContext:
        """The validated data of this basket (no constraints)."""
        basket = self._located(lambda: self.basket_values(panel), "basket")
        return self._located(lambda: HedgeContext(self.hedge_prices(panel), basket,
                                                  self.reference))

    def build(self, panel: pd.DataFrame) -> HedgeProblem:
        """The basket's :class:`~hedgeopt.HedgeProblem` (constraints copied or made fresh)."""
        from hedgeopt.config import add_constraints

        basket = self._located(lambda: self.basket_values(panel), "basket")
        prob = self._located(lambda: HedgeProblem(self.hedge_prices(panel), basket,
                                                  lam=self.lam, reference=self.reference))
        cons = (list(self.factory(self.key)) if self.factory is not None
                else copy.deepcopy(list(self.constraints)))
        return add_constraints(prob, cons)


#: Recent column selections of panels: (id(panel), columns) -> (weakref to panel, selection).
#: Baskets over one universe share one selection instead of copying the panel per basket.
_SELECTIONS: dict[tuple[int, tuple[str, ...]], tuple[Any, pd.DataFrame]] = {}
_SELECTIONS_MAX = 4


def _select(panel: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    key = (id(panel), cols)
    hit = _SELECTIONS.get(key)
    if hit is not None and hit[0]() is panel:
        return hit[1]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise InputError(f"universe: tickers {missing[:10]} are not in the price panel",
                         field="universe")
    frame = panel[list(cols)]
    while len(_SELECTIONS) >= _SELECTIONS_MAX:
        _SELECTIONS.pop(next(iter(_SELECTIONS)))
    _SELECTIONS[key] = (weakref.ref(panel), frame)
    return frame


class Book(Mapping[Hashable, HedgeProblem]):
    """Many baskets over shared price panels, as a lazy mapping ``key -> HedgeProblem``.

    Problems are built on access (on the client) or inside the tasks (on Dask workers); the
    panels are held once. Build one with :func:`book_from_panel` or :meth:`add`.

    Attributes
    ----------
    panels : dict of str to pandas.DataFrame
        Price tables (dates x tickers), by name.
    entries : dict
        Key -> :class:`BookEntry`, in insertion order.
    """

    def __init__(self) -> None:
        self.panels: dict[str, pd.DataFrame] = {}
        self.entries: dict[Hashable, BookEntry] = {}

    def add_panel(self, name: str, prices: pd.DataFrame) -> str:
        """Register a price panel under ``name`` (returned)."""
        if not isinstance(prices, pd.DataFrame):
            raise InputError(f"panel {name!r} must be a DataFrame, got {type(prices).__name__}",
                             field="panel")
        self.panels[name] = prices
        return name

    def add(self, key: Hashable, panel: str, **recipe: Any) -> BookEntry:
        """Add a basket over the panel named ``panel`` (keywords: see :class:`BookEntry`)."""
        if panel not in self.panels:
            raise InputError(f"no panel named {panel!r} (add_panel first)", field="panel")
        if key in self.entries:
            raise InputError(f"duplicate basket key {key!r}", field="baskets")
        entry = BookEntry(key=key, panel=panel, **recipe)
        self.entries[key] = entry
        return entry

    def __getitem__(self, key: Hashable) -> HedgeProblem:
        entry = self.entries[key]
        return entry.build(self.panels[entry.panel])

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {v.shape[0]}x{v.shape[1]}" for k, v in self.panels.items())
        return f"Book({len(self)} baskets over {len(self.panels)} panel(s) [{shapes}])"


def book_from_panel(panel: pd.DataFrame, baskets: Mapping[Hashable, pd.Series] | pd.DataFrame,
                    constraints_factory: ConstraintsSpec = None,
                    lam: float | Mapping[Hashable, float] = DEFAULT_LAM, *,
                    universe: Iterable[str] | None = None, reference: Any = None,
                    exclude_constituents: bool = False,
                    solve_options: Mapping[Hashable, Mapping[str, Any]] | None = None) -> Book:
    """Many baskets over one price panel (the panel is shared, problems are built per task).

    Parameters
    ----------
    panel : pandas.DataFrame
        Dates x tickers, dollars: the hedge instruments and the baskets' constituents.
    baskets : mapping or pandas.DataFrame
        Key -> Series. A Series indexed by tickers (columns of ``panel``) gives **units** per
        constituent (``basket = ho.basket_value(units, panel)``); one indexed by the panel's
        dates gives the basket's **dollar values**. A DataFrame of tickers x baskets is a
        units table (NaN and 0 mean "not in the basket").
    constraints_factory : callable or iterable of Constraint, optional
        ``factory(key) -> constraints`` (called on the worker), or one list of constraints
        used (copied) for every basket.
    lam : float or mapping
        Objective weight, one for all or per key.
    universe : iterable of str, optional
        Hedge instruments (default: every column of ``panel``).
    reference : label or int, optional
        Reference date of every basket.
    exclude_constituents : bool
        Leave each basket's constituents out of its hedge universe.
    solve_options : mapping, optional
        Key -> ``HedgeProblem.solve`` options for that basket.

    Returns
    -------
    Book
        A lazy mapping key -> HedgeProblem, accepted by :func:`solve_book`.
    """
    book = Book()
    book.add_panel("panel", panel)
    if isinstance(baskets, pd.DataFrame):
        baskets = {c: baskets[c][baskets[c].notna() & (baskets[c] != 0)] for c in baskets}
    uni = None if universe is None else tuple(universe)
    if uni is not None:
        missing = [t for t in uni if t not in panel.columns]
        if missing:
            raise InputError(f"universe: {missing[:10]} are not columns of the panel",
                             field="universe")
    if callable(constraints_factory):
        factory, cons = constraints_factory, []
    else:
        factory, cons = None, list(constraints_factory or [])
        for c in cons:
            if not isinstance(c, Constraint):
                raise InputError(f"constraints must be hedgeopt constraints, got "
                                 f"{type(c).__name__}", field="constraints")
    for key, s in baskets.items():
        s = s if isinstance(s, pd.Series) else pd.Series(s, dtype=float)
        kind = _basket_kind(key, s, panel)
        k_lam = validate_lam(lam[key] if isinstance(lam, Mapping) else lam)
        book.add(
            key, "panel", basket=s if kind == "dollars" else None,
            units=s.astype(float) if kind == "units" else None, universe=uni,
            exclude_constituents=exclude_constituents, lam=k_lam, constraints=cons,
            factory=factory, reference=reference,
            options=dict((solve_options or {}).get(key, {})),
        )
    return book


def _basket_kind(key: Hashable, s: pd.Series, panel: pd.DataFrame) -> str:
    if len(s) and s.index.isin(panel.columns).all():
        return "units"
    if len(s) == len(panel) and (s.index.equals(panel.index) or s.index.isin(panel.index).all()):
        return "dollars"
    raise InputError(
        f"basket {key!r}: expected units indexed by tickers of the panel, or dollar values "
        f"indexed by its dates; got an index like {list(map(str, s.index[:3]))}",
        field="baskets",
    )


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What a task sends back: a compact result record (no data) or the error."""

    key: Hashable
    record: dict[str, Any] | None
    error: BaseException | None = None
    traceback: str | None = None
    seconds: float = 0.0
    worker: str | None = None
    notional: float | None = None
    reference_date: Any = None


def _record(res: HedgeResult) -> dict[str, Any]:
    """The fields of a HedgeResult without its data context (a few kB instead of MBs)."""
    return {f.name: getattr(res, f.name) for f in dataclasses.fields(res) if f.name != "ctx"}


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


def _run_entry(entry: BookEntry, panel: pd.DataFrame, options: Mapping[str, Any]) -> _Outcome:
    """One task: build the basket's problem on the worker, solve it, return a record."""
    start = time.perf_counter()
    worker = _worker_name()
    try:
        prob = entry.build(panel)
        res = prob.solve(**{**options, **entry.options})
    except DETERMINISTIC as exc:
        tb = None if isinstance(exc, HedgeOptError) else traceback.format_exc()
        return _Outcome(entry.key, None, _portable(exc), tb, time.perf_counter() - start, worker)
    return _Outcome(entry.key, _record(res), seconds=time.perf_counter() - start, worker=worker,
                    notional=res.notional, reference_date=res.reference_date)


class ResultMap(Mapping[Hashable, HedgeResult]):
    """Key -> :class:`~hedgeopt.HedgeResult`, rebuilt on access from compact records.

    Results computed on workers come back without their data context; it is rebuilt on the
    client from the book's panel when a result is first looked up, and shared while any
    reference to that result is alive (so a book of 200 baskets does not hold 200 copies of
    the price matrix).
    """

    def __init__(self) -> None:
        self._items: dict[Hashable, HedgeResult | tuple[dict[str, Any], Callable[[], Any]]] = {}
        self._live: weakref.WeakValueDictionary[Hashable, HedgeResult] = (
            weakref.WeakValueDictionary())

    def _put(self, key: Hashable, item: Any) -> None:
        self._items[key] = item

    def __getitem__(self, key: Hashable) -> HedgeResult:
        item = self._items[key]
        if isinstance(item, HedgeResult):
            return item
        live = self._live.get(key)
        if live is not None:
            return live
        record, make_ctx = item
        res = HedgeResult(ctx=make_ctx(), **record)
        self._live[key] = res
        return res

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"ResultMap({list(self._items)!r})"


SUMMARY_COLUMNS = [
    "status", "solver", "lam", "objective", "pnl_te", "value_te", "effectiveness", "names",
    "gross", "notional", "bound", "gap", "violations", "seconds", "worker", "error",
]


@dataclass
class BookResult:
    """The hedges of a book.

    Attributes
    ----------
    results : Mapping
        Key -> :class:`~hedgeopt.HedgeResult` of every basket that solved.
    failures : dict
        Key -> the exception of every basket that did not (its message names the cause:
        ``InfeasibleError: no hedge satisfies ...``, ``ConfigError: book.toml:12: ...``,
        ``KilledWorker: ...``).
    summary : pandas.DataFrame
        One row per basket, in the book's order: status (``"failed"`` for failures), solver,
        lam, objective, metrics, notional, bound/gap, violations, seconds, worker, error.
    elapsed : float
        Wall seconds of the whole batch.
    tracebacks : dict
        Key -> formatted traceback of failures that are not hedgeopt errors (bugs).
    info : dict
        How the batch ran (``mode``, ``scheduler``, ``workers``).
    """

    results: ResultMap
    failures: dict[Hashable, BaseException]
    summary: pd.DataFrame
    elapsed: float
    tracebacks: dict[Hashable, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every basket solved."""
        return not self.failures

    def raise_failures(self) -> None:
        """Raise the first failure (chained), if any; handy in scripts that must not go on."""
        for key, exc in self.failures.items():
            raise HedgeOptError(f"{len(self.failures)} basket(s) failed; first {key!r}: "
                                f"{type(exc).__name__}: {exc}") from exc

    def __repr__(self) -> str:
        return (f"BookResult({len(self.results)} solved, {len(self.failures)} failed, "
                f"{self.elapsed:.2f} s, {self.info.get('mode', '?')})")


def _summary_row(rec: Mapping[str, Any], notional: float | None, seconds: float,
                 worker: str | None) -> dict[str, Any]:
    m = rec["metrics"]
    return {
        "status": rec["status"], "solver": rec["solver"], "lam": rec["lam"],
        "objective": rec["objective"], "pnl_te": m["pnl_te"], "value_te": m["value_te"],
        "effectiveness": m["effectiveness"], "names": int(m["names"]), "gross": m["gross"],
        "notional": notional, "bound": rec["bound"], "gap": rec["gap"],
        "violations": len(rec["violations"]), "seconds": rec.get("solve_time", seconds),
        "worker": worker, "error": None,
    }


def _failure_row(exc: BaseException, seconds: float, worker: str | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
    row.update(status="failed", seconds=seconds, worker=worker,
               error=f"{type(exc).__name__}: {exc}")
    return row


class _Collector:
    """Gathers outcomes in the book's order."""

    def __init__(self, keys: list[Hashable]) -> None:
        self.keys = keys
        self.results = ResultMap()
        self.failures: dict[Hashable, BaseException] = {}
        self.tracebacks: dict[Hashable, str] = {}
        self.rows: dict[Hashable, dict[str, Any]] = {}

    def success(self, key: Hashable, item: Any, rec: Mapping[str, Any], notional: float | None,
                seconds: float, worker: str | None = None) -> None:
        self.results._put(key, item)
        self.rows[key] = _summary_row(rec, notional, seconds, worker)

    def failure(self, key: Hashable, exc: BaseException, seconds: float = 0.0,
                worker: str | None = None, tb: str | None = None) -> None:
        self.failures[key] = exc
        if tb:
            self.tracebacks[key] = tb
        self.rows[key] = _failure_row(exc, seconds, worker)

    def finish(self, elapsed: float, info: dict[str, Any]) -> BookResult:
        order = [k for k in self.keys if k in self.rows]
        summary = pd.DataFrame([self.rows[k] for k in order], columns=SUMMARY_COLUMNS,
                               index=pd.Index(order, name="basket"))
        ordered = ResultMap()
        for k in order:
            if k in self.results._items:
                ordered._put(k, self.results._items[k])
        failures = {k: self.failures[k] for k in order if k in self.failures}
        return BookResult(ordered, failures, summary, elapsed, self.tracebacks, info)


# ------------------------------------------------------------------------------------------------
# solving
# ------------------------------------------------------------------------------------------------


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
    if retries < 0:
        raise InputError(f"retries must be >= 0, got {retries!r}", field="retries")
    if chunksize is not None and (isinstance(chunksize, bool) or int(chunksize) != chunksize
                                  or chunksize < 1):
        raise InputError(f"chunksize must be a positive integer, got {chunksize!r}",
                         field="chunksize")
    if isinstance(problems, Book):
        entries, panels = list(problems.entries.values()), problems.panels
        ctxs: dict[Hashable, HedgeContext] | None = None
    else:
        entries, panels, ctxs = _entries_of(problems)
    keys = [e.key for e in entries]
    collect = _Collector(keys)
    start = time.perf_counter()
    quiet = True if progress is False else None
    with Progress(total=len(entries), desc="hedging", quiet=quiet) as bar:
        if client is None:
            info = {"mode": "in-process", "workers": 1}
            _solve_local(problems, entries, panels, collect, bar, retries, solve_options)
        else:
            own = False
            if isinstance(client, str):
                client, own = require_distributed(
                    f"solve_book(..., {client!r})").Client(client), True
            try:
                info = _solve_dask(entries, panels, ctxs, client, collect, bar, retries,
                                   solve_options, chunksize)
            finally:
                if own:
                    client.close()
    return collect.finish(time.perf_counter() - start, info)


def _entries_of(problems: Mapping[Hashable, HedgeProblem]
                ) -> tuple[list[BookEntry], dict[str, pd.DataFrame], dict[Hashable, HedgeContext]]:
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


def _solve_local(problems: Any, entries: list[BookEntry], panels: dict[str, pd.DataFrame],
                 collect: _Collector, bar: Progress, retries: int,
                 options: Mapping[str, Any]) -> None:
    direct = not isinstance(problems, Book)
    for entry in entries:
        start = time.perf_counter()
        panel = panels[entry.panel]
        for attempt in range(retries + 1):
            try:
                if direct:
                    res = problems[entry.key].solve(**options)
                    collect.success(entry.key, res, _record(res), res.notional,
                                    time.perf_counter() - start)
                else:
                    out = _run_entry(entry, panel, options)
                    _collect(collect, entry, out, panel)
                break
            except (KeyboardInterrupt, SystemExit):
                raise
            except DETERMINISTIC as exc:
                tb = None if isinstance(exc, HedgeOptError) else traceback.format_exc()
                collect.failure(entry.key, exc, time.perf_counter() - start, tb=tb)
                break
            except Exception as exc:  # transient: retry, then report
                if attempt == retries:
                    collect.failure(entry.key, exc, time.perf_counter() - start,
                                    tb=traceback.format_exc())
        bar.update(failed=int(entry.key in collect.failures))


def _collect(collect: _Collector, entry: BookEntry, out: _Outcome, panel: pd.DataFrame,
             ctx: HedgeContext | None = None) -> None:
    if out.record is None:
        assert out.error is not None
        collect.failure(entry.key, out.error, out.seconds, out.worker, out.traceback)
        return
    make_ctx = (lambda: ctx) if ctx is not None else functools.partial(entry.context, panel)
    collect.success(entry.key, (out.record, make_ctx), out.record, out.notional, out.seconds,
                    out.worker)


def _run_chunk(entries: list[BookEntry], panel: pd.DataFrame,
               options: Mapping[str, Any]) -> list[_Outcome]:
    """One task: several baskets over the same panel (see :func:`_run_entry`)."""
    return [_run_entry(entry, panel, options) for entry in entries]


def _chunks(entries: list[BookEntry], size: int) -> list[list[BookEntry]]:
    """Consecutive groups of at most ``size`` entries over the same panel."""
    by_panel: dict[str, list[BookEntry]] = {}
    for e in entries:
        by_panel.setdefault(e.panel, []).append(e)
    return [group[i:i + size] for group in by_panel.values()
            for i in range(0, len(group), size)]


def _solve_dask(entries: list[BookEntry], panels: dict[str, pd.DataFrame],
                ctxs: dict[Hashable, HedgeContext] | None, client: Any, collect: _Collector,
                bar: Progress, retries: int, options: Mapping[str, Any],
                chunksize: int | None = None) -> dict[str, Any]:
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
        chunks = _chunks(pending, size)
        n_tasks += len(chunks)
        futures = client.map(_run_chunk, chunks, [refs[c[0].panel] for c in chunks],
                             options=dict(options), retries=retries,
                             key=[f"hedgeopt-{tag}-{round_}-{i}" for i in range(len(chunks))])
        by_future = dict(zip(futures, chunks, strict=True))
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
                _collect(collect, entry, out, panels[entry.panel],
                         None if ctxs is None else ctxs[entry.key])
            bar.update(len(chunk), failed=sum(e.key in collect.failures for e in chunk))
        del futures, by_future, refs  # releases the scattered panels and the results
        if not lost:
            break
        pending = lost
    return {"mode": "dask", "scheduler": client.scheduler.address, "workers": n_workers,
            "tasks": n_tasks, "chunksize": size, "scattered": shared}


# ------------------------------------------------------------------------------------------------
# books from config files
# ------------------------------------------------------------------------------------------------


@dataclass
class ConfiguredBook:
    """A book.toml turned into a :class:`Book`, with what the outputs need.

    Attributes
    ----------
    book : Book
        The baskets whose data loaded (one panel per distinct prices file).
    failures : dict
        Basket name -> the :class:`~hedgeopt.config.ConfigError` of a basket whose data did not
        load (missing file, unknown tickers, ...): reported for that basket only.
    sectors : dict
        Basket name -> sector map for its report (or None).
    descriptions : dict
        Basket name -> short data description for its report.
    order : list
        Every basket name, in the file's order.
    """

    book: Book
    failures: dict[Hashable, BaseException]
    sectors: dict[Hashable, Any]
    descriptions: dict[Hashable, dict[str, str]]
    order: list[Hashable]


def book_from_config(cfg: Any) -> ConfiguredBook:
    """Load the data of every basket of a :class:`~hedgeopt.config.BookConfig`.

    Files are read once however many baskets name them; baskets over the same prices file
    share one panel (scattered once per worker by :func:`solve_book`).
    """
    from hedgeopt.config import ConfigError

    book = Book()
    cache: dict[Any, Any] = {}
    failures: dict[Hashable, BaseException] = {}
    sectors: dict[Hashable, Any] = {}
    descriptions: dict[Hashable, dict[str, str]] = {}
    for name, hc in cfg.baskets.items():
        descriptions[name] = hc.report_description()
        try:
            loaded = hc.load(cache)
        except (ConfigError, InputError) as exc:
            failures[name] = exc
            continue
        panel = str(hc.get("data.prices").path)
        if panel not in book.panels:
            book.add_panel(panel, loaded.prices)
        book.add(
            name, panel, basket=loaded.basket, units=loaded.units,
            universe=None if loaded.universe is None else tuple(loaded.universe),
            exclude_constituents=bool(hc.get("data.exclude_constituents")), lam=hc.lam,
            constraints=loaded.constraints, reference=hc.get("data.reference", None),
            options=hc.solve_options(), labels=loaded.labels,
        )
        sectors[name] = loaded.sectors
    return ConfiguredBook(book, failures, sectors, descriptions, list(cfg.baskets))


def merge_failures(result: BookResult, failures: Mapping[Hashable, BaseException],
                   order: Iterable[Hashable]) -> BookResult:
    """``result`` plus failures found before solving, all in ``order``."""
    if not failures:
        return result
    collect = _Collector(list(order))
    for key in result.summary.index:
        if key in result.failures:
            collect.failure(key, result.failures[key], tb=result.tracebacks.get(key))
            collect.rows[key] = result.summary.loc[key].to_dict()
        else:
            collect.results._put(key, result.results._items[key])
            collect.rows[key] = result.summary.loc[key].to_dict()
    for key, exc in failures.items():
        collect.failure(key, exc)
    return collect.finish(result.elapsed, result.info)
