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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.context import PNL_MEASURES, HedgeContext
from hedgeopt.exceptions import HedgeOptError, InputError
from hedgeopt.problem import HedgeProblem
from hedgeopt.progress import progress
from hedgeopt.regularization import Penalty, Ridge
from hedgeopt.result import HedgeResult

__all__ = ["DEFAULT_GRID", "TuneResult", "tune", "validation_folds"]

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


def make_problem(prices: pd.DataFrame, basket: pd.Series, *, lam: float = 0.0,
                 constraints: Iterable[Any] = (), half_life: float | None = None,
                 pnl: str = "reference") -> HedgeProblem:
    """A :class:`HedgeProblem` with the P&L measure ``pnl`` ("price" or "reference")."""
    _check_pnl(pnl)
    return HedgeProblem(prices, basket, lam=lam, constraints=constraints, half_life=half_life,
                        pnl=pnl)


def update_problem(prob: HedgeProblem, prices: pd.DataFrame, basket: pd.Series) -> HedgeProblem:
    """``prob.update_data(prices, basket)`` (the P&L measure and half-life are kept)."""
    return prob.update_data(prices, basket)


def _check_pnl(pnl: str) -> None:
    if pnl not in PNL_MEASURES:
        raise InputError(f"pnl must be one of {PNL_MEASURES}, got {pnl!r}", field="pnl")


# ------------------------------------------------------------------------------------------------
# ridge strength relative to the data
# ------------------------------------------------------------------------------------------------

def ridge_scale(prob: HedgeProblem) -> float:
    """Mean diagonal of the normalised tracking Gram: the unit of the relative ridge.

    The normalised objective is ``0.5 w'Qw - q'w + c`` (tracking variance over unhedged
    variance); ``ridge_scale = mean(diag(Q)) / 2`` is the average instrument variance relative to
    the basket's. A relative ridge ``r`` adds ``r * ridge_scale * ||w - w0||^2``: shrinkage of
    the instruments' covariance toward ``ridge_scale * I`` with intensity ``r / (1 + r)``, the
    same meaning whatever N, the window length or the price levels.
    """
    Q = prob.objective.quadratic(prob.ctx)[0]
    scale = float(np.mean(np.diag(Q))) / 2.0
    return scale if math.isfinite(scale) and scale > 0 else 1.0


# ------------------------------------------------------------------------------------------------
# folds
# ------------------------------------------------------------------------------------------------

def validation_folds(n_rows: int, folds: int = 3, hold: int | None = None,
                     min_fit: int = 3) -> list[tuple[int, int]]:
    """Walk-forward folds inside ``n_rows`` rows: ``(reference_row, end_row)`` pairs.

    Fold ``j`` fits on rows ``[.., reference_row]`` (the hedge is put on at ``reference_row``)
    and is scored on rows ``[reference_row, end_row]`` (``hold`` P&L periods). The last fold ends
    at the last row; consecutive folds are ``hold`` rows apart. Default ``hold``:
    ``max(2, n_rows // (folds + 2))``: the window is cut into ``folds + 2`` equal parts, the
    first fold fits on the first two and each fold validates the next one. Long holds matter:
    the value gap of a hedge held for months is driven by drifts that a few weeks of validation
    cannot see; a first fit of two parts keeps the early folds' fits from being too short to
    judge the candidates (see ``benchmarks/outofsample.py``).
    """
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 1:
        raise InputError(f"folds must be an integer >= 1, got {folds!r}", field="folds")
    if hold is None:
        hold = max(2, n_rows // (folds + 2))
    if isinstance(hold, bool) or not isinstance(hold, (int, np.integer)) or hold < 2:
        raise InputError(f"hold must be an integer >= 2 rows, got {hold!r}", field="hold")
    last = n_rows - 1
    out = [(last - (folds - j) * hold, last - (folds - j - 1) * hold) for j in range(folds)]
    if out[0][0] + 1 < max(min_fit, 3):
        raise InputError(
            f"{folds} folds of hold {hold} need more than {folds * hold + max(min_fit, 3) - 1} "
            f"rows, got {n_rows}: use fewer folds or a shorter hold", field="folds")
    return [(int(a), int(b)) for a, b in out]


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

    def __repr__(self) -> str:
        best = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                         for k, v in self.best.items())
        head = self.table.head(5).to_string(float_format=lambda x: f"{x:,.4g}")
        return (f"TuneResult(scoring={self.scoring!r}, {len(self.table)} candidates x "
                f"{len(self.folds)} folds, {self.n_solves} solves, {self.seconds:.2f} s)\n"
                f"  best: {best}\n{head}")


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
        objective, with ``s`` = :func:`ridge_scale` (the mean instrument variance relative to the
        basket's, computed on each fit's data), i.e. shrinkage of the instruments' covariance
        toward ``s I`` with intensity ``r / (1 + r)``. ``0`` is no ridge.
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
        (see :func:`validation_folds`); set it to the holding period when the window allows.
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
    ``r_j .. r_j + hold`` (see :func:`validation_folds`). A fit that fails (infeasible,
    solver error) scores ``inf`` on that fold.
    """
    start = time.perf_counter()
    if not (average == "pnl" or (isinstance(average, (int, np.integer))
                                 and not isinstance(average, bool) and average >= 1)):
        raise InputError(f"average must be 'pnl' or an integer >= 1, got {average!r}",
                         field="average")
    if scoring not in SCORINGS:
        raise InputError(f"scoring must be one of {SCORINGS}, got {scoring!r}", field="scoring")
    base = HedgeContext(prices, basket)  # validates and sorts once
    P_all, B_all = base.prices, base.basket
    cons = list(constraints)
    fixed = [c for c in cons if isinstance(c, Penalty)] + list(penalties)
    cons = [c for c in cons if not isinstance(c, Penalty)]
    if ridge is None:
        ridge = default_ridge_grid(base.n_assets, base.n_obs)
    grids = {
        "pnl": _grid(pnl, "pnl"), "window": _grid(window, "window"),
        "half_life": _grid(half_life, "half_life"), "lam": _grid(lam, "lam"),
        "ridge": tuple(sorted(_grid(ridge, "ridge"), reverse=True)),
    }
    for p in grids["pnl"]:
        _check_pnl(p)
    for r in grids["ridge"]:
        if not (isinstance(r, (int, float, np.number)) and math.isfinite(r) and r >= 0):
            raise InputError(f"ridge values must be numbers >= 0, got {r!r}", field="ridge")
    for w in grids["window"]:
        if w is not None and (isinstance(w, bool) or not isinstance(w, (int, np.integer))
                              or w < 3):
            raise InputError(f"window must be None or an integer >= 3, got {w!r}", "window")
    T = base.n_obs
    fold_rows = validation_folds(T, folds, hold)
    P_np, B_np = base.P, base.B

    rows: list[dict[str, Any]] = []
    n_solves = 0
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
            Pv, Bv = P_np[ref:end + 1], B_np[ref:end + 1]
            for i_lam, lam_v in enumerate(grids["lam"]):
                prob.lam = lam_v
                scale = ridge_scale(prob)
                # snake order: each solve warm-starts from a neighbouring candidate
                for r in grids["ridge"][::-1] if i_lam % 2 else grids["ridge"]:
                    ridge_term.strength = float(r) * scale
                    n_solves += 1
                    try:
                        res = prob.solve(solver)
                        n = res.shares.to_numpy()
                        d = Pv @ n - Bv
                        m = (float(np.std(np.diff(d), ddof=1)), float(np.std(d, ddof=1)),
                             float(np.sqrt(np.mean(d**2))), int(np.count_nonzero(n)), 0)
                    except HedgeOptError:
                        m = (math.inf, math.inf, math.inf, 0, 1)
                    rows.append({"pnl": pnl_mode, "window": win, "half_life": hl,
                                 "lam": float(lam_v), "ridge": float(r), "fold": j,
                                 "pnl_te": m[0], "value_te": m[1], "rms_gap": m[2],
                                 "names": m[3], "fails": m[4]})
    scores = pd.DataFrame(rows)
    keys = ["pnl", "window", "half_life", "lam", "ridge"]
    table_rows = []
    for cand, g in scores.groupby(keys, sort=False, dropna=False):
        pnl_arr, val_arr = g["pnl_te"].to_numpy(), g["value_te"].to_numpy()
        table_rows.append({
            **dict(zip(keys, cand, strict=True)),
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
    top = table.iloc[0]
    best: dict[str, Any] = {
        "lam": float(top["lam"]), "ridge": float(top["ridge"]),
        "half_life": None if top["half_life"] is None else float(top["half_life"]),
        "window": None if top["window"] is None else int(top["window"]),
        "pnl": str(top["pnl"]),
    }
    fold_frame = pd.DataFrame([
        {"fit_start": base.dates[0 if best["window"] is None else max(0, r - best["window"] + 1)],
         "reference": base.dates[r], "end": base.dates[e]} for r, e in fold_rows])
    members = _members(table, keys, average, integer=any(c.integer for c in cons))
    result = final = None
    if refit:
        shares, members_out = [], []
        for params in members:
            prob_m, res_m = fit_with(P_all, B_all, [*cons, *fixed], params, prior=prior,
                                     solver=solver)
            n_solves += 1
            members_out.append({**params, "ridge_strength": float(prob_m.penalties[-1].strength)})
            shares.append(res_m.shares.to_numpy())
            if final is None:
                final, result = prob_m, res_m
        members = members_out
        best["ridge_strength"] = members[0]["ridge_strength"]
        if len(shares) > 1:
            assert final is not None and result is not None
            lams = [m["lam"] for m in members]
            label = "; ".join(f"lam {m['lam']:g}, {m['pnl']} P&L, ridge {m['ridge']:g}"
                              for m in members)
            result = HedgeResult.build(
                np.mean(shares, axis=0), final.ctx, float(np.mean(lams)), final.constraints,
                tol=1e-6, status="optimal", solver=f"average of {len(shares)} ({result.solver})",
                method=f"average of {len(shares)} refits", solve_time=time.perf_counter() - start,
                info={"members": members,
                      "lam_label": f"{np.mean(lams):g} (mean of the members': {label})"})
    return TuneResult(table=table, best=best, result=result, problem=final,  # type: ignore[arg-type]
                      folds=fold_frame, scores=scores, scoring=scoring,
                      seconds=time.perf_counter() - start, n_solves=n_solves, members=members)


def _members(table: pd.DataFrame, keys: list[str], average: Any, integer: bool
             ) -> list[dict[str, Any]]:
    """Parameter sets whose refitted hedges are averaged (the best alone when ``average=1``)."""
    def params(row: pd.Series) -> dict[str, Any]:
        return {"lam": float(row["lam"]), "ridge": float(row["ridge"]),
                "half_life": None if row["half_life"] is None else float(row["half_life"]),
                "window": None if row["window"] is None else int(row["window"]),
                "pnl": str(row["pnl"])}

    ok = table[np.isfinite(table["score"])]
    if integer or average == 1:
        rows = ok.iloc[:1]
    elif average == "pnl":
        rows = ok.groupby("pnl", sort=False).head(1)
    else:
        rows = ok.iloc[:int(average)]
    return [params(r) for _, r in rows.iterrows()]


def fit_with(prices: pd.DataFrame, basket: pd.Series, constraints: Sequence[Any],
             params: dict[str, Any], *, prior: Any = None, solver: str | None = None
             ) -> tuple[HedgeProblem, HedgeResult]:
    """Fit on the last ``params["window"]`` rows with ``params`` (as in :attr:`TuneResult.best`).

    The ridge is relative (see :func:`tune`); the problem's last penalty is the
    :class:`~hedgeopt.Ridge` term with the absolute strength.
    """
    win = params.get("window")
    P = prices if win is None else prices.iloc[-int(win):]
    B = basket if win is None else basket.iloc[-int(win):]
    ridge_term = Ridge(0.0, prior=prior)
    prob = make_problem(P, B, lam=params.get("lam", 0.0), constraints=[*constraints, ridge_term],
                        half_life=params.get("half_life"), pnl=params.get("pnl", "reference"))
    ridge_term.strength = float(params.get("ridge", 0.0)) * ridge_scale(prob)
    return prob, prob.solve(solver)
