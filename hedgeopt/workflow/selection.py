"""Robust choice among validated candidates: leave the baseline only on evidence above its noise.

Walk-forward validation of a grid over a few folds is noisy: with ~50 candidates the best
validation score is mostly the luckiest one. :func:`choose` therefore starts from a *baseline*
(the plain returns-space fit ``lam=0``, ``pnl="reference"``, no ridge, equal weights, the full
window: what skfolio's ``BenchmarkTracker`` and PyPortfolioOpt give) and moves away from it only
when the paired evidence of the folds says so.

For candidate ``c`` and fold ``j`` let ``l_cj = log(loss_cj / loss_bj)`` be the log ratio of its
validation loss to the baseline's on the same fold (paired: a volatile fold moves both). Over
``F`` folds, ``m_c`` is the mean and ``s_c = std(l_c, ddof=1) / sqrt(F)`` its standard error.

* ``"paired"`` (default): the candidate with the lowest ``m_c`` is chosen if
  ``m_c + z s_c < 0`` (it beats the baseline by more than ``z`` standard errors), else the
  baseline. On an ill-posed window (``ill_posed``: the returns-space fit is not unique, so it is
  not a candidate) the lowest ``m_c`` is chosen: no shipped estimator is there to protect.
* ``"one-se"``: the classical one-standard-error rule around the best: every candidate with
  ``m_c <= m_best + z s_best`` is as good as the best within its noise, and the simplest of them
  (fewest departures from the baseline, then the smallest lam, ridge, the longest half-life and
  window) is chosen; the baseline whenever it is among them.
* ``"best"``: the lowest ``m_c`` whatever its noise (the former behaviour of ``tune``).

Everything here is deterministic: the same scores give the same choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.exceptions import InputError

__all__ = ["BASELINE", "RULES", "Choice", "choose", "departures", "is_baseline"]

#: The returns-space minimum tracking-error fit: where every robust choice starts.
BASELINE: dict[str, Any] = {"pnl": "reference", "window": None, "half_life": None, "lam": 0.0,
                            "ridge": 0.0, "value_horizon": None, "shrinkage": 0.0}
RULES = ("paired", "one-se", "best")
#: Why ``"paired"`` chooses the argmin on an ill-posed window (see :func:`choose`).
ILL_POSED_REASON = ("the returns-space fit is not unique here (N > T - 2), so there is no "
                    "shipped estimator to protect and the regularisation must be chosen from "
                    "the data")


def departures(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key of simplicity: how far a parameter set is from :data:`BASELINE`."""
    hl, win = params.get("half_life"), params.get("window")
    # a value horizon only departs from the baseline when the value term has weight (lam > 0)
    horizon = params.get("value_horizon") is not None and params.get("lam", 0.0) > 0
    n = sum([params.get("lam", 0.0) > 0, params.get("ridge", 0.0) > 0, hl is not None,
             win is not None, params.get("pnl") != BASELINE["pnl"], horizon,
             params.get("shrinkage", 0.0) > 0])
    return (n, params.get("lam", 0.0), params.get("ridge", 0.0), params.get("shrinkage", 0.0),
            -(hl if hl is not None else np.inf), -(win if win is not None else np.inf))


def is_baseline(params: Mapping[str, Any]) -> bool:
    """Whether ``params`` is :data:`BASELINE` (keys it does not name take the baseline's value;
    a value horizon without a value term, ``lam = 0``, changes nothing)."""
    same = {**BASELINE, **params}
    if same.get("lam", 0.0) == 0:
        same["value_horizon"] = None
    return all(same[k] == v for k, v in BASELINE.items())


class Choice:
    """What :func:`choose` decided and why.

    Attributes
    ----------
    index : int
        Row of the chosen candidate in the candidate list.
    baseline : int
        Row of the baseline.
    stats : pandas.DataFrame
        Per candidate: ``vs_baseline`` (geometric-mean ratio of its validation loss to the
        baseline's over the folds), ``se`` (standard error of the mean log ratio), ``t``
        (mean log ratio over its standard error; negative is better).
    reason : str
        One sentence: the rule, the evidence and the decision.
    """

    def __init__(self, index: int, baseline: int, stats: pd.DataFrame, reason: str) -> None:
        self.index, self.baseline, self.stats, self.reason = index, baseline, stats, reason


def _label(params: Mapping[str, Any]) -> str:
    parts = [f"lam {params['lam']:g}", f"ridge {params['ridge']:g}", f"{params['pnl']} P&L"]
    if params.get("value_horizon") is not None and params["lam"] > 0:
        parts.append(f"value horizon {params['value_horizon']}")
    if params.get("shrinkage", 0.0) > 0:
        parts.append(f"factor shrinkage {params['shrinkage']:g}")
    if params.get("half_life") is not None:
        parts.append(f"half-life {params['half_life']:g}")
    if params.get("window") is not None:
        parts.append(f"window {params['window']}")
    return ", ".join(parts)


def choose(candidates: Sequence[Mapping[str, Any]], losses: np.ndarray, *,
           rule: str = "paired", z: float = 1.0, ill_posed: bool = False) -> Choice:
    """Choose a candidate from its validation losses (candidates x folds, positive).

    Parameters
    ----------
    candidates : sequence of dict
        Parameter sets (``pnl``, ``window``, ``half_life``, ``lam``, ``ridge``, and optionally
        ``value_horizon``, ``shrinkage``; absent keys take the baseline's values).
    losses : numpy.ndarray
        ``losses[c, j]``: validation loss of candidate ``c`` on fold ``j`` (lower is better;
        ``inf`` for a failed fit).
    rule : {"paired", "one-se", "best"}
        See the module docstring.
    z : float
        Standard errors of evidence required (``"paired"``) or tolerated (``"one-se"``).
    ill_posed : bool
        The returns-space fit is not unique on these data (``N > T - 2``: more names than the
        ``T - 1`` centred returns have directions; :func:`hedgeopt.tune` then has ridge 0.001
        instead of 0). With ``"paired"`` and no returns-space baseline
        among the candidates there is no shipped estimator to protect, only the smallest
        regularisation of an ill-posed fit, whose strength must be chosen from the data: the
        best validation score is chosen (see :data:`ILL_POSED_REASON`).

    Returns
    -------
    Choice
        The baseline is :data:`BASELINE` when it is a candidate, else the simplest candidate
        (see :func:`departures`); the reason says which.
    """
    if rule not in RULES:
        raise InputError(f"select must be one of {RULES}, got {rule!r}", field="select")
    L = np.log(np.asarray(losses, dtype=float))
    n_folds = L.shape[1]
    order = sorted(range(len(candidates)), key=lambda i: departures(candidates[i]))
    b = next((i for i in order if is_baseline(candidates[i])), order[0])
    is_base = is_baseline(candidates[b])
    named = "the returns-space baseline" if is_base else "the simplest candidate"
    absent = "" if is_base else " (the returns-space baseline is not in the grid)"
    with np.errstate(invalid="ignore"):
        diff = L - L[b]
        m = diff.mean(axis=1)
        se = (diff.std(axis=1, ddof=1) / np.sqrt(n_folds) if n_folds > 1
              else np.full(len(m), np.inf))
    m = np.where(np.isfinite(m), m, np.inf)
    se = np.where(np.isfinite(se), se, np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se > 0, m / se, np.where(m < 0, -np.inf, 0.0))
    stats = pd.DataFrame({"vs_baseline": np.exp(m), "se": se, "t": t})
    best = min(range(len(m)), key=lambda i: (m[i], departures(candidates[i])))
    if not np.isfinite(L[b]).all():
        # the baseline failed on some fold: fall back to the best candidate that did not
        return Choice(best, b, stats, f"{named} ({_label(candidates[b])}){absent} failed on a "
                      f"fold; "
                      f"chose the best validation score ({_label(candidates[best])})")
    evidence = (f"{_label(candidates[best])} scores {np.exp(m[best]):.3f}x {named} "
                f"({_label(candidates[b])}){absent} over {n_folds} folds, standard error "
                f"{se[best]:.3f} in log")
    if best == b:
        return Choice(b, b, stats, f"rule '{rule}': no candidate scores better than {named} "
                      f"({_label(candidates[b])}){absent} over {n_folds} folds; kept it")
    if rule == "best":
        return Choice(best, b, stats, f"rule 'best': {evidence}; chose it: it has the best "
                      "validation score")
    if rule == "paired":
        if ill_posed and not is_base:
            return Choice(best, b, stats, f"rule 'paired' (z={z:.3g}): {evidence}; chose the best "
                          f"validation score: {ILL_POSED_REASON}")
        if m[best] + z * se[best] < 0:
            return Choice(best, b, stats, f"rule 'paired' (z={z:.3g}): {evidence}, better by more "
                          f"than {z:.3g} standard error(s); chose it")
        return Choice(b, b, stats, f"rule 'paired' (z={z:.3g}): {evidence}, within {z:.3g} "
                      f"standard error(s) of the baseline; kept {named}")
    threshold = m[best] + z * se[best]
    ok = [i for i in order if m[i] <= threshold]
    pick = b if b in ok else ok[0]
    return Choice(pick, b, stats, f"rule 'one-se' (z={z:.3g}): {evidence}; chose the simplest "
                  f"candidate within {z:.3g} standard error(s) of it: {_label(candidates[pick])}")
