"""The ``hedgeopt`` command: ``hedgeopt demo`` and ``hedgeopt solve``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

import hedgeopt as ho
from hedgeopt.exceptions import HedgeOptError, InputError
from hedgeopt.io import read_frame, read_series

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
    prices = read_frame(args.prices, "--prices")
    basket = read_series(args.basket, "--basket")
    prob = ho.HedgeProblem(prices, basket, lam=args.lam)
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
    _print_result(res, args.top)
    if args.out:
        res.to_frame().to_csv(args.out)
        print(f"\nwrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hedgeopt`` command."""
    parser = argparse.ArgumentParser(
        prog="hedgeopt", description="Buy-and-hold share hedges that track a basket in dollars."
    )
    parser.add_argument("--version", action="version", version=f"hedgeopt {ho.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lam", type=float, default=0.3,
                       help="weight of Var[d] vs Var[Δd], in [0, 1] (default 0.3)")
        p.add_argument("--solver", default=None, help=f"one of {', '.join(ho.solvers.BACKENDS)}")
        p.add_argument("--top", type=int, default=15, help="rows of the hedge table to print")

    demo = sub.add_parser("demo", help="hedge a basket on the embedded synthetic market")
    demo.add_argument("--seed", type=int, default=7)
    common(demo)
    demo.set_defaults(run=_demo)

    solve = sub.add_parser("solve", help="hedge a basket given price and basket files")
    solve.add_argument("--prices", required=True, help="CSV/Parquet: dates x tickers, dollars")
    solve.add_argument("--basket", required=True, help="CSV/Parquet: date, basket dollar value")
    solve.add_argument("--long-only", action="store_true", help="no short positions")
    solve.add_argument("--no-budget", action="store_true",
                       help="do not force the hedge's value to the basket's at the last date")
    solve.add_argument("--sectors", help="CSV: ticker, sector")
    solve.add_argument("--sector-cap", type=float, help="max net weight per sector, e.g. 0.25")
    solve.add_argument("--out", help="write shares, prices, dollars, weights to this CSV")
    common(solve)
    solve.set_defaults(run=_solve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hedgeopt`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except HedgeOptError as exc:
        print(f"hedgeopt: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, InputError) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
