"""Walk-forward evaluation: fit on a window, put the hedge on, hold the shares, roll.

A hedge is judged on the days after it is put on. :func:`backtest` fits on ``fit_window`` rows
ending at a reference row, holds the share vector for the next ``hold`` rows, records its dollar
tracking statistics there (exactly :func:`hedgeopt.evaluate` on that window), and rolls forward by
``step`` rows. Every fit re-uses one :class:`~hedgeopt.problem.HedgeProblem` through
:meth:`~hedgeopt.problem.HedgeProblem.update_data` (same window length: new parameter values, no
recompilation). Optionally each re-hedge is limited by a :class:`~hedgeopt.Turnover` against the
shares held and pays linear transaction costs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.constraints.budget import Budget
from hedgeopt.constraints.trading import Turnover
from hedgeopt.context import HedgeContext, validate_lam, validate_pnl
from hedgeopt.defaults import DEFAULT_LAM, DEFAULT_PNL
from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.exceptions import InputError
from hedgeopt.metrics import window_metrics
from hedgeopt.progress import progress
from hedgeopt.regularization import Penalty, Ridge
from hedgeopt.text import fmt_count, fmt_date, fmt_float, fmt_money, fmt_seconds
from hedgeopt.validation import as_int, check_number
from hedgeopt.workflow.fitting import (
    average_fits,
    fit_with,
    make_problem,
    ridge_scale,
    update_problem,
)
from hedgeopt.workflow.tuning import tune

__all__ = ["BacktestResult", "backtest"]


@dataclass
class BacktestResult:
    """The outcome of :func:`backtest`.

    Attributes
    ----------
    periods : pandas.DataFrame
        One row per holding period: ``fit_start``, ``reference`` (date the hedge is put on),
        ``end`` (last date of the hold), ``rows`` (P&L periods held), ``pnl_te`` / ``value_te``
        (std of the $ P&L gap / $ value gap over the hold, ddof=1), ``rms_gap``, ``final_gap``,
        ``max_abs_gap`` ($), ``effectiveness``, ``names``, ``gross`` ($ at the reference
        date), ``turnover`` ($ traded at reference prices), ``costs`` ($), the parameters used
        (``lam``, ``ridge``, ``half_life``, ``window``, ``pnl``), ``solver`` and
        ``fit_seconds``. The tracking columns equal ``ho.evaluate(shares, prices[reference:end],
        basket[reference:end])``.
    holdings : pandas.DataFrame
        Shares put on at each reference date (rows: reference dates, columns: tickers).
    pnl : pandas.Series
        Hedge minus basket dollar P&L on every row after the first reference date, with the
        shares held on that row (the latest hedge put on before it); costs excluded.
    costs : pandas.Series
        Transaction costs paid on each reference date ($, >= 0).
    """

    periods: pd.DataFrame
    holdings: pd.DataFrame
    pnl: pd.Series
    costs: pd.Series
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def net_pnl(self) -> pd.Series:
        """``pnl`` less the transaction costs (charged on the row after each re-hedge)."""
        net = self.pnl.copy()
        for date, c in self.costs.items():
            pos = self.pnl.index.searchsorted(date, side="right")
            if pos < len(net):
                net.iloc[pos] -= c
        return net.rename("net_pnl")

    @property
    def summary(self) -> pd.Series:
        """Aggregates over the periods.

        ``pnl_te`` / ``value_te``: mean of the periods' values; ``*_geo``: geometric means;
        ``pnl_std``: std of the whole ``pnl`` series; ``cum_gap``: sum of ``net_pnl``;
        ``turnover`` and ``costs``: totals; ``fit_seconds``: total.
        """
        p = self.periods

        def geo(s: pd.Series) -> float:
            return float(np.exp(np.mean(np.log(s)))) if len(s) and (s > 0).all() else np.nan

        return pd.Series({
            "periods": len(p),
            "pnl_te": float(p["pnl_te"].mean()),
            "value_te": float(p["value_te"].mean()),
            "pnl_te_geo": geo(p["pnl_te"]),
            "value_te_geo": geo(p["value_te"]),
            "rms_gap": float(p["rms_gap"].mean()),
            "mean_abs_final_gap": float(p["final_gap"].abs().mean()),
            "pnl_std": float(self.pnl.std(ddof=1)) if len(self.pnl) > 1 else np.nan,
            "cum_gap": float(self.net_pnl.sum()),
            "names": float(p["names"].mean()),
            "turnover": float(p["turnover"].sum()),
            "costs": float(p["costs"].sum()),
            "fit_seconds": float(p["fit_seconds"].sum()),
        }, name="summary")

    def plot(self, **kwargs: Any) -> Any:
        """Backtest summary figure (see :func:`hedgeopt.reporting.plots.plot_backtest`)."""
        from hedgeopt.reporting.plots import plot_backtest

        return plot_backtest(self, **kwargs)

    #: Columns of ``periods`` shown in the reprs.
    SHOWN = ("reference", "end", "rows", "pnl_te", "value_te", "final_gap", "effectiveness",
             "names", "turnover", "costs", "lam")

    def _facts(self) -> list[tuple[str, str]]:
        s = self.summary
        p = self.periods
        span = (f"{fmt_date(p['reference'].iloc[0])} to {fmt_date(p['end'].iloc[-1])}"
                if len(p) else "no periods")
        return [
            ("periods", f"{fmt_count(s['periods'])} ({span}), {fmt_seconds(self.seconds)}"),
            ("mean P&L gap std", fmt_money(s["pnl_te"])),
            ("mean value gap std", fmt_money(s["value_te"])),
            ("cumulative gap (net)", fmt_money(s["cum_gap"])),
            ("mean |final gap|", fmt_money(s["mean_abs_final_gap"])),
            ("names (mean)", fmt_float(s["names"], 3)),
            ("turnover, costs", f"{fmt_money(s['turnover'])}, {fmt_money(s['costs'])}"),
        ]

    def _table(self) -> list[tuple[str, pd.DataFrame]]:
        cols = [c for c in self.SHOWN if c in self.periods.columns]
        return [("holding periods", format_frame(self.periods[cols]))]

    def __repr__(self) -> str:
        return text_block("BacktestResult", self._facts(), self._table())

    def _repr_html_(self) -> str:
        return html_block("BacktestResult", self._facts(), self._table())




def _budget_distance(cons: list[Any], held: np.ndarray, ctx: HedgeContext) -> float:
    """Least turnover ($) any hedge needs to meet the Budget constraints from ``held``."""
    value = float(held @ ctx.p_ref)
    need = 0.0
    for c in cons:
        if isinstance(c, Budget):
            target = c.target(ctx)
            lo, hi = (1.0, 1.0) if c.band is None else c.band
            need = max(need, lo * target - value, value - hi * target)
    return max(need, 0.0)


def backtest(prices: pd.DataFrame, basket: pd.Series, constraints: Iterable[Any] = (), *,
             lam: float = DEFAULT_LAM, ridge: float = 0.0, penalties: Iterable[Penalty] = (),
             fit_window: int = 504, hold: int = 126, step: int | None = None,
             start: int | None = None, half_life: float | None = None,
             window: int | None = None, pnl: str = DEFAULT_PNL, prior: Any = None,
             rehedge: float | None = None, cost_bps: float = 0.0,
             tuner: bool | dict[str, Any] | None = None, solver: str | None = None,
             quiet: bool | None = None) -> BacktestResult:
    """Walk-forward backtest of buy-and-hold share hedges.

    Parameters
    ----------
    prices, basket : pandas.DataFrame, pandas.Series
        The whole history (dates x tickers; basket dollars).
    constraints : iterable
        Constraints (and fixed penalties) of every fit, e.g. ``[ho.Budget(), ho.LongOnly()]``.
    lam, ridge, half_life, window, pnl, prior
        Fit settings, as in :func:`hedgeopt.tune` (``ridge`` is relative, see
        :func:`hedgeopt.workflow.fitting.ridge_scale`; ``window`` fits on the last ``window``
        rows of each fit window). ``ho.backtest(..., **tune_result.best)`` replays a tuned
        setting.
    penalties : iterable of Penalty
        Extra fixed penalty terms.
    fit_window : int
        Rows of each fit (the reference row included).
    hold : int
        P&L periods each hedge is evaluated over (rows ``reference .. reference + hold``).
    step : int, optional
        Rows between consecutive reference dates (default ``hold``). With ``step < hold`` the
        evaluation windows overlap; ``pnl`` always uses the latest hedge.
    start : int, optional
        Row of the first reference date (default ``fit_window - 1``).
    rehedge : float, optional
        Turnover limit ($, at reference prices) of every re-hedge after the first: the new hedge
        is fitted with ``Turnover(current=shares held, max_dollars=rehedge)``. None: trade
        straight to each new optimum. If the limit cannot meet a Budget, it is raised to the
        least turnover that can (``turnover_relaxed`` in ``periods``).
    cost_bps : float
        Linear transaction costs in basis points of the dollars traded (the first hedge is
        bought from zero and pays too).
    tuner : bool or dict, optional
        Choose the settings in every period by :func:`hedgeopt.tune` on that period's fit window
        only (True: tune's defaults; a dict: keyword arguments of tune). The fixed ``lam``,
        ``ridge``, ... are then ignored.
    solver : str, optional
        Backend of every solve.

    Returns
    -------
    BacktestResult
    """
    t_start = time.perf_counter()
    base = HedgeContext(prices, basket)
    P_all, B_all = base.prices, base.basket
    T = base.n_obs
    fit_window = as_int(fit_window, "fit_window", lo=3)
    hold = as_int(hold, "hold", lo=1)
    step = hold if step is None else as_int(step, "step", lo=1)
    start = fit_window - 1 if start is None else as_int(start, "start", lo=2)
    if start < 2 or start > T - 2:
        raise InputError(f"start row {start} leaves no fit window or no holding period in "
                         f"{T} rows", field="start")
    if start - fit_window + 1 < 0:
        raise InputError(f"fit_window {fit_window} does not fit before the first reference row "
                         f"{start}", field="fit_window")
    if window is not None:
        window = as_int(window, "window", lo=3)
    lam = validate_lam(lam)
    validate_pnl(pnl)
    check_number(ridge, "ridge", lo=0)
    if rehedge is not None:
        check_number(rehedge, "rehedge", lo=0)
    check_number(cost_bps, "cost_bps", lo=0)
    tune_kwargs: dict[str, Any] | None = None
    if tuner is True:
        tune_kwargs = {}
    elif isinstance(tuner, dict):
        tune_kwargs = dict(tuner)
    elif tuner not in (None, False):
        raise InputError("tuner must be None, True or a dict of ho.tune keyword arguments",
                         field="tuner")

    cons_all = list(constraints)
    fixed = [c for c in cons_all if isinstance(c, Penalty)] + list(penalties)
    cons = [c for c in cons_all if not isinstance(c, Penalty)]
    refs = list(range(start, T - 1, step))
    P_np, B_np = base.P, base.B
    n_assets = base.n_assets

    held = np.zeros(n_assets)
    turnover_c: Turnover | None = None
    ridge_term = Ridge(0.0, prior=prior)
    prob = None
    rows, holdings = [], []
    book = np.full(T, np.nan)
    for k, ref in enumerate(progress(refs, desc="backtest", quiet=quiet)):
        fit_lo = ref - fit_window + 1
        if window is not None:
            fit_lo = max(fit_lo, ref - window + 1)
        fit_P, fit_B = P_all.iloc[fit_lo:ref + 1], B_all.iloc[fit_lo:ref + 1]
        t0 = time.perf_counter()
        relaxed = False
        if tune_kwargs is not None:
            tr = tune(fit_P, fit_B, [*cons, *fixed], prior=prior, solver=solver,
                      refit=rehedge is None or k == 0, **tune_kwargs)
            params = dict(tr.best)
            params.pop("ridge_strength", None)
            if rehedge is None or k == 0:
                res = tr.result
            else:  # refit every member under the turnover limit (averages keep it: convex)
                turnover_c = Turnover(pd.Series(held, index=base.tickers), rehedge)
                ctx = HedgeContext(fit_P, fit_B)
                need = _budget_distance(cons, held, ctx)
                if need > rehedge:
                    turnover_c.max_dollars, relaxed = need * (1 + 1e-6) + 1e-9 * ctx.notional, True
                fits = [fit_with(fit_P, fit_B, [*cons, *fixed, turnover_c], m, prior=prior,
                                 solver=solver) for m in tr.members]
                res = average_fits(fits, tr.members)
        else:
            params = {"lam": lam, "ridge": float(ridge), "half_life": half_life,
                      "window": window, "pnl": pnl}
            if prob is None:
                prob = make_problem(fit_P, fit_B, lam=lam, half_life=half_life, pnl=pnl,
                                    constraints=[*cons, *fixed, ridge_term])
            else:
                update_problem(prob, fit_P, fit_B)
            if rehedge is not None and k > 0:
                current = pd.Series(held, index=base.tickers)
                if turnover_c is None:
                    turnover_c = Turnover(current, rehedge)
                    prob.add(turnover_c)
                else:
                    turnover_c.current = current
                    turnover_c.max_dollars = rehedge
                need = _budget_distance(cons, held, prob.ctx)
                if need > rehedge:
                    turnover_c.max_dollars = need * (1 + 1e-6) + 1e-9 * prob.ctx.notional
                    relaxed = True
                turnover_c.update(prob.ctx)  # new holdings / limit: refresh the parameters
            ridge_term.strength = float(ridge) * ridge_scale(prob) if ridge else 0.0
            res = prob.solve(solver)
        fit_seconds = time.perf_counter() - t0
        shares = res.shares.reindex(base.tickers).fillna(0.0).to_numpy()
        end = min(ref + hold, T - 1)
        m = window_metrics(shares, P_np[ref:end + 1], B_np[ref:end + 1], ref=0)
        traded = float(np.abs(shares - held) @ P_np[ref])
        cost = traded * cost_bps * 1e-4
        nxt = refs[k + 1] if k + 1 < len(refs) else end  # held until the next re-hedge
        seg = slice(ref + 1, nxt + 1)
        book[seg] = np.diff(P_np[ref:nxt + 1] @ shares) - np.diff(B_np[ref:nxt + 1])
        row = {
            "fit_start": base.dates[fit_lo], "reference": base.dates[ref], "end": base.dates[end],
            "rows": end - ref,  # a one-row hold has no std: pnl_te, value_te ... are NaN
            **{c: float(m[c]) for c in ("pnl_te", "value_te", "rms_gap", "final_gap",
                                        "max_abs_gap", "effectiveness", "gross")},
            "names": int(m["names"]),
        }
        row.update({"turnover": traded, "costs": cost, "turnover_relaxed": relaxed,
                    **params, "solver": res.solver, "fit_seconds": fit_seconds})
        rows.append(row)
        holdings.append(shares)
        held = shares
    periods = pd.DataFrame(rows)
    ref_dates = pd.Index([base.dates[r] for r in refs], name="reference")
    hold_frame = pd.DataFrame(np.array(holdings), index=ref_dates, columns=base.tickers)
    valid = ~np.isnan(book)
    pnl_series = pd.Series(book[valid], index=base.dates[valid], name="pnl")
    costs = pd.Series(periods["costs"].to_numpy(), index=ref_dates, name="costs")
    settings = {"fit_window": fit_window, "hold": hold, "step": step, "start": start,
                "rehedge": rehedge, "cost_bps": cost_bps, "tuner": tune_kwargs,
                "lam": lam, "ridge": ridge, "half_life": half_life, "window": window,
                "pnl": pnl}
    return BacktestResult(periods=periods, holdings=hold_frame, pnl=pnl_series, costs=costs,
                          settings=settings, seconds=time.perf_counter() - t_start)
