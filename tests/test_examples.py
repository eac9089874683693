"""Every example runs (shrunk with HEDGEOPT_EXAMPLE_QUICK=1) in under a minute and writes its
figures."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hedgeopt as ho

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("name, pngs", [
    ("option_hedge.py", ["option_hedge_oos.png", "option_hedge_backtest.png"]),
    ("lambda_frontier.py", ["lambda_frontier.png"]),
    ("index_tracking_orlib.py", ["orlib1_tuned.png"]),
])
def test_example_runs(name: str, pngs: list[str], tmp_path: Path) -> None:
    if name.startswith("index_tracking") and ho.datasets.orlib_dir() is None:
        pytest.skip("OR-Library data not available")
    env = {**os.environ, "HEDGEOPT_EXAMPLE_QUICK": "1", "HEDGEOPT_EXAMPLE_OUT": str(tmp_path),
           "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], env=env, capture_output=True,
                          text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert elapsed < 60, f"{name} took {elapsed:.1f} s"
    for png in pngs:
        assert (tmp_path / png).stat().st_size > 10_000
    assert proc.stdout.strip()


def test_desk_hedge_example_runs(tmp_path: Path) -> None:
    """examples/desk_hedge.py on the real daily prices: it prints both hedges' cost and
    exposures, within the limits."""
    env_dir = os.environ.get("HEDGEOPT_DAILY", "").strip()
    data = Path(env_dir) if env_dir else EXAMPLES.parents[1] / "shared" / "data" / "daily"
    if not (data / "stock_prices.csv").is_file():
        pytest.skip("the real daily prices (../shared/data/daily) are not available")
    env = {**os.environ, "HEDGEOPT_EXAMPLE_QUICK": "1", "HEDGEOPT_DAILY": str(data)}
    proc = subprocess.run([sys.executable, str(EXAMPLES / "desk_hedge.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert out.count("trading cost $") == 2 and out.count("violations []") == 2
    assert "ES" in out and "multiplier" in out
