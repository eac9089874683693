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
from hedgeopt.config.constraint_keys import CONSTRAINT_KEYS, SOFT_KEY, KeyInputs, soft_terms
from hedgeopt.config.files import Files
from hedgeopt.config.locate import ConfigError, Loc, origin_error, relabel
from hedgeopt.config.spec import plain, raw_of
from hedgeopt.config.terms import load_function
from hedgeopt.exceptions import InputError
from hedgeopt.metrics import basket_value
from hedgeopt.problem import HedgeProblem

__all__ = ["LoadedHedge", "add_constraints", "build_constraints", "build_costs", "build_problem",
           "origin"]


@dataclass
class LoadedHedge:
    """The data of one configured hedge, read and checked: what :func:`build_problem` turns
    into a problem.

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
                      ) -> tuple[list[Any], pd.Series | None]:
    """The constraints of a validated ``[constraints]`` table (one per key that is on, in
    :data:`~hedgeopt.config.constraint_keys.CONSTRAINT_KEYS` order; those that
    ``constraints.soft`` names wrapped in :class:`~hedgeopt.costs.Soft`), and the sector cap's
    map.

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
    out: list[Any] = []
    built: dict[str, hc.Constraint] = {}
    inputs = KeyInputs(files, sectors)
    for entry in CONSTRAINT_KEYS:
        value = cons.get(entry.key, entry.field.default)
        if value in (None, False):
            continue  # off
        loc = at(f"constraints.{entry.key}")
        try:
            c: Any = entry.build(value, inputs)  # the origin rides on it as an attribute
        except ConfigError:
            raise
        except InputError as exc:
            raise loc.error(str(exc), raw_of(value)) from None
        c._config_origin = origin(loc, value)
        out.append(c)
        built[entry.key] = c
    sc_map = next((c.sectors for c in out if isinstance(c, hc.SectorCap)), None)
    soft = cons.get(SOFT_KEY)
    if isinstance(soft, dict) and soft:
        try:
            terms = soft_terms(soft, built)
        except KeyError as exc:
            key = str(exc.args[0])
            raise at(f"constraints.{SOFT_KEY}.{key}").error(
                f"makes constraints.{key} soft, but constraints.{key} is off (turn it on in "
                f"[constraints])", raw_of(soft[key])) from None
        except InputError as exc:
            raise at(f"constraints.{SOFT_KEY}").error(str(exc), raw_of(soft)) from None
        for key, term in terms.items():
            # data errors are about the constraint: they name its key, as when it is hard
            term._config_origin = getattr(built[key], "_config_origin", None)
        out = [terms.get(k, c) for k, c in zip(built, out, strict=True)]
    return out, sc_map


def build_costs(objective: Mapping[str, Any], at: Callable[[str], Loc], files: Files
                ) -> list[Any]:
    """The cost terms of a validated ``[objective]`` table (``transaction_cost``,
    ``borrow_cost``) and its user terms (``terms``, see :mod:`hedgeopt.config.terms`), each
    carrying its ``_config_origin``."""
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
                                                v.get("impact", 0.0), adv, v.get("weight", 1.0),
                                                high_cost=v.get("high_cost", False))
            else:
                term = hco.BorrowCost(v["rate"], v["horizon_days"], v.get("weight", 1.0))
        except InputError as exc:
            raise loc.error(str(exc), raw_of(v)) from None
        term._config_origin = origin(loc, v)
        out.append(term)
    for text in objective.get("terms") or []:
        loc = at("objective.terms")  # an array is located at its key's line
        term = hco.Term(load_function(text, loc.source.base, loc), name=text)
        term._config_origin = origin(loc, text)
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

