"""Figures render headless to PNG files of non-trivial size."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.plotting import plot_backtest
from hedgeopt.workflow.backtest import backtest

pytest.importorskip("matplotlib")


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


def test_hedge_paths_and_pnl_gap(data, tmp_path) -> None:
    prices, basket = data
    res = ho.HedgeProblem(prices.iloc[:200], basket.iloc[:200], lam=0.2,
                          constraints=[ho.Budget(), ho.LongOnly()]).solve()
    assert _save(res.plot(), tmp_path / "in_sample.png") > 15_000
    paths = pd.DataFrame({"hedge": prices.iloc[199:] @ res.shares, "basket": basket.iloc[199:]})
    assert _save(ho.plot_hedge(res, paths=paths, title="out of sample"),
                 tmp_path / "oos.png") > 15_000


def test_frontier(data, tmp_path) -> None:
    prices, basket = data
    prob = ho.HedgeProblem(prices, basket, constraints=[ho.Budget(), ho.LongOnly()])
    frontier = prob.frontier([0.0, 0.1, 0.5, 1.0])
    assert _save(ho.plot_frontier(frontier), tmp_path / "frontier.png") > 10_000


def test_backtest_summary(data, tmp_path) -> None:
    prices, basket = data
    cons = [ho.Budget(), ho.LongOnly()]
    bt = backtest(prices, basket, cons, fit_window=120, hold=40, cost_bps=5.0)
    other = backtest(prices, basket, cons, fit_window=120, hold=40, lam=0.5, pnl="price")
    assert _save(bt.plot(), tmp_path / "bt.png") > 20_000
    fig = plot_backtest(bt, others={"lam=0.5": other}, title="two settings")
    assert len(fig.axes) == 3
    assert _save(fig, tmp_path / "bt2.png") > 20_000
