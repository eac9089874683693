"""The table of :meth:`HedgeProblem.frontier`: a DataFrame that shows its units and the lam
the problem was set to (the chosen one, which :func:`hedgeopt.plot_frontier` marks)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.text import fmt_float

__all__ = ["FrontierPoint", "FrontierTable", "frontier_table"]


class FrontierTable(pd.DataFrame):
    """One row per lam: ``lam``, ``var_pnl``, ``var_value``, ``objective`` ($²), ``pnl_te``,
    ``value_te`` ($), ``names``, ``solver``.

    A :class:`pandas.DataFrame` in every respect (slicing, ``to_csv``, ``iterrows``); it adds
    a text and an HTML repr with units, and :attr:`chosen`, the problem's own lam (kept in
    ``attrs["chosen_lam"]``, so it survives pandas operations that keep ``attrs``).
    """

    @property
    def _constructor(self) -> Any:
        return FrontierTable

    @property
    def chosen(self) -> float | None:
        """The lam the problem was set to when the frontier was drawn (None if unknown)."""
        lam = self.attrs.get("chosen_lam")
        return None if lam is None else float(lam)

    def _facts(self) -> list[tuple[str, str]]:
        chosen = self.chosen
        return [("chosen lam", fmt_float(chosen))] if chosen is not None else []

    def _cells(self) -> pd.DataFrame:
        return format_frame(pd.DataFrame(self), {"lam": fmt_float})

    def __repr__(self) -> str:
        return text_block("lam frontier", self._facts(), [("", self._cells())])

    def _repr_html_(self) -> str:
        return html_block("lam frontier", self._facts(), [("", self._cells())])


class FrontierPoint(NamedTuple):
    """One verified point of a frontier: its lam, the gap path ``d = P n - B`` ($, one entry
    per row of the window), the names held and the backend that solved it."""

    lam: float
    gap: np.ndarray
    names: int
    solver: str


def frontier_table(points: list[FrontierPoint]) -> FrontierTable:
    """The table of the points, their variances taken in one pass over all the gap paths.

    ``var_pnl`` and ``var_value`` are those of :func:`~hedgeopt.metrics.gap_variances`, bit
    for bit: numpy's variance of each row of a C-ordered stack of paths is the pairwise sum of
    that row, the reduction it runs on a single path. So ``objective`` (formed as
    :func:`~hedgeopt.metrics.window_objective` forms it) equals ``HedgeResult.objective`` of
    the same shares exactly.
    """
    if not points:
        return FrontierTable([])
    D = np.stack([p.gap for p in points])  # C order: one path per row
    v_pnl = np.var(np.diff(D, axis=1), axis=1, ddof=1)
    v_val = np.var(D, axis=1, ddof=1)
    lam = np.array([p.lam for p in points], dtype=float)
    columns = {"lam": lam, "var_pnl": v_pnl, "var_value": v_val,
               "objective": (1.0 - lam) * v_pnl + lam * v_val,  # IEEE: as in Python floats
               "pnl_te": np.sqrt(v_pnl), "value_te": np.sqrt(v_val),
               "names": np.array([p.names for p in points], dtype=np.int64),
               "solver": [p.solver for p in points]}
    return FrontierTable(columns, copy=False)
