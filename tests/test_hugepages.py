"""hedgeopt.hugepages.empty: the array asked for, in huge pages when it is large."""

from __future__ import annotations

import numpy as np
import pytest

from hedgeopt import hugepages


@pytest.mark.parametrize("shape", [(3, 4), (512, 511), (2, 501, 501), (1511, 501), (0, 7)])
def test_empty_is_a_writeable_c_ordered_float_array_of_the_shape(shape):
    a = hugepages.empty(shape)
    assert a.shape == shape and a.dtype == np.float64
    assert a.flags.c_contiguous and a.flags.writeable
    a[...] = np.arange(a.size, dtype=float).reshape(shape)  # every entry is its own
    np.testing.assert_array_equal(a.reshape(-1), np.arange(a.size, dtype=float))


@pytest.mark.parametrize("shape", [(512, 512), (2, 501, 501), (1511, 501), (1024, 1024)])
def test_large_arrays_start_on_a_huge_page_in_an_allocation_numpy_gives_huge_pages(shape):
    """From HUGE_FROM bytes on: aligned to a huge page, inside an allocation of at least
    numpy's huge-page threshold that holds the whole array."""
    a = hugepages.empty(shape)
    assert a.ctypes.data % hugepages.HUGE_PAGE == 0
    base = a.base
    while getattr(base, "base", None) is not None:
        base = base.base
    assert isinstance(base, np.ndarray) and base.nbytes >= hugepages.HUGE_PAGES_AT
    start = a.ctypes.data - base.ctypes.data
    assert 0 <= start and start + a.nbytes <= base.nbytes


def test_small_arrays_are_plain_allocations():
    a = hugepages.empty((100, 100))
    assert a.base is None and a.nbytes < hugepages.HUGE_FROM
