"""Fresh float arrays that are cheap to touch for the first time.

A fresh array's memory is page-faulted in at its first touch, one 4 KB page at a time, each
fault about 3-4 us here (the kernel zeroes the page): a fresh 3 MB array costs ~2.5 ms to fill,
against 0.4 ms for the same work on memory already touched. numpy asks the kernel to back an
allocation of at least 4 MiB with 2 MiB huge pages (``madvise(MADV_HUGEPAGE)``, on Linux with
transparent huge pages in ``madvise`` or ``always`` mode), faulted in 512 times fewer; but only
the 2 MiB-aligned stretches of the allocation get them, so a 4 MiB array is still half small
pages. :func:`empty` allocates at least 4 MiB for an array of at least :data:`HUGE_FROM`
bytes and starts it on a 2 MiB boundary, so the few large arrays of a first solve (prices,
blocks, Grams, the QP's Hessian: 2-6 MB each at N=500, T=756) lie in huge pages only. The
padding is address space: only the pages the array touches are backed by memory. Elsewhere
(no transparent huge pages, other platforms) it is a slightly larger allocation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["empty"]

#: numpy's threshold for huge pages (``numpy/_core/src/multiarray/alloc.c``).
HUGE_PAGES_AT = 1 << 22
#: A huge page (x86-64 and arm64 with 4 KB base pages).
HUGE_PAGE = 1 << 21
#: Smallest array (bytes) placed in huge pages.
HUGE_FROM = 1 << 21


def empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised C-ordered float64 array of ``shape``; from :data:`HUGE_FROM` bytes on,
    a view that starts on a huge-page boundary of an allocation of at least
    :data:`HUGE_PAGES_AT` bytes."""
    size = int(np.prod(shape, dtype=np.int64))
    nbytes = 8 * size
    if nbytes < HUGE_FROM:
        return np.empty(shape)
    raw = np.empty(max(nbytes + HUGE_PAGE, HUGE_PAGES_AT), dtype=np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    return raw[start:start + nbytes].view(np.float64).reshape(shape)
