"""HedgeResult: views in shares / dollars / weights, metrics against numpy, display."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho


@pytest.fixture(scope="module")
def solved(market):
    prices, basket, sectors = market
    res = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)).solve(solver="OSQP")
    return prices, basket, res


def test_views_are_consistent(solved):
    prices, basket, res = solved
    p_ref = prices.iloc[-1]
    assert isinstance(res.shares, pd.Series)
    assert res.shares.index.equals(prices.columns)
    assert res.shares.name == "shares"
    pd.testing.assert_series_equal(res.prices, p_ref.rename("price"), check_names=False)
    np.testing.assert_allclose(res.dollars, res.shares * p_ref, rtol=1e-15)
    np.testing.assert_allclose(res.weights, res.shares * p_ref / basket.iloc[-1], rtol=1e-15)
    assert res.weights.sum() == pytest.approx(1.0, abs=1e-7)
    assert res.notional == basket.iloc[-1]
    assert res.reference_date == prices.index[-1]
    assert res.lam == 0.3
    assert res.status == "optimal" and res.solver == "OSQP"
    assert res.solve_time > 0
    assert res.violations == [] and res.attempts == []


def test_metrics_against_numpy(solved):
    prices, basket, res = solved
    n = res.shares.to_numpy()
    V = prices.to_numpy() @ n
    B = basket.to_numpy()
    d = V - B
    m = res.metrics
    assert m["objective"] == pytest.approx(
        0.7 * np.var(np.diff(d), ddof=1) + 0.3 * np.var(d, ddof=1), rel=1e-12)
    assert m["objective"] == res.objective
    assert m["pnl_te"] == pytest.approx(np.std(np.diff(d), ddof=1), rel=1e-12)
    assert m["value_te"] == pytest.approx(np.std(d, ddof=1), rel=1e-12)
    assert m["rms_gap"] == pytest.approx(np.sqrt(np.mean(d**2)), rel=1e-12)
    assert m["effectiveness"] == pytest.approx(
        1 - np.var(np.diff(d), ddof=1) / np.var(np.diff(B), ddof=1), rel=1e-12)
    assert m["pnl_corr"] == pytest.approx(np.corrcoef(np.diff(V), np.diff(B))[0, 1], rel=1e-12)
    assert m["final_gap"] == pytest.approx(d[-1], abs=1e-6 * B[-1])
    assert m["max_abs_gap"] == pytest.approx(np.abs(d).max(), rel=1e-12)
    assert m["names"] == np.count_nonzero(n)
    assert m["gross"] == pytest.approx(np.abs(n) @ prices.iloc[-1].to_numpy(), rel=1e-12)
    assert m["net"] == pytest.approx(n @ prices.iloc[-1].to_numpy(), rel=1e-12)
    # a real hedge: most of the P&L variance is removed
    assert 0.5 < m["effectiveness"] < 1 and 0.7 < m["pnl_corr"] <= 1


def test_metrics_names_counts_exact_zeros_only(solved):
    _, _, res = solved
    assert res.metrics["names"] == int((res.shares != 0).sum())
    assert res.metrics["names"] < len(res.shares)  # long-only + caps leaves names out


def test_to_frame(solved):
    prices, basket, res = solved
    df = res.to_frame()
    assert list(df.columns) == ["shares", "price", "dollars", "weight"]
    assert df.index.name == "ticker" and df.index.equals(prices.columns)
    np.testing.assert_allclose(df["dollars"], df["shares"] * df["price"], rtol=1e-15)
    np.testing.assert_allclose(df["weight"], df["dollars"] / basket.iloc[-1], rtol=1e-15)
    held = res.to_frame(held_only=True)
    assert len(held) == res.metrics["names"]
    assert (held["shares"] != 0).all()


def test_paths(solved):
    prices, basket, res = solved
    p = res.paths()
    assert list(p.columns) == ["hedge", "basket", "gap"]
    np.testing.assert_allclose(p["hedge"], prices.to_numpy() @ res.shares.to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(p["basket"], basket.to_numpy())
    np.testing.assert_allclose(p["gap"], p["hedge"] - p["basket"])
    assert p.index.equals(prices.index)


def test_summary_facts(solved):
    _, _, res = solved
    s = res.summary()
    assert s["status"] == "optimal" and s["solver"] == "OSQP" and s["lam"] == 0.3
    assert s["violations"] == 0 and s["seconds"] == res.solve_time
    assert s["pnl_te"] == res.metrics["pnl_te"]
    assert s["bound"] is None and s["gap"] is None


def test_summary_table_of_many_results(market):
    prices, basket, _ = market
    results = [ho.HedgeProblem(prices, basket, lam=lam).add(ho.Budget()).solve(solver="OSQP")
               for lam in (0.2, 0.8)]
    assert results[0].summary().index.is_unique
    table = pd.DataFrame([r.summary() for r in results])
    assert table["objective"].tolist() == [r.objective for r in results]


def _units(m: pd.Series) -> list[str]:
    """The metrics as the reprs must write them, formatted here by hand: whole dollars,
    percentages, integers."""
    return [f"${round(m['pnl_te']):,}", f"${round(m['value_te']):,}",
            f"{100 * m['effectiveness']:.2f}%", f"{m['pnl_corr']:.4f}",
            f"{int(m['names'])}, ${round(m['gross']):,}"]


def test_repr_contains_key_numbers(solved):
    _, _, res = solved
    text = repr(res)
    m = res.metrics
    assert text.startswith("HedgeResult")
    assert "optimal (OSQP" in text
    assert f"{res.objective:.6g} $²" in text
    for cell in _units(m):
        assert cell in text, cell
    assert "$10,000,000\n" in text and "reference date       " + str(
        res.reference_date.date()) in text
    assert "violations           none" in text
    # the largest position is listed with its ticker, shares, price, dollars and weight
    top = res.dollars.abs().idxmax()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(str(top)))
    shares = f"{res.shares[top]:,.4f}".rstrip("0").rstrip(".")
    assert line.split() == [str(top), shares, f"${res.prices[top]:,.2f}",
                            f"${round(res.dollars[top]):,}", f"{100 * res.weights[top]:.2f}%"]


def test_repr_html_contains_key_numbers(solved):
    _, _, res = solved
    page = res._repr_html_()
    m = res.metrics
    assert page.startswith("<div>") and "<table" in page
    assert f"{res.objective:.6g} $²" in page
    for cell in _units(m):
        assert cell in page, cell
    assert str(res.dollars.abs().idxmax()) in page
    assert "00:00:00" not in page and ".0000" not in page


def test_reprs_write_negative_money_with_a_minus_sign_and_whole_shares_whole(market):
    prices, basket, _ = market
    res = ho.HedgeProblem(prices, basket, lam=0.5).add(ho.Budget(band=(0.9, 1.1)),
                                                      ho.ShareLots(100)).solve()
    short = res.dollars.idxmin()
    assert res.dollars[short] < 0, "the test needs a short position"
    text, page = repr(res), res._repr_html_()
    cell = f"\u2212${round(-res.dollars[short]):,}"
    assert cell in text and cell in page
    assert "$-" not in text and "$-" not in page
    whole = f"{int(res.shares[short]):,}".replace("-", "\u2212")
    assert whole in text.splitlines()[[ln.strip().split(" ")[0] for ln in
                                        text.splitlines()].index(str(short))]
    assert ".0000" not in text


def test_repr_lists_violations(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    res = ho.HedgeResult.build(np.zeros(ctx.n_assets), ctx, 0.5, [ho.Budget()], tol=1e-6,
                               raise_on_violation=False, status="feasible", solver="test",
                               solve_time=0.0)
    assert len(res.violations) == 1 and "hedge value is $0.00" in res.violations[0]
    assert "violations           1" in repr(res)
    assert res.metrics["names"] == 0 and res.metrics["gross"] == 0
    # the unhedged position: effectiveness 0, objective = the basket's own variance mix
    B = basket.to_numpy()
    assert res.metrics["effectiveness"] == pytest.approx(0.0, abs=1e-15)
    assert res.objective == pytest.approx(
        0.5 * np.var(np.diff(B), ddof=1) + 0.5 * np.var(B, ddof=1), rel=1e-12)
    assert np.isnan(res.metrics["pnl_corr"])  # no hedge P&L to correlate


def test_result_shares_are_usable_by_evaluate(solved):
    prices, basket, res = solved
    m = ho.evaluate(res.shares, prices, basket, lam=0.3)
    pd.testing.assert_series_equal(m, res.metrics)


def test_lazy_metrics_are_the_eager_metrics(market):
    """build() leaves the metrics to the first read; they equal window_metrics bit for bit."""
    from hedgeopt.metrics import window_metrics

    prices, basket, sectors = market
    res = ho.HedgeProblem(prices, basket, lam=0.3, constraints=[
        ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)]).solve()
    assert res.__dict__["_metrics"] is None  # not computed yet
    ctx = res.ctx
    eager = window_metrics(res.shares.to_numpy(), ctx.P, ctx.B, ref=ctx.ref, lam=0.3)
    pd.testing.assert_series_equal(res.metrics, eager, check_exact=True)
    assert res.objective == res.metrics["objective"]  # the same operations, exactly
    assert res.metrics is res.metrics  # computed once
    # a result rebuilt from its record (books) carries the computed metrics
    from hedgeopt.book.results import record_of

    again = ho.HedgeResult(ctx=ctx, **record_of(res))
    pd.testing.assert_series_equal(again.metrics, eager, check_exact=True)


def test_verify_many_is_verify_of_every_column(market):
    """The batched verification of a share matrix gives each column exactly the list (order
    and messages) that verify gives it alone, for linear constraints (batched), a linear one
    with its own check, and constraints with no linear form (column by column)."""
    from hedgeopt.result import verify, verify_many

    prices, basket, sectors = market
    ctx = ho.HedgeContext(prices, basket)
    n = prices.shape[1]
    current = pd.Series(1000.0, index=prices.columns)
    cons = [ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3),
            ho.Turnover(current, max_dollars=5e6), ho.Leverage(gross=1.2),
            ho.MaxParticipation(pd.Series(2e4, index=prices.columns), 0.5)]
    rng = np.random.default_rng(2)
    W = rng.uniform(-0.05, 0.12, (n, 120))
    W[:, :60] = np.abs(W[:, :60]) / np.abs(W[:, :60]).sum(axis=0)  # long and on budget
    S = W * ctx.notional / ctx.p_ref[:, None]
    got = verify_many(S, ctx, cons, 1e-6)
    want = [verify(S[:, k], ctx, cons, 1e-6, "X", raise_on_violation=False)
            for k in range(S.shape[1])]
    assert got == want
    owners = {m.split("(")[0] for col in want for m in col}
    assert owners == {"Budget", "LongOnly", "SectorCap", "Turnover", "Leverage",
                      "MaxParticipation"}  # every constraint found something somewhere
    assert verify_many(S[:, :0], ctx, cons, 1e-6) == []


def test_dollars_and_weights_follow_the_shares_by_ticker(tiny):
    """Shares given in another order (or for some tickers only) are aligned by ticker, as
    pandas aligns; in the universe's order the numbers are the same bits."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    shares = pd.Series([10.0, -5.0, 2.5], index=ctx.tickers)
    kw = dict(objective=0.0, metrics=None, status="optimal", solver="x", solve_time=0.0,
              lam=0.5, ctx=ctx)
    res = ho.HedgeResult(shares=shares, **kw)
    p_ref = prices.iloc[-1]
    pd.testing.assert_series_equal(res.dollars, (shares * p_ref).rename("dollars"))
    pd.testing.assert_series_equal(res.weights,
                                   (shares * p_ref / basket.iloc[-1]).rename("weight"))
    shuffled = ho.HedgeResult(shares=shares.iloc[::-1], **kw)
    pd.testing.assert_series_equal(shuffled.weights.reindex(ctx.tickers), res.weights)
    part = ho.HedgeResult(shares=shares.iloc[:2], **kw)
    assert np.isnan(part.weights[ctx.tickers[2]])
    assert part.weights[ctx.tickers[0]] == res.weights[ctx.tickers[0]]
