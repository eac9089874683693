"""Walk-forward folds inside an estimation window (the validation plan of :func:`hedgeopt.tune`)."""

from __future__ import annotations

from hedgeopt.exceptions import InputError
from hedgeopt.validation import as_int

__all__ = ["validation_folds"]


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
