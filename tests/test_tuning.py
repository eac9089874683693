"""ho.tune: walk-forward validation inside the window, no peeking, refit with the winner."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import hedgeopt as ho
from hedgeopt.workflow.fitting import fit_with, make_problem, ridge_scale
from hedgeopt.workflow.folds import validation_folds
from hedgeopt.workflow.tuning import DEFAULT_GRID, default_ridge_grid, tune


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, pd.Series]:
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=12, n_days=160, n_basket=15,
                                                     seed=5)
    return prices, basket


@pytest.fixture(scope="module")
def wide() -> tuple[pd.DataFrame, pd.Series]:
    """More instruments (60) than rows (40): the unregularised fit is exact in-sample."""
    prices, basket, _ = ho.datasets.synthetic_market(n_assets=60, n_days=40, n_basket=20, seed=9)
    return prices, basket


CONS = (ho.Budget(), ho.LongOnly())


def _gap_stats(shares: np.ndarray, P: np.ndarray, B: np.ndarray) -> tuple[float, float]:
    d = P @ shares - B
    return float(np.std(np.diff(d), ddof=1)), float(np.std(d, ddof=1))


def test_validation_folds_walk_forward() -> None:
    assert validation_folds(100, folds=4, hold=10) == [(59, 69), (69, 79), (79, 89), (89, 99)]
    # default hold: folds + 2 equal parts, the first two are the first fit
    folds = validation_folds(145, folds=4)
    assert folds[-1][1] == 144 and all(b - a == 24 for a, b in folds)
    assert validation_folds(145) == [(57, 86), (86, 115), (115, 144)]
    with pytest.raises(ho.InputError, match="folds"):
        validation_folds(20, folds=4, hold=5)
    with pytest.raises(ho.InputError, match="hold"):
        validation_folds(100, folds=2, hold=1)


def test_table_has_one_row_per_candidate_sorted(small) -> None:
    prices, basket = small
    grid = {"lam": (0.0, 0.2), "ridge": (0.0, 0.05, 0.5), "pnl": ("reference", "price")}
    tr = tune(prices, basket, CONS, folds=3, hold=15, **grid)
    assert len(tr.table) == 2 * 3 * 2
    got = set(map(tuple, tr.table[["lam", "ridge", "pnl"]].itertuples(index=False)))
    assert got == set(itertools.product(grid["lam"], grid["ridge"], grid["pnl"]))
    assert tr.table["score"].is_monotonic_increasing
    assert list(tr.table["rank"]) == list(range(1, 13))
    assert len(tr.scores) == 12 * 3 and len(tr.folds) == 3
    top = tr.table.iloc[0]
    # best is the chosen row (select="paired": the baseline unless the evidence beats it)
    chosen = tr.table[tr.table["chosen"]].iloc[0]
    assert tr.table["chosen"].sum() == 1 and tr.table["baseline"].sum() == 1
    assert tr.best["lam"] == chosen["lam"] and tr.best["ridge"] == chosen["ridge"]
    assert tr.best["pnl"] == chosen["pnl"] and tr.reason
    argmin = tune(prices, basket, CONS, folds=3, hold=15, select="best", refit=False, **grid)
    assert argmin.best == {k: top[k] for k in argmin.best}
    # the default score is the geometric mean over folds of the validation P&L and value gap stds
    sub = tr.scores[(tr.scores["lam"] == top["lam"]) & (tr.scores["ridge"] == top["ridge"])
                    & (tr.scores["pnl"] == top["pnl"])]
    both = np.exp(0.5 * np.log(sub["pnl_te"]).mean() + 0.5 * np.log(sub["value_te"]).mean())
    assert tr.scoring == "both" and top["score"] == pytest.approx(both, rel=1e-12)
    assert top["pnl_te"] == pytest.approx(np.exp(np.log(sub["pnl_te"]).mean()), rel=1e-12)


def test_fold_scores_match_independent_fits(small) -> None:
    """Each fold fits on rows up to its reference date only and is scored with ho.evaluate."""
    prices, basket = small
    tr = tune(prices, basket, CONS, lam=(0.1,), ridge=(0.05,), pnl=("price",), folds=3, hold=15,
              refit=False)
    for j, (ref, end) in enumerate(validation_folds(len(prices), 3, 15)):
        prob = ho.HedgeProblem(prices.iloc[:ref + 1], basket.iloc[:ref + 1], lam=0.1,
                               constraints=CONS)
        rid = ho.Ridge(0.0)
        prob.add(rid)
        rid.strength = 0.05 * ridge_scale(prob)
        shares = prob.solve().shares
        ev = ho.evaluate(shares, prices.iloc[ref:end + 1], basket.iloc[ref:end + 1])
        row = tr.scores[tr.scores["fold"] == j].iloc[0]
        assert row["pnl_te"] == pytest.approx(ev["pnl_te"], rel=1e-6)
        assert row["value_te"] == pytest.approx(ev["value_te"], rel=1e-6)
        assert row["rms_gap"] == pytest.approx(ev["rms_gap"], rel=1e-6)


def test_no_peeking_corrupting_validation_tail_changes_only_scores(small) -> None:
    """A fold's fit never reads rows after its reference date: corrupting the last fold's
    validation rows leaves the earlier folds' scores identical."""
    prices, basket = small
    kw = dict(lam=(0.0, 0.1), ridge=(0.0, 0.1), folds=3, hold=15, refit=False)
    a = tune(prices, basket, CONS, **kw)
    bad_p, bad_b = prices.copy(), basket.copy()
    last_ref = validation_folds(len(prices), 3, 15)[-1][0]
    rng = np.random.default_rng(0)
    bad_p.iloc[last_ref + 1:] *= rng.uniform(0.5, 2.0, size=bad_p.iloc[last_ref + 1:].shape)
    bad_b.iloc[last_ref + 1:] *= 3.0
    b = tune(bad_p, bad_b, CONS, **kw)
    cols = ["pnl_te", "value_te", "rms_gap"]
    early_a = a.scores[a.scores["fold"] < 2].reset_index(drop=True)
    early_b = b.scores[b.scores["fold"] < 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(early_a[cols], early_b[cols])
    assert not np.allclose(a.scores[a.scores["fold"] == 2]["pnl_te"],
                           b.scores[b.scores["fold"] == 2]["pnl_te"])


def test_refit_on_whole_window_and_average(small) -> None:
    prices, basket = small
    tr = tune(prices, basket, CONS, lam=(0.0, 0.1), ridge=(0.0, 0.1), folds=3, hold=15,
              average="pnl")
    assert sorted(m["pnl"] for m in tr.members) == ["price", "reference"]
    assert tr.members[0] == tr.best
    fits = [fit_with(prices, basket, CONS, m)[1].shares for m in tr.members]
    np.testing.assert_allclose(tr.shares.to_numpy(), np.mean(fits, axis=0), rtol=1e-9)
    assert tr.result.violations == []
    assert tr.result.weights.sum() == pytest.approx(1.0, abs=1e-9)  # Budget holds
    # an average is labelled as one: never one member's lam
    lams = [m["lam"] for m in tr.members]
    assert tr.result.lam == pytest.approx(np.mean(lams))
    assert tr.result.method == f"average of {len(lams)} refits"
    assert tr.result.objective == pytest.approx(
        ho.tracking_objective(tr.shares, prices, basket, np.mean(lams)), rel=1e-12)
    assert all(f"{m['pnl']} P&L" in repr(tr.result) for m in tr.members)
    one = tune(prices, basket, CONS, lam=(0.0, 0.1), ridge=(0.0, 0.1), folds=3, hold=15)
    direct = fit_with(prices, basket, CONS, one.best)[1]
    np.testing.assert_allclose(one.shares.to_numpy(), direct.shares.to_numpy(), rtol=1e-9)
    assert one.result.ctx.n_obs == len(prices)  # refitted on the whole window
    assert one.best["ridge_strength"] == pytest.approx(
        one.best["ridge"] * ridge_scale(one.problem))


def test_wide_universe_more_names_than_rows(wide) -> None:
    prices, basket = wide
    assert prices.shape[1] > prices.shape[0]
    assert default_ridge_grid(60, 40)[0] > 0  # no unregularised candidate by default
    tr = tune(prices, basket, CONS, folds=2, hold=6)
    assert len(tr.table) == (len(DEFAULT_GRID["lam"]) * len(DEFAULT_GRID["ridge"])
                             * len(DEFAULT_GRID["pnl"]))
    assert np.isfinite(tr.table["score"]).all()
    assert tr.result.violations == []
    assert (tr.shares >= 0).all()


def test_reference_pnl_term_is_return_variance(small) -> None:
    """pnl='reference': the P&L term is Var[r_t . w - r^B_t] (ddof=1), w dollar weights."""
    prices, basket = small
    prob = make_problem(prices, basket, lam=0.0, constraints=CONS, pnl="reference")
    w = np.random.default_rng(1).dirichlet(np.ones(prices.shape[1]))
    R = prices.pct_change().iloc[1:].to_numpy()
    rb = basket.pct_change().iloc[1:].to_numpy()
    expected = np.var(R @ w - rb, ddof=1)
    assert prob.ctx.scaled_objective(w, 0.0) == pytest.approx(expected, rel=1e-10)
    # and it survives update_data (same length: parameters only)
    update_problem_window = prices.iloc[10:], basket.iloc[10:]
    from hedgeopt.workflow.fitting import update_problem

    update_problem(prob, *update_problem_window)
    R2 = R[10:]
    rb2 = rb[10:]
    assert prob.ctx.scaled_objective(w, 0.0) == pytest.approx(np.var(R2 @ w - rb2, ddof=1),
                                                              rel=1e-10)


@pytest.mark.parametrize("solver", ["ACTIVESET", "CLARABEL"])
def test_ridge_strength_update_is_picked_up(small, solver) -> None:
    prices, basket = small
    rid = ho.Ridge(0.0)
    prob = ho.HedgeProblem(prices, basket, lam=0.1, constraints=[*CONS, rid])
    prob.solve(solver)
    rid.strength = 0.7
    again = prob.solve(solver).shares
    fresh = ho.HedgeProblem(prices, basket, lam=0.1,
                            constraints=[*CONS, ho.Ridge(0.7)]).solve(solver).shares
    np.testing.assert_allclose(again.to_numpy(), fresh.to_numpy(), rtol=1e-4,
                               atol=1e-6 * fresh.abs().max())


def test_scoring_both_and_value(small) -> None:
    prices, basket = small
    kw = dict(lam=(0.0, 0.3), ridge=(0.0,), pnl=("price",), folds=3, hold=15, refit=False)
    both = tune(prices, basket, CONS, scoring="both", **kw).table
    np.testing.assert_allclose(both["score"], np.sqrt(both["pnl_te"] * both["value_te"]),
                               rtol=1e-12)
    val = tune(prices, basket, CONS, scoring="value_te", **kw).table
    np.testing.assert_allclose(val["score"], val["value_te"], rtol=1e-12)


def test_bad_arguments(small) -> None:
    prices, basket = small
    with pytest.raises(ho.InputError, match="scoring"):
        tune(prices, basket, CONS, scoring="sharpe")
    with pytest.raises(ho.InputError, match="pnl"):
        tune(prices, basket, CONS, pnl=("levels",))
    with pytest.raises(ho.InputError, match="average"):
        tune(prices, basket, CONS, average=0)
    with pytest.raises(ho.InputError, match="ridge"):
        tune(prices, basket, CONS, ridge=(-1.0,))
    with pytest.raises(ho.InputError, match="window"):
        tune(prices, basket, CONS, window=(2,))


@pytest.mark.parametrize("k", [1, 3, 4, 5])
def test_orlib_tune_never_loses_to_returns_space_fit(k) -> None:
    """The OR-Library protocol: tune (validated inside weeks 0-144 only) against the
    returns-space minimum tracking-error fit (skfolio's BenchmarkTracker objective) on weeks
    144-290: where the paired evidence is weak it keeps that fit (sets 1 and 3: the same shares
    up to the ridge 0.001 of N >= T/2), where it is strong it wins both columns (sets 4 and 5;
    ``benchmarks/outofsample.py`` has the full table)."""
    if ho.datasets.orlib_dir() is None:
        pytest.skip("OR-Library data not available")
    index, prices = ho.datasets.load_orlib(k)
    basket = 1e7 * index / index.iloc[144]
    fit_P, fit_B = prices.iloc[:145], basket.iloc[:145]
    tr = tune(fit_P, fit_B, CONS, quiet=True)
    plain = make_problem(fit_P, fit_B, lam=0.0, constraints=CONS, pnl="reference").solve().shares
    P_out, B_out = prices.iloc[144:].to_numpy(), basket.iloc[144:].to_numpy()
    t_pnl, t_val = _gap_stats(tr.shares.to_numpy(), P_out, B_out)
    p_pnl, p_val = _gap_stats(plain.to_numpy(), P_out, B_out)
    if "kept" in tr.reason:
        assert tr.best["lam"] == 0 and tr.best["pnl"] == "reference" and tr.best["ridge"] <= 1e-3
        assert t_pnl / p_pnl < 1.01 and t_val / p_val < 1.01
    else:
        assert t_pnl < 0.9 * p_pnl and t_val < 0.9 * p_val
    assert ("kept" in tr.reason) == (k in (1, 3))


def test_daily_tune_keeps_baseline_unless_evidence_clears_z() -> None:
    """Real daily data (SPY hedged with the stocks that have full data, 504-day windows): the
    choice is the returns-space fit itself, or a candidate whose paired fold evidence, recomputed
    here from ``TuneResult.scores``, beats it by more than the Bonferroni z."""
    if ho.datasets.daily_dir() is None:
        pytest.skip("daily data not available")
    stocks, spy = ho.datasets.load_daily()
    for ref in (503, 3155, 6281):  # first, middle and last rolling put-on rows
        P = stocks.iloc[ref - 503:ref + 1].dropna(axis=1)
        B = 1e7 * spy.iloc[ref - 503:ref + 1] / spy.iloc[ref]
        tr = tune(P, B, CONS, quiet=True)
        sc = tr.scores.set_index(["pnl", "lam", "ridge", "fold"])["loss"].sort_index()
        base = np.log(sc.loc[("reference", 0.0, 0.0)].to_numpy())
        best = tr.best
        diff = np.log(sc.loc[(best["pnl"], best["lam"], best["ridge"])].to_numpy()) - base
        baseline = make_problem(P, B, lam=0.0, constraints=CONS, pnl="reference").solve().shares
        if "kept" in tr.reason:
            np.testing.assert_allclose(tr.shares.to_numpy(), baseline.to_numpy(), rtol=1e-6,
                                       atol=1e-6 * baseline.abs().max())
        else:
            z = norm.ppf(1 - 0.05 / (len(tr.table) - 1))  # Bonferroni over the alternatives
            assert f"z={z:.3g}" in tr.reason
            assert diff.mean() + z * diff.std(ddof=1) / np.sqrt(len(diff)) < 0


def test_cv_splitter_folds_match_independent_fits(small) -> None:
    """tune(cv=TimeSeriesSplit): each fold fits on its train rows, is held over its test rows."""
    sk = pytest.importorskip("sklearn.model_selection")
    prices, basket = small
    cv = sk.TimeSeriesSplit(n_splits=4, test_size=20)
    tr = tune(prices, basket, CONS, lam=(0.0,), ridge=(0.0,), pnl=("price",), cv=cv,
              refit=False)
    assert len(tr.folds) == 4
    for j, (train, test) in enumerate(cv.split(prices)):
        shares = ho.HedgeProblem(prices.iloc[train], basket.iloc[train], lam=0.0,
                                 constraints=CONS).solve().shares
        rows = np.r_[train[-1], test]
        _, val = _gap_stats(shares.to_numpy(), prices.iloc[rows].to_numpy(),
                            basket.iloc[rows].to_numpy())
        assert tr.scores.loc[tr.scores["fold"] == j, "value_te"].iloc[0] == pytest.approx(
            val, rel=1e-6)
        assert tr.folds["reference"].iloc[j] == prices.index[train[-1]]
    # an explicit list of (train, test) pairs gives the same scores; a gap is refused
    same = tune(prices, basket, CONS, lam=(0.0,), ridge=(0.0,), pnl=("price",),
                cv=list(cv.split(prices)), refit=False)
    pd.testing.assert_frame_equal(same.scores, tr.scores)
    with pytest.raises(ho.InputError, match="fold 0"):
        tune(prices, basket, CONS, cv=[(np.arange(50), np.arange(60, 80))])
    with pytest.raises(ho.InputError, match="cv"):
        tune(prices, basket, CONS, cv=5)


def test_callable_scoring_is_a_fold_loss(small) -> None:
    prices, basket = small
    kw = dict(lam=(0.0, 0.3), ridge=(0.0,), pnl=("price",), folds=3, hold=15, refit=False)
    seen = []

    def pnl_std(shares, P, B):
        seen.append(len(P))
        d = P.to_numpy() @ shares.reindex(P.columns).to_numpy() - B.to_numpy()
        return float(np.std(np.diff(d), ddof=1))

    got = tune(prices, basket, CONS, scoring=pnl_std, **kw)
    named = tune(prices, basket, CONS, scoring="pnl_te", **kw)
    np.testing.assert_allclose(got.table["score"], named.table["score"], rtol=1e-10)
    assert set(seen) == {16} and got.scoring == "callable"
    with pytest.raises(ho.InputError, match="positive"):
        tune(prices, basket, CONS, scoring=lambda s, P, B: -1.0, **kw)
    with pytest.raises(ho.InputError, match="select"):
        tune(prices, basket, CONS, select="luck", **kw)


def test_choice_is_deterministic_and_explained(small) -> None:
    prices, basket = small
    kw = dict(lam=(0.0, 0.1), ridge=(0.0, 0.1), pnl=("reference", "price"), folds=6, hold=12)
    a, b = tune(prices, basket, CONS, **kw), tune(prices, basket, CONS, **kw)
    assert a.best == b.best and a.reason == b.reason
    np.testing.assert_array_equal(a.shares.to_numpy(), b.shares.to_numpy())
    assert "rule 'paired'" in a.reason and "why" in repr(a) and "paired" in repr(a)
    base = a.table[a.table["baseline"]].iloc[0]
    assert (base["lam"], base["ridge"], base["pnl"]) == (0.0, 0.0, "reference")
    # the table's vs_baseline is the geometric-mean ratio of fold losses to the baseline's
    sc = a.scores.set_index(["pnl", "lam", "ridge", "fold"])["loss"].sort_index()
    row = a.table.iloc[-1]
    ratio = (sc.loc[(row["pnl"], row["lam"], row["ridge"])].to_numpy()
             / sc.loc[("reference", 0.0, 0.0)].to_numpy())
    assert row["vs_baseline"] == pytest.approx(np.exp(np.log(ratio).mean()), rel=1e-10)


def test_warm_started_search_gives_the_cold_choice_and_shares() -> None:
    """The fold solves warm-start along a path through the grid and the refit from its
    candidate's last fold (speed only): every fold loss, the choice made from them and the
    refitted shares equal those of independent cold Clarabel solves of each candidate (N > T:
    the low-rank path; the default grid and rule, 4 folds to keep it short)."""
    from hedgeopt.workflow.selection import choose
    from hedgeopt.workflow.tuning import KEYS, _z

    prices, basket, _ = ho.datasets.synthetic_market(n_assets=90, n_days=40, n_basket=30,
                                                     seed=11)
    tr = tune(prices, basket, CONS, folds=4, quiet=True)
    folds = validation_folds(len(prices), 4)
    cands = tr.table[KEYS].drop_duplicates().to_dict("records")
    assert len(cands) == 18 and len(folds) == 4
    losses = np.empty((len(cands), len(folds)))
    for j, (ref, end) in enumerate(folds):
        probs = {}  # one compiled cvxpy problem per P&L measure (Clarabel has no warm start)
        for c, params in enumerate(cands):
            if params["pnl"] not in probs:
                ridge = ho.Ridge(0.0)
                probs[params["pnl"]] = (ridge, make_problem(
                    prices.iloc[:ref + 1], basket.iloc[:ref + 1], pnl=params["pnl"],
                    constraints=[*CONS, ridge]))
            ridge, prob = probs[params["pnl"]]
            prob.lam = params["lam"]
            ridge.strength = params["ridge"] * ridge_scale(prob)
            res = prob.solve("CLARABEL")
            pnl_te, value_te = _gap_stats(res.shares.to_numpy(), prices.to_numpy()[ref:end + 1],
                                          basket.to_numpy()[ref:end + 1])
            losses[c, j] = np.sqrt(pnl_te * value_te)
            got = tr.scores[(tr.scores[KEYS[-2:]] == [params["lam"], params["ridge"]]).all(axis=1)
                            & (tr.scores["pnl"] == params["pnl"]) & (tr.scores["fold"] == j)]
            assert got["loss"].iloc[0] == pytest.approx(losses[c, j], rel=1e-4)
    # N > T - 2: the returns-space fit is not unique, so the paired rule takes the argmin
    choice = choose(cands, losses, rule="best")
    assert {k: tr.best[k] for k in KEYS} == cands[choice.index]
    assert tr.table.iloc[0][KEYS].to_dict() == cands[choice.index]
    paired = choose(cands, losses, rule="paired", z=_z(None, "paired", len(cands)))
    assert paired.index != choice.index  # the case would not tell the rules apart otherwise
    _, cold = fit_with(prices, basket, CONS, tr.best, solver="CLARABEL")
    np.testing.assert_allclose(tr.result.weights.to_numpy(), cold.weights.to_numpy(),
                               atol=1e-5)


def test_objective_options_as_candidates(small) -> None:
    """value_horizon and shrinkage grids: lam 0 is not repeated per horizon, 'hold' is the
    folds' hold, each fold score is the hedge fitted with that option, and the refit of
    ``best`` is reproduced by fit_with (the result documents everything it needs)."""
    prices, basket = small
    kw = dict(lam=(0.0, 0.2), ridge=(0.0,), pnl=("reference",), folds=3, hold=15)
    tr = tune(prices, basket, CONS, value_horizon=(None, "hold", 3), shrinkage=(0.0, 0.3), **kw)
    cands = set(map(tuple, tr.table[["value_horizon", "shrinkage", "lam"]]
                    .itertuples(index=False)))
    assert cands == {(None, 0.0, 0.0), (None, 0.0, 0.2), (15, 0.0, 0.2), (3, 0.0, 0.2),
                     (None, 0.3, 0.0), (None, 0.3, 0.2), (15, 0.3, 0.2), (3, 0.3, 0.2)}
    assert tr.table["baseline"].sum() == 1
    base = tr.table[tr.table["baseline"]].iloc[0]
    assert (base["lam"], base["value_horizon"], base["shrinkage"]) == (0.0, None, 0.0)
    # one fold's score recomputed from a problem built here
    folds = validation_folds(len(prices), 3, 15)
    ref, end = folds[1]
    prob = ho.HedgeProblem(prices.iloc[:ref + 1], basket.iloc[:ref + 1], lam=0.2, pnl="reference",
                           value_horizon=3, shrinkage=0.3, constraints=CONS)
    pnl_te, value_te = _gap_stats(prob.solve().shares.to_numpy(),
                                  prices.to_numpy()[ref:end + 1], basket.to_numpy()[ref:end + 1])
    s = tr.scores
    row = s[(s["fold"] == 1) & (s["value_horizon"] == 3) & (s["shrinkage"] == 0.3)
            & (s["lam"] == 0.2)].iloc[0]
    assert row["pnl_te"] == pytest.approx(pnl_te, rel=1e-6)
    assert row["value_te"] == pytest.approx(value_te, rel=1e-6)
    # the choice is documented and reproducible
    forced = tune(prices, basket, CONS, value_horizon=3, shrinkage=0.3, select="best",
                  lam=0.2, ridge=0.0, pnl="reference", folds=3, hold=15)
    assert forced.best["value_horizon"] == 3 and forced.best["shrinkage"] == 0.3
    assert "value horizon 3" in forced.reason and "factor shrinkage 0.3" in forced.reason
    direct = fit_with(prices, basket, CONS, forced.best)[1]
    np.testing.assert_allclose(forced.shares.to_numpy(), direct.shares.to_numpy(), rtol=1e-9)
    again = tune(prices, basket, CONS, value_horizon=(None, "hold", 3), shrinkage=(0.0, 0.3), **kw)
    assert again.best == tr.best and again.reason == tr.reason
    with pytest.raises(ho.InputError, match="value_horizon"):
        tune(prices, basket, CONS, value_horizon="week", **kw)
    with pytest.raises(ho.InputError, match="shrinkage"):
        tune(prices, basket, CONS, shrinkage=2.0, **kw)


def test_ill_posed_window_takes_the_validation_argmin(wide, small) -> None:
    """N > T - 2 (60 names, 40 rows): no returns-space fit in the grid, so the paired rule
    chooses the best validation score and says why; N < T - 2 keeps the paired test."""
    prices, basket = wide
    tr = tune(prices, basket, CONS, folds=2, hold=6, quiet=True)
    assert "not unique" in tr.reason
    assert tr.table["chosen"].iloc[0] and tr.best == {**_first(tr.table), "ridge_strength":
                                                     tr.best["ridge_strength"]}
    narrow = tune(*small, CONS, lam=(0.0, 0.1), ridge=(0.0, 0.1), folds=3, hold=15, quiet=True)
    assert "not unique" not in narrow.reason


def _first(table: pd.DataFrame) -> dict:
    from hedgeopt.workflow.tuning import _params

    return _params(table.iloc[0])
