"""The selection stage of the pipeline: whole-share answers against brute force."""

from __future__ import annotations

import itertools

import numpy as np

import hedgeopt as ho
from hedgeopt.solvers.wholeshare import solve_whole_shares, violations
from hedgeopt.solvers.wholeshare.cardinality import chooses_names, solve_search
from hedgeopt.solvers.wholeshare.restrictions import MaxNamesRule, MinPositionRule, TurnoverRule


def _brute_lots(spec, K: int) -> float:
    """Every lot vector with at most ``K`` names (none above the budget's 1.0 alone)."""
    top = int(np.floor(1.0 / spec.unit.min()))
    best = np.inf
    for S in itertools.combinations(range(spec.n), K):
        for v in itertools.product(range(top + 1), repeat=K):
            z = np.zeros(spec.n, dtype=np.int64)
            z[list(S)] = v
            if not violations(spec, z):
                best = min(best, spec.value(z))
    return best


def test_whole_shares_with_max_names_match_brute_force(make_tiny) -> None:
    for seed, rules in ((0, (MaxNamesRule(2),)),
                        (1, (MaxNamesRule(2), TurnoverRule(np.full(13, 1 / 13), 1.9)))):
        spec = make_tiny(13, seed=seed, rules=rules, unit_scale=0.15)
        assert chooses_names(spec)
        out = solve_whole_shares(spec, "HEURISTIC", time_limit=5, seed=0)
        assert out.z is not None and not violations(spec, out.z)
        assert out.method == "selection"
        np.testing.assert_allclose(out.value, _brute_lots(spec, 2), rtol=1e-12)


def test_names_not_chosen_go_to_the_lot_search(make_tiny) -> None:
    spec = make_tiny(13, seed=0, rules=(MaxNamesRule(13),))
    assert not chooses_names(spec)
    assert solve_search(spec, time_limit=1).method != "selection"
    assert chooses_names(make_tiny(13, seed=0, rules=(MinPositionRule(np.full(13, 0.1)),)))
    # small problems: the whole-share search enumerates them, which proves optimality
    small = make_tiny(12, seed=0, rules=(MaxNamesRule(2),), unit_scale=0.15)
    assert not chooses_names(small)
    out = solve_search(small, time_limit=5)
    assert out.method != "selection" and out.info.get("proven")


def test_public_api_max_names_with_sector_caps_and_turnover(market) -> None:
    """Every other constraint still holds, checked here by each constraint in user units."""
    prices, basket, sectors = market
    current = (basket.iloc[-1] / prices.shape[1] / prices.iloc[-1]).round()
    cons = [ho.LongOnly(), ho.Budget(band=(0.98, 1.0)), ho.SectorCap(sectors, max_weight=0.3),
            ho.Turnover(current, max_dollars=1.7 * basket.iloc[-1]), ho.ShareLots(1),
            ho.MaxNames(6)]
    prob = ho.HedgeProblem(prices, basket, lam=0.3, constraints=cons)
    res = prob.solve(time_limit=4)
    assert res.method == "selection"
    sh = res.shares
    assert int((sh != 0).sum()) <= 6
    for c in cons:
        assert c.check(sh, prob.ctx) == []
    d = prices.to_numpy() @ sh.reindex(prices.columns).to_numpy() - basket.to_numpy()
    want = 0.7 * np.var(np.diff(d), ddof=1) + 0.3 * np.var(d, ddof=1)
    np.testing.assert_allclose(res.objective, want, rtol=1e-9)


def test_time_left_after_the_lots_goes_back_to_the_selection(make_tiny, subset_value_cvxpy,
                                                             monkeypatch) -> None:
    """The lots of 4 names end early, so the selection resumes (and not with ``RESUME``
    off); the answer passes the checker, its value is the objective of its lots and not
    below the continuous optimum on its names (cvxpy)."""
    from hedgeopt.solvers.wholeshare import cardinality

    spec = make_tiny(40, seed=2, rules=(MaxNamesRule(4),), unit_scale=1e-3)
    assert chooses_names(spec)
    out = solve_search(spec, time_limit=1.5, seed=0)
    assert out.method == "selection" and out.info["selection_resumed"] >= 1
    assert out.z is not None and not violations(spec, out.z)
    assert out.value == spec.value(out.z)
    S = np.flatnonzero(out.z)
    assert S.size <= 4
    assert out.value >= subset_value_cvxpy(spec, S) - 1e-9 * abs(out.value)
    monkeypatch.setattr(cardinality, "RESUME", False)
    assert solve_search(spec, time_limit=1.5, seed=0).info["selection_resumed"] == 0
