"""Honest model selection: walk-forward validation inside the estimation window.

A hedge is judged on the days after it is put on. :func:`tune` therefore scores every candidate
setting (``lam``, ridge strength, half-life, window length, P&L measure) the way it will be used:
fit on the data up to a date, put the hedge on at that date, hold the shares, and measure the
dollar tracking error over the next ``hold`` rows. The folds are walk-forward *inside* the window
passed in: nothing after its last row is ever read, so the last row can be today.

Re-solves go through parameters: one :class:`~hedgeopt.problem.HedgeProblem` per (P&L measure,
half-life, window length), whose data are swapped fold by fold with
:meth:`~hedgeopt.problem.HedgeProblem.update_data` and whose ``lam`` and ridge strength are changed
in place between solves (cvxpy parameters / the native solver's quadratic, warm-started).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.context import HedgeContext, validate_pnl
from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.exceptions import HedgeOptError, InputError
from hedgeopt.metrics import window_metrics
from hedgeopt.problem import HedgeProblem
from hedgeopt.progress import progress
from hedgeopt.regularization import Penalty, Ridge
from hedgeopt.result import HedgeResult
from hedgeopt.text import fmt_count, fmt_float, fmt_money, fmt_seconds
from hedgeopt.validation import as_int, check_number
from hedgeopt.workflow.fitting import (
    average_fits,
    fit_with,
    make_problem,
    ridge_scale,
    update_problem,
)
from hedgeopt.workflow.folds import validation_folds

__all__ = ["DEFAULT_GRID", "TuneResult", "default_ridge_grid", "tune"]

#: The default candidate grid of :func:`tune`. ``ridge`` is *relative* (see :func:`tune`); when
#: ``N >= T / 2`` its 0 becomes 0.001 (:func:`default_ridge_grid`). Evidence (out-of-sample, fixed
#: settings, OR-Library sets 1-7 and synthetic 504-day fits / 126-day holds): ``lam`` above ~0.3
#: chases in-sample drifts (lam=0.5 loses to the returns-space fit on most synthetic windows),
#: while 0.01-0.1 is what keeps the value gap of sets 1 and 3 from drifting; small ridges
#: (0.01-0.1) help most when N is close to or above T; neither P&L measure wins everywhere
#: ("price" wins on OR-Library 4-7 and on an index hedged with its own members, "reference" on
#: 1-3 and on baskets of other names); half-lives and shorter windows never won consistently, so
#: they are not searched by default (pass ``half_life=`` / ``window=`` grids).
DEFAULT_GRID: dict[str, tuple[Any, ...]] = {
    "lam": (0.0, 0.01, 0.03, 0.1, 0.3),
    "ridge": (0.0, 0.01, 0.03, 0.1, 0.3),
    "half_life": (None,),
    "window": (None,),
    "pnl": ("reference", "price"),
}

SCORINGS = ("pnl_te", "value_te", "both")
#: The parameters that make a candidate (the columns of ``TuneResult.scores`` before the fold).
KEYS = ["pnl", "window", "half_life", "lam", "ridge"]


# ------------------------------------------------------------------------------------------------
# result
# ------------------------------------------------------------------------------------------------

@dataclass
class TuneResult:
    """The outcome of :func:`tune`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per candidate, best first: its parameters, ``score`` (lower is better),
        ``pnl_te`` and ``value_te`` (geometric means over the folds of the validation $ std of
        the P&L gap and of the value gap), ``rms_gap`` (mean over folds), ``names`` (mean),
        ``fails`` (folds where the fit failed), ``rank``.
    best : dict
        The best candidate's parameters: ``lam``, ``ridge`` (relative), ``half_life``,
        ``window``, ``pnl``, and ``ridge_strength`` (the absolute :class:`~hedgeopt.Ridge`
        strength of its refit).
    members : list of dict
        The parameter sets whose refits are averaged into ``result`` (see ``average``); the
        first is ``best``.
    result : HedgeResult
        The hedge refitted on the whole window (its last ``window`` rows): ``best``'s, or the
        average of the ``members``' hedges. An average says so: ``result.solver`` and
        ``result.method`` read "average of ...", ``result.lam`` is the mean of the members'
        lams (its ``objective`` is evaluated at that lam) and its report lists each member's
        lam, P&L measure and ridge (``result.info["members"]``).
    problem : HedgeProblem
        The problem of the refit (re-solve it with other parameters without rebuilding).
    folds : pandas.DataFrame
        The validation folds: ``fit_start``, ``reference``, ``end`` (labels of the window).
    scores : pandas.DataFrame
        Long format: one row per candidate and fold with ``pnl_te``, ``value_te``, ``rms_gap``.
    scoring : str
    seconds : float
        Wall time of the whole tuning, refit included.
    """

    table: pd.DataFrame
    best: dict[str, Any]
    result: HedgeResult
    problem: HedgeProblem
    folds: pd.DataFrame
    scores: pd.DataFrame = field(repr=False)
    scoring: str = "pnl_te"
    seconds: float = 0.0
    n_solves: int = 0
    members: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shares(self) -> pd.Series:
        """Shares of the refitted hedge."""
        return self.result.shares

    def _facts(self) -> list[tuple[str, str]]:
        best = ", ".join(f"{k}={_param(v)}" for k, v in self.best.items())
        m = self.result.metrics
        return [
            ("scoring", f"{self.scoring} (geometric mean over folds of the validation $ stds; "
                        f"lower is better)"),
            ("search", f"{fmt_count(len(self.table))} candidates x {fmt_count(len(self.folds))} "
                       f"folds, {fmt_count(self.n_solves)} solves, {fmt_seconds(self.seconds)}"),
            ("best", best),
            ("refit", f"{self.result.solver}: in-sample P&L gap std {fmt_money(m['pnl_te'])}, "
                      f"value gap std {fmt_money(m['value_te'])}, {fmt_count(m['names'])} names"),
        ]

    def _tables(self, k: int) -> list[tuple[str, pd.DataFrame]]:
        shown = self.table.head(k).set_index("rank")
        cells = format_frame(shown, {"names": lambda x: fmt_float(x, 3), "window": _param,
                                     "half_life": _param, "score": fmt_money})
        return [(f"best {len(shown)} of {len(self.table)} candidates", cells),
                ("validation folds", format_frame(self.folds))]

    def __repr__(self) -> str:
        return text_block("TuneResult", self._facts(), self._tables(5))

    def _repr_html_(self) -> str:
        return html_block("TuneResult", self._facts(), self._tables(10))


def _param(v: Any) -> str:
    """A tuning parameter as read in a table: ``None`` (not used) as ``none``."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "none"
    return v if isinstance(v, str) else fmt_float(v)


# ------------------------------------------------------------------------------------------------
# tune
# ------------------------------------------------------------------------------------------------

def default_ridge_grid(n_assets: int, n_obs: int) -> tuple[float, ...]:
    """The default relative ridge grid: :data:`DEFAULT_GRID` ``["ridge"]``, with ``0`` replaced
    by ``0.001`` when ``n_assets >= n_obs / 2`` (then the unregularised fit is exact or nearly so
    along many directions, its answer depends on the solver, and it is slow to find)."""
    grid = DEFAULT_GRID["ridge"]
    if n_assets >= n_obs / 2:
        grid = tuple(0.001 if r == 0 else r for r in grid)
    return grid


def _grid(values: Any, name: str) -> tuple[Any, ...]:
    if values is None or isinstance(values, (str, int, float, np.number)):
        return (values,)
    out = tuple(values)
    if not out:
        raise InputError(f"the grid of {name} is empty", field=name)
    return out


def _score(pnl: np.ndarray, value: np.ndarray, scoring: str) -> float:
    """Geometric mean over folds (scale-free: a volatile fold does not outvote the others)."""
    with np.errstate(divide="ignore"):
        lp, lv = np.log(pnl), np.log(value)
    if scoring == "pnl_te":
        return float(np.exp(lp.mean()))
    if scoring == "value_te":
        return float(np.exp(lv.mean()))
    return float(np.exp(0.5 * lp.mean() + 0.5 * lv.mean()))


def tune(prices: pd.DataFrame, basket: pd.Series, constraints: Iterable[Any] = (), *,
         lam: Any = DEFAULT_GRID["lam"], ridge: Any = None,
         half_life: Any = DEFAULT_GRID["half_life"], window: Any = DEFAULT_GRID["window"],
         pnl: Any = DEFAULT_GRID["pnl"], prior: Any = None, penalties: Iterable[Penalty] = (),
         folds: int = 3, hold: int | None = None, scoring: str = "both",
         average: int | str = "pnl", solver: str | None = None, refit: bool = True,
         quiet: bool | None = None) -> TuneResult:
    """Choose ``lam``, the ridge strength (and half-life, window, P&L measure) by walk-forward
    validation inside the window, and refit on the whole window with the winner.

    Parameters
    ----------
    prices, basket : pandas.DataFrame, pandas.Series
        The estimation window (dates x tickers; basket dollars). Its last row is the date the
        hedge is put on; nothing after it exists for :func:`tune`.
    constraints : iterable
        Constraints of every fit (e.g. ``[ho.Budget(), ho.LongOnly()]``), and optionally
        fixed penalties.
    lam : float or sequence
        Weights of ``Var[d]`` against ``Var[Δd]`` to try.
    ridge : float or sequence
        *Relative* ridge strengths: ``r`` adds ``r * s * ||w - prior||^2`` to the normalised
        objective, with ``s`` = :func:`~hedgeopt.workflow.fitting.ridge_scale` (the mean
        instrument variance relative to the basket's, computed on each fit's data), i.e.
        shrinkage of the instruments' covariance toward ``s I`` with intensity ``r / (1 + r)``.
        ``0`` is no ridge.
    half_life : float, None or sequence
        Observation half-lives in rows (None: equal weights).
    window : int, None or sequence
        Fit only on the last ``window`` rows up to each reference date (None: all rows).
    pnl : {"reference", "price"} or sequence
        How the P&L term measures each period: ``"price"`` uses price differences
        ``P_t - P_{t-1}`` (the dollar P&L of the shares on that day); ``"reference"`` uses
        ``r_t P_ref`` (each day's return at today's dollar exposure), so that old days are not
        weighted by old price levels.
    prior : None, "equal" or weights
        The point the ridge pulls toward (see :class:`~hedgeopt.Ridge`).
    penalties : iterable of Penalty
        Fixed extra penalty terms of every fit.
    folds : int
        Number of walk-forward validation folds.
    hold : int, optional
        Rows each fold holds the hedge (P&L periods). Default ``len(prices) // (folds + 2)``
        (see :func:`~hedgeopt.workflow.folds.validation_folds`); set it to the holding period
        when the window allows.
    scoring : {"pnl_te", "value_te", "both"}
        ``"pnl_te"``: geometric mean over folds of the std of the validation $ P&L gap;
        ``"value_te"``: the same for the std of the $ value gap; ``"both"`` (default): the
        geometric mean of the two (equal weight to each in log terms). Scoring on the P&L gap
        alone picks settings whose value drifts away over a long hold (OR-Library sets 1-3);
        with ``"both"`` and the default folds tune beats both peers of
        ``benchmarks/outofsample.py`` on 11 of its 14 OR-Library cells (10 before).
    average : "pnl" or int
        Which refitted hedges make the answer. ``1``: the best candidate alone. ``k``: the equal
        average of the shares of the ``k`` best candidates. ``"pnl"`` (default): the average of
        the best candidate of each P&L measure in the grid (with the default grid: the best
        "reference" and the best "price" fit). Averaging hedges that each satisfy convex
        constraints satisfies them too; with whole-share constraints only the best is used.
        Why the default averages: validation over a few short folds cannot reliably tell the two
        P&L measures apart (their scores differ by a few percent, about the noise), while their
        out-of-sample errors are partly independent, so the average is never far from the better
        one and often beats both (OR-Library sets 1-7 and the synthetic rolling windows, see
        ``benchmarks/outofsample.py``).
    solver : str, optional
        Backend of every solve (default: hedgeopt's choice).
    refit : bool
        Refit on the whole window with the best parameters (``result`` / ``problem`` are None
        when False).

    Returns
    -------
    TuneResult

    Notes
    -----
    Candidates are the Cartesian product of the grids. With fold ``j``'s hedge put on at row
    ``r_j`` the fit uses rows ``max(0, r_j - window + 1) .. r_j`` and the validation rows
    ``r_j .. r_j + hold`` (see :func:`~hedgeopt.workflow.folds.validation_folds`). A fit that
    fails (infeasible, solver error) scores ``inf`` on that fold.
    """
    start = time.perf_counter()
    _check_choice(average, scoring)
    base = HedgeContext(prices, basket)  # validates and sorts once
    cons = list(constraints)
    fixed = [c for c in cons if isinstance(c, Penalty)] + list(penalties)
    cons = [c for c in cons if not isinstance(c, Penalty)]
    if ridge is None:
        ridge = default_ridge_grid(base.n_assets, base.n_obs)
    grids = _grids(lam, ridge, half_life, window, pnl)
    fold_rows = validation_folds(base.n_obs, folds, hold)
    scores = _validation_scores(base, cons, fixed, grids, fold_rows, prior, solver, quiet)
    n_solves = len(scores)
    table = _table(scores, scoring)
    top = table.iloc[0]
    best: dict[str, Any] = _params(top)
    fold_frame = pd.DataFrame([
        {"fit_start": base.dates[0 if best["window"] is None else max(0, r - best["window"] + 1)],
         "reference": base.dates[r], "end": base.dates[e]} for r, e in fold_rows])
    members = _members(table, average, integer=any(c.integer for c in cons))
    result = final = None
    if refit:
        fits = [fit_with(base.prices, base.basket, [*cons, *fixed], params, prior=prior,
                         solver=solver) for params in members]
        n_solves += len(fits)
        members = [{**params, "ridge_strength": float(prob_m.penalties[-1].strength)}
                   for params, (prob_m, _) in zip(members, fits, strict=True)]
        best["ridge_strength"] = members[0]["ridge_strength"]
        final = fits[0][0]
        result = average_fits(fits, members, solve_time=time.perf_counter() - start)
    return TuneResult(table=table, best=best, result=result, problem=final,  # type: ignore[arg-type]
                      folds=fold_frame, scores=scores, scoring=scoring,
                      seconds=time.perf_counter() - start, n_solves=n_solves, members=members)


def _check_choice(average: Any, scoring: Any) -> None:
    if average != "pnl":
        try:
            as_int(average, "average", lo=1)
        except InputError:
            raise InputError(f"average must be 'pnl' or an integer >= 1, got {average!r}",
                             field="average") from None
    if scoring not in SCORINGS:
        raise InputError(f"scoring must be one of {SCORINGS}, got {scoring!r}", field="scoring")


def _grids(lam: Any, ridge: Any, half_life: Any, window: Any, pnl: Any
           ) -> dict[str, tuple[Any, ...]]:
    """The checked candidate grids (ridge largest first: the snake order starts there)."""
    grids = {
        "pnl": _grid(pnl, "pnl"), "window": _grid(window, "window"),
        "half_life": _grid(half_life, "half_life"), "lam": _grid(lam, "lam"),
        "ridge": tuple(sorted(_grid(ridge, "ridge"), reverse=True)),
    }
    for p in grids["pnl"]:
        validate_pnl(p)
    for r in grids["ridge"]:
        check_number(r, "ridge", lo=0)
    for w in grids["window"]:
        if w is not None:
            as_int(w, "window", lo=3)
    return grids


def _validation_scores(base: HedgeContext, cons: list[Any], fixed: list[Any],
                       grids: dict[str, tuple[Any, ...]], fold_rows: list[tuple[int, int]],
                       prior: Any, solver: str | None, quiet: bool | None) -> pd.DataFrame:
    """One row per candidate and fold: the validation metrics of the fold's fit.

    One problem per (P&L measure, window, half-life), its data swapped fold by fold; ``lam`` and
    the ridge strength are changed in place between solves.
    """
    P_all, B_all = base.prices, base.basket
    rows: list[dict[str, Any]] = []
    for pnl_mode, win, hl in progress(
        list(itertools.product(grids["pnl"], grids["window"], grids["half_life"])),
        desc="tune", quiet=quiet,
    ):
        ridge_term = Ridge(0.0, prior=prior)
        prob: HedgeProblem | None = None
        for j, (ref, end) in enumerate(fold_rows):
            lo = 0 if win is None else max(0, ref - int(win) + 1)
            fit_P, fit_B = P_all.iloc[lo:ref + 1], B_all.iloc[lo:ref + 1]
            if prob is None:
                prob = make_problem(fit_P, fit_B, lam=grids["lam"][0],
                                    constraints=[*cons, *fixed, ridge_term],
                                    half_life=hl, pnl=pnl_mode)
            else:
                update_problem(prob, fit_P, fit_B)
            Pv, Bv = base.P[ref:end + 1], base.B[ref:end + 1]
            for i_lam, lam_v in enumerate(grids["lam"]):
                prob.lam = lam_v
                scale = ridge_scale(prob)
                # snake order: each solve warm-starts from a neighbouring candidate
                for r in grids["ridge"][::-1] if i_lam % 2 else grids["ridge"]:
                    ridge_term.strength = float(r) * scale
                    row = {"pnl": pnl_mode, "window": win, "half_life": hl, "lam": float(lam_v),
                           "ridge": float(r), "fold": j}
                    try:
                        m = window_metrics(prob.solve(solver).shares.to_numpy(), Pv, Bv, ref=0)
                        row.update(pnl_te=m["pnl_te"], value_te=m["value_te"],
                                   rms_gap=m["rms_gap"], names=int(m["names"]), fails=0)
                    except HedgeOptError:
                        row.update(pnl_te=math.inf, value_te=math.inf, rms_gap=math.inf, names=0,
                                   fails=1)
                    rows.append(row)
    return pd.DataFrame(rows)


def _table(scores: pd.DataFrame, scoring: str) -> pd.DataFrame:
    """One row per candidate, best first (see :attr:`TuneResult.table`)."""
    table_rows = []
    for cand, g in scores.groupby(KEYS, sort=False, dropna=False):
        pnl_arr, val_arr = g["pnl_te"].to_numpy(), g["value_te"].to_numpy()
        table_rows.append({
            **dict(zip(KEYS, cand, strict=True)),
            "score": _score(pnl_arr, val_arr, scoring),
            "pnl_te": _score(pnl_arr, val_arr, "pnl_te"),
            "value_te": _score(pnl_arr, val_arr, "value_te"),
            "rms_gap": float(g["rms_gap"].mean()),
            "names": float(g["names"].mean()),
            "fails": int(g["fails"].sum()),
        })
    table = pd.DataFrame(table_rows)
    # ties (e.g. a ridge that changes nothing) go to the simpler candidate: the later sort keys
    # prefer less ridge, lower lam, no half-life, the full window
    table["_hl"] = table["half_life"].fillna(np.inf)
    table["_win"] = table["window"].fillna(np.inf)
    table["_score"] = table["score"].round(10)
    table = table.sort_values(["_score", "ridge", "lam", "_hl", "_win"],
                              ascending=[True, True, True, False, False], kind="stable")
    table = table.drop(columns=["_hl", "_win", "_score"]).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    for c in ("window", "half_life"):
        table[c] = table[c].astype(object).where(table[c].notna(), None)
    if not np.isfinite(table["score"].iloc[0]):
        raise HedgeOptError("every candidate failed on some validation fold; "
                            "check the constraints (see TuneResult.scores)")
    return table


def _params(row: pd.Series) -> dict[str, Any]:
    """A candidate's parameters from its row of the table."""
    return {"lam": float(row["lam"]), "ridge": float(row["ridge"]),
            "half_life": None if row["half_life"] is None else float(row["half_life"]),
            "window": None if row["window"] is None else int(row["window"]),
            "pnl": str(row["pnl"])}


def _members(table: pd.DataFrame, average: Any, integer: bool) -> list[dict[str, Any]]:
    """Parameter sets whose refitted hedges are averaged (the best alone when ``average=1``)."""
    ok = table[np.isfinite(table["score"])]
    if integer or average == 1:
        rows = ok.iloc[:1]
    elif average == "pnl":
        rows = ok.groupby("pnl", sort=False).head(1)
    else:
        rows = ok.iloc[:int(average)]
    return [_params(r) for _, r in rows.iterrows()]
