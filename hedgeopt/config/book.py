"""A book of baskets: :class:`BookConfig` (a validated book.toml), :func:`load_book` and
:func:`book_from_dict`.

The effective configuration of a basket is ``[defaults]`` deep-merged with its ``[[basket]]``
entry, plus ``panel`` as ``data.prices`` and its ``units_table`` column as
``data.basket_units``: one :class:`~hedgeopt.config.HedgeConfig` per basket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hedgeopt.config.files import FileRef
from hedgeopt.config.hedge import HedgeConfig, get_dotted
from hedgeopt.config.locate import ConfigError, Loc, Source
from hedgeopt.config.schema import (
    BASKET,
    BATCH,
    BOOK_OUTPUT,
    BOOK_SCHEMA,
    FILE_OPTIONS,
    PARTIAL_HEDGE,
    SHORTHANDS,
)
from hedgeopt.config.spec import raw_of

__all__ = ["BookConfig", "book_from_dict", "load_book"]


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
