"""Recipes of a book: what a task needs to build one basket's problem over a shared panel.

A :class:`BookEntry` is a picklable recipe (panel name, basket dollars or units, universe,
lam, constraints or a factory, solve options); a :class:`Book` holds the panels once and the
entries by key, and builds a :class:`~hedgeopt.HedgeProblem` on access (on the client) or inside
a task (on a Dask worker). :func:`book_from_panel` is "many baskets over one price panel".
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hedgeopt.book.selection import select_columns
from hedgeopt.constraints.base import Constraint
from hedgeopt.context import HedgeContext, validate_lam
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.exceptions import InputError
from hedgeopt.metrics import basket_value
from hedgeopt.problem import HedgeProblem

__all__ = ["Book", "BookEntry", "ConstraintsSpec", "book_from_panel"]

ConstraintsSpec = Callable[[Hashable], Iterable[Constraint]] | Iterable[Constraint] | None

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
    multipliers : pandas.Series, optional
        Contract multipliers by ticker (absent tickers 1; tickers outside this basket's
        universe are ignored, tickers outside the panel are an error): units x price x
        multiplier = dollars, results in units.

    Notes
    -----
    The entries of a book.toml are :class:`~hedgeopt.book.configured.ConfiguredEntry`, whose
    data errors name the config key the data came from (the hooks :meth:`_located` and
    :meth:`_add_constraints`).
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
    multipliers: pd.Series | None = None

    def hedge_prices(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The universe's columns of ``panel`` (the same selection is shared between baskets)."""
        cols = list(panel.columns) if self.universe is None else list(self.universe)
        if self.exclude_constituents and self.units is not None:
            drop = set(self.units.index)
            cols = [c for c in cols if c not in drop]
        if cols == list(panel.columns):
            return panel
        return select_columns(panel, tuple(cols))

    def basket_values(self, panel: pd.DataFrame) -> pd.Series:
        """Basket dollar values (from ``units`` through ``panel`` when needed)."""
        if self.basket is not None:
            return self.basket
        return basket_value(self.units, panel)

    def _located(self, fn: Callable[[], Any], default: str | None = None) -> Any:
        """``fn()``; a subclass may locate its data errors (``default``: the data concerned)."""
        return fn()

    def _add_constraints(self, prob: HedgeProblem, constraints: list[Constraint]
                         ) -> HedgeProblem:
        """``prob.add(c)`` for each constraint (a subclass may locate their errors)."""
        for c in constraints:
            prob.add(c)
        return prob

    def hedge_multipliers(self, panel: pd.DataFrame) -> pd.Series | None:
        """:attr:`multipliers` on this basket's universe (None when not given).

        Raises
        ------
        InputError
            When a multiplier names a ticker that is not a column of ``panel`` (a typo would
            otherwise leave the intended ticker at 1 without a word).
        """
        if self.multipliers is None:
            return None
        m = pd.Series(self.multipliers)
        unknown = m.index.difference(panel.columns)
        if len(unknown):
            raise InputError(f"multipliers: unknown tickers {sorted(map(str, unknown))[:20]} "
                             f"(not columns of the panel)", field="multipliers")
        return m[m.index.isin(self.hedge_prices(panel).columns)]

    def context(self, panel: pd.DataFrame) -> HedgeContext:
        """The validated data of this basket (no constraints)."""
        basket = self._located(lambda: self.basket_values(panel), "basket")
        ctx: HedgeContext = self._located(lambda: HedgeContext(
            self.hedge_prices(panel), basket, self.reference,
            multipliers=self.hedge_multipliers(panel)), "multipliers")
        return ctx

    def build(self, panel: pd.DataFrame) -> HedgeProblem:
        """The basket's :class:`~hedgeopt.HedgeProblem` (constraints copied or made fresh)."""
        basket = self._located(lambda: self.basket_values(panel), "basket")
        prob = self._located(lambda: HedgeProblem(
            self.hedge_prices(panel), basket, lam=self.lam, reference=self.reference,
            multipliers=self.hedge_multipliers(panel)), "multipliers")
        cons = (list(self.factory(self.key)) if self.factory is not None
                else copy.deepcopy(list(self.constraints)))
        return self._add_constraints(prob, cons)


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
        return self.add_entry(BookEntry(key=key, panel=panel, **recipe))

    def add_entry(self, entry: BookEntry) -> BookEntry:
        """Add a recipe made elsewhere (its panel must be registered, its key new)."""
        if entry.panel not in self.panels:
            raise InputError(f"no panel named {entry.panel!r} (add_panel first)", field="panel")
        if entry.key in self.entries:
            raise InputError(f"duplicate basket key {entry.key!r}", field="baskets")
        self.entries[entry.key] = entry
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
                    solve_options: Mapping[Hashable, Mapping[str, Any]] | None = None,
                    multipliers: Any = None) -> Book:
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
    multipliers : dict, pandas.Series or mapping, optional
        Contract multipliers by ticker for every basket (a Series or a dict of numbers), or
        per basket: a mapping key -> Series (baskets absent from it have none).

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
    per_basket = _per_basket_multipliers(multipliers, list(baskets))
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
            multipliers=per_basket.get(key),
        )
    return book


def _per_basket_multipliers(multipliers: Any, keys: list[Hashable]
                            ) -> dict[Hashable, pd.Series]:
    """Key -> multipliers: one Series / dict of numbers for every basket, or a mapping of
    basket keys to Series (unknown basket keys are an error)."""
    if multipliers is None:
        return {}
    if isinstance(multipliers, Mapping) and not isinstance(multipliers, pd.Series) and any(
            isinstance(v, (Mapping, pd.Series)) for v in multipliers.values()):
        unknown = [k for k in multipliers if k not in set(keys)]
        if unknown:
            raise InputError(f"multipliers: unknown baskets {unknown[:10]}",
                             field="multipliers")
        return {k: pd.Series(v, dtype=float) for k, v in multipliers.items()}
    one = pd.Series(multipliers, dtype=float)
    return dict.fromkeys(keys, one)


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
