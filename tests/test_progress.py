"""The progress bar: drawn on a terminal only, silent otherwise, with --quiet or HEDGEOPT_QUIET."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.book import book_from_panel, solve_book
from hedgeopt.progress import Progress, progress, quiet_requested


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("HEDGEOPT_QUIET", raising=False)


def test_items_pass_through_unchanged():
    items = [3, "a", None, 2.5]
    assert list(progress(items, quiet=True)) == items
    assert list(progress(iter(items), stream=io.StringIO())) == items


def test_not_a_tty_writes_nothing():
    stream = io.StringIO()
    assert sum(progress(range(5), desc="x", stream=stream)) == 10
    assert stream.getvalue() == ""


def test_tty_draws_count_total_and_finishes_the_line():
    stream = FakeTTY()
    assert list(progress(range(4), desc="frontier", stream=stream)) == [0, 1, 2, 3]
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    last = text.rstrip("\n").split("\r")[-1]
    assert "frontier: 100%" in last and "4/4" in last and "#" * 28 in last


@pytest.mark.parametrize("how", ["quiet", "env"])
def test_quiet_and_env_silence_a_tty(monkeypatch, how):
    stream = FakeTTY()
    if how == "env":
        monkeypatch.setenv("HEDGEOPT_QUIET", "1")
        assert quiet_requested()
    list(progress(range(3), stream=stream, quiet=(how == "quiet")))
    assert stream.getvalue() == ""


def test_env_values(monkeypatch):
    for v, want in [("1", True), ("yes", True), ("TRUE", True), ("0", False), ("", False)]:
        monkeypatch.setenv("HEDGEOPT_QUIET", v)
        assert quiet_requested() is want, v
    assert quiet_requested(True) is True


def test_unknown_total_and_failures_in_line():
    bar = Progress(total=None, desc="batch", stream=FakeTTY())
    bar.update(3, failed=1)
    line = bar.line()
    assert line.startswith("batch: 3 [") and "1 failed" in line and "%" not in line
    bar = Progress(total=10, stream=FakeTTY())
    bar.update(5)
    assert "50%" in bar.line() and "5/10" in bar.line() and "eta" in bar.line()
    bar.close()
    bar.close()  # idempotent


def _tiny_book():
    prices, _, sectors = ho.datasets.synthetic_market(n_assets=24, n_days=60, n_sectors=3,
                                                      seed=2)
    cols = list(prices.columns)
    baskets = {f"b{i}": pd.Series([100.0, 200.0], index=cols[20 + i:22 + i]) for i in range(2)}
    return book_from_panel(prices, baskets, [ho.Budget(), ho.LongOnly()], lam=0.3,
                           universe=cols[:20])


def test_solve_book_draws_on_a_tty_stderr_unless_progress_false(monkeypatch):
    book = _tiny_book()
    fake = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    out = solve_book(book)
    assert len(out.results) == 2
    assert "hedging" in fake.getvalue() and "2/2" in fake.getvalue()
    fake2 = FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake2)
    out2 = solve_book(book, progress=False)
    assert fake2.getvalue() == ""
    np.testing.assert_array_equal(out.results["b0"].shares, out2.results["b0"].shares)
