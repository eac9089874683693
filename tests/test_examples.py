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


# -- the notebook ----------------------------------------------------------------------------

ROOT = EXAMPLES.parent


def _run_notebook(nb, tmp_path: Path, **env_over: str):
    """Execute ``nb`` in a fresh Jupyter kernel (nbclient) importing this checkout, with the
    inline backend (no MPLBACKEND), neither CI nor HEDGEOPT_QUIET set unless given."""
    nbclient = pytest.importorskip("nbclient")
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "HEDGEOPT_QUIET", "MPLBACKEND")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(env_over)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    return nb


def _outputs(cell, kind: str) -> list:
    return [o for o in cell.outputs if kind in o.get("data", {})]


def test_hedging_tour_notebook(tmp_path: Path) -> None:
    """Every plot cell shows exactly one image, every result cell an HTML repr, the tuning
    cell a progress bar (stderr is no terminal in a kernel), and nothing raises."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(EXAMPLES / "hedging_tour.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    _run_notebook(nb, tmp_path)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    tagged = {t: [c for c in cells if t in c.metadata.get("tags", [])]
              for t in ("plot", "result", "progress")}
    assert len(tagged["plot"]) >= 5 and len(tagged["result"]) >= 6 and tagged["progress"]
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    for cell in tagged["plot"]:
        assert len(_outputs(cell, "image/png")) == 1, cell.source
    for cell in tagged["result"]:
        html = _outputs(cell, "text/html")
        assert len(html) == 1 and "<table" in html[0]["data"]["text/html"], cell.source
        assert not _outputs(cell, "image/png"), cell.source
    for cell in tagged["progress"]:
        err = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        assert "100%" in err, cell.source
    for cell in tagged["result"]:  # units: no numpy float noise, no midnight timestamps
        text = _outputs(cell, "text/html")[0]["data"]["text/html"]
        assert "00:00:00" not in text and "$-" not in text, cell.source


def test_progress_is_silent_in_a_kernel_under_hedgeopt_quiet(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("ipykernel")
    src = ("from hedgeopt.progress import enabled, in_kernel, progress\n"
           "print(in_kernel(), enabled(), sum(progress(range(3), desc='quiet')))")
    for env, drawn in (({"HEDGEOPT_QUIET": "1"}, False), ({"CI": "true"}, False), ({}, True)):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
        _run_notebook(nb, tmp_path, **env)
        (cell,) = nb.cells
        out = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
        err = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        assert out.split() == ["True", str(drawn), "3"], env
        assert ("quiet" in err) is drawn, env
