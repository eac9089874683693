"""The schemas of hedge.toml and book.toml, as data in the schema language of
:mod:`hedgeopt.config.spec`.

Every key's type, default and documentation is here: validation reads it, and
:func:`hedgeopt.config.reference_markdown` renders the reference of every key from it.
"""

from __future__ import annotations

from hedgeopt.config.constraint_keys import CONSTRAINT_KEYS, SOFT_FIELD, SOFT_KEY
from hedgeopt.config.spec import (
    Array,
    Bool,
    DateFormat,
    DateLike,
    DirPath,
    Field,
    FilePath,
    Number,
    Off,
    OneOf,
    Separator,
    String,
    Table,
)
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.solvers.registry import BACKENDS

DATA = Table({
    "prices": Field(FilePath(), "Prices of the hedge instruments (and of the basket's "
                    "constituents when `basket_units` is used): dates x tickers in dollars, CSV "
                    "(first column: dates) or Parquet.", required=True,
                    example='"prices.csv"'),
    "basket": Field(FilePath(), "Basket dollar value per date (`date, value`), same dates as "
                    "`prices`. Give `basket` or `basket_units`.", example='"basket.csv"'),
    "basket_units": Field(OneOf(FilePath(), Table({}, extra=Number(), extra_doc="ticker = units")),
                          "The basket as units (shares) per constituent: a file (`ticker, "
                          "units`) or an inline table `{ AAA = 100, BBB = 50 }`; its dollar value "
                          "is `ho.basket_value(units, prices)` on the `prices` columns.",
                          example='"units.csv"'),
    "universe": Field(OneOf(FilePath(), Array(String(), min_len=1)),
                      "Hedge instruments: an array of tickers or a one-column file (header "
                      "`ticker`). Default: every column of `prices`.", example='["SPY", "XLE"]'),
    "exclude_constituents": Field(Bool(), "With `basket_units`: leave the basket's own "
                                  "constituents out of the hedge universe.", default=False,
                                  example="true"),
    "reference": Field(DateLike(), "Date the hedge is put on (a date of `prices`, or a row "
                       "number). Default: the last date.", example="2026-06-30"),
    "date_format": Field(DateFormat(), "strptime format of the dates in the first column of "
                         "`prices` and `basket` (`\"%d/%m/%Y\"`, `\"%m/%d/%Y\"`). Default: ISO "
                         "dates, or the one layout that fits every date; dates that read both "
                         "day-first and month-first are refused until this or `dayfirst` says "
                         "which. The command's `--date-format` overrides it.",
                         example='"%d/%m/%Y"'),
    "dayfirst": Field(Bool(), "Read ambiguous dates of `prices` and `basket` day-first "
                      "(`01/02/2026` = 1 February: `true`) or month-first (2 January: `false`). "
                      "The command's `--dayfirst` / `--monthfirst` override it.",
                      example="true"),
    "sep": Field(Separator(), "Field separator of the CSV files of this config (`\"\\t\"` or "
                 "`\"tab\"` for a tab). Default: found from each file's first lines (`,`, `;`, "
                 "tab or `|`).", example='";"'),
    "decimal": Field(String(choices=[".", ","]), "Decimal mark of the numbers in the files of "
                     "this config (the other mark is the thousands separator). Default: "
                     "decided per file from its values; a file whose values read both ways "
                     "(`1,234`) is refused until this says which.", example='","'),
    "sectors": Field(FilePath(), "Sector map (`ticker, sector`): used by "
                     "`constraints.sector_cap` when it names no file, and for the report's "
                     "sector table.", example='"sectors.csv"'),
    "multipliers": Field(FilePath(), "Contract multipliers (`ticker, multiplier`; absent "
                         "tickers 1): units x price x multiplier = dollars, results in units.",
                         example='"multipliers.csv"'),
}, doc="Where the data are. Paths are relative to the TOML file.", section=True)

OBJECTIVE = Table({
    "lam": Field(Number(0, 1), "Weight of `Var[d]` against `Var[Δd]` in "
                 "`(1 - lam) Var[Δd] + lam Var[d]`, in [0, 1] (the default: see "
                 "`hedgeopt.defaults`).", default=DEFAULT_LAM, example="0.3"),
    "frontier": Field(OneOf(Array(Number(0, 1), min_len=1), Number(2, integer=True)),
                      "Also tabulate and plot the lam frontier (`hedgeopt solve` only): an array "
                      "of lams, or a number of evenly spaced lams in [0, 1].",
                      example="[0, 0.25, 0.5, 0.75, 1]"),
    "transaction_cost": Field(OneOf(Off(), Table({
        "current": Field(FilePath(), "Current holdings in shares (`ticker, shares`); default: "
                         "none."),
        "bps": Field(Number(0), "Basis points of traded dollars.", default=0.0),
        "per_share": Field(Number(0), "Dollars per traded share.", default=0.0),
        "impact": Field(Number(0), "Square-root impact coefficient (needs `adv`).",
                        default=0.0),
        "adv": Field(FilePath(), "Average daily volume in shares (`ticker, adv`)."),
        "weight": Field(Number(0), "Dollars of tracking std one dollar of cost is worth.",
                        default=1.0),
        "high_cost": Field(Bool(), "Allow a linear cost above 2% of a name's traded dollars "
                           "(otherwise refused as a unit mistake).", default=False),
    })), "Trading cost priced into the objective (`ho.TransactionCost`).",
        example="{ bps = 10, weight = 2 }"),
    "borrow_cost": Field(OneOf(Off(), Table({
        "rate": Field(Number(0, 1), "Annual borrow rate on short dollars (fraction).",
                      required=True),
        "horizon_days": Field(Number(0, lo_open=True), "Days the shorts are held.",
                              required=True),
        "weight": Field(Number(0), "Dollars of tracking std one dollar of cost is worth.",
                        default=1.0),
    })), "Borrow cost of the shorts priced into the objective (`ho.BorrowCost`).",
        example="{ rate = 0.005, horizon_days = 63 }"),
    "terms": Field(Array(String(), min_len=1),
                   "User objective terms (`ho.Term`): import paths `module:function` (a module "
                   "on `sys.path`) or `file.py:function` (relative to the TOML file) of "
                   "functions `fn(w, ctx) -> cvxpy expression`, convex, added to the normalised "
                   "objective (cvxpy backends only).",
                   example='["desk_terms.py:crowding"]'),
}, doc="The tracking objective.", section=True)

SOLVE = Table({
    "solver": Field(String(choices=list(BACKENDS), upper=True),
                    "Backend (`ho.available_solvers()`); default: chosen by hedgeopt.",
                    example='"ACTIVESET"'),
    "tol": Field(Number(0, lo_open=True), "Verification tolerance relative to the notional.",
                 default=1e-6, example="1e-6"),
    "time_limit": Field(Number(0, lo_open=True), "Whole-share solves: seconds per backend "
                        "(ignored by continuous solves).", example="30"),
    "gap": Field(Number(0), "Whole-share solves: relative optimality gap to stop at.",
                 example="1e-4"),
    "threads": Field(Number(1, integer=True), "Whole-share solves: solver threads.",
                     example="1"),
    "seed": Field(Number(integer=True), "Whole-share solves: random seed.", example="0"),
}, doc="Solver choice and options.", section=True)

CONSTRAINTS = Table({**{k.key: k.field for k in CONSTRAINT_KEYS}, SOFT_KEY: SOFT_FIELD},
                    doc="The constraint set. Each key is one constraint; `false` turns it off.",
                    section=True)

OUTPUT = Table({
    "dir": Field(DirPath(), "Output directory (created), relative to the TOML file; the "
                 "command's `--out` overrides it.", default="out", example='"out"'),
    "plots": Field(Bool(), "Write PNG plots and embed them in the report (needs matplotlib, "
                   "the `plot` extra).", default=True, example="true"),
    "report": Field(Bool(), "Write the Markdown report.", default=True, example="true"),
    "top": Field(Number(1, integer=True), "Rows of the report's top-holdings table.",
                 default=20, example="20"),
}, doc="What to write. `hedgeopt solve` writes `shares.csv`, `result.json`, `report.md` and "
       "`hedge.png` (+ `frontier.png`).", section=True)

_SECTIONS = {"data": DATA, "objective": OBJECTIVE, "solve": SOLVE, "constraints": CONSTRAINTS}

HEDGE_SCHEMA = Table({
    "data": Field(DATA, "Data files.", required=True),
    "objective": Field(OBJECTIVE, "Objective."),
    "solve": Field(SOLVE, "Solver."),
    "constraints": Field(CONSTRAINTS, "Constraints."),
    "output": Field(OUTPUT, "Outputs."),
})

PARTIAL_HEDGE = Table({k: Field(s, s.doc) for k, s in _SECTIONS.items()}, section=True)

BASKET = Table({
    "name": Field(String(), "Basket name: the key of its results and its output directory.",
                  required=True, example='"energy"'),
    "units": Field(DATA.fields["basket_units"].spec, "Shorthand for `data.basket_units`.",
                   canon="data.basket_units", example='"energy_units.csv"'),
    "basket": Field(FilePath(), "Shorthand for `data.basket`.", canon="data.basket",
                    example='"energy_basket.csv"'),
    "prices": Field(FilePath(), "Shorthand for `data.prices` (this basket's own prices).",
                    canon="data.prices", example='"energy_prices.csv"'),
    "multipliers": Field(FilePath(), "Shorthand for `data.multipliers` (this basket's "
                         "contract multipliers).", canon="data.multipliers",
                         example='"futures_multipliers.csv"'),
    "lam": Field(OBJECTIVE.fields["lam"].spec, "Shorthand for `objective.lam`.",
                 canon="objective.lam", example="0.5"),
    "reference": Field(DateLike(), "Shorthand for `data.reference`.", canon="data.reference",
                       example="2026-06-30"),
    **{k: Field(s, f"Overrides of `[defaults.{k}]` for this basket.") for k, s in
       _SECTIONS.items()},
}, doc="One basket: a name plus overrides of `[defaults]`.")

BATCH = Table({
    "workers": Field(Number(0, integer=True), "LocalCluster worker processes (one thread "
                     "each); 0 solves in-process without Dask.", default=2, example="2"),
    "scheduler": Field(String(), "Address of a running Dask scheduler (`tcp://host:8786`) "
                       "instead of a LocalCluster.", example='"tcp://10.0.0.5:8786"'),
    "retries": Field(Number(0, integer=True), "Dask retries of a task that raised a transient "
                     "error (tasks of a killed worker are re-run by the scheduler anyway).",
                     default=2, example="2"),
}, doc="How `hedgeopt batch` runs; command-line flags override it.")

BOOK_OUTPUT = Table({
    **{k: OUTPUT.fields[k] for k in ("dir", "report", "top")},
    "plots": Field(Bool(), "PNG plots in every basket's report (needs matplotlib; about 0.3 s "
                   "per basket, hence off by default).", default=False, example="false"),
}, doc="Book outputs: one directory per basket (`shares.csv`, `result.json`, `report.md`), "
       "`book_summary.csv` and `book.json`.")

BOOK_SCHEMA = Table({
    "panel": Field(FilePath(), "One price panel for every basket (same as "
                   "`defaults.data.prices`): read once and sent once to each worker.",
                   example='"panel.csv"'),
    "units_table": Field(FilePath(), "Many baskets over the panel in one file: first column "
                         "`ticker`, one column of units per basket (header = basket name; empty "
                         "or 0 = not in the basket).", example='"book_units.csv"'),
    "defaults": Field(PARTIAL_HEDGE, "Settings shared by every basket: `[defaults.data]`, "
                      "`[defaults.objective]`, `[defaults.solve]`, `[defaults.constraints]`, "
                      "same keys as in hedge.toml."),
    "basket": Field(Array(BASKET), "`[[basket]]` entries: `name` plus overrides.",),
    "output": Field(BOOK_OUTPUT, "Outputs."),
    "batch": Field(BATCH, "Execution."),
})

#: Keys of ``[data]`` that say how the dated files are read (keywords of ``io.read_frame``).
READ_OPTIONS = ("date_format", "dayfirst", "sep", "decimal")
#: Those that apply to every file of a config (the date settings only to prices and basket).
FILE_OPTIONS = ("sep", "decimal")

#: Keys of ``[solve]`` passed to whole-share solves only.
WHOLE_SHARE_OPTIONS = ("time_limit", "gap", "threads", "seed")

#: Shorthand keys of a ``[[basket]]`` entry -> the canonical keys they stand for.
SHORTHANDS = {k: f.canon for k, f in BASKET.fields.items() if f.canon is not None}
