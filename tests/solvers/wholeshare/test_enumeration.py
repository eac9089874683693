"""The exact subproblems of the search (enumeration.py)."""

from __future__ import annotations

import time

import numpy as np

from hedgeopt.solvers.wholeshare import Searcher
from tests.solvers.wholeshare.specs import make_spec


def test_solve_subset_stops_at_a_past_deadline() -> None:
    """The subset enumeration returns at once past the deadline."""
    spec = make_spec(8, 1)
    s = Searcher(spec)
    s.set(np.zeros(8, dtype=np.int64))
    past = time.perf_counter() - 1.0
    assert s.solve_subset(np.arange(8), deadline=past) == (None, False, 0)
