"""Results of a book and their transport: compact records from the tasks, results rebuilt on
access, the summary table, and the collector that keeps the book's order."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.exceptions import HedgeOptError
from hedgeopt.result import HedgeResult
from hedgeopt.text import fmt_count, fmt_seconds

__all__ = ["SUMMARY_COLUMNS", "BookResult", "Collector", "ResultMap", "record_of"]

def record_of(res: HedgeResult) -> dict[str, Any]:
    """The fields of a HedgeResult without its data context (a few kB instead of MBs)."""
    return {f.name: getattr(res, f.name) for f in dataclasses.fields(res) if f.name != "ctx"}


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

    #: Columns of ``summary`` shown in the reprs (and the CLI's batch table).
    SHOWN = ("status", "solver", "objective", "pnl_te", "value_te", "effectiveness", "names",
             "gross", "seconds")

    def summary_cells(self, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """``summary`` (its ``columns``, default :attr:`SHOWN` and any ``error``) written with
        units: money in whole dollars, fractions in percent, counts as integers."""
        cols = list(columns or self.SHOWN)
        if self.failures and "error" not in cols:
            cols.append("error")
        return format_frame(self.summary[[c for c in cols if c in self.summary.columns]])

    def _facts(self) -> list[tuple[str, str]]:
        workers = self.info.get("workers")
        how = str(self.info.get("mode", "?")) + (f", {workers} worker(s)" if workers else "")
        return [("baskets", f"{fmt_count(len(self.results))} solved, "
                            f"{fmt_count(len(self.failures))} failed"),
                ("elapsed", f"{fmt_seconds(self.elapsed)} ({how})")]

    def __repr__(self) -> str:
        return text_block("BookResult", self._facts(), [("baskets", self.summary_cells())])

    def _repr_html_(self) -> str:
        return html_block("BookResult", self._facts(), [("baskets", self.summary_cells())])


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


class Collector:
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
