"""The selection cache of a book: baskets over one universe share one column selection of their
panel instead of copying the panel per basket."""

from __future__ import annotations

import weakref
from typing import Any

import pandas as pd

from hedgeopt.exceptions import InputError

__all__ = ["select_columns"]

#: Recent column selections of panels: (id(panel), columns) -> (weakref to panel, selection).
#: Baskets over one universe share one selection instead of copying the panel per basket.
_SELECTIONS: dict[tuple[int, tuple[str, ...]], tuple[Any, pd.DataFrame]] = {}
_SELECTIONS_MAX = 4


def select_columns(panel: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    """``panel[list(cols)]``, the same frame for every basket over the same universe.

    Raises
    ------
    InputError
        Naming the first tickers of ``cols`` that are not columns of ``panel``.
    """
    key = (id(panel), cols)
    hit = _SELECTIONS.get(key)
    if hit is not None and hit[0]() is panel:
        return hit[1]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise InputError(f"universe: tickers {missing[:10]} are not in the price panel",
                         field="universe")
    frame = panel[list(cols)]
    while len(_SELECTIONS) >= _SELECTIONS_MAX:
        _SELECTIONS.pop(next(iter(_SELECTIONS)))
    _SELECTIONS[key] = (weakref.ref(panel), frame)
    return frame
