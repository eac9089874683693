"""workflow.selection.choose: leave the baseline only on paired evidence above its noise."""

from __future__ import annotations

import numpy as np
import pytest

import hedgeopt as ho
from hedgeopt.workflow.selection import BASELINE, choose, departures


def _cand(**kw):
    return {**BASELINE, **kw}


CANDS = [_cand(lam=0.1), _cand(), _cand(ridge=0.1), _cand(ridge=0.1, lam=0.1)]


def _t(losses, i, b=1):
    d = np.log(losses[i]) - np.log(losses[b])
    return d.mean(), d.std(ddof=1) / np.sqrt(len(d))


def test_paired_keeps_baseline_when_gain_is_noise() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(1, 2, 8)
    # candidate 2 is 3% better on average but swings +-20% fold to fold
    swing = 0.2 * np.array([1, -1] * 4)
    losses = np.vstack([base * 1.1, base, base * np.exp(-0.03 + swing), base * 1.2])
    m, se = _t(losses, 2)
    assert m + se > 0  # the premise: within one standard error
    ch = choose(CANDS, losses, rule="paired", z=1.0)
    assert ch.index == 1 and ch.baseline == 1 and "kept" in ch.reason
    assert ch.stats.loc[2, "vs_baseline"] == pytest.approx(np.exp(m), rel=1e-12)
    assert ch.stats.loc[2, "se"] == pytest.approx(se, rel=1e-12)
    assert choose(CANDS, losses, rule="best").index == int(np.argmin(np.log(losses).mean(1)))


def test_paired_moves_on_consistent_gain() -> None:
    base = np.array([1.0, 3.0, 2.0, 5.0, 1.5, 2.5])
    jitter = np.array([0.01, -0.01, 0.02, 0.0, -0.02, 0.01])
    losses = np.vstack([base * 1.05, base, base * np.exp(-0.05 + jitter), base * 0.99])
    ch = choose(CANDS, losses, rule="paired", z=2.0)
    assert ch.index == 2 and "chose it" in ch.reason and "ridge 0.1" in ch.reason
    m, se = _t(losses, 2)
    assert ch.stats.loc[2, "t"] == pytest.approx(m / se, rel=1e-12)


def test_one_se_picks_simplest_within_noise() -> None:
    base = np.array([1.0, 2.0, 3.0, 4.0])
    # 3 (two departures) is best; 2 (one departure) is within one SE of it; both beat baseline
    losses = np.vstack([base * 1.2, base, base * np.array([0.90, 0.91, 0.92, 0.90]),
                        base * np.array([0.86, 0.93, 0.86, 0.93])])
    m3, se3 = _t(losses, 3)
    m2, _ = _t(losses, 2)
    assert m2 <= m3 + se3 < 0
    ch = choose(CANDS, losses, rule="one-se")
    assert ch.index == 2


def test_baseline_absent_uses_simplest_and_failed_fold() -> None:
    cands = [_cand(lam=0.3), _cand(lam=0.1), _cand(lam=0.1, ridge=0.1)]
    assert sorted(range(3), key=lambda i: departures(cands[i]))[0] == 1
    losses = np.array([[1.0, 1.0, 1.0], [1.0, 1.1, 0.9], [np.inf, 1.0, 1.0]])
    ch = choose(cands, losses)
    assert ch.baseline == 1 and "not in the grid" in ch.reason
    assert ch.stats.loc[2, "vs_baseline"] == np.inf
    with pytest.raises(ho.InputError, match="select"):
        choose(cands, losses, rule="argmax")


def test_baseline_among_objective_options() -> None:
    """A horizon without a value term (lam 0) is the baseline; shrinkage and a weighted
    horizon are departures; candidates written without the new keys still find it."""
    from hedgeopt.workflow.selection import is_baseline

    assert is_baseline(_cand(value_horizon=5)) and is_baseline({"pnl": "reference", "lam": 0.0,
                                                                  "ridge": 0.0, "window": None,
                                                                  "half_life": None})
    assert not is_baseline(_cand(lam=0.1, value_horizon=5))
    assert not is_baseline(_cand(shrinkage=0.2))
    assert departures(_cand(lam=0.1, value_horizon=5))[0] == 2
    assert departures(_cand(shrinkage=0.2))[0] == 1
    cands = [_cand(lam=0.1, value_horizon=5), _cand(), _cand(shrinkage=0.2)]
    base = np.linspace(1.0, 2.0, 8)
    losses = np.vstack([base * 0.8, base, base * 0.99])
    got = choose(cands, losses, rule="paired", z=2.0)
    assert got.index == 0 and got.baseline == 1
    assert "value horizon 5" in got.reason


def test_ill_posed_window_chooses_the_best_score_when_no_baseline() -> None:
    """With the returns-space fit absent (N > T - 2) the paired rule chooses the argmin and
    says why; with the baseline present ``ill_posed`` changes nothing."""
    simplest, other = _cand(ridge=0.001), _cand(ridge=0.1, lam=0.1)
    base = np.linspace(1.0, 2.0, 8)
    noisy = base * np.exp(-0.05 + 0.3 * np.array([1, -1] * 4))  # better, far within the noise
    kept = choose([simplest, other], np.vstack([base, noisy]), rule="paired", z=2.75)
    assert kept.index == 0 and "kept the simplest candidate" in kept.reason
    got = choose([simplest, other], np.vstack([base, noisy]), rule="paired", z=2.75,
                 ill_posed=True)
    assert got.index == 1 and got.baseline == 0 and "not unique" in got.reason
    with_base = choose([_cand(), other], np.vstack([base, noisy]), rule="paired", z=2.75,
                       ill_posed=True)
    assert with_base.index == 0
