"""Matplotlib figures (the ``plot`` extra): dollar paths, P&L gap, lambda frontier.

Every function returns the :class:`matplotlib.figure.Figure` and never calls ``show()``, so it
works headless (CI, reports) and in notebooks alike.

The figures read their inputs through the small protocols :class:`HedgeLike` and
:class:`BacktestLike` (a :class:`~hedgeopt.HedgeResult` and a :class:`~hedgeopt.BacktestResult`
are such objects): this module imports nothing of hedgeopt but its exceptions, so that the
results can offer a lazy ``plot()`` without an import cycle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from hedgeopt.exceptions import MissingDependency

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["BacktestLike", "HedgeLike", "PLOT_INSTALL", "plot_backtest", "plot_frontier",
           "plot_hedge"]

#: The ``pip install`` line of the plot extra (matplotlib).
PLOT_INSTALL = 'pip install "hedgeopt[plot]"'


class HedgeLike(Protocol):
    """What :func:`plot_hedge` reads of a hedge (a :class:`~hedgeopt.HedgeResult`)."""

    @property
    def solver(self) -> str: ...

    @property
    def metrics(self) -> pd.Series: ...

    @property
    def reference_date(self) -> Any: ...

    def paths(self) -> pd.DataFrame: ...


class BacktestLike(Protocol):
    """What :func:`plot_backtest` reads of a backtest (a :class:`~hedgeopt.BacktestResult`)."""

    @property
    def periods(self) -> pd.DataFrame: ...

    @property
    def pnl(self) -> pd.Series: ...

    @property
    def net_pnl(self) -> pd.Series: ...

    @property
    def summary(self) -> pd.Series: ...


def _pyplot() -> Any:
    """:mod:`matplotlib.pyplot` (the Agg backend without a display), or
    :class:`~hedgeopt.exceptions.MissingDependency` with the pip line of the plot extra."""
    try:
        import matplotlib

        if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
            if not os.environ.get("DISPLAY") and os.name != "nt":
                matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependency(
            f"plotting needs matplotlib, which is not installed; install the plot extra: "
            f"{PLOT_INSTALL} (or: pip install matplotlib)", package="matplotlib",
            extra="plot") from None
    return plt


def _escape(text: str) -> str:
    """Dollar signs as text, not mathtext delimiters."""
    return text.replace("$", r"\$")


def plot_hedge(result: HedgeLike, paths: pd.DataFrame | None = None,
               title: str | None = None) -> Figure:
    """Hedge vs basket dollar paths, the dollar gap, and the period P&L gap.

    Parameters
    ----------
    result : HedgeLike
        The hedge to draw, e.g. a :class:`~hedgeopt.HedgeResult` (its estimation window by
        default).
    paths : pandas.DataFrame, optional
        Columns ``hedge``, ``basket`` (and optionally ``gap``) on any window, e.g. out-of-sample.
    title : str, optional
        Figure title.
    """
    plt = _pyplot()
    p = result.paths() if paths is None else paths
    gap = p["gap"] if "gap" in p else p["hedge"] - p["basket"]
    fig: Figure
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True,
                             gridspec_kw={"height_ratios": [2, 1, 1]})
    axes[0].plot(p.index, p["basket"] / 1e6, label="basket", color="black", lw=1.2)
    axes[0].plot(p.index, p["hedge"] / 1e6, label="hedge", color="tab:blue", lw=1.0)
    if result.reference_date in p.index:
        axes[0].axvline(result.reference_date, color="grey", ls=":", lw=1, label="reference date")
    axes[0].set_ylabel(_escape("$M"))
    axes[0].legend(loc="best")
    axes[1].plot(p.index, gap / 1e3, color="tab:red", lw=1.0)
    axes[1].axhline(0, color="grey", lw=0.6)
    axes[1].set_ylabel(_escape("value gap $k"))
    pnl_gap = np.diff(gap.to_numpy())
    axes[2].bar(p.index[1:], pnl_gap / 1e3, color="tab:orange", width=1.0)
    axes[2].set_ylabel(_escape("P&L gap $k"))
    m = result.metrics
    fig.suptitle(_escape(title or (
        f"{result.solver}: P&L gap std ${m['pnl_te']:,.0f}, value gap std ${m['value_te']:,.0f}, "
        f"effectiveness {m['effectiveness']:.1%}, {int(m['names'])} names")), fontsize=10)
    fig.tight_layout()
    return fig


def plot_frontier(frontier: pd.DataFrame, title: str | None = None) -> Figure:
    """The lambda frontier: std of the P&L gap against std of the value gap, labelled by lam.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The output of :meth:`HedgeProblem.frontier` (columns ``lam``, ``pnl_te``, ``value_te``).
    """
    plt = _pyplot()
    fig: Figure
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.plot(frontier["value_te"] / 1e3, frontier["pnl_te"] / 1e3, "o-", color="tab:blue")
    for _, row in frontier.iterrows():
        ax.annotate(f"{row['lam']:.2g}", (row["value_te"] / 1e3, row["pnl_te"] / 1e3),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel(_escape("std of the $ value gap ($k)"))
    ax.set_ylabel(_escape("std of the $ P&L gap ($k)"))
    ax.set_title(_escape(title or "lambda frontier (labels: lam)"))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_backtest(result: BacktestLike, others: Mapping[str, BacktestLike] | None = None,
                  label: str = "hedgeopt", title: str | None = None) -> Figure:
    """Walk-forward backtest summary: cumulative $ gap, per-row $ P&L gap, per-period errors.

    Parameters
    ----------
    result : BacktestLike
        The output of :func:`hedgeopt.backtest`.
    others : dict of str to BacktestLike, optional
        Other backtests on the same dates to compare against (e.g. another setting or a peer),
        drawn in the top and bottom panels.
    label : str
        Legend label of ``result``.
    title : str, optional
        Figure title.
    """
    plt = _pyplot()
    runs = {label: result, **(others or {})}
    fig: Figure
    fig, axes = plt.subplots(3, 1, figsize=(10, 9), gridspec_kw={"height_ratios": [2, 1, 1.3]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, bt) in enumerate(runs.items()):
        net = bt.net_pnl
        axes[0].plot(net.index, net.cumsum().to_numpy() / 1e3, lw=1.1,
                     color=colors[i % len(colors)], label=name)
    for ref in result.periods["reference"]:
        axes[0].axvline(ref, color="grey", ls=":", lw=0.7)
    axes[0].axhline(0, color="grey", lw=0.6)
    axes[0].set_ylabel(_escape("cumulative gap $k"))
    axes[0].set_title(_escape("hedge minus basket: cumulative $ P&L (net of costs); "
                              "dotted: re-hedge dates"), fontsize=9)
    axes[0].legend(loc="best", fontsize=8)
    pnl = result.pnl
    axes[1].bar(pnl.index, pnl.to_numpy() / 1e3, color="tab:orange", width=1.0)
    axes[1].axhline(0, color="grey", lw=0.6)
    axes[1].set_ylabel(_escape("P&L gap $k"))
    k = len(result.periods)
    width = 0.8 / len(runs)
    x = np.arange(k)
    for i, (name, bt) in enumerate(runs.items()):
        vals = bt.periods["pnl_te"].to_numpy(dtype=float)[:k] / 1e3
        axes[2].bar(x + (i - (len(runs) - 1) / 2) * width, vals, width=width,
                    color=colors[i % len(colors)], label=name)
    labels = [str(r.date()) if hasattr(r, "date") else str(r)
              for r in result.periods["reference"]]
    axes[2].set_xticks(x)
    axes[2].set_xticklabels(labels, rotation=30, ha="right", fontsize=7)
    axes[2].set_ylabel(_escape("P&L gap std $k"))
    axes[2].set_xlabel("holding period (reference date)")
    if len(runs) > 1:
        axes[2].legend(loc="best", fontsize=8)
    s = result.summary
    fig.suptitle(_escape(title or (
        f"backtest: {int(s['periods'])} periods, mean P&L gap std ${s['pnl_te']:,.0f}, mean "
        f"value gap std ${s['value_te']:,.0f}, turnover ${s['turnover']:,.0f}, "
        f"costs ${s['costs']:,.0f}")), fontsize=10)
    fig.tight_layout()
    return fig
