"""Units in every repr: whole dollars with a minus sign, percentages, integers, dates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.display import format_frame, html_block, text_block
from hedgeopt.frontier_table import FrontierTable
from hedgeopt.text import (
    MINUS,
    fmt_count,
    fmt_float,
    fmt_money,
    fmt_percent,
    fmt_seconds,
    fmt_shares,
)


@pytest.mark.parametrize("fn, value, text", [
    (fmt_money, 1346495.202, "$1,346,495"),
    (fmt_money, -35988.33, "\u2212$35,988"),
    (fmt_money, -0.2, "$0"),                    # no "−$0"
    (fmt_money, float("nan"), ""),
    (fmt_money, None, ""),
    (fmt_percent, 0.1554, "15.54%"),
    (fmt_percent, -0.032, "\u22123.20%"),
    (fmt_count, 61.0, "61"),
    (fmt_count, np.int64(32100), "32,100"),
    (fmt_shares, 32100.0, "32,100"),
    (fmt_shares, 12.951499999999999, "12.9515"),
    (fmt_shares, -0.5, "\u22120.5"),
    (fmt_float, 0.30000000000000004, "0.3"),
    (fmt_float, -2.5e9, "\u22122.5e+09"),
    (fmt_seconds, 0.12345, "0.123 s"),
])
def test_formats(fn, value, text):
    assert fn(value) == text
    assert MINUS == "\u2212"


def test_format_frame_by_column_name_and_dtype():
    df = pd.DataFrame({"weight": [0.25, -0.5], "dollars": [1e6, -2.5e5], "names": [3.0, 4.0],
                       "reference": pd.to_datetime(["2026-01-02", "2026-06-30"]),
                       "other": [1.23456789, math.pi], "count": [1, 2]},
                      index=pd.Index(["a", "b"], name="ticker"))
    cells = format_frame(df)
    assert cells.loc["b"].tolist() == ["\u221250.00%", "\u2212$250,000", "4", "2026-06-30",
                                       "3.142", "2"]
    text = text_block("T", [("k", "v")], [("rows", cells)])
    assert text.splitlines()[:3] == ["T", "  k  v", "  rows:"]
    page = html_block("T<", [("k", "v&")], [("rows", cells)])
    assert "T&lt;" in page and "v&amp;" in page and "\u2212$250,000" in page


def test_frontier_table_keeps_the_chosen_lam_and_shows_units(market):
    prices, basket, _ = market
    prob = ho.HedgeProblem(prices, basket, lam=0.3).add(ho.Budget())
    frontier = prob.frontier([0.0, 0.3, 1.0], quiet=True)
    assert isinstance(frontier, FrontierTable) and isinstance(frontier, pd.DataFrame)
    assert frontier.chosen == 0.3 and frontier.iloc[1:].chosen == 0.3
    assert prob.lam == 0.3
    text, page = repr(frontier), frontier._repr_html_()
    for cell in (f"${round(frontier['pnl_te'].iloc[0]):,}",
                 f"{frontier['objective'].iloc[1]:.6g} $²"):
        assert cell in text and cell in page
    assert "chosen lam  0.3" in text


def test_tune_backtest_and_book_reprs_have_units(market):
    prices, basket, _ = market
    cons = [ho.Budget()]
    tuned = ho.tune(prices, basket, cons, lam=[0.0, 0.5], half_life=[None], window=[None],
                    pnl=["price"], quiet=True)
    best = tuned.table.iloc[0]
    for page in (repr(tuned), tuned._repr_html_()):
        assert f"${round(best['pnl_te']):,}" in page and "TuneResult" in page
        assert f"{prices.index[-1]:%Y-%m-%d}" in page and "00:00:00" not in page
    bt = ho.backtest(prices, basket, cons, fit_window=60, hold=20, quiet=True)
    first = bt.periods.iloc[0]
    for page in (repr(bt), bt._repr_html_()):
        assert f"{first['reference']:%Y-%m-%d}" in page
        assert f"${round(first['pnl_te']):,}" in page
        assert f"{100 * first['effectiveness']:.2f}%".replace("-", "\u2212") in page
        assert "00:00:00" not in page
    book = ho.solve_book({"one": ho.HedgeProblem(prices, basket).add(ho.Budget())},
                         progress=False)
    row = book.summary.loc["one"]
    for page in (repr(book), book._repr_html_()):
        assert f"${round(row['pnl_te']):,}" in page and f"{100 * row['effectiveness']:.2f}%" in page
        assert f"  {int(row['names'])}  " in page or f"<td>{int(row['names'])}</td>" in page
