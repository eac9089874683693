"""When a bar is drawn: a terminal or a Jupyter kernel; never with --quiet, HEDGEOPT_QUIET, CI or
a pipe. Drawing is tqdm's; these tests check the rule and the counts, not tqdm's layout."""

from __future__ import annotations

import io
import sys
import types

import numpy as np
import pandas as pd
import pytest
import tqdm.auto

import hedgeopt as ho
import hedgeopt.progress as hp
from hedgeopt.book import book_from_panel, solve_book
from hedgeopt.progress import Progress, progress, quiet_requested


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("HEDGEOPT_QUIET", raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def kernel(monkeypatch):
    """A simulated Jupyter kernel: ipykernel imported and a shell with a kernel."""
    shell = types.SimpleNamespace(kernel=object())
    fake_ipython = types.ModuleType("IPython")
    fake_ipython.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    return shell


def _last_line(text: str) -> str:
    return text.rstrip("\n").split("\r")[-1]


def test_items_pass_through_unchanged():
    items = [3, "a", None, 2.5]
    assert list(progress(items, quiet=True)) == items
    assert list(progress(iter(items), stream=io.StringIO())) == items
    assert list(progress(iter(items), stream=FakeTTY())) == items


def test_not_a_tty_writes_nothing_and_does_not_load_tqdm(monkeypatch):
    def boom():
        raise AssertionError("a silent bar must not build a tqdm bar")

    monkeypatch.setattr(hp, "_bar_class", boom)
    stream = io.StringIO()
    assert sum(progress(range(5), desc="x", stream=stream)) == 10
    assert stream.getvalue() == ""


def test_tty_draws_count_total_and_finishes_the_line():
    stream = FakeTTY()
    assert list(progress(range(4), desc="frontier", stream=stream)) == [0, 1, 2, 3]
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    last = _last_line(text)
    assert last.startswith("frontier: 100%") and "4/4" in last


def test_bars_are_tqdm_auto():
    assert hp._bar_class() is tqdm.auto.tqdm


@pytest.mark.parametrize("how", ["quiet", "env", "ci"])
def test_quiet_env_and_ci_silence_a_tty(monkeypatch, how):
    stream = FakeTTY()
    if how == "env":
        monkeypatch.setenv("HEDGEOPT_QUIET", "1")
        assert quiet_requested()
    if how == "ci":
        monkeypatch.setenv("CI", "true")
    list(progress(range(3), stream=stream, quiet=(how == "quiet")))
    assert stream.getvalue() == ""


def test_env_values(monkeypatch):
    for v, want in [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("", False)]:
        monkeypatch.setenv("HEDGEOPT_QUIET", v)
        assert quiet_requested() is want, v
    assert quiet_requested(True) is True


@pytest.mark.parametrize("value, draws", [("true", False), ("1", False), ("anything", False),
                                          ("false", True), ("0", True), ("", True)])
def test_ci_values(monkeypatch, value, draws):
    monkeypatch.setenv("CI", value)
    assert hp.enabled(stream=FakeTTY()) is draws


def test_a_kernel_draws_although_its_stream_is_not_a_tty(kernel):
    assert hp.in_kernel()
    stream = io.StringIO()  # ipykernel's stderr is not a terminal either
    assert list(progress(range(3), desc="tune", stream=stream)) == [0, 1, 2]
    assert "tune: 100%" in _last_line(stream.getvalue())


def test_a_kernel_is_still_silenced_by_quiet_env_and_ci(kernel, monkeypatch):
    assert not hp.enabled(quiet=True, stream=io.StringIO())
    monkeypatch.setenv("HEDGEOPT_QUIET", "yes")
    assert not hp.enabled(stream=io.StringIO())
    monkeypatch.delenv("HEDGEOPT_QUIET")
    monkeypatch.setenv("CI", "1")
    assert not hp.enabled(stream=io.StringIO())


def test_ipython_in_a_terminal_or_ipykernel_alone_is_not_a_kernel(kernel, monkeypatch):
    del kernel.kernel  # a terminal IPython shell has no kernel: the TTY rule applies
    assert not hp.in_kernel()
    assert not hp.enabled(stream=io.StringIO())
    assert hp.enabled(stream=FakeTTY())
    sys.modules["IPython"].get_ipython = lambda: None  # imported, no shell running
    assert not hp.in_kernel()
    monkeypatch.delitem(sys.modules, "ipykernel")
    assert not hp.in_kernel()


def test_failed_counter_in_postfix_and_counts():
    stream = FakeTTY()
    with Progress(total=None, desc="batch", stream=stream) as bar:
        bar.update(3, failed=1)
        bar.update(2)
        bar.update(4, failed=2)
    assert (bar.count, bar.failed) == (9, 3)
    last = _last_line(stream.getvalue())
    assert last.startswith("batch: 9") and "3 failed" in last and "%" not in last

    stream = FakeTTY()
    with Progress(total=10, stream=stream) as bar:
        bar.update(5)
    assert "failed" not in stream.getvalue() and "5/10" in _last_line(stream.getvalue())
    bar.close()  # idempotent
    assert stream.getvalue().count("\n") == 1


def test_a_silent_bar_still_counts():
    bar = Progress(total=4, quiet=True, stream=FakeTTY())
    bar.update(2, failed=1)
    bar.update(0, failed=1)
    assert (bar.enabled, bar.count, bar.failed) == (False, 2, 2)
    bar.close()


def _tiny_book(nan_basket: bool = False):
    prices, _, sectors = ho.datasets.synthetic_market(n_assets=24, n_days=60, n_sectors=3,
                                                      seed=2)
    cols = list(prices.columns)
    baskets = {f"b{i}": pd.Series([100.0, 200.0], index=cols[20 + i:22 + i]) for i in range(2)}
    if nan_basket:  # a basket whose dollar values hold a NaN fails with an InputError
        bad = ho.basket_value(baskets["b0"], prices)
        bad.iloc[10] = np.nan
        baskets = {k: ho.basket_value(u, prices) for k, u in baskets.items()} | {"nan": bad}
    return book_from_panel(prices, baskets, [ho.Budget(), ho.LongOnly()], lam=0.3,
                           universe=cols[:20])


def test_solve_book_draws_on_a_tty_stderr_unless_progress_false(monkeypatch):
    book = _tiny_book()
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    out = solve_book(book)
    assert len(out.results) == 2
    last = _last_line(fake.getvalue())
    assert last.startswith("hedging: 100%") and "2/2" in last and "failed" not in last
    fake2 = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake2)
    out2 = solve_book(book, progress=False)
    assert fake2.getvalue() == ""
    np.testing.assert_array_equal(out.results["b0"].shares, out2.results["b0"].shares)


def test_solve_book_shows_its_failures(monkeypatch):
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    out = solve_book(_tiny_book(nan_basket=True))
    assert list(out.failures) == ["nan"] and len(out.results) == 2
    last = _last_line(fake.getvalue())
    assert "3/3" in last and last.endswith("1 failed]")
