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


class _Mixed(ho.LinearConstraint):
    """A form with finite and infinite bounds and rows of every kind (a test fixture)."""

    def __init__(self, form: ho.LinearForm) -> None:
        super().__init__()
        self.form = form

    def _linear(self, ctx):
        f = self.form
        return ho.LinearForm(f.lb.copy(), f.ub.copy(), f.A.copy(), f.lo.copy(), f.hi.copy(),
                             list(f.labels))


def _reference_check(c, form, n, ctx, tol):
    """The violations compared entry by entry in Python, in check's message order."""
    w = n * ctx.p_ref / ctx.notional
    out = []
    for i in range(w.size):
        if np.isfinite(form.lb[i]) and form.lb[i] - w[i] > tol:
            out.append((c, "lb", i))
    for i in range(w.size):
        if np.isfinite(form.ub[i]) and w[i] - form.ub[i] > tol:
            out.append((c, "ub", i))
    v = form.A @ w
    for j in range(form.A.shape[0]):
        if v[j] < form.lo[j] - tol:
            out.append((c, "lo", j))
        if v[j] > form.hi[j] + tol:
            out.append((c, "hi", j))
    return out


def test_check_reports_exactly_the_violating_entries(tiny):
    """The vectorised comparisons flag the same bounds and rows, in the same order, as an
    entry-by-entry loop; each message names its ticker or row and the side."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    rng = np.random.default_rng(3)
    inf = np.inf
    form = ho.LinearForm(np.array([-0.1, -inf, 0.0]), np.array([0.2, 0.3, inf]),
                         np.array([[1.0, 1.0, 1.0], [1.0, -1.0, 0.0], [0.0, 0.0, 1.0]]),
                         np.array([0.9, -inf, 0.05]), np.array([1.1, 0.1, inf]),
                         ["budget", "spread", "CCC floor"])
    c = _Mixed(form)
    seen = set()
    for _ in range(200):
        w = rng.uniform(-0.6, 0.8, 3)
        n = ctx.shares_from_weights(w)
        got = c.check(n, ctx, tol=1e-6)
        ref = _reference_check(c, form, n, ctx, 1e-6)
        assert len(got) == len(ref)
        for msg, (_, kind, k) in zip(got, ref, strict=True):
            if kind in ("lb", "ub"):
                assert ctx.tickers[k] in msg
                assert ("below lower" if kind == "lb" else "above upper") in msg
            else:
                assert msg.split(": ", 1)[1].startswith(form.labels[k])
                assert (", below $" if kind == "lo" else ", above $") in msg
            seen.add(kind)
    assert seen == {"lb", "ub", "lo", "hi"}  # every kind of violation was exercised
    assert c.check(ctx.shares_from_weights(np.array([0.1, 0.2, 0.7])), ctx) == []


def test_check_never_reports_an_infinite_bound(tiny):
    """A lower bound of +inf or an upper bound of -inf is "exceeded" by every weight, but an
    infinite bound is never violated: only the finite bounds are reported, in the loop's order."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    inf = np.inf
    form = ho.LinearForm(np.array([0.0, inf, 0.1]), np.array([-inf, 0.3, 0.2]),
                         np.zeros((0, 3)), np.zeros(0), np.zeros(0), [])
    c = _Mixed(form)
    for w in ([0.5, 0.5, 0.0], [-0.2, 0.1, 0.15], [0.0, 0.0, 0.15]):
        n = ctx.shares_from_weights(np.array(w))
        got = c.check(n, ctx, tol=1e-6)
        ref = _reference_check(c, form, n, ctx, 1e-6)
        assert [(m.split(" holds")[0].rsplit(" ", 1)[1]) for m in got] == \
            [ctx.tickers[k] for _, _, k in ref]


def test_arguments_fixed_keys_once_and_lets_go(tiny):
    """Inside the block check verifies with the key taken on entry (its own form, built from
    the arguments, never the solve's); on exit, also after an exception, a changed argument
    is checked again, and a copy of a constraint never inherits the key."""
    import copy

    import pytest

    from hedgeopt.constraints.base import _fixed_keys, arguments_fixed
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    cap = ho.SectorCap({"AAA": "x", "BBB": "x", "CCC": "y"}, max_weight=0.9)
    shares = ctx.shares_from_weights(np.array([0.5, 0.3, 0.2]))
    with arguments_fixed([cap, ho.Budget()]):
        cap.linear(ctx).hi[:] = -1.0  # a corrupted solve-side form is not what check reads
        assert cap.check(shares, ctx) == []
        twin = copy.copy(cap)
        twin.max_weight = 0.5
        assert len(twin.check(shares, ctx)) == 1  # the copy hashes its own arguments
    assert not _fixed_keys()
    cap.max_weight = 0.5
    assert len(cap.check(shares, ctx)) == 1
    with pytest.raises(RuntimeError), arguments_fixed([cap]):
        raise RuntimeError
    assert not _fixed_keys()
    cap.max_weight = 0.9
    assert cap.check(shares, ctx) == []


def test_arguments_fixed_is_per_thread(tiny):
    """Two threads' blocks over one shared constraint: the first to leave does not drop the
    other's key, and the last to leave does not restore the first's (which would leave a stale
    key behind, so a later change of an argument would be verified against the old form)."""
    import threading

    from hedgeopt.constraints.base import _fixed_keys, arguments_fixed
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    cap = ho.SectorCap({"AAA": "x", "BBB": "x", "CCC": "y"}, max_weight=0.9)
    shares = ctx.shares_from_weights(np.array([0.5, 0.3, 0.2]))
    inside, leave = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with arguments_fixed([cap]):
            seen.append(id(cap) in _fixed_keys())
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    with arguments_fixed([cap]):
        leave.set()
        t.join(10)
        assert id(cap) in _fixed_keys()  # the other thread's exit left this thread's key
    assert seen == [True] and not _fixed_keys()
    cap.max_weight = 0.5
    assert len(cap.check(shares, ctx)) == 1  # no stale key anywhere
