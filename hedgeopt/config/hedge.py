"""One hedge's configuration: :class:`HedgeConfig` (a hedge.toml, or one basket of a book) and
:func:`load_config`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hedgeopt.config.builders import (
    LoadedHedge,
    build_constraints,
    build_costs,
    build_problem,
    origin,
)
from hedgeopt.config.constraint_keys import INTEGER_KEYS
from hedgeopt.config.files import FileRef, Files
from hedgeopt.config.locate import MISSING, ConfigError, Loc, Source
from hedgeopt.config.schema import (
    FILE_OPTIONS,
    HEDGE_SCHEMA,
    READ_OPTIONS,
    WHOLE_SHARE_OPTIONS,
)
from hedgeopt.config.spec import plain, raw_of
from hedgeopt.exceptions import InputError
from hedgeopt.problem import HedgeProblem

__all__ = ["HedgeConfig", "get_dotted", "load_config"]


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
        constraints += build_costs(self.get("objective", {}) or {}, self._at, files)
        multipliers = None
        if "multipliers" in data:
            multipliers = files.series(data["multipliers"])
            unknown = [t for t in multipliers.index if t not in prices.columns]
            if unknown:
                raise self._at("data.multipliers").error(
                    f"unknown tickers {unknown[:10]} (not columns of {str(prices_ref.path)!r})",
                    raw_of(data["multipliers"]))
        labels = {
            "prices": origin(self._at("data.prices"), prices_ref),
            "multipliers": origin(self._at("data.multipliers"), data.get("multipliers")),
            "basket": origin(self._at("data.basket" if basket is not None else
                                      "data.basket_units"),
                             data.get("basket", data.get("basket_units"))),
            "reference": origin(self._at("data.reference"), data.get("reference")),
        }
        return LoadedHedge(prices=prices, basket=basket, units=units, universe=universe,
                           constraints=constraints, sectors=sectors if sectors is not None
                           else sc_map, labels=labels,
                           multipliers=multipliers)

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
