"""The table of :meth:`HedgeProblem.frontier`: a DataFrame that shows its units and the lam
the problem was set to (the chosen one, which :func:`hedgeopt.plot_frontier` marks)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.text import fmt_float

__all__ = ["FrontierTable"]


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
