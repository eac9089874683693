"""Matplotlib figures (the ``plot`` extra): dollar paths, P&L gap, holdings, lambda frontier,
backtest.

Conventions (as PyPortfolioOpt's ``plotting``):

- every function takes ``ax=`` (one panel: :func:`plot_frontier`) or ``fig=`` (several panels:
  an empty :class:`~matplotlib.figure.Figure` to draw into) and returns what it drew on;
- the matplotlib backend is never changed (headless runs get matplotlib's own fallback, Agg;
  set ``MPLBACKEND`` to choose), and ``show()`` is never called;
- a plot displays exactly once as a notebook cell's last value. A multi-panel function returns
  its :class:`~matplotlib.figure.Figure`; one it created itself is, under the inline backend,
  handed to the caller and let go by pyplot (which would otherwise draw it a second time when
  the cell ends): assigned, it shows where it is displayed (``fig``, ``display(fig)``). A
  one-panel function returns its Axes (a text repr) and leaves the figure with pyplot, which
  draws it once. In scripts every figure stays with pyplot (``plt.show()`` shows it).

The figures read their inputs through the small protocols :class:`HedgeLike` and
:class:`BacktestLike` (a :class:`~hedgeopt.HedgeResult` and a :class:`~hedgeopt.BacktestResult`
are such objects): this module imports nothing of hedgeopt but its exceptions and text formats,
so that the results can offer a lazy ``plot()`` without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from hedgeopt.exceptions import InputError, MissingDependency
from hedgeopt.text import fmt_date, fmt_float, fmt_money, fmt_percent

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["BacktestLike", "HedgeLike", "PLOT_INSTALL", "plot_backtest", "plot_frontier",
           "plot_hedge", "plot_holdings"]

#: The ``pip install`` line of the plot extra (matplotlib).
PLOT_INSTALL = 'pip install "hedgeopt[plot]"'


class HedgeLike(Protocol):
    """What :func:`plot_hedge` and :func:`plot_holdings` read of a hedge (a
    :class:`~hedgeopt.HedgeResult`)."""

    @property
    def solver(self) -> str: ...

    @property
    def metrics(self) -> pd.Series: ...

    @property
    def reference_date(self) -> Any: ...

    @property
    def basket_name(self) -> str: ...

    @property
    def weights(self) -> pd.Series: ...

    def paths(self) -> pd.DataFrame: ...

    def sector_exposure(self, sectors: Any = None) -> pd.DataFrame | None: ...


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
    """:mod:`matplotlib.pyplot` as configured by the user (the backend is left alone), or
    :class:`~hedgeopt.exceptions.MissingDependency` with the pip line of the plot extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependency(
            f"plotting needs matplotlib, which is not installed; install the plot extra: "
            f"{PLOT_INSTALL} (or: pip install matplotlib)", package="matplotlib",
            extra="plot") from None
    return plt


def _figure(plt: Any, fig: Figure | None, **kwargs: Any) -> tuple[Figure, bool]:
    """``fig`` checked to be empty, or a new pyplot figure; and whether it was created here."""
    if fig is None:
        return plt.figure(**kwargs), True
    if fig.axes:
        raise InputError("fig= must be an empty figure (e.g. plt.figure()); this one already "
                         f"has {len(fig.axes)} axes: pass ax= to the one-panel plots instead",
                         field="fig")
    return fig, False


def _hand_over(plt: Any, fig: Figure, created: bool) -> None:
    """Under the inline backend (Jupyter), a figure created here is let go by pyplot, so that it
    displays once, as the returned value, not a second time when the cell ends."""
    if created and "inline" in str(plt.get_backend()).lower():
        plt.close(fig)


def _escape(text: str) -> str:
    """Dollar signs as text, not mathtext delimiters."""
    return text.replace("$", r"\$")


def _fewest_decimals(scaled: np.ndarray) -> int:
    """The fewest decimals (at most 3) that write every value of ``scaled`` exactly."""
    finite = scaled[np.isfinite(scaled)]
    return next((d for d in range(4)
                 if np.allclose(np.round(finite, d), finite, rtol=0, atol=1e-9)), 3)


def _short_money(values: np.ndarray) -> list[str]:
    """Tick labels in dollars (``$250k``, ``$8.25M``, ``−$1.2M``, ``$0``) with the fewest
    decimals that write every tick exactly."""
    finite = values[np.isfinite(values)]
    big = float(np.abs(finite).max()) if finite.size else 0.0
    div, unit = next(((d, u) for d, u in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if big >= d),
                     (1.0, ""))
    decimals = _fewest_decimals(values / div)
    return [_escape(fmt_money(v / div, decimals) + unit if v else "$0") for v in values]


def _short_percent(values: np.ndarray) -> list[str]:
    """Tick labels of data in percent: ``2.5%``, ``10%``, ``−5%``."""
    decimals = _fewest_decimals(values)
    return [fmt_percent(v / 100, decimals) if v else "0%" for v in values]


def _tick_labels(ax: Axes, axis: str, labels: Any) -> None:
    """Major tick labels of ``axis`` written by ``labels`` (array of tick values -> texts)."""
    from matplotlib.ticker import Formatter

    class Labels(Formatter):
        def format_ticks(self, values: Any) -> list[str]:
            out: list[str] = labels(np.asarray(values, dtype=float))
            return out

        def __call__(self, x: float, pos: Any = None) -> str:
            out: str = labels(np.array([x]))[0]
            return out

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(Labels())


def _money_axis(ax: Axes, axis: str = "y") -> None:
    """Dollar tick labels on ``axis`` of data in dollars."""
    _tick_labels(ax, axis, _short_money)


def _percent_axis(ax: Axes, axis: str = "x") -> None:
    """Percent tick labels on ``axis`` of data in percent."""
    _tick_labels(ax, axis, _short_percent)


def plot_hedge(result: HedgeLike, paths: pd.DataFrame | None = None,
               title: str | None = None, fig: Figure | None = None) -> Figure:
    """Hedge vs basket dollar paths, the dollar gap, and the period P&L gap.

    Parameters
    ----------
    result : HedgeLike
        The hedge to draw, e.g. a :class:`~hedgeopt.HedgeResult` (its estimation window by
        default).
    paths : pandas.DataFrame, optional
        Columns ``hedge``, ``basket`` (and optionally ``gap``) on any window, best made by
        ``result.paths(prices, basket)`` (out-of-sample), whose ``attrs["metrics"]`` the title
        quotes; a hand-made frame gets a title without metrics.
    title : str, optional
        Figure title (default: the basket's name, the window and its tracking numbers).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the three panels into (default: a new one).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    p = result.paths() if paths is None else paths
    gap = p["gap"] if "gap" in p else p["hedge"] - p["basket"]
    fig, created = _figure(plt, fig, figsize=(9, 8))
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1, 1]})
    axes[0].plot(p.index, p["basket"], label="basket", color="black", lw=1.2)
    axes[0].plot(p.index, p["hedge"], label="hedge", color="tab:blue", lw=1.0)
    if result.reference_date in p.index:
        axes[0].axvline(result.reference_date, color="grey", ls=":", lw=1,
                        label=f"reference date {fmt_date(result.reference_date)}")
    axes[0].set_ylabel("dollar value")
    axes[0].legend(loc="best", fontsize=8)
    axes[1].plot(p.index, gap, color="tab:red", lw=1.0)
    axes[1].axhline(0, color="grey", lw=0.6)
    axes[1].set_ylabel("value gap")
    pnl_gap = np.diff(gap.to_numpy())
    axes[2].bar(p.index[1:], pnl_gap, color="tab:orange", width=1.0)
    axes[2].axhline(0, color="grey", lw=0.6)
    axes[2].set_ylabel("P&L gap")
    for ax in axes:
        _money_axis(ax)
    fig.suptitle(_escape(title or _hedge_title(result, p, paths is None)), fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    _hand_over(plt, fig, created)
    return fig


def _hedge_title(result: HedgeLike, p: pd.DataFrame, in_sample: bool) -> str:
    name = str(p.attrs.get("basket_name") or result.basket_name)
    where = "in sample" if p.attrs.get("in_sample", in_sample) else "out of sample"
    span = f"{fmt_date(p.index[0])} to {fmt_date(p.index[-1])}" if len(p) else ""
    head = f"{name}: hedge vs basket, {where}, {span} ({result.solver})"
    m = p.attrs.get("metrics", result.metrics if in_sample else None)
    if m is None:
        return head
    return (f"{head}\nP&L gap std {fmt_money(m['pnl_te'])}, value gap std "
            f"{fmt_money(m['value_te'])}, effectiveness {fmt_percent(m['effectiveness'], 1)}, "
            f"{int(m['names'])} names")


def plot_holdings(result: HedgeLike, top: int = 15, sectors: Any = None,
                  fig: Figure | None = None, title: str | None = None) -> Figure:
    """The largest positions (weights) and the net sector exposure against the caps.

    Parameters
    ----------
    result : HedgeLike
        A :class:`~hedgeopt.HedgeResult`.
    top : int
        How many positions to draw, largest absolute weight first.
    sectors : Series or mapping, optional
        Ticker -> sector; default: the map of the result's ``SectorCap`` (without either, only
        the positions are drawn).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw into (default: a new one).
    title : str, optional
        Figure title (default: the basket's name, names held, gross).

    Returns
    -------
    matplotlib.figure.Figure
        Two panels (positions, sectors), or one without a sector map.
    """
    plt = _pyplot()
    if int(top) < 1:
        raise InputError(f"top must be at least 1, got {top}", field="top")
    w = result.weights
    held = w[w != 0]
    shown = held.reindex(held.abs().sort_values(ascending=False).index).head(int(top))[::-1]
    exposure = result.sector_exposure(sectors)
    fig, created = _figure(plt, fig, figsize=(11 if exposure is not None else 6.5,
                                              max(3.5, 0.3 * len(shown) + 1.5)))
    axes = fig.subplots(1, 2 if exposure is not None else 1, squeeze=False)[0]
    colors = np.where(shown.to_numpy() >= 0, "tab:blue", "tab:red")
    axes[0].barh([str(t) for t in shown.index], shown.to_numpy() * 100, color=colors)
    axes[0].axvline(0, color="grey", lw=0.6)
    axes[0].set_xlabel("weight (of notional)")
    _percent_axis(axes[0])
    axes[0].set_title(f"top {len(shown)} of {len(held)} positions", fontsize=9)
    axes[0].tick_params(axis="y", labelsize=8)
    if exposure is not None:
        _sector_panel(axes[1], exposure)
    m = result.metrics
    fig.suptitle(_escape(title or (
        f"{result.basket_name}: {int(m['names'])} names, gross {fmt_money(m['gross'])}")),
        fontsize=10)
    fig.tight_layout()
    _hand_over(plt, fig, created)
    return fig


def _sector_panel(ax: Axes, exposure: pd.DataFrame) -> None:
    ex = exposure.sort_values("weight")
    y = np.arange(len(ex))
    net = ex["weight"].to_numpy(dtype=float) * 100
    ax.barh(y, net, color=np.where(net >= 0, "tab:blue", "tab:red"), height=0.6,
            label="net weight")
    for col, marker, label in (("max", "|", "cap (max)"), ("min", "|", "floor (min)")):
        caps = ex[col].to_numpy(dtype=float) * 100
        ok = np.isfinite(caps)
        if ok.any():
            ax.scatter(caps[ok], y[ok], marker=marker, s=300, linewidths=2.5,
                       color="black" if col == "max" else "grey", label=label, zorder=3)
    ax.set_yticks(y)
    ax.set_yticklabels([str(s) for s in ex.index], fontsize=8)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("net sector weight (of notional)")
    _percent_axis(ax)
    ax.set_title("sector exposure against the caps", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8,
              frameon=False)


def _overlaps(lo: np.ndarray, hi: np.ndarray, boxes: list[tuple[np.ndarray, np.ndarray]]
              ) -> bool:
    return any((lo < b_hi).all() and (b_lo < hi).all() for b_lo, b_hi in boxes)


def _label_points(ax: Axes, x: np.ndarray, y: np.ndarray, texts: list[str],
                  order: list[int], big: int | None = None) -> None:
    """Annotate points (in ``order``) where the label fits inside the axes, is nearer its own
    point than any other and covers neither another label nor a marker (``big``: the index of
    a larger one); a point with no such spot stays unlabelled."""
    px = ax.figure.dpi / 72.0  # display pixels per typographic point
    xy = ax.transData.transform(np.column_stack([x, y]))
    radius = [8.0 if j == big else 3.0 for j in range(len(xy))]  # ``big``: the chosen star
    markers = {j: (p - r * px, p + r * px) for j, (p, r) in enumerate(zip(xy, radius,
                                                                          strict=True))
               if np.isfinite(p).all()}
    box = ax.bbox
    placed: list[tuple[np.ndarray, np.ndarray]] = []
    for i in order:
        if not np.isfinite(xy[i]).all():
            continue
        size = np.array([5.0 * len(texts[i]) + 2, 10.0]) * px   # an 8 pt label, roughly
        pad = 3 + radius[i]
        left = -pad - size[0] / px
        others_boxes = placed + [m for j, m in markers.items() if j != i]
        for dx, dy in ((pad, -4), (pad, 4), (left, -4), (left, 4), (pad, -13), (left, -13)):
            lo = xy[i] + np.array([dx, dy]) * px
            hi = lo + size
            inside = box.x0 <= lo[0] and hi[0] <= box.x1 and box.y0 <= lo[1] and hi[1] <= box.y1
            gap = np.linalg.norm(np.maximum(np.maximum(lo - xy, xy - hi), 0.0), axis=1)
            others = np.delete(gap, i)
            own = not others.size or gap[i] < 0.75 * np.nanmin(others)  # clearly its point
            if inside and own and not _overlaps(lo, hi, others_boxes):
                placed.append((lo, hi))
                ax.annotate(texts[i], (x[i], y[i]), textcoords="offset points",
                            xytext=(dx, dy), fontsize=8)
                break


def plot_frontier(frontier: pd.DataFrame, title: str | None = None, ax: Axes | None = None,
                  chosen: float | None = None, log: bool | None = None) -> Axes:
    """The lambda frontier: std of the P&L gap against std of the value gap, labelled by lam.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The output of :meth:`HedgeProblem.frontier` (columns ``lam``, ``pnl_te``, ``value_te``).
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).
    chosen : float, optional
        The lam to mark (default: the problem's own lam, ``frontier.chosen``, when the table
        has a row there).
    log : bool, optional
        Log axes. Default: an axis is logarithmic when one end dominates it (its values span
        more than a factor 4, as ``lam = 0`` often does for the value gap), so that the other
        points are not squashed into a corner.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    fig: Figure | None = None
    if ax is None:
        fig, _ = _figure(plt, None, figsize=(7, 5))
        ax = fig.add_subplot()
    x = frontier["value_te"].to_numpy(dtype=float)
    y = frontier["pnl_te"].to_numpy(dtype=float)
    lams = frontier["lam"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    spans = [float(v[ok].max() / v[ok].min()) if ok.any() else 1.0 for v in (x, y)]
    logs = [s > 4 for s in spans] if log is None else [bool(log)] * 2
    ax.plot(x, y, "o-", color="tab:blue", ms=4, lw=1)
    for on, set_scale, target in ((logs[0], ax.set_xscale, ax.xaxis),
                                  (logs[1], ax.set_yscale, ax.yaxis)):
        if on:
            from matplotlib.ticker import LogLocator, NullFormatter

            set_scale("log")
            target.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            target.set_minor_formatter(NullFormatter())
    if chosen is None:
        chosen = frontier.attrs.get("chosen_lam")
    if chosen is not None:
        at = np.flatnonzero(np.isclose(lams, float(chosen), rtol=0, atol=1e-12))
        if len(at):
            i = at[0]
            ax.plot(x[i], y[i], marker="*", ms=16, color="tab:red", ls="none", zorder=3,
                    label=f"chosen lam = {fmt_float(chosen)}")
            ax.legend(loc="best", fontsize=8)
    _money_axis(ax, "x")
    _money_axis(ax, "y")
    ax.autoscale_view()
    # labels where they do not overlap: endpoints and the chosen point first, then the rest
    order = sorted(range(len(lams)), key=lambda i: (i not in (0, len(lams) - 1)
                                                     and not (chosen is not None
                                                              and np.isclose(lams[i], chosen))))
    ax.set_xlabel("std of the value gap d" + (" (log scale)" if logs[0] else ""))
    ax.set_ylabel("std of the P&L gap Δd" + (" (log scale)" if logs[1] else ""))
    ax.set_title(_escape(title or "lambda frontier (labels: lam)"), fontsize=10)
    ax.grid(alpha=0.3)
    if fig is not None:  # left with pyplot: the returned Axes has a text repr, drawn once
        fig.tight_layout()
    star = None if chosen is None else next(
        (i for i in range(len(lams)) if np.isclose(lams[i], float(chosen), rtol=0, atol=1e-12)),
        None)
    _label_points(ax, x, y, [fmt_float(v, 2) for v in lams], order, star)  # in the final layout
    return ax


def plot_backtest(result: BacktestLike, others: Mapping[str, BacktestLike] | None = None,
                  label: str = "hedgeopt", title: str | None = None,
                  fig: Figure | None = None) -> Figure:
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
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the three panels into (default: a new one).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    runs = {label: result, **(others or {})}
    fig, created = _figure(plt, fig, figsize=(10, 9))
    axes = fig.subplots(3, 1, gridspec_kw={"height_ratios": [2, 1, 1.3]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, bt) in enumerate(runs.items()):
        net = bt.net_pnl
        axes[0].plot(net.index, net.cumsum().to_numpy(), lw=1.1,
                     color=colors[i % len(colors)], label=name)
    for ref in result.periods["reference"]:
        axes[0].axvline(ref, color="grey", ls=":", lw=0.7)
    axes[0].axhline(0, color="grey", lw=0.6)
    axes[0].set_ylabel("cumulative gap")
    axes[0].set_title("hedge minus basket: cumulative P&L (net of costs); dotted: re-hedge dates",
                      fontsize=9)
    axes[0].legend(loc="best", fontsize=8)
    pnl = result.pnl
    axes[1].bar(pnl.index, pnl.to_numpy(), color="tab:orange", width=1.0)
    axes[1].axhline(0, color="grey", lw=0.6)
    axes[1].set_ylabel("P&L gap")
    k = len(result.periods)
    width = 0.8 / len(runs)
    x = np.arange(k)
    for i, (name, bt) in enumerate(runs.items()):
        vals = bt.periods["pnl_te"].to_numpy(dtype=float)[:k]
        axes[2].bar(x + (i - (len(runs) - 1) / 2) * width, vals, width=width,
                    color=colors[i % len(colors)], label=name)
    labels = [fmt_date(r) for r in result.periods["reference"]]
    step = max(1, int(np.ceil(k / 12)))  # at most ~12 date labels, so they never overlap
    axes[2].set_xticks(x[::step])
    axes[2].set_xticklabels(labels[::step], rotation=30, ha="right", fontsize=7)
    axes[2].set_ylabel("P&L gap std")
    axes[2].set_xlabel("holding period (reference date)")
    if len(runs) > 1:
        axes[2].legend(loc="best", fontsize=8)
    for ax in axes:
        _money_axis(ax)
    s = result.summary
    fig.suptitle(_escape(title or (
        f"backtest: {int(s['periods'])} periods, mean P&L gap std {fmt_money(s['pnl_te'])}, "
        f"mean value gap std {fmt_money(s['value_te'])}, turnover {fmt_money(s['turnover'])}, "
        f"costs {fmt_money(s['costs'])}")), fontsize=10)
    fig.tight_layout()
    _hand_over(plt, fig, created)
    return fig
