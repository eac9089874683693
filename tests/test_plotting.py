"""Figures render headless to PNG files of non-trivial size; without matplotlib the error is
MissingDependency with the pip line of the plot extra."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

import hedgeopt as ho
import hedgeopt.reporting.plots as plots
from hedgeopt.exceptions import MissingDependency
from hedgeopt.reporting.plots import plot_backtest
from hedgeopt.workflow.backtest import backtest

needs_mpl = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                               reason="matplotlib not installed")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=12, n_days=260, n_basket=10,
                                                     seed=4)
    return prices, basket


def _save(fig, path: Path) -> int:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=60)
    plt.close(fig)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path.stat().st_size


@needs_mpl
def test_hedge_paths_and_pnl_gap(data, tmp_path) -> None:
    prices, basket = data
    res = ho.HedgeProblem(prices.iloc[:200], basket.iloc[:200], lam=0.2,
                          constraints=[ho.Budget(), ho.LongOnly()]).solve()
    assert _save(res.plot(), tmp_path / "in_sample.png") > 15_000
    paths = pd.DataFrame({"hedge": prices.iloc[199:] @ res.shares, "basket": basket.iloc[199:]})
    assert _save(ho.plot_hedge(res, paths=paths, title="out of sample"),
                 tmp_path / "oos.png") > 15_000


@needs_mpl
def test_frontier(data, tmp_path) -> None:
    prices, basket = data
    prob = ho.HedgeProblem(prices, basket, constraints=[ho.Budget(), ho.LongOnly()])
    frontier = prob.frontier([0.0, 0.1, 0.5, 1.0])
    assert _save(ho.plot_frontier(frontier), tmp_path / "frontier.png") > 10_000


@needs_mpl
def test_backtest_summary(data, tmp_path) -> None:
    prices, basket = data
    cons = [ho.Budget(), ho.LongOnly()]
    bt = backtest(prices, basket, cons, fit_window=120, hold=40, cost_bps=5.0)
    other = backtest(prices, basket, cons, fit_window=120, hold=40, lam=0.5, pnl="price")
    assert _save(bt.plot(), tmp_path / "bt.png") > 20_000
    fig = plot_backtest(bt, others={"lam=0.5": other}, title="two settings")
    assert len(fig.axes) == 3
    assert _save(fig, tmp_path / "bt2.png") > 20_000


def test_without_matplotlib_plots_raise_missing_dependency(monkeypatch) -> None:
    frontier = pd.DataFrame({"lam": [0.0, 1.0], "pnl_te": [1.0, 2.0], "value_te": [2.0, 1.0]})
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependency, match=r'pip install "hedgeopt\[plot\]"') as err:
        ho.plot_frontier(frontier)
    assert (err.value.package, err.value.extra) == ("matplotlib", "plot")
    assert isinstance(err.value, ImportError) and not isinstance(err.value, ho.SolverNotAvailable)


def test_the_plots_module_imports_nothing_of_hedgeopt_but_its_exceptions() -> None:
    """The results' lazy plot() accessors point up to this module: it must not point back."""
    tree = ast.parse(Path(plots.__file__).read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {n for n in names if n and n.startswith("hedgeopt")} == {"hedgeopt.exceptions"}
