"""Walk-forward folds inside an estimation window (the validation plan of :func:`hedgeopt.tune`):
its own plan, or the folds of any time-series splitter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_int

__all__ = ["folds_from_cv", "validation_folds"]


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
    n_folds = as_int(folds, "folds", lo=1)
    n_hold = (max(2, n_rows // (n_folds + 2)) if hold is None
              else as_int(hold, "hold", lo=2))
    last = n_rows - 1
    out = [(last - (n_folds - j) * n_hold, last - (n_folds - j - 1) * n_hold)
           for j in range(n_folds)]
    if out[0][0] + 1 < max(min_fit, 3):
        raise InputError(
            f"{n_folds} folds of hold {n_hold} need more than "
            f"{n_folds * n_hold + max(min_fit, 3) - 1} rows, got {n_rows}: use fewer folds or a "
            f"shorter hold", field="folds")
    return [(int(a), int(b)) for a, b in out]


def folds_from_cv(cv: Any, prices: pd.DataFrame, basket: pd.Series) -> list[tuple[int, int, int]]:
    """``(first_fit_row, reference_row, end_row)`` triples from a splitter's train/test indices.

    ``cv`` is any object with ``split(prices, basket)`` (``sklearn.model_selection.
    TimeSeriesSplit``, skfolio's ``WalkForward``, ...) or an iterable of ``(train, test)`` row
    index arrays. A fold's hedge is fitted on its train rows and put on at the last of them, so
    the train rows must be consecutive and the test rows must be the consecutive rows right
    after them (a time-series split); anything else raises :class:`InputError` naming the fold.
    """
    split = getattr(cv, "split", None)
    pairs = split(prices, basket) if callable(split) else cv
    try:
        pairs = list(pairs)
    except TypeError:
        raise InputError(f"cv must be a splitter with split() or an iterable of (train, test) "
                         f"index arrays, got {type(cv).__name__}", field="cv") from None
    out = []
    for j, pair in enumerate(pairs):
        try:
            train, test = (np.asarray(a, dtype=np.int64).ravel() for a in pair)
        except (TypeError, ValueError):
            raise InputError(f"cv fold {j} is not a (train, test) pair of row indices",
                             field="cv") from None
        if len(train) < 3 or len(test) < 2:
            raise InputError(f"cv fold {j} has {len(train)} train and {len(test)} test rows; "
                             "need at least 3 and 2", field="cv")
        if np.any(np.diff(train) != 1) or np.any(np.diff(test) != 1) \
                or test[0] != train[-1] + 1 or train[0] < 0 or test[-1] >= len(prices):
            raise InputError(
                f"cv fold {j}: train rows must be consecutive and the test rows must follow them "
                f"(train {train[0]}..{train[-1]}, test {test[0]}..{test[-1]}): the hedge is put "
                "on at the last train row and held over the test rows", field="cv")
        out.append((int(train[0]), int(train[-1]), int(test[-1])))
    if not out:
        raise InputError("cv gave no folds", field="cv")
    return out
