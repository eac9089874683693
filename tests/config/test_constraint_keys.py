"""The [constraints] keys, declared once: schema, builder and whole-share flag agree."""

from __future__ import annotations

import pandas as pd

from hedgeopt.config import CONSTRAINTS, INTEGER_KEYS, load_config
from hedgeopt.config.constraint_keys import CONSTRAINT_KEYS
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
    assert list(CONSTRAINTS.fields) == [k.key for k in CONSTRAINT_KEYS]
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
