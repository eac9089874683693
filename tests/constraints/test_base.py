"""The shared machinery of linear constraints: forms, caches, verification."""

from __future__ import annotations

import numpy as np

import hedgeopt as ho
from hedgeopt.constraints.base import feasible_point


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


def test_a_form_mutated_after_the_solve_built_it_does_not_blind_the_verification(tiny):
    """The solve's form built first (one ``_linear`` call fills both caches): the check's copy
    shares no array with it, so corrupting every array of the solve's form changes nothing."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    c = ho.SectorCap({"AAA": "x", "BBB": "x", "CCC": "y"}, max_weight=0.6)
    form = c.linear(ctx)  # before any check
    mine = c._check_form(ctx)
    assert mine is not form
    for name in ("lb", "ub", "A", "lo", "hi"):
        assert not np.shares_memory(getattr(mine, name), getattr(form, name))
    form.lb[:], form.ub[:], form.hi[:] = -np.inf, np.inf, np.inf
    form.A[:] = 0.0
    over = ctx.shares_from_weights(np.array([0.5, 0.3, 0.2]))  # sector x at 80% > 60%
    assert len(c.check(over, ctx)) == 1
    assert c.check(ctx.shares_from_weights(np.array([0.3, 0.3, 0.4])), ctx) == []


def test_one_form_build_per_constraint_in_a_first_solve(market, monkeypatch):
    """``add`` builds each form once; the solve and its verification build none (the check's
    cache got its copy at that build), and a changed argument is built once more."""
    prices, basket, sectors = market
    calls: dict[str, int] = {}
    for cls in (ho.SectorCap, ho.Budget):
        real = cls._linear

        def counted(self, ctx, _real=real):
            calls[type(self).__name__] = calls.get(type(self).__name__, 0) + 1
            return _real(self, ctx)

        monkeypatch.setattr(cls, "_linear", counted)
    cap = ho.SectorCap(sectors, max_weight=0.4)
    res = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[ho.Budget(), cap]).solve()
    assert res.violations == []
    assert calls == {"SectorCap": 1, "Budget": 1}
    worst = float(res.to_frame()["weight"].groupby(sectors).sum().max())
    cap.max_weight = worst - 0.05
    assert len(cap.check(res.shares, res.ctx)) == 1  # verified against the new cap
    assert calls == {"SectorCap": 2, "Budget": 1}


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


def _kind(msg: str) -> str:
    """Which side a message of check reports: lb, ub, lo or hi."""
    for key, kind in ((" below lower ", "lb"), (" above upper ", "ub"), (", below $", "lo"),
                      (", above $", "hi")):
        if key in msg:
            return kind
    raise AssertionError(msg)


def test_check_many_is_check_of_every_column():
    """The batched check of an N x K share matrix gives, column by column, exactly the list
    check gives (messages, order and all): finite and infinite bounds (+inf lower and -inf
    upper ones included), equality, one-sided and two-sided rows, violations of every kind and
    clean columns."""
    rng = np.random.default_rng(5)
    n, k = 12, 400
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=n, n_days=30, n_sectors=2,
                                                     seed=5)
    ctx = ho.HedgeContext(prices, basket)
    inf = np.inf
    lb = rng.uniform(-0.2, 0.0, n)
    ub = rng.uniform(0.05, 0.3, n)
    lb[[1, 2]], ub[[3, 4]] = -inf, inf
    lb[5], ub[6] = inf, -inf  # "exceeded" by every weight, never reported
    A = rng.normal(size=(5, n))
    A[0] = 1.0
    lo = np.array([1.0, -inf, -0.2, 0.1, -inf])
    hi = np.array([1.0, 0.4, inf, 0.5, inf])  # equality, upper, lower, two-sided, free
    form = ho.LinearForm(lb, ub, A, lo, hi, ["budget", "upper", "lower", "band"])
    c = _Mixed(form)
    W = rng.uniform(-0.05, 0.15, (n, k))
    W *= rng.uniform(0.7, 1.3, k) / W.sum(axis=0)  # budgets around 1
    plain = ho.LinearForm(lb.copy(), ub.copy(), A, lo, hi)
    plain.lb[5], plain.ub[6] = -inf, inf
    x = feasible_point(plain)
    assert x is not None
    W[:, :3] = x[:, None] * np.array([1.0, 1.0 + 1e-9, 1.0 - 1e-9])  # clean columns
    S = W * ctx.notional / ctx.p_ref[:, None]
    got = c.check_many(S, ctx, tol=1e-6)
    want = [c.check(S[:, j], ctx, tol=1e-6) for j in range(k)]
    assert got == want
    kinds = {_kind(m) for col in want for m in col}
    assert kinds == {"lb", "ub", "lo", "hi"}
    assert any("budget" in m for col in want for m in col)  # the equality row, both sides
    assert want[:3] == [[], [], []] and all(col for col in want[3:])
    flat = [m for col in want for m in col]
    assert not any(ctx.tickers[5] in m.split(":")[1].split(" holds")[0] for m in flat
                   if _kind(m) == "lb")
    # a column exactly at its limits and one a hair beyond (tol 0): check's own verdicts
    edge = ctx.shares_from_weights(x)  # a vertex: on some of its limits
    M = np.column_stack([edge, edge * (1 + 1e-15), edge * (1 - 1e-15)])
    assert c.check_many(M, ctx, tol=0.0) == [c.check(M[:, j], ctx, tol=0.0) for j in range(3)]


def test_check_many_rows_are_judged_by_checks_own_product():
    """The rows' matrix product rounds differently from check's vector product in the last
    bits: limits placed exactly on the matrix product's values, where check's larger value is
    a violation (tol 0), are still reported for those columns, as check reports them."""
    rng = np.random.default_rng(9)
    n, k, m = 300, 64, 40
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=n, n_days=30, n_sectors=2,
                                                     seed=9)
    ctx = ho.HedgeContext(prices, basket)
    A = rng.normal(size=(m, n))
    S = rng.normal(size=(n, k)) * ctx.notional / ctx.p_ref[:, None] / n
    W = S * ctx.p_ref[:, None] / ctx.notional
    V = A @ W
    v = np.column_stack([A @ (S[:, j] * ctx.p_ref / ctx.notional) for j in range(k)])
    rows, cols = np.nonzero(v > V)  # where check's value is the larger one
    assert len(rows), "the two products agree everywhere: no case to test"
    picked: dict[int, int] = {}
    for j, col in zip(rows, cols, strict=True):
        picked.setdefault(int(j), int(col))
    for j, col in list(picked.items())[:6]:
        hi = np.full(m, np.inf)
        hi[j] = V[j, col]  # the matrix product sits on the limit, check's value just above
        form = ho.LinearForm(np.full(n, -np.inf), np.full(n, np.inf), A, np.full(m, -np.inf),
                             hi, [f"row {i}" for i in range(m)])
        c = _Mixed(form)
        got = c.check_many(S, ctx, tol=0.0)
        assert got == [c.check(S[:, i], ctx, tol=0.0) for i in range(k)]
        assert got[col] == [c.check(S[:, col], ctx, tol=0.0)[0]]
        assert got[col][0].startswith(f"{c!r}: row {j} is")


def test_check_many_uses_an_overridden_check():
    """A linear constraint with a check of its own (as MaxParticipation and ExposureLimit
    have) is checked column by column through that method, never by the batched form."""

    class Own(_Mixed):
        def check(self, shares, ctx, tol=1e-6):
            return [f"own {float(np.sum(shares)):.3f}"]

    prices, basket, _ = ho.datasets.synthetic_market(n_assets=4, n_days=20, n_sectors=2,
                                                     seed=1)
    ctx = ho.HedgeContext(prices, basket)
    c = Own(ho.LinearForm.free(4))
    S = np.arange(8.0).reshape(4, 2)
    assert c.check_many(S, ctx) == [["own 12.000"], ["own 16.000"]]


def test_check_many_refuses_a_matrix_of_another_shape(tiny):
    import pytest

    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    for bad in (np.zeros(3), np.zeros((2, 4)), np.full((3, 2), np.nan)):
        with pytest.raises(ho.InputError, match="3 rows") as err:
            ho.LongOnly().check_many(bad, ctx)
        assert err.value.field == "shares"
