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

import pandas as pd

import hedgeopt as ho
from hedgeopt.config import load_book, load_config
from hedgeopt.exceptions import HedgeOptError, InputError
from hedgeopt.io import read_frame, read_series
from hedgeopt.progress import progress
from hedgeopt.report import write_outputs

__all__ = ["main"]


def _print_result(res: ho.HedgeResult, top: int) -> None:
    table = res.to_frame(held_only=True)
    table = table.reindex(table["dollars"].abs().sort_values(ascending=False).index)
    shown = table.head(top)
    with pd.option_context("display.width", 120, "display.max_rows", top + 5):
        print(shown.to_string(
            formatters={"shares": "{:,.2f}".format, "price": "{:,.2f}".format,
                        "dollars": "{:,.0f}".format, "weight": "{:.2%}".format}))
    if len(table) > top:
        print(f"... {len(table) - top} more names")
    print()
    print("\n".join(repr(res).splitlines()[: 1 + len(res._headline())]))


def _demo(args: argparse.Namespace) -> int:
    prices, basket, sectors = ho.datasets.synthetic_market(seed=args.seed)
    lots = ho.datasets.synthetic_lots(prices, seed=args.seed)
    current = (lots * 0).astype(float)
    print(f"Synthetic market (seed {args.seed}): {prices.shape[1]} instruments, {len(prices)} "
          f"business days to {prices.index[-1]:%Y-%m-%d}; basket of "
          f"{len(basket.attrs.get('units', {}))} other names worth ${basket.iloc[-1]:,.0f}.")
    prob = ho.HedgeProblem(prices, basket, lam=args.lam).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25),
        ho.Turnover(current, max_dollars=1.2 * basket.iloc[-1]),
    )
    print(f"{prob}\n")
    res = prob.solve(solver=args.solver)
    _print_result(res, args.top)
    return 0


def _solve(args: argparse.Namespace) -> int:
    if args.config:
        return _solve_config(args)
    lam = 0.3 if args.lam is None else args.lam
    prices = read_frame(args.prices, "--prices")
    basket = read_series(args.basket, "--basket")
    try:
        prob = ho.HedgeProblem(prices, basket, lam=lam)
    except InputError as exc:  # say which file the data error came from
        where = args.basket if str(exc.field or "").startswith("basket") else args.prices
        flag = "--basket" if where == args.basket else "--prices"
        raise InputError(f"{flag} {where}: {exc}", field=exc.field) from None
    if not args.no_budget:
        prob.add(ho.Budget())
    if args.long_only:
        prob.add(ho.LongOnly())
    if args.sectors:
        if args.sector_cap is None:
            raise InputError("--sectors needs --sector-cap", field="--sector-cap")
        prob.add(ho.SectorCap(read_series(args.sectors, "--sectors"), max_weight=args.sector_cap))
    elif args.sector_cap is not None:
        raise InputError("--sector-cap needs --sectors FILE", field="--sectors")
    res = prob.solve(solver=args.solver)
    if not args.quiet:
        _print_result(res, args.top)
    if args.out:
        res.to_frame().to_csv(args.out)
        _say(args, f"\nwrote {args.out}")
    return 0


def _say(args: argparse.Namespace, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text)


def frontier_table(prob: ho.HedgeProblem, lams: list[float], quiet: bool | None = None,
                   **solve_options: object) -> pd.DataFrame:
    """``prob.frontier(lams)`` with a progress bar on a terminal.

    Uses ``frontier``'s own bar when it has one (a ``quiet`` argument), else solves one lam at a
    time inside a bar drawn here.
    """
    if "quiet" in inspect.signature(prob.frontier).parameters:
        return prob.frontier(lams, quiet=quiet, **solve_options)
    rows = [prob.frontier([lam], **solve_options)
            for lam in progress(lams, desc="frontier", quiet=quiet)]
    return pd.concat(rows, ignore_index=True)


def _solve_config(args: argparse.Namespace) -> int:
    legacy = [flag for flag, given in (
        ("--prices", args.prices), ("--basket", args.basket), ("--long-only", args.long_only),
        ("--no-budget", args.no_budget), ("--sectors", args.sectors),
        ("--sector-cap", args.sector_cap is not None)) if given]
    if legacy:
        raise InputError(f"{', '.join(legacy)} cannot be combined with a config file; set the "
                         f"data and constraints in {args.config}", field=legacy[0])
    cfg = load_config(args.config)
    prob, loaded = cfg.build()
    if args.lam is not None:
        prob.lam = args.lam
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
    from hedgeopt.book import book_from_config, merge_failures, solve_book
    from hedgeopt.report import write_book

    cfg = load_book(args.config)
    configured = book_from_config(cfg)
    batch = dict(cfg.batch)
    scheduler = args.scheduler or batch.get("scheduler")
    workers = batch["workers"] if args.workers is None else args.workers
    retries = batch["retries"] if args.retries is None else args.retries
    if workers < 0:
        raise InputError(f"--workers must be >= 0, got {workers}", field="--workers")
    book = configured.book
    if len(book) == 0:
        result = solve_book(book, progress=False)
    elif scheduler:
        from distributed import Client

        with Client(scheduler) as client:
            result = solve_book(book, client, retries=retries, progress=not args.quiet)
    elif workers == 0:
        result = solve_book(book, retries=retries, progress=not args.quiet)
    else:
        import logging

        from distributed import Client, LocalCluster

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
        cols = ["status", "solver", "objective", "pnl_te", "value_te", "names", "seconds"]
        with pd.option_context("display.width", 140, "display.max_rows", 60):
            print(result.summary[cols].to_string(
                float_format=lambda x: f"{x:,.6g}", na_rep=""))
        print(f"\n{len(result.results)} solved, {len(result.failures)} failed in "
              f"{result.elapsed:.2f} s ({result.info.get('mode')}, "
              f"{result.info.get('workers')} worker(s)); wrote {out}")
    for key, exc in result.failures.items():
        print(f"hedgeopt: basket {key}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0 if result.ok else 1


def _check(args: argparse.Namespace) -> int:
    from hedgeopt.book import book_from_config

    text = Path(args.config).read_text(encoding="utf-8") if Path(args.config).is_file() else ""
    is_book = any(re.match(r"^\s*(\[\[?\s*(basket|defaults)\b|panel\s*=|units_table\s*=)",
                           line) for line in text.splitlines())
    if not is_book:
        cfg = load_config(args.config)
        prob, _ = cfg.build()
        print(f"{args.config}: OK: {prob}")
        return 0
    configured = book_from_config(load_book(args.config))
    for key in configured.book:
        try:
            configured.book[key]
        except HedgeOptError as exc:
            configured.failures[key] = exc
    for key, exc in configured.failures.items():
        print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
    ok = len(configured.order) - len(configured.failures)
    print(f"{args.config}: {ok} of {len(configured.order)} baskets OK")
    return 2 if configured.failures else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hedgeopt`` command."""
    parser = argparse.ArgumentParser(
        prog="hedgeopt", description="Buy-and-hold share hedges that track a basket in dollars."
    )
    parser.add_argument("--version", action="version", version=f"hedgeopt {ho.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, lam_default: float | None = 0.3) -> None:
        p.add_argument("--lam", type=float, default=lam_default,
                       help="weight of Var[d] vs Var[Δd], in [0, 1] (default 0.3; with a "
                            "config: objective.lam)")
        p.add_argument("--solver", default=None, help=f"one of {', '.join(ho.solvers.BACKENDS)}")
        p.add_argument("--top", type=int, default=15, help="rows of the hedge table to print")

    demo = sub.add_parser("demo", help="hedge a basket on the embedded synthetic market")
    demo.add_argument("--seed", type=int, default=7)
    common(demo)
    demo.set_defaults(run=_demo)

    solve = sub.add_parser(
        "solve", help="hedge a basket: from a hedge.toml config, or from --prices/--basket",
        description="hedgeopt solve hedge.toml [--out DIR]  or  hedgeopt solve --prices P "
                    "--basket B [...]")
    solve.add_argument("config", nargs="?", help="hedge.toml (data, objective, constraints, "
                       "outputs); writes shares.csv, result.json, report.md, PNGs")
    solve.add_argument("--prices", help="CSV/Parquet: dates x tickers, dollars")
    solve.add_argument("--basket", help="CSV/Parquet: date, basket dollar value")
    solve.add_argument("--long-only", action="store_true", help="no short positions")
    solve.add_argument("--no-budget", action="store_true",
                       help="do not force the hedge's value to the basket's at the last date")
    solve.add_argument("--sectors", help="CSV: ticker, sector")
    solve.add_argument("--sector-cap", type=float, help="max net weight per sector, e.g. 0.25")
    solve.add_argument("--out", help="with a config: output directory (overrides "
                       "[output] dir); else: write shares, prices, dollars, weights to this CSV")
    solve.add_argument("--no-plots", action="store_true", help="with a config: no PNG plots")
    solve.add_argument("--quiet", action="store_true",
                       help="no progress bar, no tables (errors still go to stderr)")
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
        return 2 if isinstance(exc, InputError) else 1
    except OSError as exc:  # e.g. an unreachable --scheduler, an unwritable --out
        print(f"hedgeopt: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
