"""Helpers shared by the benchmark suites: timing, isolation with a time limit, tables, JSON.

Timing rules (the same in every suite):

* every timed callable is run once untimed first (imports, BLAS thread pools, caches), then
  ``repeat`` times; the reported time is the median;
* callables compared with each other are timed **side by side**: each repeat runs all of them in
  turn (:func:`measure_side_by_side`), so that a change of machine load hits them alike and the
  ratios stay meaningful on a shared machine;
* a callable whose first run already takes longer than ``slow`` seconds is timed once (that first
  run): imports were warmed before, and warm-up costs are a negligible share of such a run;
* a callable that may run for minutes is first run in a fresh child interpreter with a
  wall-clock limit and a memory cap (:func:`measure_isolated`); on timeout the child is
  terminated and the timing is reported as ``> limit``.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Timing",
    "blas_line",
    "fmt_ratio",
    "fmt_seconds",
    "machine_info",
    "markdown_table",
    "measure",
    "measure_isolated",
    "measure_side_by_side",
    "run_isolated",
    "write_json",
]

#: Packages whose versions every results file records.
DEFAULT_PACKAGES: tuple[str, ...] = (
    "numpy", "scipy", "pandas", "cvxpy", "osqp", "clarabel", "ecos", "scs", "highspy",
    "pyscipopt",
)


@dataclass
class Timing:
    """Wall-clock seconds of the timed runs of one callable, and what it returned.

    Attributes
    ----------
    seconds : list of float
        One entry per timed run (the untimed warm-up is not included).
    value : object
        Return value of the last run (``None`` after an error or a timeout).
    error : str or None
        ``"ExceptionType: message"`` when a run raised.
    timed_out : bool
        The run exceeded ``limit`` seconds and was terminated.
    limit : float or None
        The wall-clock limit that applied, if any.
    """

    seconds: list[float] = field(default_factory=list)
    value: Any = None
    error: str | None = None
    timed_out: bool = False
    limit: float | None = None

    @property
    def ok(self) -> bool:
        """Whether at least one run finished without error."""
        return bool(self.seconds) and self.error is None and not self.timed_out

    @property
    def median(self) -> float:
        """Median of the timed runs; ``nan`` when there is none (error or timeout)."""
        return statistics.median(self.seconds) if self.ok else math.nan

    def ratio(self, other: Timing) -> float:
        """``self.median / other.median`` (``nan`` if either is missing)."""
        den = other.median
        return self.median / den if den and math.isfinite(den) else math.nan

    def fmt(self, digits: int = 3) -> str:
        """Median seconds for a table: ``> 60 s (timeout)`` or ``error`` when missing."""
        if self.timed_out:
            return f"> {self.limit:g} (timeout)"
        if self.error is not None:
            return "error"
        return fmt_seconds(self.median, digits)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without ``value``)."""
        return {
            "median_s": self.median, "runs_s": list(self.seconds), "n_runs": len(self.seconds),
            "error": self.error, "timed_out": self.timed_out, "limit_s": self.limit,
        }


# ------------------------------------------------------------------------------------------------
# running and timing
# ------------------------------------------------------------------------------------------------


def _default_memory_limit() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def _child(conn: Any, factory: Callable[..., Callable[[], Any]], kwargs: dict[str, Any],
           memory: int | None) -> None:
    try:
        if memory is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        fn = factory(**kwargs)
        conn.send(("ready", 0.0, None))
        start = time.perf_counter()
        value = fn()
        conn.send(("ok", time.perf_counter() - start, value))
    except BaseException as exc:  # noqa: BLE001 - report anything to the parent
        conn.send(("error", 0.0, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_isolated(factory: Callable[..., Callable[[], Any]], kwargs: dict[str, Any] | None = None,
                 *, timeout: float, setup_timeout: float = 300.0,
                 memory: int | None = -1) -> tuple[float, Any]:
    """Time ``factory(**kwargs)()`` in a fresh interpreter with a wall-clock limit.

    The child is started with ``spawn`` (never ``fork``: thread pools of BLAS or of Rust-based
    solvers inherited by a forked child can deadlock it). It runs ``factory(**kwargs)``
    untimed -- imports, data, warm-up -- then times only the callable that returns.

    Parameters
    ----------
    factory : callable
        A module-level function (pickled by reference) returning the zero-argument callable to
        time; that callable's return value must be picklable.
    kwargs : dict, optional
        Picklable keyword arguments of ``factory``.
    timeout : float
        Wall-clock limit of the timed call, in seconds.
    setup_timeout : float
        Limit of the untimed setup.
    memory : int or None
        Address-space limit of the child in bytes (``RLIMIT_AS``), so that a backend that
        tries to allocate tens of GiB fails with ``MemoryError`` instead of pushing a shared
        machine into swap. ``-1`` (default): half the physical memory; ``None``: no limit.

    Returns
    -------
    (float, object)
        Seconds of the timed call and its return value.

    Raises
    ------
    TimeoutError
        The timed call (or the setup) did not finish in time; the child is terminated.
    RuntimeError
        The child raised (the message holds ``"Type: message"``) or died.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    memory = _default_memory_limit() if memory == -1 else memory
    proc = ctx.Process(target=_child, args=(child, factory, dict(kwargs or {}), memory),
                       daemon=True)
    proc.start()
    child.close()
    try:
        for limit in (setup_timeout, timeout):
            if not parent.poll(limit):
                what = "setup" if limit is setup_timeout else "run"
                raise TimeoutError(f"{what} did not finish within {limit:g} s")
            try:
                status, seconds, value = parent.recv()
            except EOFError:
                proc.join(5)
                raise RuntimeError(f"child process died (exit code {proc.exitcode})") from None
            if status != "ready":
                break
    finally:
        parent.close()
        if proc.is_alive():
            proc.join(2)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    if status != "ok":
        raise RuntimeError(value)
    return seconds, value


def _describe(exc: BaseException) -> str:
    # RuntimeError from run_isolated already holds "Type: message" of the child's exception
    return str(exc) if type(exc) is RuntimeError else f"{type(exc).__name__}: {exc}"


def measure(fn: Callable[[], Any], repeat: int = 3, *, warmup: bool = True,
            slow: float | None = None) -> Timing:
    """Time ``fn`` in this process: one untimed warm-up, then the median of ``repeat`` runs.

    Parameters
    ----------
    fn : callable
        Called without arguments.
    repeat : int
        Number of timed runs.
    warmup : bool
        Run ``fn`` once untimed first.
    slow : float, optional
        If the first run takes longer than this many seconds, it is the only timed run (it is
        counted, not discarded).

    Returns
    -------
    Timing
        Never raises for errors of ``fn``: they are recorded in ``Timing.error``.
    """
    out = Timing()
    for i in range(repeat + (1 if warmup else 0)):
        try:
            start = time.perf_counter()
            out.value = fn()
            seconds = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - record, never abort the suite
            out.error = _describe(exc)
            break
        too_slow = i == 0 and slow is not None and seconds > slow
        if i > 0 or not warmup or too_slow:
            out.seconds.append(seconds)
        if too_slow:
            break
    return out


def measure_isolated(factory: Callable[..., Callable[[], Any]],
                     kwargs: dict[str, Any] | None = None, repeat: int = 3, *, timeout: float,
                     slow: float | None = None, memory: int | None = -1) -> Timing:
    """Time a possibly very slow callable: first in a child with a time limit, then in-process.

    The first run happens in a fresh interpreter (:func:`run_isolated`: setup untimed, the call
    limited to ``timeout`` seconds, memory capped). If it took longer than ``slow`` seconds it is
    the measurement (one run); otherwise the callable is built here, by ``factory(**kwargs)``,
    and timed with :func:`measure` (warm-up plus ``repeat`` runs).
    """
    out = Timing(limit=timeout)
    try:
        seconds, value = run_isolated(factory, kwargs, timeout=timeout, memory=memory)
    except TimeoutError:
        out.timed_out = True
        return out
    except Exception as exc:  # noqa: BLE001
        out.error = _describe(exc)
        return out
    if slow is None or seconds > slow:
        out.seconds, out.value = [seconds], value
        return out
    timing = measure(factory(**(kwargs or {})), repeat, slow=slow)
    timing.limit = timeout
    return timing


def measure_side_by_side(fns: dict[str, Callable[[], Any]], repeat: int = 3, *,
                         warmup: bool = True) -> dict[str, Timing]:
    """Time several callables interleaved: each repeat runs every one of them in turn.

    Use for the numerator and the denominator of a ratio, so that both see the same machine
    load. Errors are recorded per callable (a failing one is dropped from later rounds).
    """
    out = {name: Timing() for name in fns}
    rounds = ([False] if warmup else []) + [True] * repeat
    for timed in rounds:
        for name, fn in fns.items():
            t = out[name]
            if t.error is not None:
                continue
            try:
                start = time.perf_counter()
                t.value = fn()
                seconds = time.perf_counter() - start
            except Exception as exc:  # noqa: BLE001
                t.error = f"{type(exc).__name__}: {exc}"
                continue
            if timed:
                t.seconds.append(seconds)
    return out


# ------------------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------------------


def fmt_seconds(seconds: float, digits: int = 3) -> str:
    """Seconds with ``digits`` significant digits (``-`` when missing)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    return f"{seconds:.{digits}g}" if seconds < 10 ** digits else f"{seconds:.0f}"


def fmt_ratio(ratio: float, digits: int = 3) -> str:
    """A ratio as ``1.23x`` (``-`` when missing)."""
    if ratio is None or not math.isfinite(ratio):
        return "-"
    return f"{ratio:.{digits}g}x" if ratio < 10 ** digits else f"{ratio:.0f}x"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]],
                   align: str | None = None) -> str:
    """A padded Markdown table; ``align`` is one of ``l``/``r`` per column (default: left)."""
    rows = [[("" if c is None else str(c)) for c in r] for r in rows]
    cols = len(headers)
    align = (align or "l" * cols).ljust(cols, "l")
    widths = [max([len(headers[j])] + [len(r[j]) for r in rows]) for j in range(cols)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if a == "r" else c.ljust(w)
                  for c, w, a in zip(cells, widths, align, strict=True)]
        return "| " + " | ".join(padded) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                         for w, a in zip(widths, align, strict=True)) + "|"
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


# ------------------------------------------------------------------------------------------------
# machine information and JSON
# ------------------------------------------------------------------------------------------------


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        mod = sys.modules.get(name)
        return getattr(mod, "__version__", None) if mod is not None else None


def _blas_summary(module: Any) -> dict[str, Any]:
    try:
        cfg = module.show_config(mode="dicts")
    except Exception:  # noqa: BLE001 - older versions print only
        return {}
    deps = cfg.get("Build Dependencies", {})
    out = {}
    for key in ("blas", "lapack"):
        dep = deps.get(key, {})
        out[key] = {k: dep.get(k) for k in ("name", "version", "openblas configuration")
                    if dep.get(k) is not None}
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for row in fh:
                if row.startswith("model name"):
                    return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git(args: list[str]) -> str | None:
    try:
        res = subprocess.run(["git", "--no-optional-locks", *args], capture_output=True,
                             text=True, timeout=10, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def machine_info(packages: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, Any]:
    """Machine, BLAS and package versions, load average, date and git commit, for results files.

    Parameters
    ----------
    packages : iterable of str
        Distributions whose versions to record (``None`` when not installed).
    """
    import scipy

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    try:
        load = list(os.getloadavg())
    except OSError:  # pragma: no cover
        load = None
    status = _git(["status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "load_average_1_5_15min": load,
        "thread_env": {k: os.environ[k] for k in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ},
        "blas": {"numpy": _blas_summary(np), "scipy": _blas_summary(scipy)},
        "versions": {name: _version(name) for name in packages},
        "git_commit": _git(["rev-parse", "HEAD"]),
        "git_dirty": None if status is None else bool(status),
    }


def blas_line(info: dict[str, Any]) -> str:
    """One-line summary of :func:`machine_info` for the printed header."""
    def blas(which: str) -> str:
        b = info["blas"].get(which, {}).get("blas", {})
        return f"{b.get('name', '?')} {b.get('version', '')}".strip()

    v = info["versions"]
    load = info["load_average_1_5_15min"]
    load_s = "/".join(f"{x:.2f}" for x in load) if load else "?"
    threads = info.get("thread_env", {}).get("OPENBLAS_NUM_THREADS", "default")
    return (f"{info['date']} | {info['cpu']} | {info['cpus_usable']} usable CPUs "
            f"(load {load_s}) | BLAS threads: {threads} | "
            f"numpy {v.get('numpy')} ({blas('numpy')}), "
            f"scipy {v.get('scipy')} ({blas('scipy')}) | cvxpy {v.get('cvxpy')}, "
            f"osqp {v.get('osqp')}, clarabel {v.get('clarabel')}, ecos {v.get('ecos')}")


def _timing_dict(obj: Any) -> Any:
    """``to_jsonable``'s hook for the objects it does not know: a Timing as its dict."""
    return obj.to_dict() if isinstance(obj, Timing) else str(obj)


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented strict JSON (NaN/inf become null), creating directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from hedgeopt.jsonable import to_jsonable  # hedgeopt's one JSON converter

    path.write_text(json.dumps(to_jsonable(payload, _timing_dict), indent=2, allow_nan=False)
                    + "\n",
                    encoding="utf-8")
    return path
