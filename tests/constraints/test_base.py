"""The shared machinery of linear constraints: forms, caches, verification."""

from __future__ import annotations

import numpy as np

import hedgeopt as ho


def test_check_never_reads_the_form_the_solve_used(tiny):
    """Corrupting the solve-side cached form (linear()) does not blind the verification."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    c = ho.LongOnly()
    short = np.array([-1.0, 0.0, 0.0])
    assert c.check(short, ctx)  # a violation
    form = c.linear(ctx)
    form.lb[:] = -np.inf  # what a buggy solver mutating its form would do
    assert c.check(short, ctx)  # still reported
    assert c.check(np.zeros(3), ctx) == []


def test_check_follows_a_changed_argument(tiny):
    """The verification cache is keyed by the arguments' values: a new cap is checked."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    sectors = {"AAA": "x", "BBB": "x", "CCC": "y"}
    cap = ho.SectorCap(sectors, max_weight=0.9)
    w = np.array([0.5, 0.3, 0.2])
    shares = ctx.shares_from_weights(w)
    assert cap.check(shares, ctx) == []
    cap.max_weight = 0.5
    assert len(cap.check(shares, ctx)) == 1
