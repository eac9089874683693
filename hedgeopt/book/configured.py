"""Config glue of a book: a book.toml's baskets as a :class:`~hedgeopt.book.recipes.Book`
whose data errors name the config keys, and failures found before solving merged into the
result. The one module of :mod:`hedgeopt.book` that knows :mod:`hedgeopt.config`."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hedgeopt.book.recipes import Book, BookEntry
from hedgeopt.book.results import BookResult, Collector
from hedgeopt.config import ConfigError, _relabel, add_constraints
from hedgeopt.constraints.base import Constraint
from hedgeopt.exceptions import InputError
from hedgeopt.problem import HedgeProblem

__all__ = ["ConfiguredBook", "ConfiguredEntry", "book_from_config", "merge_failures"]


@dataclass
class ConfiguredEntry(BookEntry):
    """A :class:`~hedgeopt.book.recipes.BookEntry` read from a book.toml: a data or constraint
    error names the config key (file and line) the value came from.

    Attributes
    ----------
    labels : dict
        Config origins of ``prices`` / ``basket`` / ``reference`` (for messages).
    """

    labels: dict[str, Any] = field(default_factory=dict)

    def _located(self, fn: Callable[[], Any], default: str | None = None) -> Any:
        try:
            return fn()
        except InputError as exc:
            if not self.labels:
                raise
            raise _relabel(exc, self.labels, default) from None

    def _add_constraints(self, prob: HedgeProblem, constraints: list[Constraint]
                         ) -> HedgeProblem:
        result: HedgeProblem = add_constraints(prob, constraints)
        return result


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
        book.add_entry(ConfiguredEntry(
            key=name, panel=panel, basket=loaded.basket, units=loaded.units,
            universe=None if loaded.universe is None else tuple(loaded.universe),
            exclude_constituents=bool(hc.get("data.exclude_constituents")), lam=hc.lam,
            constraints=loaded.constraints, reference=hc.get("data.reference", None),
            options=hc.solve_options(), labels=loaded.labels, multipliers=loaded.multipliers,
        ))
        sectors[name] = loaded.sectors
    return ConfiguredBook(book, failures, sectors, descriptions, list(cfg.baskets))


def merge_failures(result: BookResult, failures: Mapping[Hashable, BaseException],
                   order: Iterable[Hashable]) -> BookResult:
    """``result`` plus failures found before solving, all in ``order``."""
    if not failures:
        return result
    collect = Collector(list(order))
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
