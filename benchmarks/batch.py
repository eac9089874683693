"""Batch suite: a book of baskets in one process vs on a Dask LocalCluster with 2 workers.

    python -m benchmarks.batch [--quick] [--baskets 200] [--names 300] [--workers 2] [--out DIR]

Data: one seeded synthetic market (``ho.datasets.synthetic_market``) of ``names + 150`` instruments
over two years of business days. ``names`` of them (a seeded random subset) are the hedge
universe; each basket holds 10-40 of the other 150 with random integer units (a random unit
vector over a column subset of the panel). Every basket: ``Budget()``, ``LongOnly()``,
``SectorCap(max_weight=0.25)``, ``lam = 0.3``.

Measured in one run, on the same book:

* **direct**: a plain loop ``HedgeProblem(...).add(...).solve()`` per basket (the reference);
* **1 process**: ``solve_book(book)`` (in-process, no Dask);
* **LocalCluster**: ``solve_book(book, client)`` with ``workers`` single-threaded worker
  processes (the cluster is started and warmed up before the clock starts; its start-up time is
  reported separately), with the default chunking (about four tasks per worker) and with one
  basket per task. The panel is scattered once per worker, inside the timed region.

Dask gives its workers one BLAS thread each (``OPENBLAS/OMP/MKL_NUM_THREADS=1``); for a fair
ratio this process also runs with one BLAS thread during the timings (``--blas-threads``).

The modes run side by side, ``--repeat`` times (each repeat runs all three in turn), and medians
are reported, so that machine load hits them alike.

Reported: wall seconds, throughput (baskets/s), the speed-up of the cluster over one process (a
ratio of two timings of the same run), and the per-basket overhead over a direct solve: in wall
time, for one process ``(wall - direct) / baskets`` and for the cluster
``(wall * workers - direct) / baskets`` (the worker-seconds per basket spent on anything but
building and solving: scheduling, serialisation, scatter, idle tails); in CPU time (summed over
this process, which runs the LocalCluster's scheduler, and every worker process),
``(cpu - direct cpu) / baskets``, which a busy machine disturbs much less than wall time.
The cluster's shares are checked against the in-process ones. Results go to
``benchmarks/results/batch.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hedgeopt as ho
from hedgeopt.book import book_from_panel, solve_book

try:  # shared helpers of the benchmark suites (machine info, tables, JSON)
    from benchmarks.common import machine_info, markdown_table, write_json
except ImportError:  # pragma: no cover - run from elsewhere
    machine_info = None  # type: ignore[assignment]
    from hedgeopt.reporting.report import markdown_table as _md
    from hedgeopt.reporting.report import write_json as _wj

    def markdown_table(headers, rows, align=None):  # type: ignore[no-redef]
        return _md(rows, headers, align=align)

    def write_json(path, payload):  # type: ignore[no-redef]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _wj(payload, path)

RESULTS = Path(__file__).resolve().parent / "results"
POOL = 150


def make_book(n_baskets: int, n_names: int, n_days: int, seed: int = 7
              ) -> tuple[pd.DataFrame, pd.Series, dict[str, pd.Series], list[str]]:
    """Panel, sector map, baskets (units over the non-universe columns) and the universe."""
    prices, _, sectors = ho.datasets.synthetic_market(
        n_assets=n_names + POOL, n_days=n_days, n_basket=10, n_sectors=10, seed=seed)
    rng = np.random.default_rng(seed)
    cols = np.array(prices.columns)
    universe = sorted(rng.choice(cols, n_names, replace=False).tolist())
    pool = sorted(set(cols) - set(universe))
    last = prices.iloc[-1]
    baskets = {}
    for i in range(n_baskets):
        k = int(rng.integers(10, 41))
        names = rng.choice(pool, k, replace=False)
        w = rng.dirichlet(np.full(k, 2.0))
        notional = float(rng.uniform(5e6, 50e6))
        units = np.maximum(1.0, np.round(notional * w / last[names].to_numpy()))
        baskets[f"basket{i:03d}"] = pd.Series(units, index=names, name="units")
    return prices, sectors, baskets, universe


def constraints(sectors: pd.Series, lots: bool = False) -> list[ho.Constraint]:
    """Budget, long-only, sector caps; with ``lots``: round lots of 100 and a 2 % budget band."""
    if lots:
        return [ho.Budget(band=(0.98, 1.0)), ho.LongOnly(),
                ho.SectorCap(sectors, max_weight=0.25), ho.ShareLots(100)]
    return [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.25)]


def _blas_limit(threads: int) -> Any:
    """Limit this process's BLAS pools (threadpoolctl), or do nothing for 0 / no threadpoolctl."""
    import contextlib

    if threads <= 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def run(n_baskets: int, n_names: int, n_days: int, workers: int, seed: int = 7,
        repeat: int = 1, blas_threads: int = 1, lots: bool = False,
        time_limit: float = 0.5) -> dict[str, Any]:
    """Time the modes on one book, side by side ``repeat`` times; returns the numbers."""
    with _blas_limit(blas_threads):
        return _run(n_baskets, n_names, n_days, workers, seed, repeat, blas_threads, lots,
                    time_limit)


def _run(n_baskets: int, n_names: int, n_days: int, workers: int, seed: int,
         repeat: int, blas_threads: int, lots: bool, time_limit: float) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    prices, sectors, baskets, universe = make_book(n_baskets, n_names, n_days, seed)
    hedge = prices[universe]
    cons = constraints(sectors, lots)
    opts: dict[str, Any] = {"time_limit": time_limit} if lots else {}
    book = book_from_panel(prices, baskets, cons, lam=0.3, universe=universe)

    def direct() -> dict[str, np.ndarray]:
        out = {}
        for key, units in baskets.items():
            prob = ho.HedgeProblem(hedge, ho.basket_value(units, prices), lam=0.3)
            out[key] = prob.add(*cons).solve(**opts).shares.to_numpy()
        return out

    # warm-up (imports, BLAS pools, code paths) before any clock starts
    first = next(iter(baskets))
    ho.HedgeProblem(hedge, ho.basket_value(baskets[first], prices), lam=0.3).add(
        *cons).solve(**opts)
    modes = ("direct", "in_process", "cluster", "cluster_1")
    times: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        t_start = time.perf_counter() - t0
        warm = book_from_panel(prices, dict(list(baskets.items())[:workers * 2]),
                               cons, lam=0.3, universe=universe)
        solve_book(warm, client, progress=False, **opts)  # workers import hedgeopt, warm up
        worker_threads = client.run(lambda: os.environ.get("OPENBLAS_NUM_THREADS"))
        # side by side: each repeat runs every mode in turn, so machine load hits all alike
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            direct_shares = direct()
            times["direct"].append(time.perf_counter() - t0)
            cpu["direct"].append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            seq = solve_book(book, progress=False, **opts)
            times["in_process"].append(time.perf_counter() - t0)
            cpu["in_process"].append(time.process_time() - c0)
            for mode, chunk in (("cluster", None), ("cluster_1", 1)):
                w0 = client.run(time.process_time)
                t0, c0 = time.perf_counter(), time.process_time()
                dist = solve_book(book, client, progress=False, chunksize=chunk, **opts)
                times[mode].append(time.perf_counter() - t0)
                c1, w1 = time.process_time(), client.run(time.process_time)
                # client + scheduler (this process) + every worker process
                cpu[mode].append(c1 - c0 + sum(max(0.0, w1[a] - w0[a]) for a in w1 if a in w0))
                if chunk is None:
                    auto = dist.info
                    diff = max(float(np.max(np.abs(dist.results[k].shares.to_numpy()
                                                   - seq.results[k].shares.to_numpy())))
                               for k in baskets)
    vs_direct = max(float(np.max(np.abs(seq.results[k].shares.to_numpy() - direct_shares[k])))
                    for k in baskets)
    t_direct, t_seq, t_dask, t_dask1 = (float(np.median(times[k])) for k in modes)
    cpu_direct, cpu_seq, cpu_dask, cpu_dask1 = (float(np.median(cpu[k])) for k in modes)
    n = n_baskets
    return {
        "baskets": n, "names": n_names, "days": n_days, "workers": workers, "repeat": repeat,
        "whole_shares": lots, "time_limit": time_limit if lots else None,
        "blas_threads_main_process": blas_threads or "unchanged",
        "times": times, "cpu_times": cpu,
        "cluster_chunksize": auto["chunksize"], "cluster_tasks": auto["tasks"],
        "cluster_1_seconds": t_dask1, "cluster_1_cpu_seconds": cpu_dask1,
        "speedup_cluster_1_vs_in_process": t_seq / t_dask1,
        "throughput_cluster_1": n / t_dask1,
        "overhead_cluster_1_worker_ms_per_basket": 1e3 * (t_dask1 * workers - t_direct) / n,
        "cpu_overhead_cluster_1_ms_per_basket": 1e3 * (cpu_dask1 - cpu_direct) / n,
        "direct_cpu_seconds": cpu_direct, "in_process_cpu_seconds": cpu_seq,
        "cluster_cpu_seconds": cpu_dask,
        "cpu_overhead_in_process_ms_per_basket": 1e3 * (cpu_seq - cpu_direct) / n,
        "cpu_overhead_cluster_ms_per_basket": 1e3 * (cpu_dask - cpu_direct) / n,
        "direct_seconds": t_direct, "in_process_seconds": t_seq, "cluster_seconds": t_dask,
        "cluster_startup_seconds": t_start,
        "speedup_cluster_vs_in_process": t_seq / t_dask,
        "speedup_per_repeat": [a / b for a, b in zip(times["in_process"], times["cluster"],
                                                      strict=True)],
        "throughput_direct": n / t_direct, "throughput_in_process": n / t_seq,
        "throughput_cluster": n / t_dask,
        "overhead_in_process_ms_per_basket": 1e3 * (t_seq - t_direct) / n,
        "overhead_cluster_worker_ms_per_basket": 1e3 * (t_dask * workers - t_direct) / n,
        "failures": {"in_process": len(seq.failures), "cluster": len(dist.failures)},
        "max_abs_share_diff_cluster_vs_in_process": diff,
        "max_abs_share_diff_in_process_vs_direct": vs_direct,
        "solvers": sorted(set(seq.summary["solver"].dropna())),
        "median_solve_seconds": float(seq.summary["seconds"].median()),
        "worker_openblas_threads": sorted({str(v) for v in worker_threads.values()}),
        "scattered": dist.info.get("scattered"),
        "load_average_after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def table(r: dict[str, Any]) -> str:
    w = r["workers"]
    rows = [
        ["direct loop (build + solve)", f"{r['direct_seconds']:.2f}",
         f"{r['throughput_direct']:.1f}", "0 (reference)", f"{r['direct_cpu_seconds']:.2f}",
         "0 (reference)", ""],
        ["solve_book, 1 process", f"{r['in_process_seconds']:.2f}",
         f"{r['throughput_in_process']:.1f}", f"{r['overhead_in_process_ms_per_basket']:+.1f}",
         f"{r['in_process_cpu_seconds']:.2f}",
         f"{r['cpu_overhead_in_process_ms_per_basket']:+.1f}", "1.00"],
        [f"solve_book, LocalCluster {w} workers ({r['cluster_tasks']} tasks of "
         f"{r['cluster_chunksize']})", f"{r['cluster_seconds']:.2f}",
         f"{r['throughput_cluster']:.1f}",
         f"{r['overhead_cluster_worker_ms_per_basket']:+.1f} (x{w} workers)",
         f"{r['cluster_cpu_seconds']:.2f}", f"{r['cpu_overhead_cluster_ms_per_basket']:+.1f}",
         f"**{r['speedup_cluster_vs_in_process']:.2f}**"],
        [f"solve_book, LocalCluster {w} workers (1 basket per task)",
         f"{r['cluster_1_seconds']:.2f}", f"{r['throughput_cluster_1']:.1f}",
         f"{r['overhead_cluster_1_worker_ms_per_basket']:+.1f} (x{w} workers)",
         f"{r['cluster_1_cpu_seconds']:.2f}", f"{r['cpu_overhead_cluster_1_ms_per_basket']:+.1f}",
         f"{r['speedup_cluster_1_vs_in_process']:.2f}"],
    ]
    return markdown_table(["mode", "wall s", "baskets/s", "wall overhead ms/basket",
                           "CPU s (all processes)", "CPU overhead ms/basket",
                           "speed-up vs 1 process"], rows, align="lrrrrrr")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 baskets x 60 names x 252 days (a smoke run)")
    parser.add_argument("--baskets", type=int, default=None, help="default 200 (quick: 20)")
    parser.add_argument("--names", type=int, default=None, help="default 300 (quick: 60)")
    parser.add_argument("--days", type=int, default=None, help="default 504 (quick: 252)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lots", action="store_true",
                        help="whole shares: add ShareLots(100) (budget band 98-100 %%), solved "
                             "with --time-limit seconds each; results go to batch_lots.json")
    parser.add_argument("--time-limit", type=float, default=0.5,
                        help="whole-share time limit per basket (with --lots)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads of this process during the timings (default 1, as "
                             "Dask gives its workers; 0 leaves them alone)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="side-by-side repeats, medians reported (default 1; quick: 3)")
    parser.add_argument("--out", default=str(RESULTS), help="directory of batch.json")
    args = parser.parse_args(argv)
    n_baskets = args.baskets or (20 if args.quick else 200)
    n_names = args.names or (60 if args.quick else 300)
    n_days = args.days or (252 if args.quick else 504)
    kind = f", whole shares (lots of 100, {args.time_limit:g} s limit)" if args.lots else ""
    print(f"## Batch: {n_baskets} baskets x {n_names} names x {n_days} days{kind}, "
          f"1 process vs LocalCluster({args.workers} workers)\n", flush=True)
    repeat = args.repeat or (3 if args.quick else 1)
    r = run(n_baskets, n_names, n_days, args.workers, args.seed, repeat, args.blas_threads,
            args.lots, args.time_limit)
    print(table(r))
    print(f"\nmedians of {r['repeat']} side-by-side repeat(s); speed-up per repeat "
          f"{', '.join(f'{x:.2f}' for x in r['speedup_per_repeat'])}; load average after "
          f"{r['load_average_after']}")
    print(f"cluster start-up {r['cluster_startup_seconds']:.2f} s (not in the timings); "
          f"median solve {1e3 * r['median_solve_seconds']:.1f} ms ({', '.join(r['solvers'])}); "
          f"max |shares cluster - 1 process| = {r['max_abs_share_diff_cluster_vs_in_process']:.3g};"
          f" failures {r['failures']}; panel scattered once: {r['scattered']}")
    payload: dict[str, Any] = {"suite": "batch", "quick": args.quick, "result": r}
    if machine_info is not None:
        payload["machine"] = machine_info()
    path = write_json(Path(args.out) / ("batch_lots.json" if args.lots else "batch.json"),
                      payload)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
