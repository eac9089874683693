"""The keys of ``[constraints]``: for each, its schema entry, the constraint class it builds
and how, declared once.

:data:`CONSTRAINT_KEYS` is the one list: :data:`~hedgeopt.config.schema.CONSTRAINTS` (the
schema, hence validation and the reference docs),
:func:`~hedgeopt.config.builders.build_constraints` (the constraints, in this order) and
:data:`INTEGER_KEYS` (the keys that make a hedge whole-share, from each class's ``integer``
flag) are all read from it. A new constraint in
config files is one :class:`ConstraintKey` here; nothing else in :mod:`hedgeopt.config` changes.

:data:`SOFT_FIELD` (the key ``constraints.soft``) is derived from the same list: it names any
continuous key (:attr:`ConstraintKey.softable`) with its penalty, ``soft = { beta = 1000,
max_weight = { penalty = 50, weight = 2 } }``, which builds that key's constraint wrapped in
:class:`~hedgeopt.costs.Soft`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

import hedgeopt.constraints as hc
import hedgeopt.costs as hco
from hedgeopt.config.files import Files
from hedgeopt.config.spec import Array, Bool, Field, FilePath, Number, Off, OneOf, String, Table

__all__ = ["CONSTRAINT_KEYS", "ConstraintKey", "INTEGER_KEYS", "KeyInputs", "SOFT_FIELD",
           "SOFT_KEY", "soft_terms"]


@dataclass(frozen=True)
class KeyInputs:
    """What a key's builder may read besides its value: the config's files and
    ``data.sectors`` (the sector cap's map when it names no file)."""

    files: Files
    sectors: pd.Series | None = None


@dataclass(frozen=True)
class ConstraintKey:
    """One key of ``[constraints]``.

    Attributes
    ----------
    key : str
        The key (``"max_names"``).
    kind : type
        The constraint class it builds (its ``integer`` flag says whether the key makes the
        hedge whole-share).
    field : Field
        Its schema entry: type, documentation, default and example.
    build : callable
        ``build(value, inputs)``: the constraint from the validated value (never called when
        the value is ``false`` or absent without a default).
    """

    key: str
    kind: type[hc.Constraint]
    field: Field
    build: Callable[[Any, KeyInputs], hc.Constraint]

    @property
    def softable(self) -> bool:
        """Whether ``constraints.soft`` may name this key (continuous constraints only: lots,
        name counts and thresholds cannot be soft)."""
        return not self.kind.integer


def _budget(v: Any, _: KeyInputs) -> hc.Constraint:
    if v is True:
        return hc.Budget()
    band = v.get("band")
    return hc.Budget(notional=v.get("notional"), band=tuple(band) if band else None)


def _bounds(b: Any, inp: KeyInputs) -> hc.Constraint:
    lower = inp.files.series(b["lower_file"]) if "lower_file" in b else b.get("lower")
    upper = inp.files.series(b["upper_file"]) if "upper_file" in b else b.get("upper")
    return hc.Bounds(lower, upper, unit=b.get("unit", "shares"))


def _sector_cap(sc: Any, inp: KeyInputs) -> hc.Constraint:
    sc_map = inp.files.series(sc["sectors"], numeric=False) if "sectors" in sc else inp.sectors
    return hc.SectorCap(sc_map, max_weight=sc.get("max_weight"), min_weight=sc.get("min_weight"))


def _exclude(ex: Any, inp: KeyInputs) -> hc.Constraint:
    return hc.Exclude(list(inp.files.names(ex["file"]) if isinstance(ex, dict) else ex))


def _lots(lots: Any, inp: KeyInputs) -> hc.Constraint:
    return hc.ShareLots(inp.files.series(lots["file"]) if isinstance(lots, dict) else lots)


def _max_weight(mw: Any, inp: KeyInputs) -> hc.Constraint:
    return hc.MaxWeight(inp.files.series(mw["file"]) if isinstance(mw, dict) else mw)


def _factor_exposure(fe: Any, inp: KeyInputs) -> hc.Constraint:
    return hc.FactorExposure(inp.files.frame(fe["loadings"]), lower=fe.get("lower"),
                             upper=fe.get("upper"), basket=fe.get("basket"),
                             leverage=fe.get("leverage", False))


def _beta(be: Any, inp: KeyInputs) -> hc.Constraint:
    return hc.Beta(inp.files.dated_series(be["benchmark"]), be.get("lower"), be.get("upper"),
                   relative=be.get("relative", True), leverage=be.get("leverage", False))


def _participation(mp: Any, inp: KeyInputs) -> hc.Constraint:
    held = inp.files.series(mp["current"]) if "current" in mp else None
    return hc.MaxParticipation(inp.files.series(mp["adv"]), mp["fraction"], held)


_OFF = Off()
_WEIGHTS = OneOf(Number(), Table({}, extra=Number(), extra_doc="sector = number"))

#: The keys of ``[constraints]``, in the order the schema lists them and the constraints are
#: built.
CONSTRAINT_KEYS: tuple[ConstraintKey, ...] = (
    ConstraintKey("budget", hc.Budget, Field(OneOf(Bool(), Table({
        "notional": Field(Number(0, lo_open=True), "Target dollar value (default: the basket's "
                          "value at the reference date)."),
        "band": Field(Array(Number(), length=2), "`[lo, hi]` fractions of the notional."),
    })), "Hedge value at the reference date: `true` = the basket's value, `{ notional = 1e7 }`, "
         "`{ band = [0.98, 1.0] }`, or `false`.", default=True,
        example="{ band = [0.98, 1.0] }"), _budget),
    ConstraintKey("long_only", hc.LongOnly, Field(Bool(), "No short positions.", default=False,
                                                  example="true"),
                  lambda v, inp: hc.LongOnly()),
    ConstraintKey("bounds", hc.Bounds, Field(OneOf(_OFF, Table({
        "lower": Field(Number(), "Lower limit for every name."),
        "upper": Field(Number(), "Upper limit for every name."),
        "lower_file": Field(FilePath(), "Per-ticker lower limits (`ticker, value`)."),
        "upper_file": Field(FilePath(), "Per-ticker upper limits (`ticker, value`)."),
        "unit": Field(String(choices=["shares", "dollars"]), "Unit of the limits.",
                      default="shares"),
    })), "Per-name limits in shares or dollars (`ho.Bounds`).",
        example='{ upper = 2e6, unit = "dollars" }'), _bounds),
    ConstraintKey("sector_cap", hc.SectorCap, Field(OneOf(_OFF, Table({
        "sectors": Field(FilePath(), "Sector map `ticker, sector` (default: `data.sectors`)."),
        "max_weight": Field(_WEIGHTS, "Cap on net sector exposure / notional, or a table "
                            "`{ Energy = 0.1, ... }` of per-sector caps."),
        "min_weight": Field(_WEIGHTS, "Floor, same forms."),
    })), "Net sector exposure as a fraction of the notional (`ho.SectorCap`).",
        example='{ sectors = "sectors.csv", max_weight = 0.25 }'), _sector_cap),
    ConstraintKey("turnover", hc.Turnover, Field(OneOf(_OFF, Table({
        "current": Field(FilePath(), "Current holdings in shares (`ticker, shares`).",
                         required=True),
        "max_dollars": Field(Number(0), "Limit on `Σ |n_i − h_i| P_ref,i` in dollars.",
                             required=True),
    })), "Dollar turnover from current holdings (`ho.Turnover`).",
        example='{ current = "holdings.csv", max_dollars = 2e6 }'),
                  lambda t, inp: hc.Turnover(inp.files.series(t["current"]), t["max_dollars"])),
    ConstraintKey("exclude", hc.Exclude, Field(OneOf(_OFF, Array(String()), Table({
        "file": Field(FilePath(), "One-column file of tickers.", required=True),
    })), "Tickers not to hold: an array, or `{ file = \"restricted.csv\" }`.",
        example='["ABC", "XYZ"]'), _exclude),
    ConstraintKey("lots", hc.ShareLots, Field(OneOf(_OFF, Number(0, lo_open=True), Table({
        "file": Field(FilePath(), "Lot size per ticker (`ticker, lot`).", required=True),
    })), "Round lots (`ho.ShareLots`): one lot size, or `{ file = \"lots.csv\" }`; "
         "`lots = 1` means whole shares. Makes the problem whole-share.", example="100"), _lots),
    ConstraintKey("max_names", hc.MaxNames, Field(OneOf(_OFF, Number(1, integer=True)),
                                                  "Hold at most this many names (`ho.MaxNames`, "
                                                  "whole-share).", example="40"),
                  lambda k, inp: hc.MaxNames(k)),
    ConstraintKey("min_position", hc.MinPosition, Field(OneOf(_OFF, Number(0)), "Each name held "
                                                        "for at least this many dollars, or not "
                                                        "at all (`ho.MinPosition`, whole-share).",
                                                        example="25000"),
                  lambda mp, inp: hc.MinPosition(mp)),
    ConstraintKey("min_trade", hc.MinTrade, Field(OneOf(_OFF, Table({
        "current": Field(FilePath(), "Current holdings in shares (`ticker, shares`).",
                         required=True),
        "dollars": Field(Number(0), "Minimum dollar size of a trade.", required=True),
    })), "Each name traded for at least `dollars` or not at all (`ho.MinTrade`, whole-share).",
        example='{ current = "holdings.csv", dollars = 10000 }'),
                  lambda mt, inp: hc.MinTrade(inp.files.series(mt["current"]), mt["dollars"])),
    ConstraintKey("max_weight", hc.MaxWeight, Field(OneOf(_OFF, Number(0), Table({
        "file": Field(FilePath(), "Per-ticker limits (`ticker, fraction`).", required=True),
    })), "Each name's `|dollars| / notional` at most this (`ho.MaxWeight`), or per ticker from "
         "`{ file = \"max_weight.csv\" }`.", example="0.05"), _max_weight),
    ConstraintKey("factor_exposure", hc.FactorExposure, Field(OneOf(_OFF, Table({
        "loadings": Field(FilePath(), "Loadings `ticker, factor1, factor2, ...` (exposure per "
                          "dollar held).", required=True),
        "lower": Field(_WEIGHTS, "Floor on exposure / notional: one number, or `{ factor = "
                       "number }`."),
        "upper": Field(_WEIGHTS, "Cap, same forms."),
        "basket": Field(Table({}, extra=Number(), extra_doc="factor = number"),
                        "The basket's own exposure per factor: the limits then apply to hedge "
                        "minus basket."),
        "leverage": Field(Bool(), "Allow limits beyond ±1 of the notional (net of the basket) "
                          "or beyond the largest loading (otherwise refused as a likely "
                          "percent).", default=False),
    })), "Factor exposure limits (`ho.FactorExposure`).",
        example='{ loadings = "loadings.csv", lower = -0.05, upper = 0.05 }'), _factor_exposure),
    ConstraintKey("beta", hc.Beta, Field(OneOf(_OFF, Table({
        "benchmark": Field(FilePath(), "Benchmark prices by date (`date, value`), covering "
                           "the window: betas are OLS slopes of daily returns.", required=True),
        "lower": Field(Number(), "Floor on dollar beta / notional."),
        "upper": Field(Number(), "Cap on dollar beta / notional."),
        "relative": Field(Bool(), "Limit the hedge's beta minus the basket's.", default=True),
        "leverage": Field(Bool(), "Allow a band beyond ±1 of the notional (otherwise refused "
                          "as a likely percent: `-2` meaning 2%).", default=False),
    })), "Dollar beta limits (`ho.Beta`).",
        example='{ benchmark = "spx.csv", lower = -0.02, upper = 0.02 }'), _beta),
    ConstraintKey("max_participation", hc.MaxParticipation, Field(OneOf(_OFF, Table({
        "adv": Field(FilePath(), "Average daily volume in shares (`ticker, adv`), every "
                     "ticker.", required=True),
        "fraction": Field(Number(0, 1, lo_open=True), "Largest traded fraction of ADV.",
                          required=True),
        "current": Field(FilePath(), "Current holdings in shares (`ticker, shares`); default: "
                         "none (the position is the trade)."),
    })), "Traded shares at most `fraction x ADV` per name (`ho.MaxParticipation`).",
        example='{ adv = "adv.csv", fraction = 0.1 }'), _participation),
    ConstraintKey("leverage", hc.Leverage, Field(OneOf(_OFF, Table({
        "gross": Field(Number(0), "Largest `Σ |dollars_i| / notional`."),
        "short": Field(Number(0), "Largest `Σ max(-dollars_i, 0) / notional`."),
    })), "Gross and short exposure limits (`ho.Leverage`).",
        example="{ gross = 1.2, short = 0.2 }"),
                  lambda lev, inp: hc.Leverage(lev.get("gross"), lev.get("short"))),
)

#: The key of ``[constraints]`` that makes other keys soft.
SOFT_KEY = "soft"

_PENALTY = Number(0, lo_open=True)

#: ``constraints.soft``: key -> penalty (dollars per dollar of violation), or
#: ``{ penalty, weight }``; one entry per continuous key of :data:`CONSTRAINT_KEYS`.
SOFT_FIELD = Field(OneOf(_OFF, Table({
    k.key: Field(OneOf(_PENALTY, Table({
        "penalty": Field(_PENALTY, "Dollars of cost per dollar of violation.", required=True),
        "weight": Field(Number(0), "Dollars of tracking std one dollar of cost is worth.",
                        default=1.0),
    })), f"`{k.key}` priced instead of enforced: its penalty (dollars per dollar of "
         f"violation), or `{{ penalty = 100, weight = 1 }}`.") for k in CONSTRAINT_KEYS
    if k.softable})),
    "Constraints priced instead of enforced (`ho.Soft`): `{ key = penalty }` for any "
    "continuous key of this table that is on; the result reports each one's violation.",
    example="{ beta = 1000, max_weight = { penalty = 50, weight = 2 } }")


def soft_terms(soft: Any, built: dict[str, hc.Constraint]) -> dict[str, Any]:
    """The keys of a validated ``constraints.soft`` table as :class:`~hedgeopt.costs.Soft`
    terms around their built constraints (``built``: key -> constraint of the keys that are
    on). A key that is off raises :class:`KeyError` with the key (the caller locates it)."""
    out: dict[str, Any] = {}
    for key, v in (soft or {}).items():
        if key not in built:
            raise KeyError(key)
        penalty, weight = (v["penalty"], v.get("weight", 1.0)) if isinstance(v, dict) else (
            v, 1.0)
        out[key] = hco.Soft(built[key], penalty, weight)
    return out


#: Constraints that need a whole-share solver (their class is ``integer``).
INTEGER_KEYS: tuple[str, ...] = tuple(k.key for k in CONSTRAINT_KEYS if k.kind.integer)
