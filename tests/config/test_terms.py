"""objective.terms: user objective terms by import path, errors at the config line."""

from __future__ import annotations

import sys

import cvxpy as cp
import numpy as np
import pytest

import hedgeopt as ho
from hedgeopt.config import ConfigError, load_config

TERMS = '''\
def spread(w, ctx):
    return 0.01 * cp.sum_squares(w)


def concave(w, ctx):
    return -cp.sum_squares(w)


not_a_function = 3
'''

HEDGE = """\
[data]
prices = "prices.csv"
basket = "basket.csv"

[objective]
lam = 0.3
terms = ["desk_terms.py:spread"]

[constraints]
budget = true
"""


@pytest.fixture
def desk(market_dir):
    d, prices, basket, _ = market_dir
    (d / "desk_terms.py").write_text("import cvxpy as cp\n\n\n" + TERMS)
    return d, prices, basket


def _write(d, text):
    (d / "hedge.toml").write_text(text)
    return d / "hedge.toml"


def test_file_term_equals_the_api_term(desk) -> None:
    d, prices, basket = desk
    prob = load_config(_write(d, HEDGE)).build_problem()
    assert [repr(p) for p in prob.penalties] == ["Term('desk_terms.py:spread')"]
    res = prob.solve()
    api = ho.HedgeProblem(prices, basket, lam=0.3).add(
        ho.Budget(), ho.Term(lambda w, ctx: 0.01 * cp.sum_squares(w))).solve()
    assert res.objective == pytest.approx(api.objective, rel=1e-6)
    np.testing.assert_allclose(res.shares, api.shares, rtol=1e-5,
                               atol=1e-5 * api.shares.abs().max())


def test_module_on_sys_path(desk, monkeypatch) -> None:
    d, _, _ = desk
    (d / "desk_terms_mod.py").write_text("import cvxpy as cp\n\n\n" + TERMS)
    monkeypatch.syspath_prepend(str(d))
    monkeypatch.delitem(sys.modules, "desk_terms_mod", raising=False)
    text = HEDGE.replace('"desk_terms.py:spread"', '"desk_terms_mod:spread"')
    prob = load_config(_write(d, text)).build_problem()
    assert prob.penalties[0].fn.__module__ == "desk_terms_mod"


@pytest.mark.parametrize("entry,words", [
    ("desk_terms.py", "expected an import path `module:function`"),
    ("nope_module_xyz:spread", "cannot import module 'nope_module_xyz' (ModuleNotFoundError"),
    ("missing.py:spread", "no Python file"),
    ("desk_terms.py:absent", "module 'desk_terms.py' has no function 'absent'"),
    ("desk_terms.py:not_a_function", "is not a function fn(w, ctx) (it is int 3)"),
    ("desk_terms.py:concave", "is not convex (not DCP)"),
])
def test_errors_name_the_line(desk, entry, words) -> None:
    d, _, _ = desk
    text = HEDGE.replace('"desk_terms.py:spread"', f'"{entry}"')
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("terms"))
    with pytest.raises(ConfigError) as err:
        load_config(_write(d, text)).build_problem()
    assert f"hedge.toml:{line}: objective.terms" in str(err.value)
    assert words in str(err.value)


def test_a_file_that_raises_on_import(desk) -> None:
    d, _, _ = desk
    (d / "broken.py").write_text("raise RuntimeError('no data today')\n")
    text = HEDGE.replace('"desk_terms.py:spread"', '"broken.py:f"')
    with pytest.raises(ConfigError, match="raised RuntimeError: no data today"):
        load_config(_write(d, text)).build_problem()
