"""The ``hedgeopt`` command.

``hedgeopt demo``
    Hedge a basket on the embedded synthetic market.
``hedgeopt solve hedge.toml`` / ``hedgeopt solve --prices P --basket B ...``
    One hedge from a config file (outputs: shares CSV, JSON result, Markdown report, PNGs), or
    from flags (prints the hedge, ``--out`` writes the shares CSV).
``hedgeopt batch book.toml [--scheduler tcp://...] [--workers 2] [--out DIR] [--quiet]``
    Every basket of a book on Dask distributed (a LocalCluster unless ``--scheduler``).
``hedgeopt check FILE.toml``
    Validate a config and load its data without solving.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what the parser needs is imported here: ``hedgeopt --version`` and ``--help`` must not
# pay for cvxpy, pandas or the solvers (each command imports what it runs, in its function).
from hedgeopt._version import __version__
from hedgeopt.defaults import DEFAULT_LAM
from hedgeopt.exceptions import HedgeOptError, InputError, MissingDependency
from hedgeopt.solvers.registry import BACKENDS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from hedgeopt.problem import HedgeProblem
    from hedgeopt.result import HedgeResult

__all__ = ["main"]


def _print_result(res: HedgeResult, top: int) -> None:
    import pandas as pd

    from hedgeopt.display import format_frame

    table = res.to_frame(held_only=True)
    table = table.reindex(table["dollars"].abs().sort_values(ascending=False).index)
    shown = table.head(top)
    with pd.option_context("display.width", 120, "display.max_rows", top + 5):
        print(format_frame(shown).to_string())
    if len(table) > top:
        print(f"... {len(table) - top} more names")
    print()
    print("\n".join(repr(res).splitlines()[: 1 + len(res._headline())]))


def _demo(args: argparse.Namespace) -> int:
    from hedgeopt.constraints import Budget, LongOnly, SectorCap, Turnover
    from hedgeopt.datasets import synthetic_lots, synthetic_market
    from hedgeopt.problem import HedgeProblem

    prices, basket, sectors = synthetic_market(seed=args.seed)
    lots = synthetic_lots(prices, seed=args.seed)
    current = (lots * 0).astype(float)
    print(f"Synthetic market (seed {args.seed}): {prices.shape[1]} instruments, {len(prices)} "
          f"business days to {prices.index[-1]:%Y-%m-%d}; basket of "
          f"{len(basket.attrs.get('units', {}))} other names worth ${basket.iloc[-1]:,.0f}.")
    lam = _flag_lam(args)
    prob = HedgeProblem(prices, basket, lam=DEFAULT_LAM if lam is None else lam).add(
        Budget(), LongOnly(), SectorCap(sectors, max_weight=0.25),
        Turnover(current, max_dollars=1.2 * basket.iloc[-1]),
    )
    print(f"{prob}\n")
    res = prob.solve(solver=args.solver)
    _print_result(res, args.top)
    return 0


def _flag_lam(args: argparse.Namespace) -> float | None:
    """``--lam`` checked and blamed on ``--lam`` (None when not given)."""
    if args.lam is None:
        return None
    from hedgeopt.context import validate_lam

    try:
        return validate_lam(args.lam)
    except InputError as exc:
        raise InputError(f"--lam: {exc}", field="--lam") from None


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--date-format``, ``--dayfirst``/``--monthfirst``, ``--sep``, ``--decimal`` as the
    keyword arguments of :func:`hedgeopt.io.read_frame` (only those given)."""
    opts = {"date_format": getattr(args, "date_format", None),
            "dayfirst": getattr(args, "dayfirst", None),
            "sep": getattr(args, "sep", None), "decimal": getattr(args, "decimal", None)}
    if opts["sep"] is not None and opts["sep"].lower() in ("tab", "\\t"):
        opts["sep"] = "\t"
    return {k: v for k, v in opts.items() if v is not None}


def _shares_path(out: str) -> Path:
    """``--out`` of the quick form: a CSV path, or ``DIR/shares.csv`` for a directory."""
    p = Path(out)
    if p.is_dir() or out.endswith(("/", "\\")):
        p.mkdir(parents=True, exist_ok=True)
        return p / "shares.csv"
    return p


def _solve(args: argparse.Namespace) -> int:
    if args.config:
        return _solve_config(args)
    from hedgeopt.io import read_frame, read_series
    from hedgeopt.problem import HedgeProblem
    lam = _flag_lam(args)
    lam = DEFAULT_LAM if lam is None else lam
    opts = _read_options(args)
    prices = read_frame(args.prices, "--prices", **opts)
    basket = read_series(args.basket, "--basket", **opts)
    try:
        prob = HedgeProblem(prices, basket, lam=lam, reference=args.reference)
    except InputError as exc:  # say which file the data error came from
        f = str(exc.field or "")
        if f.startswith("basket"):
            raise InputError(f"--basket {args.basket}: {exc}", field=exc.field) from None
        if f == "reference" and args.reference is not None:
            raise InputError(f"--reference {args.reference}: {exc}", field="--reference") from None
        if f.startswith("prices") or f in ("", "reference"):
            raise InputError(f"--prices {args.prices}: {exc}", field=exc.field) from None
        raise InputError(f"--{f.replace('_', '-')}: {exc}", field=exc.field) from None
    for constraint in _quick_constraints(args):
        prob.add(constraint)
    if args.sectors:
        from hedgeopt.constraints import SectorCap
        from hedgeopt.text import fmt_number

        if args.sector_cap is None:
            raise InputError("--sectors needs --sector-cap", field="--sector-cap")
        sectors = read_series(args.sectors, "--sectors", index="labels", sep=opts.get("sep"))
        try:
            prob.add(SectorCap(sectors, max_weight=args.sector_cap))
        except InputError as exc:
            if "weight" in str(exc.field or ""):
                raise InputError(f"--sector-cap {fmt_number(args.sector_cap)}: {exc}",
                                 field="--sector-cap") from None
            raise InputError(f"--sectors {args.sectors}: {exc}", field="--sectors") from None
    elif args.sector_cap is not None:
        raise InputError("--sector-cap needs --sectors FILE", field="--sectors")
    res = prob.solve(solver=args.solver)
    if not args.quiet:
        _print_result(res, args.top)
    if args.out:
        from hedgeopt.reporting.report import write_shares

        path = write_shares(res, _shares_path(args.out))
        _say(args, f"\nwrote {path}")
    return 0


def _quick_constraints(args: argparse.Namespace) -> list[Any]:
    """The constraints of the quick form's flags: ``--notional``/``--band`` (or
    ``--no-budget``), ``--long-only``, ``--lots``; each error blames its flag."""
    from hedgeopt.constraints import Budget, LongOnly, ShareLots

    out: list[Any] = []
    if args.no_budget:
        given = [f for f, v in (("--notional", args.notional), ("--band", args.band)) if v]
        if given:
            raise InputError(f"{given[0]} sets the budget and cannot be combined with "
                             f"--no-budget", field=given[0])
    else:
        try:
            out.append(Budget(notional=args.notional,
                              band=None if args.band is None else tuple(args.band)))
        except InputError as exc:
            flag = "--band" if exc.field == "band" else "--notional"
            raise InputError(f"{flag}: {exc}", field=flag) from None
    if args.long_only:
        out.append(LongOnly())
    if args.lots is not None:
        try:
            out.append(ShareLots(args.lots))
        except InputError as exc:
            raise InputError(f"--lots {args.lots}: {exc}", field="--lots") from None
    return out


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def frontier_table(prob: HedgeProblem, lams: list[float], quiet: bool | None = None,
                   **solve_options: Any) -> pd.DataFrame:
    """``prob.frontier(lams)`` with a progress bar on a terminal.

    Uses ``frontier``'s own bar when it has one (a ``quiet`` argument), else solves one lam at a
    time inside a bar drawn here.
    """
    import pandas as pd

    from hedgeopt.progress import progress

    if "quiet" in inspect.signature(prob.frontier).parameters:
        return prob.frontier(lams, quiet=quiet, **solve_options)
    rows = [prob.frontier([lam], **solve_options)
            for lam in progress(lams, desc="frontier", quiet=quiet)]
    return pd.concat(rows, ignore_index=True)


def _solve_config(args: argparse.Namespace) -> int:
    from hedgeopt.config import load_config
    from hedgeopt.reporting.report import write_outputs

    legacy = [flag for flag, given in (
        ("--prices", args.prices), ("--basket", args.basket), ("--long-only", args.long_only),
        ("--no-budget", args.no_budget), ("--sectors", args.sectors),
        ("--sector-cap", args.sector_cap is not None), ("--lots", args.lots is not None),
        ("--notional", args.notional is not None), ("--band", args.band is not None),
        ("--reference", args.reference is not None)) if given]
    if legacy:
        raise InputError(f"{', '.join(legacy)} cannot be combined with a config file; set the "
                         f"data and constraints in {args.config}", field=legacy[0])
    lam = _flag_lam(args)
    cfg = load_config(args.config).set_read_options(**_read_options(args))
    prob, loaded = cfg.build()
    if lam is not None:
        prob.lam = lam
    options = cfg.solve_options()
    if args.solver:
        options["solver"] = args.solver
    quiet = True if args.quiet else None
    res = prob.solve(**options)
    frontier = None
    lams = cfg.frontier_lams
    if lams:
        frontier = frontier_table(prob, lams, quiet=quiet, **options)
    out = Path(args.out) if args.out else cfg.output_dir
    written = write_outputs(
        res, out, title=Path(args.config).stem, description=cfg.report_description(),
        sectors=loaded.sectors, frontier=frontier,
        plots=bool(cfg.get("output.plots")) and not args.no_plots,
        report=bool(cfg.get("output.report")), top=int(cfg.get("output.top")),
        extra={"config_file": str(args.config), "config": cfg.describe()},
    )
    if not args.quiet:
        _print_result(res, args.top)
        print(f"\nwrote {', '.join(sorted(written))} to {out}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    import pandas as pd

    from hedgeopt.book import book_from_config, merge_failures, require_distributed, solve_book
    from hedgeopt.config import load_book
    from hedgeopt.reporting.report import write_book
    from hedgeopt.validation import check_number

    cfg = load_book(args.config)
    configured = book_from_config(cfg)
    batch = dict(cfg.batch)
    scheduler = args.scheduler or batch.get("scheduler")
    workers = batch["workers"] if args.workers is None else args.workers
    retries = batch["retries"] if args.retries is None else args.retries
    workers = int(check_number(workers, "--workers", lo=0, integer=True))
    book = configured.book
    if len(book) == 0:
        result = solve_book(book, progress=False)
    elif scheduler:
        Client = require_distributed("hedgeopt batch --scheduler").Client

        with Client(scheduler) as client:
            result = solve_book(book, client, retries=retries, progress=not args.quiet)
    elif workers == 0:
        result = solve_book(book, retries=retries, progress=not args.quiet)
    else:
        import logging

        dist = require_distributed("hedgeopt batch")
        Client, LocalCluster = dist.Client, dist.LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster) as client:
            if not args.quiet:
                print(f"LocalCluster: {workers} worker process(es), dashboard "
                      f"{client.dashboard_link}", file=sys.stderr)
            result = solve_book(book, client, retries=retries, progress=not args.quiet)
    result = merge_failures(result, configured.failures, configured.order)
    out = Path(args.out) if args.out else cfg.output_dir
    plots = bool(cfg.output["plots"]) if args.plots is None else args.plots
    write_book(result, out, plots=plots, report=bool(cfg.output["report"]),
               top=int(cfg.output["top"]), descriptions=configured.descriptions,
               sectors=configured.sectors, extra={"config_file": str(args.config)})
    if not args.quiet:
        cols = ("status", "solver", "objective", "pnl_te", "value_te", "names", "seconds")
        with pd.option_context("display.width", 140, "display.max_rows", 60):
            print(result.summary_cells(cols).to_string())
        print(f"\n{len(result.results)} solved, {len(result.failures)} failed in "
              f"{result.elapsed:.2f} s ({result.info.get('mode')}, "
              f"{result.info.get('workers')} worker(s)); wrote {out}")
    for key, exc in result.failures.items():
        print(f"hedgeopt: basket {key}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0 if result.ok else 1


def _data_lines(prob: HedgeProblem) -> list[str]:
    """What ``check`` read: the parsed dates, rows, instruments, reference date, notional."""
    from hedgeopt.text import fmt_date

    ctx = prob.ctx
    return [f"  dates: {fmt_date(ctx.dates[0])} to {fmt_date(ctx.dates[-1])}, {ctx.n_obs} rows; "
            f"{ctx.n_assets} instruments",
            f"  reference date: {fmt_date(ctx.reference_date)}; notional: "
            f"${ctx.notional:,.2f}"]


def _check(args: argparse.Namespace) -> int:
    from hedgeopt.book import book_from_config
    from hedgeopt.config import load_book, load_config
    from hedgeopt.text import fmt_date

    text = Path(args.config).read_text(encoding="utf-8") if Path(args.config).is_file() else ""
    is_book = any(re.match(r"^\s*(\[\[?\s*(basket|defaults)\b|panel\s*=|units_table\s*=)",
                           line) for line in text.splitlines())
    opts = _read_options(args)
    if not is_book:
        cfg = load_config(args.config).set_read_options(**opts)
        prob, _ = cfg.build()
        print(f"{args.config}: OK: {prob}")
        print("\n".join(_data_lines(prob)))
        return 0
    book_cfg = load_book(args.config)
    for hc in book_cfg.baskets.values():
        hc.set_read_options(**opts)
    configured = book_from_config(book_cfg)
    lines = []
    for key in configured.book:
        try:
            prob = configured.book[key]
        except HedgeOptError as exc:
            configured.failures[key] = exc
            continue
        ctx = prob.ctx
        lines.append(f"  {key}: {fmt_date(ctx.dates[0])} to {fmt_date(ctx.dates[-1])}, "
                     f"{ctx.n_obs} rows, {ctx.n_assets} instruments, reference date "
                     f"{fmt_date(ctx.reference_date)}, notional ${ctx.notional:,.2f}")
    for key, err in configured.failures.items():
        print(f"{key}: {type(err).__name__}: {err}", file=sys.stderr)
    ok = len(configured.order) - len(configured.failures)
    print(f"{args.config}: {ok} of {len(configured.order)} baskets OK")
    if lines:
        print("\n".join(lines))
    return 2 if configured.failures else 0


def _read_flags(p: argparse.ArgumentParser) -> None:
    """How dated files are read: flags of ``solve`` and ``check`` (they override [data])."""
    g = p.add_argument_group("reading the prices and basket files")
    g.add_argument("--date-format", metavar="FMT",
                   help="strptime format of the dates, e.g. %%d/%%m/%%Y (default: ISO dates, "
                        "or the one layout that fits; with a config: data.date_format)")
    order = g.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", dest="dayfirst", action="store_const", const=True,
                       default=None, help="read ambiguous dates day-first (01/02/2026 = 1 Feb)")
    order.add_argument("--monthfirst", dest="dayfirst", action="store_const", const=False,
                       help="read ambiguous dates month-first (01/02/2026 = 2 Jan)")
    g.add_argument("--sep", help="CSV field separator (default: found from the first lines; "
                                 "'tab' for a tab)")
    g.add_argument("--decimal", choices=[".", ","],
                   help="decimal mark of the numbers (default: decided from the values)")


def _demo_solvers() -> list[str]:
    """The installed backends that solve the demo: continuous (the demo asks for no whole
    shares) and not linear-only (its turnover limit is a sum of absolute values)."""
    return [b.name for b in BACKENDS.values()
            if b.continuous and not b.linear_only and b.available()]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hedgeopt`` command."""
    parser = argparse.ArgumentParser(
        prog="hedgeopt", description="Buy-and-hold share hedges that track a basket in dollars."
    )
    parser.add_argument("--version", action="version", version=f"hedgeopt {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, lam_default: float | None = DEFAULT_LAM,
               solvers: list[str] | None = None) -> None:
        p.add_argument("--lam", type=float, default=lam_default,
                       help=f"weight of Var[d] vs Var[Δd], in [0, 1] (default "
                            f"{DEFAULT_LAM:g}; with a config: objective.lam)")
        if solvers is None:
            p.add_argument("--solver", default=None, help=f"one of {', '.join(BACKENDS)}")
        else:
            p.add_argument("--solver", default=None, type=str.upper, choices=solvers,
                           help=f"one of {', '.join(solvers)} (default: the first that "
                                f"solves)")
        p.add_argument("--top", type=int, default=15, help="rows of the hedge table to print")

    demo = sub.add_parser("demo", help="hedge a basket on the embedded synthetic market")
    demo.add_argument("--seed", type=int, default=7)
    common(demo, solvers=_demo_solvers())
    demo.set_defaults(run=_demo)

    solve = sub.add_parser(
        "solve", help="hedge a basket: from a hedge.toml config, or from --prices/--basket",
        description="hedgeopt solve hedge.toml [--out DIR]  or  hedgeopt solve --prices P "
                    "--basket B [...]")
    solve.add_argument("config", nargs="?", help="hedge.toml (data, objective, constraints, "
                       "outputs); writes shares.csv, result.json, report.md, PNGs")
    solve.add_argument("--prices", help="CSV/Parquet: dates x tickers, dollars")
    solve.add_argument("--basket", help="CSV/Parquet: date, basket dollar value")
    quick = solve.add_argument_group("the quick form's constraints (without a config)")
    short = quick.add_mutually_exclusive_group()
    short.add_argument("--long-only", action="store_true", help="no short positions")
    short.add_argument("--allow-short", dest="long_only", action="store_false",
                       help="short positions allowed (the default)")
    quick.add_argument("--no-budget", action="store_true",
                       help="do not force the hedge's value to the basket's at the reference "
                            "date")
    quick.add_argument("--notional", type=float, metavar="DOLLARS",
                       help="the hedge's dollar value at the reference date (default: the "
                            "basket's value there)")
    quick.add_argument("--band", type=float, nargs=2, metavar=("LO", "HI"),
                       help="budget band: the hedge's value between LO and HI times the "
                            "notional, e.g. --band 0.98 1.02")
    quick.add_argument("--lots", type=int, metavar="N",
                       help="whole lots of N shares (1 = whole shares; needs a whole-share "
                            "solver, e.g. SCIP or HEURISTIC)")
    quick.add_argument("--reference", metavar="DATE",
                       help="date the hedge is put on, e.g. 2026-06-30 (default: the last "
                            "date)")
    solve.add_argument("--sectors", help="CSV: ticker, sector")
    solve.add_argument("--sector-cap", type=float, help="max net weight per sector, e.g. 0.25")
    solve.add_argument("--out", help="with a config: output directory (overrides "
                       "[output] dir); else: write shares, prices, dollars, weights to this CSV")
    solve.add_argument("--no-plots", action="store_true", help="with a config: no PNG plots")
    solve.add_argument("--quiet", action="store_true",
                       help="no progress bar, no tables (errors still go to stderr)")
    _read_flags(solve)
    common(solve, lam_default=None)
    solve.set_defaults(run=_solve)

    batch = sub.add_parser(
        "batch", help="hedge every basket of a book.toml, on Dask (LocalCluster by default)")
    batch.add_argument("config", help="book.toml: [defaults], [[basket]] entries, panel")
    batch.add_argument("--scheduler", help="address of a running Dask scheduler, "
                       "e.g. tcp://10.0.0.5:8786 (default: start a LocalCluster)")
    batch.add_argument("--workers", type=int, help="LocalCluster worker processes "
                       "(default: [batch] workers, 2); 0 = solve in this process, no Dask")
    batch.add_argument("--retries", type=int, help="retries of a task after a transient error "
                       "(default: [batch] retries, 2)")
    batch.add_argument("--out", help="output directory (overrides [output] dir)")
    batch.add_argument("--plots", action=argparse.BooleanOptionalAction, default=None,
                       help="PNG plots in every basket's report (default: [output] plots)")
    batch.add_argument("--quiet", action="store_true",
                       help="no progress bar, no summary table (failures still go to stderr)")
    batch.set_defaults(run=_batch)

    check = sub.add_parser("check", help="validate a hedge.toml or book.toml and load its "
                           "data, without solving")
    check.add_argument("config", help="hedge.toml or book.toml")
    _read_flags(check)
    check.set_defaults(run=_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hedgeopt`` console script; returns the exit status.

    Exit status: 0 success; 1 a solve failed (infeasible, solver error) or, for ``batch``, at
    least one basket failed (the others' outputs are written); 2 bad input (arguments, config
    file, data files).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "solve" and not args.config and not (args.prices and args.basket):
        parser.error("solve needs a config file (hedgeopt solve hedge.toml) or both --prices "
                     "and --basket")
    try:
        return int(args.run(args))
    except HedgeOptError as exc:
        print(f"hedgeopt: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (InputError, MissingDependency)) else 1
    except OSError as exc:  # e.g. an unreachable --scheduler, an unwritable --out
        print(f"hedgeopt: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
