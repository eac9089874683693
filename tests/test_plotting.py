"""Figures render headless to PNG files of non-trivial size; without matplotlib the error is
MissingDependency with the pip line of the plot extra."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
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
    assert _save(ho.plot_frontier(frontier).figure, tmp_path / "frontier.png") > 10_000


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
    """The results' lazy plot() accessors point up to this module: it must not point back
    (the text formats are the bottom layer, they import nothing of hedgeopt)."""
    tree = ast.parse(Path(plots.__file__).read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {n for n in names if n and n.startswith("hedgeopt")} == {"hedgeopt.exceptions",
                                                                    "hedgeopt.text"}


# -- ax= / fig=, return values, backend, display ---------------------------------------------


@pytest.fixture(scope="module")
def solved(data):
    prices, basket = data
    sectors = pd.Series(["a", "b", "c"] * 4, index=prices.columns)
    prob = ho.HedgeProblem(prices.iloc[:200], basket.iloc[:200].rename("test basket"), lam=0.2,
                           constraints=[ho.Budget(), ho.LongOnly(),
                                        ho.SectorCap(sectors, max_weight=0.4)])
    return prob, prob.solve()


@needs_mpl
def test_plots_draw_on_what_they_are_given_and_return_it(solved, data) -> None:
    import matplotlib.pyplot as plt

    prob, res = solved
    fig = plt.figure()
    assert res.plot(fig=fig) is fig and len(fig.axes) == 3
    with pytest.raises(ho.InputError, match="empty figure"):
        res.plot(fig=fig)
    fig2 = plt.figure()
    assert res.plot_holdings(top=5, fig=fig2) is fig2 and len(fig2.axes) == 2
    _, ax = plt.subplots()
    frontier = prob.frontier([0.0, 0.5, 1.0], quiet=True)
    assert ho.plot_frontier(frontier, ax=ax) is ax
    plt.close("all")


@needs_mpl
def test_plots_never_change_the_backend(solved, monkeypatch) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    prob, res = solved
    before = matplotlib.get_backend()

    def forbidden(*args, **kwargs):
        raise AssertionError("plotting switched the matplotlib backend")

    monkeypatch.setattr(matplotlib, "use", forbidden)
    monkeypatch.setattr(plt, "switch_backend", forbidden)
    monkeypatch.delenv("DISPLAY", raising=False)
    res.plot()
    res.plot_holdings()
    ho.plot_frontier(prob.frontier([0.0, 1.0], quiet=True))
    assert matplotlib.get_backend() == before
    plt.close("all")


@needs_mpl
def test_under_the_inline_backend_a_created_figure_is_left_to_the_caller(solved,
                                                                         monkeypatch) -> None:
    """Jupyter draws every figure pyplot holds at the end of a cell, and the returned figure
    again as the cell's value: the figures made here must not stay with pyplot there."""
    import matplotlib.pyplot as plt

    _, res = solved
    plt.close("all")
    kept = res.plot()
    assert kept.number in plt.get_fignums()  # scripts: plt.show() shows it
    monkeypatch.setattr(plt, "get_backend", lambda: "module://matplotlib_inline.backend_inline")
    fig = res.plot()
    assert fig.number not in plt.get_fignums() and len(fig.axes) == 3
    mine = plt.figure()
    assert res.plot_holdings(fig=mine).number in plt.get_fignums()  # the caller's: untouched
    plt.close("all")


@needs_mpl
def test_out_of_sample_plot_quotes_out_of_sample_numbers(solved, data) -> None:
    import matplotlib.pyplot as plt

    prices, basket = data
    _, res = solved
    fig = res.plot(prices.iloc[199:], basket.iloc[199:])
    title = fig.texts[0].get_text()
    m = ho.evaluate(res.shares, prices.iloc[199:], basket.iloc[199:])
    assert title.startswith("test basket: hedge vs basket, out of sample")
    assert f"P&L gap std \\${m['pnl_te']:,.0f}" in title
    paths = res.paths(prices.iloc[199:], basket.iloc[199:])
    np.testing.assert_allclose(paths["hedge"], prices.iloc[199:] @ res.shares)
    np.testing.assert_allclose(paths["gap"], paths["hedge"] - basket.iloc[199:])
    assert res.plot().texts[0].get_text().startswith("test basket: hedge vs basket, in sample")
    plt.close("all")


@needs_mpl
def test_holdings_bars_are_the_weights_and_the_caps(solved) -> None:
    import matplotlib.pyplot as plt

    _, res = solved
    fig = res.plot_holdings(top=4)
    left, right = fig.axes
    widths = sorted((p.get_width() for p in left.patches), key=abs, reverse=True)
    expect = res.weights[res.weights != 0].abs().sort_values(ascending=False).head(4) * 100
    np.testing.assert_allclose(np.abs(widths), expect.to_numpy())
    exposure = res.sector_exposure()
    net = sorted(p.get_width() for p in right.patches)
    np.testing.assert_allclose(net, np.sort(exposure["weight"].to_numpy() * 100))
    caps = right.collections[0].get_offsets()[:, 0]
    np.testing.assert_allclose(caps, 40.0)
    plt.close("all")


@needs_mpl
def test_frontier_marks_the_chosen_lam_and_goes_log_when_one_end_dominates() -> None:
    import matplotlib.pyplot as plt

    frontier = pd.DataFrame({"lam": [0.0, 0.1, 0.5, 1.0], "pnl_te": [1.0, 1.1, 1.2, 1.3],
                             "value_te": [50.0, 3.0, 2.5, 2.4]})
    frontier.attrs["chosen_lam"] = 0.5
    ax = ho.plot_frontier(frontier)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1 and tuple(stars[0].get_xydata()[0]) == (2.5, 1.2)
    assert ho.plot_frontier(frontier, log=False).get_xscale() == "linear"
    plt.close("all")
