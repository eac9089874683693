"""The [constraints] keys, declared once: schema, builder and whole-share flag agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.config import CONSTRAINTS, INTEGER_KEYS, ConfigError, load_config
from hedgeopt.config.constraint_keys import CONSTRAINT_KEYS, SOFT_FIELD, SOFT_KEY
from hedgeopt.solvers.wholeshare.restrictions import RULES

ALL_ON = """\
[data]
prices = "prices.csv"
basket = "basket.csv"

[constraints]
budget = { band = [0.95, 1.0] }
long_only = true
bounds = { upper = 1e9 }
sector_cap = { sectors = "sectors.csv", max_weight = 0.5 }
turnover = { current = "holdings.csv", max_dollars = 1e9 }
exclude = ["LAST"]
lots = 10
max_names = 7
min_position = 25000
min_trade = { current = "holdings.csv", dollars = 5000 }
max_weight = 0.9
factor_exposure = { loadings = "loadings.csv", upper = 1.0 }
beta = { benchmark = "bench.csv", lower = -1, upper = 1 }
max_participation = { adv = "adv.csv", fraction = 0.1 }
leverage = { gross = 2.0 }
"""


def test_every_whole_share_rule_has_a_config_key() -> None:
    kinds = {k.kind for k in CONSTRAINT_KEYS}
    missing = [r.constraint.__name__ for r in RULES if r.constraint not in kinds]
    assert missing == []


def test_integer_keys_are_the_whole_share_constraints() -> None:
    # turnover is a whole-share rule but also a continuous constraint: it does not force a MIP
    assert INTEGER_KEYS == ("lots", "max_names", "min_position", "min_trade")


def test_the_schema_lists_the_keys_in_order() -> None:
    assert list(CONSTRAINTS.fields) == [k.key for k in CONSTRAINT_KEYS] + [SOFT_KEY]
    for k in CONSTRAINT_KEYS:
        assert CONSTRAINTS.fields[k.key] is k.field


def test_each_key_builds_its_constraint(market_dir) -> None:
    d, prices, _, _ = market_dir
    held = pd.Series([100.0, 200.0], index=prices.columns[:2], name="shares")
    held.rename_axis("ticker").to_csv(d / "holdings.csv")
    pd.DataFrame({"f": 1.0}, index=prices.columns).rename_axis("ticker").to_csv(
        d / "loadings.csv")
    prices.mean(axis=1).rename("value").rename_axis("date").to_csv(d / "bench.csv")
    pd.Series(1e9, index=prices.columns, name="adv").rename_axis("ticker").to_csv(d / "adv.csv")
    text = ALL_ON.replace("LAST", str(prices.columns[-1]))
    (d / "hedge.toml").write_text(text)
    cfg = load_config(d / "hedge.toml")
    assert cfg.integer
    built = cfg.build_problem().constraints
    assert [type(c) for c in built] == [k.kind for k in CONSTRAINT_KEYS]
    by = {type(c).__name__: c for c in built}
    assert by["MaxNames"].k == 7 and by["MinPosition"].dollars == 25000
    assert by["MinTrade"].dollars == 5000
    assert by["MinTrade"].current.to_dict() == {prices.columns[0]: 100.0,
                                                prices.columns[1]: 200.0}
    assert all(c._config_origin["key"] == f"constraints.{k.key}"
               for c, k in zip(built, CONSTRAINT_KEYS, strict=True))
    # the continuous keys alone do not make the hedge whole-share
    continuous = "\n".join(line for line in text.splitlines()
                           if not line.startswith(INTEGER_KEYS))
    (d / "cont.toml").write_text(continuous)
    assert not load_config(d / "cont.toml").integer


SOFT = """\
[data]
prices = "prices.csv"
basket = "basket.csv"

[objective]
lam = 0.3

[constraints]
budget = { band = [0.98, 1.0] }
long_only = true
max_weight = 0.05
sector_cap = { sectors = "sectors.csv", max_weight = 0.25 }
soft = { max_weight = 0.02, sector_cap = { penalty = 25, weight = 2 } }
"""


def test_soft_lists_every_continuous_key_and_no_integer_one() -> None:
    fields = SOFT_FIELD.spec.alts[1].fields
    assert list(fields) == [k.key for k in CONSTRAINT_KEYS if not k.kind.integer]
    assert not set(fields) & set(INTEGER_KEYS)


def test_soft_key_builds_the_api_soft_problem(market_dir) -> None:
    d, prices, basket, sectors = market_dir
    (d / "hedge.toml").write_text(SOFT)
    prob = load_config(d / "hedge.toml").build_problem()
    assert [type(c).__name__ for c in prob.constraints] == ["Budget", "LongOnly"]
    # in the order of the keys of [constraints]
    assert [repr(p) for p in prob.penalties] == ["Soft(SectorCap(max_weight=0.25), penalty=25)",
                                                "Soft(MaxWeight(fraction=0.05), penalty=0.02)"]
    assert prob.penalties[0].weight == 2.0
    res = prob.solve()
    api = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.Soft(ho.MaxWeight(0.05), 0.02),
        ho.Soft(ho.SectorCap(sectors, max_weight=0.25), 25, weight=2)).solve()
    assert res.objective == pytest.approx(api.objective, rel=1e-9)
    np.testing.assert_allclose(res.shares, api.shares, rtol=1e-6, atol=1e-6)
    assert set(res.soft) == set(api.soft) and len(res.soft) == 2
    hard = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(band=(0.98, 1.0)), ho.LongOnly(), ho.MaxWeight(0.05),
        ho.SectorCap(sectors, max_weight=0.25)).solve()
    assert res.objective < hard.objective  # softened: some limit is exceeded


@pytest.mark.parametrize("old,new,where,words", [
    ("soft = { max_weight = 0.02,", "soft = { max_weight = 0,", "constraints.soft.max_weight",
     "must be > 0"),
    ("soft = { max_weight = 0.02,", "soft = { lots = 40,", "constraints.soft.lots",
     "unknown key"),
    ("soft = { max_weight = 0.02,", "soft = { beta = 40,", "constraints.soft.beta",
     "constraints.beta is off"),
    ("sector_cap = { penalty = 25, weight = 2 }", "sector_cap = { weight = 2 }",
     "constraints.soft.sector_cap", "missing required key 'penalty'"),
])
def test_soft_errors_name_the_line(market_dir, old, new, where, words) -> None:
    d, _, _, _ = market_dir
    assert old in SOFT
    text = SOFT.replace(old, new)
    (d / "hedge.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(d / "hedge.toml").build_problem()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("soft"))
    assert f"hedge.toml:{line}: {where}" in str(err.value) and words in str(err.value)


def test_percent_guards_and_their_opt_ins_in_config(market_dir) -> None:
    d, prices, _, _ = market_dir
    prices.mean(axis=1).rename("value").rename_axis("date").to_csv(d / "bench.csv")
    head = SOFT.split("[constraints]")[0] + "[constraints]\nbudget = true\n"
    wide = head + 'beta = { benchmark = "bench.csv", lower = -2, upper = 2 }\n'
    (d / "hedge.toml").write_text(wide)
    with pytest.raises(ConfigError, match=r"hedge.toml:\d+: constraints.beta .*did you mean "
                                          r"-0.02"):
        load_config(d / "hedge.toml").build_problem()
    (d / "hedge.toml").write_text(wide.replace("upper = 2 }", "upper = 2, leverage = true }"))
    beta = load_config(d / "hedge.toml").build_problem().constraints[-1]
    assert isinstance(beta, ho.Beta) and beta.leverage
    cost = head + "\n[objective.transaction_cost]\nbps = 500\n"
    cost = cost.replace("[objective]\nlam = 0.3\n", "")
    (d / "hedge.toml").write_text(cost)
    with pytest.raises(ConfigError, match=r"objective.transaction_cost.*high_cost=True"):
        load_config(d / "hedge.toml").build_problem()
    (d / "hedge.toml").write_text(cost.replace("bps = 500", "bps = 500\nhigh_cost = true"))
    term = load_config(d / "hedge.toml").build_problem().penalties[0]
    assert term.high_cost
