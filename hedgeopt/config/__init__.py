"""TOML configuration files: ``hedge.toml`` (one hedge) and ``book.toml`` (a book of baskets).

A config file is parsed with :mod:`tomllib` (``tomli`` on Python 3.10), checked against a
schema, and only then turned into data and constraints. Nothing in a config is evaluated:
no ``eval``, no pickle, no imports; values are TOML strings, numbers, booleans, arrays, tables.

Validation
----------
Every problem raises :class:`ConfigError` (an :class:`~hedgeopt.exceptions.InputError`, hence a
``ValueError``) whose message names

- the file and the **line** of the offending key (best effort: :mod:`tomllib` reports no line
  numbers, so hedgeopt scans the file's text for the key or its table header; a value inside an
  inline table or a multi-line array is reported at the line of the enclosing key),
- the **dotted key** (``constraints.sector_cap.max_weight``; in a book ``basket[2].lam``, counting
  ``[[basket]]`` entries from 0, or ``defaults.constraints.lots``),
- the **value** found there, and what was expected.

Unknown keys are errors listing the allowed keys (with a did-you-mean). Types are checked:
a boolean is not a number, a number is not a string. File paths are resolved relative to the
directory of the TOML file; a missing or unreadable file names the key and the resolved path.

The schema is data (:data:`HEDGE_SCHEMA`, :data:`BOOK_SCHEMA`), and :func:`reference_markdown`
renders the reference of every key from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hedgeopt.config.files import FileRef, Files
from hedgeopt.config.lines import scan_key_lines
from hedgeopt.config.locate import (
    MISSING,
    ConfigError,
    Loc,
    Source,
    format_value,
    origin_error,
    relabel,
)
from hedgeopt.config.reference import reference_markdown
from hedgeopt.config.schema import (
    BASKET,
    BATCH,
    BOOK_OUTPUT,
    BOOK_SCHEMA,
    CONSTRAINTS,
    DATA,
    FILE_OPTIONS,
    HEDGE_SCHEMA,
    INTEGER_KEYS,
    OBJECTIVE,
    OUTPUT,
    PARTIAL_HEDGE,
    READ_OPTIONS,
    SHORTHANDS,
    SOLVE,
    WHOLE_SHARE_OPTIONS,
)
from hedgeopt.config.spec import Field, OneOf, Spec, Table, plain, raw_of
from hedgeopt.constraints import (
    Bounds,
    Budget,
    Constraint,
    Exclude,
    LongOnly,
    MaxNames,
    MinPosition,
    MinTrade,
    SectorCap,
    ShareLots,
    Turnover,
)
from hedgeopt.exceptions import InputError
from hedgeopt.metrics import basket_value
from hedgeopt.problem import HedgeProblem


@dataclass
class LoadedHedge:
    """The data of one configured hedge, read and checked (before the problem is built).

    Attributes
    ----------
    prices : pandas.DataFrame
        The full price table read from ``data.prices`` (the panel).
    basket : pandas.Series or None
        Basket dollar values (``data.basket``), or None when given by ``units``.
    units : pandas.Series or None
        Basket units per constituent (``data.basket_units``).
    universe : list of str or None
        Hedge instruments (None: every column of ``prices``).
    constraints : list of Constraint
        Built constraints; each carries ``_config_origin`` (file, line, key, value) so that
        :func:`add_constraints` can name the key when the data reject it.
    sectors : pandas.Series or None
        Sector map for the report (``data.sectors`` or the sector cap's file).
    labels : dict
        Origins (see :func:`origin`) of ``prices``, ``basket`` and ``reference``, to locate
        errors about the data at their keys.
    """

    prices: pd.DataFrame
    basket: pd.Series | None
    units: pd.Series | None
    universe: list[str] | None
    constraints: list[Any]
    sectors: pd.Series | None
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def hedge_prices(self, exclude_constituents: bool = False) -> pd.DataFrame:
        """The hedge universe's columns of ``prices``."""
        cols = list(self.prices.columns) if self.universe is None else list(self.universe)
        if exclude_constituents and self.units is not None:
            drop = set(self.units.index)
            cols = [c for c in cols if c not in drop]
        return self.prices if cols == list(self.prices.columns) else self.prices[cols]


def origin(loc: Loc, value: Any) -> dict[str, Any]:
    """Where a value came from, as plain data (it travels with tasks to Dask workers)."""
    return {"where": loc.where(), "key": loc.key, "line": loc.line, "path": loc.source.file,
            "value": plain(value)}


def build_constraints(cons: Mapping[str, Any], at: Callable[[str], Loc], files: Files,
                      sectors: pd.Series | None = None
                      ) -> tuple[list[Constraint], pd.Series | None]:
    """The constraints of a validated ``[constraints]`` table, and the sector cap's map.

    Parameters
    ----------
    cons : mapping
        The validated ``[constraints]`` values.
    at : callable
        The location of a canonical key (``"constraints.lots"``).
    files : Files
        Reads the files the constraints name.
    sectors : pandas.Series, optional
        ``data.sectors``: the sector cap's map when it names no file.

    Raises
    ------
    ConfigError
        When a constraint rejects its values, at the constraint's key.
    """
    out: list[Constraint] = []
    sc_map = None

    def make(key: str, value: Any, fn: Callable[[], Constraint]) -> None:
        loc = at(f"constraints.{key}")
        try:
            c: Any = fn()  # the origin rides on the constraint as an attribute
        except ConfigError:
            raise
        except InputError as exc:
            raise loc.error(str(exc), raw_of(value)) from None
        c._config_origin = origin(loc, value)
        out.append(c)

    budget = cons.get("budget", True)
    if budget is True:
        make("budget", budget, Budget)
    elif isinstance(budget, dict):
        band = budget.get("band")
        make("budget", budget, lambda: Budget(
            notional=budget.get("notional"), band=tuple(band) if band else None))
    if cons.get("long_only"):
        make("long_only", True, LongOnly)
    b = cons.get("bounds")
    if isinstance(b, dict):
        lower = files.series(b["lower_file"]) if "lower_file" in b else b.get("lower")
        upper = files.series(b["upper_file"]) if "upper_file" in b else b.get("upper")
        make("bounds", b, lambda: Bounds(lower, upper, unit=b.get("unit", "shares")))
    sc = cons.get("sector_cap")
    if isinstance(sc, dict):
        sc_map = files.series(sc["sectors"], numeric=False) if "sectors" in sc else sectors
        make("sector_cap", sc, lambda: SectorCap(
            sc_map, max_weight=sc.get("max_weight"), min_weight=sc.get("min_weight")))
    t = cons.get("turnover")
    if isinstance(t, dict):
        make("turnover", t, lambda: Turnover(files.series(t["current"]), t["max_dollars"]))
    ex = cons.get("exclude")
    if ex not in (None, False):
        names = files.names(ex["file"]) if isinstance(ex, dict) else ex
        make("exclude", ex, lambda: Exclude(list(names)))
    lots = cons.get("lots")
    if lots not in (None, False):
        lot = files.series(lots["file"]) if isinstance(lots, dict) else lots
        make("lots", lots, lambda: ShareLots(lot))
    k = cons.get("max_names")
    if k not in (None, False):
        make("max_names", k, lambda: MaxNames(k))
    mp = cons.get("min_position")
    if mp not in (None, False):
        make("min_position", mp, lambda: MinPosition(mp))
    mt = cons.get("min_trade")
    if isinstance(mt, dict):
        make("min_trade", mt, lambda: MinTrade(files.series(mt["current"]), mt["dollars"]))
    return out, sc_map


def add_constraints(prob: HedgeProblem, constraints: Iterable[Any]) -> HedgeProblem:
    """``prob.add(c)`` for each constraint; an error names the constraint's config key."""
    for c in constraints:
        try:
            prob.add(c)
        except ConfigError:
            raise
        except InputError as exc:
            where = getattr(c, "_config_origin", None)
            if where is None:
                raise
            raise origin_error(where, exc) from None
    return prob


def build_problem(loaded: LoadedHedge, lam: float, reference: Any = None,
                  exclude_constituents: bool = False) -> HedgeProblem:
    """A :class:`~hedgeopt.HedgeProblem` from loaded data; errors name the config keys."""
    prices = loaded.hedge_prices(exclude_constituents)
    basket = loaded.basket
    if basket is None:
        assert loaded.units is not None
        try:
            basket = basket_value(loaded.units, loaded.prices)
        except InputError as exc:
            raise relabel(exc, loaded.labels, "basket") from None
    try:
        prob = HedgeProblem(prices, basket, lam=lam, reference=reference)
    except InputError as exc:
        raise relabel(exc, loaded.labels) from None
    return add_constraints(prob, loaded.constraints)


def get_dotted(d: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """``d["a"]["b"]`` for ``"a.b"``; ``default`` when a part is missing."""
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return default
        cur = cur[part]
    return cur


class HedgeConfig:
    """The effective configuration of one hedge (a hedge.toml, or one basket of a book).

    Use :func:`load_config` to read a file; :meth:`from_dict` builds one from a mapping with the
    same structure (paths relative to ``base_dir``).

    Attributes
    ----------
    name : str or None
        Basket name (books) or None.
    values : dict
        The validated values, keyed like the TOML (``values["constraints"]["lots"]``), without
        defaults.
    """

    def __init__(self, values: dict[str, Any], locs: dict[str, Loc], source: Source,
                 name: str | None = None, root: Loc | None = None) -> None:
        self.values = values
        self.locs = locs
        self.source = source
        self.name = name
        self.root = root or Loc(source, "", "", None)
        self.source_units_table: str | None = None  # books: the units_table file, as written

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], base_dir: str | Path | None = None) -> HedgeConfig:
        """Validate a mapping shaped like hedge.toml (paths relative to ``base_dir``)."""
        return cls._validated(dict(raw), Source.of_dict(base_dir))

    @classmethod
    def _validated(cls, raw: dict[str, Any], source: Source) -> HedgeConfig:
        locs: dict[str, Loc] = {}
        root = Loc(source, "", "", locs)
        values = HEDGE_SCHEMA.check(raw, root)
        cfg = cls(values, locs, source, root=root)
        cfg._check_combinations()
        return cfg

    def _check_combinations(self) -> None:
        data = self.values.get("data", {})
        has_b, has_u = "basket" in data, "basket_units" in data
        if has_b == has_u:
            what = "both" if has_b else "neither"
            raise self._at("data").error(
                f"give exactly one of data.basket and data.basket_units (found {what})")
        if data.get("exclude_constituents") and not has_u:
            raise self._at("data.exclude_constituents").error(
                "needs data.basket_units (the constituents)", True)
        cons = self.values.get("constraints", {})
        sc = cons.get("sector_cap")
        if isinstance(sc, dict):
            if "max_weight" not in sc and "min_weight" not in sc:
                raise self._at("constraints.sector_cap").error(
                    "give max_weight, min_weight or both", raw_of(sc))
            if "sectors" not in sc and "sectors" not in data:
                raise self._at("constraints.sector_cap").error(
                    "needs a sector map: sectors = \"sectors.csv\" here, or data.sectors",
                    raw_of(sc))
        b = cons.get("bounds")
        if isinstance(b, dict):
            for side in ("lower", "upper"):
                if side in b and f"{side}_file" in b:
                    raise self._at(f"constraints.bounds.{side}_file").error(
                        f"give {side} or {side}_file, not both", b[f"{side}_file"].text)
            if not any(k in b for k in ("lower", "upper", "lower_file", "upper_file")):
                raise self._at("constraints.bounds").error(
                    "give lower, upper, lower_file or upper_file", raw_of(b))
        band = get_dotted(cons, "budget.band")
        if band is not None and band[0] > band[1]:
            raise self._at("constraints.budget.band").error("needs lo <= hi", band)

    # -- accessors ------------------------------------------------------------------------------
    def _at(self, canon: str) -> Loc:
        """The location of a canonical key (or of its nearest given ancestor)."""
        k = canon
        while k:
            if k in self.locs:
                return self.locs[k]
            k = k.rpartition(".")[0]
        return self.root

    def get(self, dotted: str, default: Any = MISSING) -> Any:
        """A validated value by dotted key; the schema default when absent."""
        v = get_dotted(self.values, dotted, MISSING)
        if v is not MISSING:
            return v
        if default is not MISSING:
            return default
        return HEDGE_SCHEMA.default_of(dotted)

    @property
    def lam(self) -> float:
        return float(self.get("objective.lam"))

    @property
    def frontier_lams(self) -> list[float] | None:
        f = self.get("objective.frontier", None)
        if f is None:
            return None
        if isinstance(f, int):
            return [i / (f - 1) for i in range(f)]
        return [float(x) for x in f]

    @property
    def integer(self) -> bool:
        """Whether a whole-share constraint is configured."""
        cons = self.values.get("constraints", {})
        return any(cons.get(k) not in (None, False) for k in INTEGER_KEYS)

    @property
    def solver(self) -> str | None:
        solver: str | None = self.get("solve.solver", None)
        return solver

    def solve_options(self) -> dict[str, Any]:
        """Keyword arguments of ``HedgeProblem.solve`` (whole-share options only when needed)."""
        opts: dict[str, Any] = {"solver": self.solver, "tol": self.get("solve.tol")}
        if self.integer:
            for k in WHOLE_SHARE_OPTIONS:
                v = self.get(f"solve.{k}", None)
                if v is not None:
                    opts[k] = v
        return opts

    @property
    def output_dir(self) -> Path:
        d: Path | None = self.get("output.dir", None)
        return d if d is not None else Path(self.source.base, "out")

    def read_options(self) -> dict[str, Any]:
        """How the dated files (``data.prices``, ``data.basket``) are read: the keyword
        arguments ``date_format``, ``dayfirst``, ``sep``, ``decimal`` of
        :func:`hedgeopt.io.read_frame` that the config sets."""
        data = self.values.get("data", {})
        return {k: data[k] for k in READ_OPTIONS if data.get(k) is not None}

    def set_read_options(self, **options: Any) -> HedgeConfig:
        """Override ``data.date_format`` / ``dayfirst`` / ``sep`` / ``decimal`` (e.g. from
        command-line flags); ``None`` values leave the config's setting. Returns ``self``."""
        unknown = set(options) - set(READ_OPTIONS)
        if unknown:
            raise InputError(f"unknown read options {sorted(unknown)}; allowed: "
                             f"{', '.join(READ_OPTIONS)}", field=sorted(unknown)[0])
        data = self.values.setdefault("data", {})
        for k, v in options.items():
            if v is not None:
                data[k] = v
        return self

    # -- loading --------------------------------------------------------------------------------
    def load(self, cache: dict[Any, Any] | None = None) -> LoadedHedge:
        """Read the data files and build the constraints (no solve).

        Parameters
        ----------
        cache : dict, optional
            Shared between the baskets of a book so that a file is read once.

        Raises
        ------
        ConfigError
            Naming the key, the file and the problem.
        """
        data = self.values["data"]
        opts = self.read_options()
        files = Files({} if cache is None else cache, dated=opts,
                      other={k: v for k, v in opts.items() if k in FILE_OPTIONS})
        prices_ref: FileRef = data["prices"]
        prices = files.dated_frame(prices_ref)
        basket = units = None
        if "basket" in data:
            basket = files.dated_series(data["basket"])
        else:
            u = data["basket_units"]
            units = (files.series(u) if isinstance(u, FileRef)
                     else pd.Series(u, dtype=float, name="units"))
            missing = [t for t in units.index if t not in prices.columns]
            if missing:
                raise self._at("data.basket_units").error(
                    f"no prices for {len(missing)} constituent(s) {missing[:10]} in "
                    f"{str(prices_ref.path)!r}", raw_of(u))
        universe = None
        if "universe" in data:
            uv = data["universe"]
            universe = files.names(uv) if isinstance(uv, FileRef) else list(uv)
            unknown = [t for t in universe if t not in prices.columns]
            if unknown:
                raise self._at("data.universe").error(
                    f"unknown tickers {unknown[:10]} (not columns of {str(prices_ref.path)!r})",
                    raw_of(uv))
        sectors = files.series(data["sectors"], numeric=False) if "sectors" in data else None
        constraints, sc_map = build_constraints(self.get("constraints", {}) or {}, self._at,
                                                files, sectors)
        labels = {
            "prices": origin(self._at("data.prices"), prices_ref),
            "basket": origin(self._at("data.basket" if basket is not None else
                                      "data.basket_units"),
                             data.get("basket", data.get("basket_units"))),
            "reference": origin(self._at("data.reference"), data.get("reference")),
        }
        return LoadedHedge(prices=prices, basket=basket, units=units, universe=universe,
                           constraints=constraints, sectors=sectors if sectors is not None
                           else sc_map, labels=labels)

    def build(self, cache: dict[Any, Any] | None = None) -> tuple[HedgeProblem, LoadedHedge]:
        """Load the data; return the configured :class:`~hedgeopt.HedgeProblem` and the data.

        Raises
        ------
        ConfigError
            Naming the key (file, line) behind any data or constraint problem.
        """
        loaded = self.load(cache)
        prob = build_problem(
            loaded, lam=self.lam, reference=self.get("data.reference", None),
            exclude_constituents=bool(self.get("data.exclude_constituents")),
        )
        return prob, loaded

    def build_problem(self, cache: dict[Any, Any] | None = None) -> HedgeProblem:
        """The configured :class:`~hedgeopt.HedgeProblem` (see :meth:`build`)."""
        return self.build(cache)[0]

    def report_description(self) -> dict[str, str]:
        """Short description of the data for the report's Problem table (paths as written)."""
        data = self.values.get("data", {})
        out = {}
        if self.source.path is not None:
            out["config"] = str(self.source.path)
        for k in ("prices", "basket", "basket_units", "universe"):
            v = data.get(k)
            if v is None:
                continue
            if isinstance(v, FileRef):
                out[k] = v.text
            elif isinstance(v, dict) and self._at(f"data.{k}").key == "units_table":
                table = self.source_units_table or "units_table"
                out[k] = f"column {self.name!r} of {table} ({len(v)} constituents)"
            elif isinstance(v, dict):
                out[k] = f"{len(v)} constituents (inline table)"
            else:
                out[k] = f"{len(v)} tickers (inline array)"
        return out

    def describe(self) -> dict[str, Any]:
        """The configuration as plain JSON-ready values (paths as written), for reports."""
        described: dict[str, Any] = plain(self.values)
        return described

    def __repr__(self) -> str:
        tag = f" {self.name!r}" if self.name else ""
        return f"HedgeConfig{tag}({self.source.label()})"


def load_config(path: str | Path) -> HedgeConfig:
    """Read and validate a hedge.toml.

    Raises
    ------
    ConfigError
        On invalid TOML, an unknown key, a wrong type or value; the message names the file,
        the line, the dotted key and the value.
    """
    raw, source = Source.read(path)
    if isinstance(raw.get("basket"), list) or "defaults" in raw:
        raise ConfigError(f"{source.label()}: this is a book (it has [defaults] or [[basket]]); "
                          "run it with `hedgeopt batch`", path=str(source.path))
    return HedgeConfig._validated(raw, source)


@dataclass
class BookConfig:
    """A validated book.toml: the effective configuration of every basket.

    Attributes
    ----------
    baskets : dict of str to HedgeConfig
        One effective configuration per basket name, in file order (``units_table`` columns
        first, then ``[[basket]]`` entries not in the table).
    output : dict
        ``dir``, ``plots``, ``report``, ``top``.
    batch : dict
        ``workers``, ``scheduler``, ``retries``.
    """

    source: Source
    baskets: dict[str, HedgeConfig]
    output: dict[str, Any]
    batch: dict[str, Any]
    panel: FileRef | None = None

    @property
    def output_dir(self) -> Path:
        d: Path | None = self.output.get("dir")
        return d if d is not None else Path(self.source.base, "out")


def load_book(path: str | Path) -> BookConfig:
    """Read and validate a book.toml (see the module docstring and :data:`BOOK_SCHEMA`).

    The effective configuration of a basket is ``[defaults]`` deep-merged with its
    ``[[basket]]`` entry (tables merge key by key; any other value replaces), plus ``panel``
    as ``data.prices`` and its ``units_table`` column as ``data.basket_units``.

    Raises
    ------
    ConfigError
        For schema problems anywhere in the file (the whole book is rejected). Problems with a
        basket's *data* (a missing file, bad prices, infeasible constraints) are reported later,
        for that basket only, by :func:`hedgeopt.book.solve_book`.
    """
    raw, source = Source.read(path)
    return _book(raw, source)


def book_from_dict(raw: Mapping[str, Any], base_dir: str | Path | None = None) -> BookConfig:
    """Validate a mapping shaped like book.toml (paths relative to ``base_dir``)."""
    return _book(dict(raw), Source.of_dict(base_dir))


def _set(d: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        d = d.setdefault(part, {})
    d[parts[-1]] = value


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


_Entry = tuple[dict[str, Any], dict[str, Loc], Loc]


def _entries(raw: dict[str, Any], source: Source) -> tuple[list[_Entry], dict[str, int]]:
    """The validated ``[[basket]]`` entries (shorthands moved to their canonical keys), and
    the index of each name."""
    entries: list[_Entry] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(raw.get("basket", [])):
        e_loc = Loc(source, f"basket[{i}]", "", None)
        if not isinstance(entry, dict):
            raise e_loc.type_error("a table", entry)
        e_locs: dict[str, Loc] = {}
        e_root = Loc(source, f"basket[{i}]", "", e_locs)
        val = BASKET.check(entry, e_root, partial=True)
        if "name" not in val:
            raise e_loc.error("missing required key 'name' in [[basket]]")
        name = val.pop("name")
        if name in names:
            raise e_locs["name"].error(f"duplicate basket name (also basket[{names[name]}])",
                                       name)
        names[name] = i
        for short, canon in SHORTHANDS.items():
            if short in val:
                if get_dotted(val, canon) is not None:
                    raise e_locs[canon].error(f"give {short} or {canon}, not both",
                                              raw_of(val[short]))
                _set(val, canon, val.pop(short))
        entries.append((val, e_locs, e_root))
    return entries, names


def _units_table(units_table: FileRef, defaults: Mapping[str, Any],
                 at: Loc) -> pd.DataFrame:
    """The ``units_table`` file: one numeric column of units per basket, by ticker."""
    table = units_table.frame(index="labels", numeric=True, **{
        k: get_dotted(defaults, f"data.{k}") for k in FILE_OPTIONS
        if get_dotted(defaults, f"data.{k}") is not None})
    table.columns = [str(c) for c in table.columns]
    table.index = table.index.map(str)
    for c in table.columns:
        col = pd.to_numeric(table[c], errors="coerce")
        bad = col.isna() & table[c].notna()
        if bad.any():
            raise at.error(
                f"column {c!r} holds non-numeric units for {list(table.index[bad][:5])}",
                units_table.text)
        table[c] = col
    return table


def _book(raw: dict[str, Any], source: Source) -> BookConfig:
    top_locs: dict[str, Loc] = {}
    root = Loc(source, "", "", top_locs)
    top = BOOK_SCHEMA.check({k: v for k, v in raw.items() if k not in ("defaults", "basket")},
                            root)
    for k in ("defaults", "basket"):
        if k in raw and not BOOK_SCHEMA.fields[k].spec.accepts(raw[k]):
            BOOK_SCHEMA.fields[k].spec.check(raw[k], root.child(k))
    # defaults: partial hedge sections; canonical keys without the "defaults." prefix
    d_locs: dict[str, Loc] = {}
    d_root = Loc(source, "defaults", "", d_locs)
    defaults = PARTIAL_HEDGE.check(raw.get("defaults", {}), d_root, partial=True)
    panel: FileRef | None = top.get("panel")
    units_table: FileRef | None = top.get("units_table")
    if panel is not None:
        if get_dotted(defaults, "data.prices") is not None:
            raise top_locs["panel"].error(
                "give panel or defaults.data.prices, not both", raw["panel"])
        _set(defaults, "data.prices", panel)
        d_locs["data.prices"] = top_locs["panel"]
    entries, names = _entries(raw, source)
    if units_table is None and not entries:
        raise root.error("the book has no baskets: add [[basket]] entries or units_table")

    table_names: list[str] = []
    table: pd.DataFrame | None = None
    if units_table is not None:
        table = _units_table(units_table, defaults, top_locs["units_table"])
        table_names = list(table.columns)

    by_name = {}
    order = table_names + [n for n in names if n not in set(table_names)]
    entry_of = {n: entries[i] for n, i in names.items()}
    for name in order:
        values = dict(defaults)  # shallow: _merge never mutates the nested tables
        locs = dict(d_locs)
        e_root: Loc | None = None
        if name in table_names:
            assert table is not None
            col = table[name].dropna()
            col = col[col != 0]
            if col.empty:
                raise top_locs["units_table"].error(f"basket {name!r} has no units",
                                                    units_table.text if units_table else None)
            values = _merge(values, {"data": {"basket_units": {str(k): float(v)
                                                               for k, v in col.items()}}})
            locs["data.basket_units"] = top_locs["units_table"]
        if name in entry_of:
            val, e_locs, e_root = entry_of[name]
            if any(get_dotted(val, f"data.{k}") is not None for k in ("basket", "basket_units")):
                # an entry's own basket replaces the one of the table or the defaults
                values["data"] = {k: v for k, v in values.get("data", {}).items()
                                  if k not in ("basket", "basket_units")}
            values = _merge(values, val)
            locs.update(e_locs)
        cfg = HedgeConfig(values, locs, source, name=name,
                          root=e_root or Loc(source, "defaults", "", None))
        cfg.source_units_table = units_table.text if units_table is not None else None
        _check_basket(cfg)
        by_name[name] = cfg
    output, batch = top.get("output", {}), top.get("batch", {})
    for k, f in BOOK_OUTPUT.fields.items():
        output.setdefault(k, f.default if k != "dir" else None)
    for k, f in BATCH.fields.items():
        if f.default is not None:
            batch.setdefault(k, f.default)
    return BookConfig(source=source, baskets=by_name, output=output, batch=batch, panel=panel)


def _check_basket(cfg: HedgeConfig) -> None:
    if get_dotted(cfg.values, "data.prices") is None:
        raise cfg.root.error(
            f"basket {cfg.name!r} has no prices: set panel, defaults.data.prices, or "
            "prices in its [[basket]] entry")
    if get_dotted(cfg.values, "objective.frontier") is not None:
        raise cfg._at("objective.frontier").error(
            "the lam frontier is computed by `hedgeopt solve` only, not in a book",
            raw_of(get_dotted(cfg.values, "objective.frontier")))
    try:
        cfg._check_combinations()
    except ConfigError as exc:
        raise ConfigError(f"{exc} (basket {cfg.name!r})", key=exc.key, value=exc.value,
                          line=exc.line, path=exc.path) from None


#: The name :mod:`hedgeopt.book` imports (kept while it does).
_relabel = relabel

__all__ = [
    "BASKET",
    "BATCH",
    "BOOK_OUTPUT",
    "BOOK_SCHEMA",
    "CONSTRAINTS",
    "DATA",
    "FILE_OPTIONS",
    "HEDGE_SCHEMA",
    "INTEGER_KEYS",
    "OBJECTIVE",
    "OUTPUT",
    "READ_OPTIONS",
    "SOLVE",
    "BookConfig",
    "ConfigError",
    "Field",
    "FileRef",
    "HedgeConfig",
    "LoadedHedge",
    "Loc",
    "OneOf",
    "Spec",
    "Table",
    "add_constraints",
    "book_from_dict",
    "build_problem",
    "format_value",
    "load_book",
    "load_config",
    "origin_error",
    "reference_markdown",
    "relabel",
    "scan_key_lines",
]
