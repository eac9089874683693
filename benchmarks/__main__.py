"""``python -m benchmarks [--suite continuous|wholeshare|all] [--quick] [--repeat 3] [--out DIR]``.

Runs the selected suites in turn (default: all). Every option other than ``--suite`` is passed on
to each suite's ``main(argv)``; each suite prints its Markdown tables and writes
``DIR/<suite>.json``. A suite whose module does not exist yet is reported and skipped.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Sequence

SUITES: tuple[str, ...] = ("continuous", "wholeshare", "outofsample", "batch")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``--suite``, run the suites, return the worst exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="hedgeopt benchmark suites: print ratio tables, write JSON.",
        epilog="Other options (--quick, --repeat N, --out DIR, suite-specific ones) are passed "
               "to every suite selected; `python -m benchmarks.<suite> --help` lists a suite's "
               "options.",
    )
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all",
                        help="which suite to run (default: all)")
    parser.add_argument("--blas-threads", type=int, default=None, metavar="N",
                        help="set OPENBLAS/OMP/MKL_NUM_THREADS=N before numpy is imported "
                             "(default: leave the environment alone); N=1 gives stable timings "
                             "on a busy shared machine")
    args, rest = parser.parse_known_args(argv)
    if args.blas_threads is not None:
        if "numpy" in sys.modules:
            print("--blas-threads has no effect: numpy is already imported", file=sys.stderr)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    selected = SUITES if args.suite == "all" else (args.suite,)
    status = 0
    for name in selected:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"benchmarks.{name}":
                raise
            print(f"(suite {name!r} is not available: benchmarks/{name}.py does not exist)\n")
            if args.suite != "all":
                status = max(status, 1)
            continue
        start = time.perf_counter()
        try:
            code = module.main(list(rest))
        except SystemExit as exc:  # e.g. the suite's argparse rejected an option
            code = exc.code if isinstance(exc.code, int) else 1
            print(f"(suite {name!r} exited with status {code} for options {rest}; run it alone "
                  f"with `python -m benchmarks.{name} --help`)")
        except Exception:  # noqa: BLE001 - one broken suite must not hide the others
            traceback.print_exc()
            code = 1
        print(f"\n(suite {name!r} finished in {time.perf_counter() - start:.0f} s)\n")
        sys.stdout.flush()
        status = max(status, int(code or 0))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
