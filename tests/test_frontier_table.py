"""The frontier's table: variances of all points in one pass, equal to one path at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hedgeopt.frontier_table import FrontierPoint, FrontierTable, frontier_table
from hedgeopt.metrics import gap_variances, window_objective


@pytest.mark.parametrize("t", [3, 4, 17, 252, 1001])
def test_rows_equal_one_path_at_a_time_bit_for_bit(t):
    """The stacked pass gives gap_variances and window_objective of each point exactly (the
    frontier's ``objective`` is ``HedgeResult.objective`` of the same shares)."""
    rng = np.random.default_rng(t)
    P = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (t, 6)), axis=0))
    B = P @ rng.uniform(1e3, 2e3, 6) + rng.normal(0, 1e3, t)
    lams = [0.0, 0.3, 1.0, 0.7]
    shares = [rng.uniform(0, 3e3, 6) * (rng.random(6) < 0.7) for _ in lams]
    points = [FrontierPoint(lam, P @ n - B, int(np.count_nonzero(n)), "ACTIVESET")
              for lam, n in zip(lams, shares, strict=True)]
    table = frontier_table(points)
    assert isinstance(table, FrontierTable)
    assert list(table.columns) == ["lam", "var_pnl", "var_value", "objective", "pnl_te",
                                   "value_te", "names", "solver"]
    for row, lam, n in zip(table.itertuples(), lams, shares, strict=True):
        d = P @ n - B
        v_pnl, v_val = gap_variances(d)
        assert (row.var_pnl, row.var_value) == (v_pnl, v_val)
        assert row.var_pnl == np.var(np.diff(d), ddof=1)  # numpy's own, on the one path
        assert row.objective == window_objective(n, P, B, lam)
        assert (row.pnl_te, row.value_te) == (math.sqrt(v_pnl), math.sqrt(v_val))
        assert row.names == np.count_nonzero(n) and row.lam == lam
    records = FrontierTable([{k: getattr(r, k) for k in table.columns}
                             for r in table.itertuples()])
    assert table.dtypes.to_dict() == records.dtypes.to_dict()  # what rows of dicts give


def test_no_points_no_rows():
    assert len(frontier_table([])) == 0
