"""Constraints and problems from the validated values of a config.

Each constraint built here carries ``_config_origin`` (file, line, key, value as plain data, see
:func:`origin`), so that an error the data raise later, when the constraint is added to a
problem (here, or on a Dask worker for a book), names the key behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import hedgeopt.constraints as hc
import hedgeopt.costs as hco
from hedgeopt.config.files import Files
from hedgeopt.config.locate import ConfigError, Loc, origin_error, relabel
from hedgeopt.config.spec import plain, raw_of
from hedgeopt.exceptions import InputError
from hedgeopt.metrics import basket_value
from hedgeopt.problem import HedgeProblem

__all__ = ["LoadedHedge", "add_constraints", "build_constraints", "build_costs", "build_problem",
           "origin"]


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
    #: contract multipliers per ticker (``data.multipliers``), or None
    multipliers: pd.Series | None = None

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
                      ) -> tuple[list[hc.Constraint], pd.Series | None]:
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
    out: list[hc.Constraint] = []
    sc_map = None

    def make(key: str, value: Any, fn: Callable[[], hc.Constraint]) -> None:
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
        make("budget", budget, hc.Budget)
    elif isinstance(budget, dict):
        band = budget.get("band")
        make("budget", budget, lambda: hc.Budget(
            notional=budget.get("notional"), band=tuple(band) if band else None))
    if cons.get("long_only"):
        make("long_only", True, hc.LongOnly)
    b = cons.get("bounds")
    if isinstance(b, dict):
        lower = files.series(b["lower_file"]) if "lower_file" in b else b.get("lower")
        upper = files.series(b["upper_file"]) if "upper_file" in b else b.get("upper")
        make("bounds", b, lambda: hc.Bounds(lower, upper, unit=b.get("unit", "shares")))
    sc = cons.get("sector_cap")
    if isinstance(sc, dict):
        sc_map = files.series(sc["sectors"], numeric=False) if "sectors" in sc else sectors
        make("sector_cap", sc, lambda: hc.SectorCap(
            sc_map, max_weight=sc.get("max_weight"), min_weight=sc.get("min_weight")))
    t = cons.get("turnover")
    if isinstance(t, dict):
        make("turnover", t, lambda: hc.Turnover(files.series(t["current"]), t["max_dollars"]))
    ex = cons.get("exclude")
    if ex not in (None, False):
        names = files.names(ex["file"]) if isinstance(ex, dict) else ex
        make("exclude", ex, lambda: hc.Exclude(list(names)))
    lots = cons.get("lots")
    if lots not in (None, False):
        lot = files.series(lots["file"]) if isinstance(lots, dict) else lots
        make("lots", lots, lambda: hc.ShareLots(lot))
    k = cons.get("max_names")
    if k not in (None, False):
        make("max_names", k, lambda: hc.MaxNames(k))
    mp = cons.get("min_position")
    if mp not in (None, False):
        make("min_position", mp, lambda: hc.MinPosition(mp))
    mt = cons.get("min_trade")
    if isinstance(mt, dict):
        make("min_trade", mt, lambda: hc.MinTrade(files.series(mt["current"]), mt["dollars"]))
    _desk_constraints(cons, files, make)
    return out, sc_map


def _desk_constraints(cons: Mapping[str, Any], files: Files,
                      make: Callable[[str, Any, Callable[[], hc.Constraint]], None]) -> None:
    """Exposure, weight, liquidity and leverage limits: ``max_weight``, ``factor_exposure``,
    ``beta``, ``max_participation``, ``leverage``."""
    mw = cons.get("max_weight")
    if mw not in (None, False):
        frac = files.series(mw["file"]) if isinstance(mw, dict) else mw
        make("max_weight", mw, lambda: hc.MaxWeight(frac))
    fe = cons.get("factor_exposure")
    if isinstance(fe, dict):
        loadings = files.frame(fe["loadings"])
        make("factor_exposure", fe, lambda: hc.FactorExposure(
            loadings, lower=fe.get("lower"), upper=fe.get("upper"), basket=fe.get("basket")))
    be = cons.get("beta")
    if isinstance(be, dict):
        bench = files.dated_series(be["benchmark"])
        make("beta", be, lambda: hc.Beta(bench, be.get("lower"), be.get("upper"),
                                         relative=be.get("relative", True)))
    mp = cons.get("max_participation")
    if isinstance(mp, dict):
        adv = files.series(mp["adv"])
        held = files.series(mp["current"]) if "current" in mp else None
        make("max_participation", mp, lambda: hc.MaxParticipation(adv, mp["fraction"], held))
    lev = cons.get("leverage")
    if isinstance(lev, dict):
        make("leverage", lev, lambda: hc.Leverage(lev.get("gross"), lev.get("short")))


def build_costs(objective: Mapping[str, Any], at: Callable[[str], Loc], files: Files
                ) -> list[Any]:
    """The cost terms of a validated ``[objective]`` table (``transaction_cost``,
    ``borrow_cost``), each carrying its ``_config_origin``."""
    out: list[Any] = []
    for key in ("transaction_cost", "borrow_cost"):
        v = objective.get(key)
        if not isinstance(v, dict):
            continue
        loc = at(f"objective.{key}")
        try:
            if key == "transaction_cost":
                cur = files.series(v["current"]) if "current" in v else None
                adv = files.series(v["adv"]) if "adv" in v else None
                term: Any = hco.TransactionCost(cur, v.get("bps", 0.0), v.get("per_share", 0.0),
                                                v.get("impact", 0.0), adv, v.get("weight", 1.0))
            else:
                term = hco.BorrowCost(v["rate"], v["horizon_days"], v.get("weight", 1.0))
        except InputError as exc:
            raise loc.error(str(exc), raw_of(v)) from None
        term._config_origin = origin(loc, v)
        out.append(term)
    return out


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
        multipliers = loaded.multipliers
        if multipliers is not None:
            multipliers = multipliers[multipliers.index.isin(prices.columns)]
        prob = HedgeProblem(prices, basket, lam=lam, reference=reference,
                            multipliers=multipliers)
    except InputError as exc:
        raise relabel(exc, loaded.labels) from None
    return add_constraints(prob, loaded.constraints)

