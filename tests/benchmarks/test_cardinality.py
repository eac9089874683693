"""The cardinality benchmark's instances: the untuned ones are the tuned data with another K or
another synthetic seed, and stay out of the default table."""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho
from benchmarks import cardinality as cb


def test_untuned_instances_are_not_in_the_default_table() -> None:
    assert not set(cb.UNTUNED) & set(cb.INSTANCES)
    assert set(cb.BEST_KNOWN) <= set(cb.INSTANCES)


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
