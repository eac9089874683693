"""Subset selection against brute force over every subset of tiny problems."""

from __future__ import annotations

import itertools
import time

import numpy as np

from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule, MinTradeRule
from hedgeopt.solvers.wholeshare.selection import forced_names, select_names


def _brute(spec, subset_value_cvxpy, sizes, min_weight=None) -> float:
    n = spec.n
    return min(subset_value_cvxpy(spec, np.array(S, dtype=np.int64), min_weight)
               for k in sizes for S in itertools.combinations(range(n), k))


def test_max_names_finds_the_best_subset(make_tiny, subset_value_cvxpy) -> None:
    for seed, sector in ((0, False), (5, True)):
        spec = make_tiny(7, seed=seed, rules=(MaxNamesRule(3),), sector=sector)
        sel = select_names(spec, time.perf_counter() + 60, seed=seed, max_rounds=30)
        assert sel is not None and sel.S.size <= 3
        want = _brute(spec, subset_value_cvxpy, [3])  # more names never hurt here
        np.testing.assert_allclose(sel.value, want, rtol=1e-6)
        np.testing.assert_allclose(subset_value_cvxpy(spec, sel.S), sel.value, rtol=1e-6)


def test_min_position_chooses_how_many_names(make_tiny, subset_value_cvxpy) -> None:
    """No name limit, minimum positions of 0.22: any number of names (1 to 4) may win."""
    spec = make_tiny(6, seed=3, rules=(MinPositionRule(np.full(6, 0.22)),), unit_scale=1e-6)
    sel = select_names(spec, time.perf_counter() + 60, seed=0, max_rounds=30)
    assert sel is not None
    least = spec.restrictions()[0].held_lots() * spec.unit
    want = _brute(spec, subset_value_cvxpy, range(1, 5), least)
    np.testing.assert_allclose(sel.value, want, rtol=1e-6)
    assert np.all(sel.w >= least[sel.S] - 1e-12)


def test_forced_names_stay_in(make_tiny) -> None:
    h = np.zeros(8)
    h[6] = 0.05  # a holding below the minimum trade cannot be sold out
    spec = make_tiny(8, seed=1, rules=(MaxNamesRule(3), MinTradeRule(h, np.full(8, 0.1))))
    np.testing.assert_array_equal(forced_names(spec), [6])
    sel = select_names(spec, time.perf_counter() + 30, max_rounds=5)
    assert sel is not None and 6 in sel.S and sel.S.size <= 3


def test_deterministic_for_a_seed(make_tiny) -> None:
    spec = make_tiny(14, seed=2, rules=(MaxNamesRule(4),))
    a = select_names(spec, time.perf_counter() + 60, seed=4, max_rounds=3)
    b = select_names(spec, time.perf_counter() + 60, seed=4, max_rounds=3)
    assert a is not None and b is not None
    np.testing.assert_array_equal(a.S, b.S)
    assert a.value == b.value
    assert [v.value for v in a.pool] == sorted(v.value for v in a.pool)


def test_tabu_walk_stops_when_it_stalls(make_tiny) -> None:
    """From a 1-swap local optimum no first move improves, so ``stall=1`` stops the walk
    after one move and returns the start; without ``stall`` it makes all ``iters`` moves."""
    from hedgeopt.solvers.wholeshare.selection import _Search
    from hedgeopt.solvers.wholeshare.subsetqp import SubsetQP

    spec = make_tiny(9, seed=2, rules=(MaxNamesRule(3),))
    search = _Search(SubsetQP(spec), 3, forced_names(spec), time.perf_counter() + 60,
                     np.random.default_rng(0), 6)
    start = search.swaps(np.array([0, 1, 2]))
    before = search.n_swaps
    got = search.tabu(start, 40, start.value, stall=1)
    assert search.n_swaps - before == 1
    assert got is start
    before = search.n_swaps
    got = search.tabu(start, 5, start.value)
    assert search.n_swaps - before == 5
    assert got.value <= start.value


def test_swap_matrix_equals_the_two_call_reading(make_tiny) -> None:
    """One masked matrix serves the limited and the full reading: the same matrix as masking
    the limited :meth:`~.subsetqp.SubsetQP.swap_values` and, when its best is above the
    floor, the full one."""
    from hedgeopt.solvers.wholeshare.selection import _Search
    from hedgeopt.solvers.wholeshare.subsetqp import SubsetQP

    rng = np.random.default_rng(3)
    spec = make_tiny(300, seed=1, rules=(MaxNamesRule(6),), sector=True)
    sq = SubsetQP(spec)
    search = _Search(sq, 6, forced_names(spec), time.perf_counter() + 60, rng, 6)
    readings = set()
    for _ in range(12):
        cur = sq.value(np.sort(rng.choice(300, 6, replace=False)))
        ban = rng.random(300) < 0.3
        aim = cur.value - rng.random() * 0.2 * abs(cur.value)
        if rng.random() < 0.5:  # the best priced names tabu: the full reading is needed
            ban[np.argsort(-sq.price(cur))[:64]] = True
            aim = -np.inf

        def mask(P: np.ndarray, cols: np.ndarray, ban: np.ndarray = ban,
                 aim: float = aim) -> np.ndarray:
            return np.where(ban[cols][None, :] & ~(P < aim), np.inf, P)

        want = None
        every = np.arange(300)
        for lim in (64, None):
            P, floor = sq.swap_values(cur, lim)
            P = mask(P, every)
            if not float(P.min(initial=np.inf)) > floor:
                want = P
                readings.add(lim)
                break
        got = search.swap_matrix(cur, mask)
        assert got is not None
        block, cols = got
        full = np.full((cur.S.size, 300), np.inf)
        full[:, cols] = block
        np.testing.assert_array_equal(full, want)
        # the columns left out are the names that cannot enter: +inf in the full matrix
        assert np.all(np.isin(np.flatnonzero(np.isfinite(want).any(axis=0)), cols))
    assert readings == {64, None}  # both readings occur


def test_smallest_entries() -> None:
    from hedgeopt.solvers.wholeshare.selection import _smallest

    rng = np.random.default_rng(0)
    for shape in ((5, 40), (1, 7), (3, 2), (2, 2), (30, 300)):
        P = rng.random(shape)
        P[rng.random(shape) < 0.3] = np.inf
        for m in (1, 3):
            got = np.sort(P.ravel()[_smallest(P, m)])
            np.testing.assert_array_equal(got, np.sort(P.ravel())[:m])


def test_resumed_selector_makes_the_rounds_of_one_call(make_tiny, subset_value_cvxpy) -> None:
    """Given the seed the rounds do not depend on how the calls split them: 2 rounds and
    then 3 more give the set, value and counts of 5 rounds in one call; the answer's value
    is the continuous optimum on its names (cvxpy) and the trace falls to it."""
    from hedgeopt.solvers.wholeshare.selection import Selector

    spec = make_tiny(30, seed=4, rules=(MaxNamesRule(4),), sector=True)
    far = time.perf_counter() + 120
    one = select_names(spec, far, seed=3, max_rounds=5)
    sel = Selector(spec, seed=3)
    first = sel.run(far, max_rounds=2)
    two = sel.run(far, max_rounds=5)
    assert one is not None and first is not None and two is not None
    assert first.stats["lns_rounds"] == 2 and two.stats["lns_rounds"] == 5
    np.testing.assert_array_equal(two.S, one.S)
    assert two.value == one.value and two.value <= first.value
    for k in ("qp_solves", "swaps", "lns_improvements", "found_by"):
        assert two.stats[k] == one.stats[k], k
    np.testing.assert_allclose(subset_value_cvxpy(spec, two.S), two.value, rtol=1e-6)
    vals = [v for _, v in two.stats["trace"]]
    assert all(b < a for a, b in zip(vals, vals[1:], strict=False)) and vals[-1] == two.value


def test_tabu_walk_reports_every_set_that_beats_the_best(make_tiny) -> None:
    """``on_best`` sees, in order, each set of the walk below the value it was given: the
    last one is the walk's answer, and each value is the exact one of its set."""
    from hedgeopt.solvers.wholeshare.selection import _Search
    from hedgeopt.solvers.wholeshare.subsetqp import SubsetQP

    spec = make_tiny(40, seed=6, rules=(MaxNamesRule(5),))
    sq = SubsetQP(spec)
    search = _Search(sq, 5, forced_names(spec), time.perf_counter() + 60,
                     np.random.default_rng(1), 6)
    start = sq.value(np.arange(5))
    seen: list = []
    search.on_best = seen.append
    got = search.tabu(start, 60, start.value)
    assert seen and seen[-1] is got and got.value < start.value
    assert all(b.value < a.value for a, b in zip(seen, seen[1:], strict=False))
    fresh = SubsetQP(spec)
    for v in seen:
        np.testing.assert_allclose(fresh.value(v.S).value, v.value, rtol=1e-9, atol=1e-15)


def test_first_least_breaks_rounding_ties_by_order() -> None:
    from hedgeopt.solvers.wholeshare.selection import _first_least

    assert _first_least([3.0, 1.0 + 1e-15, 1.0, 2.0]) == 1  # equal up to rounding: first
    assert _first_least([3.0, 1.0 + 1e-9, 1.0]) == 2  # a real difference decides
    assert _first_least([np.inf, np.inf]) == 0
    assert _first_least([-2.0, -2.0 - 1e-13]) == 0  # relative to |least| for negatives too
