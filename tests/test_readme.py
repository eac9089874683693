"""Every ``python`` code block of the README runs as written, in order, in one namespace.

A block may use names defined by an earlier block (as a reader going down the page would have
them); nothing else is defined for it. The Dask book example runs as a script would
(``__name__ == "__main__"``), so its LocalCluster really starts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    out = []
    for m in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        out.append((text[: m.start()].count("\n") + 2, m.group(1)))
    return out


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 4


def test_every_python_block_runs(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEDGEOPT_QUIET", "1")
    namespace: dict = {"__name__": "__main__"}
    for line, code in python_blocks():
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"README.md block at line {line} fails: {type(exc).__name__}: {exc}")
    import matplotlib.pyplot as plt

    plt.close("all")
