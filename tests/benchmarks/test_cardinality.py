"""The cardinality benchmark's instances: the untuned ones are the tuned data with another K or
another synthetic seed, and stay out of the default table."""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho
from benchmarks import cardinality as cb
from benchmarks.wholeshare import dollars2_numpy


def test_untuned_instances_are_not_in_the_default_table() -> None:
    """The default table is :data:`INSTANCES` (this module's and the whole-share suite's
    ``--instances`` / ``--cardinality`` defaults read it)."""
    assert not set(cb.UNTUNED) & set(cb.INSTANCES)
    assert set(cb.BEST_KNOWN) <= set(cb.INSTANCES)
    assert set(cb.BEST_SETS) <= set(cb.BEST_KNOWN)


@pytest.mark.parametrize("name", sorted(cb.BEST_SETS))
def test_best_known_value_is_its_set_solved_again(name: str) -> None:
    """J_best, the denominator of every ratio of the table, is the whole-share optimum on its
    recorded names, recomputed here with numpy on the full universe, and feasible there."""
    if ho.datasets.orlib_dir() is None:
        pytest.skip("OR-Library data not found")
    prices, basket, K, lot = cb.instance(name)
    cols = prices.columns[list(cb.BEST_SETS[name])]
    assert len(cols) <= K
    res = ho.HedgeProblem(prices[cols], basket, lam=cb.LAM).add(
        ho.LongOnly(), ho.Budget(band=(0.98, 1.0)), ho.ShareLots(lot)).solve(time_limit=20, seed=0)
    shares = res.shares.reindex(prices.columns).fillna(0.0)
    J = dollars2_numpy(shares.to_numpy(float), prices, basket)
    assert J == pytest.approx(cb.BEST_KNOWN[name], rel=1e-9)
    full = cb.problem(name)
    assert [v for c in full.constraints for v in c.check(shares, full.ctx, 1e-6)] == []


@pytest.mark.parametrize(("name", "base", "K"), [("indtrack6-k10", "indtrack6", 10),
                                                 ("indtrack6-k40", "indtrack6", 40)])
def test_untuned_orlib_instance_is_the_set_with_another_k(name: str, base: str, K: int) -> None:
    if ho.datasets.orlib_dir() is None:
        pytest.skip("OR-Library data not found")
    prices, basket, k, lot = cb.instance(name)
    p0, b0, k0, lot0 = cb.instance(base)
    assert (k, lot) == (K, lot0) and k != k0
    np.testing.assert_array_equal(prices.to_numpy(), p0.to_numpy())
    np.testing.assert_array_equal(basket.to_numpy(), b0.to_numpy())
    limits = [c for c in cb.problem(name).constraints if isinstance(c, ho.MaxNames)]
    assert [c.k for c in limits] == [K]


def test_untuned_synthetic_instance_is_another_universe() -> None:
    p7, _, K7, lot7 = cb.instance("synthetic800-s7")
    p11, _, K11, lot11 = cb.instance("synthetic800")
    assert p7.shape == p11.shape and (K7, lot7) == (K11, lot11)
    ref, _ = ho.datasets.synthetic_market(n_assets=800, n_days=504, notional=cb.NOTIONAL,
                                          seed=7)[:2]
    np.testing.assert_array_equal(p7.to_numpy(), ref.to_numpy())
    assert not np.allclose(p7.to_numpy(), p11.to_numpy())
