"""HedgeContext: validation of prices and basket, alignment, reference date, scaled data.

Every bad input must raise a hedgeopt error that is also a ValueError and NAMES the problem
(ticker, date, field). Scaled data are checked against np.cov of the raw frames.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.context import _weighted_centred, as_ticker_series, validate_lam

# ------------------------------------------------------------------------------------------------
# bad prices / basket
# ------------------------------------------------------------------------------------------------


def test_input_error_is_value_error():
    assert issubclass(ho.InputError, ValueError)
    assert issubclass(ho.InputError, ho.HedgeOptError)
    assert issubclass(ho.InfeasibleError, ValueError)


def test_nan_price_names_ticker_and_date(tiny):
    prices, basket = tiny
    prices = prices.copy()
    prices.iloc[2, 1] = np.nan
    with pytest.raises(ho.InputError, match=r"BBB.*2024-01-03.*NaN") as exc:
        ho.HedgeContext(prices, basket)
    assert "BBB" in exc.value.field
    # and through the public problem constructor, still a ValueError
    with pytest.raises(ValueError, match="BBB"):
        ho.HedgeProblem(prices, basket)


@pytest.mark.parametrize("bad", [0.0, -1.5, np.inf, -np.inf])
def test_non_positive_or_infinite_price_names_ticker_and_date(tiny, bad):
    prices, basket = tiny
    prices = prices.copy()
    prices.iloc[3, 0] = bad
    with pytest.raises(ho.InputError, match=r"AAA.*2024-01-04.*positive") as exc:
        ho.HedgeContext(prices, basket)
    assert "AAA" in exc.value.field


def test_bad_price_counts_all_bad_values(tiny):
    prices, basket = tiny
    prices = prices.copy()
    prices.iloc[1, 0] = np.nan
    prices.iloc[4, 2] = -3.0
    with pytest.raises(ho.InputError, match=r"2 bad value\(s\).*AAA"):
        ho.HedgeContext(prices, basket)


def test_non_numeric_prices(tiny):
    prices, basket = tiny
    prices = prices.astype(object)
    prices.iloc[1, 1] = "n/a"
    with pytest.raises(ho.InputError, match="numeric") as exc:
        ho.HedgeContext(prices, basket)
    assert exc.value.field == "prices['BBB']"
    assert "'n/a'" in str(exc.value) and "BBB" in str(exc.value)


def test_basket_dates_not_aligned_name_the_dates(tiny):
    prices, basket = tiny
    pattern = r"1 price dates missing from the basket.*2024-01-01"
    with pytest.raises(ho.InputError, match=pattern) as e:
        ho.HedgeContext(prices, basket.iloc[1:])
    assert e.value.field == "basket.index"
    shifted = basket.copy()
    shifted.index = shifted.index + pd.Timedelta(days=1)
    with pytest.raises(ho.InputError, match=r"basket dates missing from prices") as e:
        ho.HedgeContext(prices, shifted)
    assert e.value.field == "basket.index"


def test_basket_in_other_order_is_aligned(tiny, ref):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket.iloc[::-1])
    np.testing.assert_array_equal(ctx.B, basket.to_numpy())


def test_duplicate_tickers(tiny):
    prices, basket = tiny
    prices = prices.copy()
    prices.columns = ["AAA", "AAA", "CCC"]
    with pytest.raises(ho.InputError, match=r"duplicate tickers \['AAA'\]") as e:
        ho.HedgeContext(prices, basket)
    assert e.value.field == "prices.columns"


def test_duplicate_dates(tiny):
    prices, basket = tiny
    rows = [0, 1, 1, 2, 3]
    with pytest.raises(ho.InputError, match=r"duplicate dates \[2024-01-02\]") as e:
        ho.HedgeContext(prices.iloc[rows], basket.iloc[rows])
    assert e.value.field == "prices.index"
    with pytest.raises(ho.InputError, match=r"basket: duplicate dates"):
        ho.HedgeContext(prices.iloc[:4], basket.iloc[[0, 1, 2, 3, 3]])


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_fewer_than_three_rows(tiny, rows):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=rf"at least 3 dates.*got {rows}") as e:
        ho.HedgeContext(prices.iloc[:rows], basket.iloc[:rows])
    assert e.value.field == "prices"


def test_three_rows_is_enough(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices.iloc[:3], basket.iloc[:3])
    assert ctx.n_obs == 3


def test_wrong_types(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="DataFrame") as e:
        ho.HedgeContext(prices.to_numpy(), basket)
    assert e.value.field == "prices"
    with pytest.raises(ho.InputError, match="Series") as e:
        ho.HedgeContext(prices, basket.to_numpy())
    assert e.value.field == "basket"
    with pytest.raises(ho.InputError, match="no columns"):
        ho.HedgeContext(prices.iloc[:, :0], basket)
    with pytest.raises(ho.InputError, match="one-column"):
        ho.HedgeContext(prices, pd.concat([basket, basket], axis=1))


def test_one_column_dataframe_basket_is_accepted(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket.to_frame())
    np.testing.assert_array_equal(ctx.B, basket.to_numpy())


def test_nan_basket_names_date(tiny):
    prices, basket = tiny
    basket = basket.copy()
    basket.iloc[4] = np.nan
    with pytest.raises(ho.InputError, match=r"basket.*2024-01-05") as e:
        ho.HedgeContext(prices, basket)
    assert e.value.field == "basket"


def test_non_positive_basket_at_reference(tiny):
    prices, basket = tiny
    basket = basket.copy()
    basket.iloc[-1] = -5.0
    with pytest.raises(ho.InputError, match=r"reference date.*> 0") as e:
        ho.HedgeContext(prices, basket)
    assert e.value.field == "basket"
    # a negative basket value elsewhere is legal (the reference row sets the notional)
    ho.HedgeContext(prices, basket, reference=0)


# ------------------------------------------------------------------------------------------------
# lam
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [-0.1, 1.0001, 2, -np.inf, np.inf, np.nan])
def test_lam_outside_unit_interval(tiny, lam):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"lam must be a number( in \[0, 1\])?") as e:
        ho.HedgeProblem(prices, basket, lam=lam)
    assert e.value.field == "lam"


@pytest.mark.parametrize("lam", ["abc", None, [0.5], {"lam": 0.5}, 1j])
def test_lam_non_numeric(tiny, lam):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="lam must be a number") as e:
        ho.HedgeProblem(prices, basket, lam=lam)
    assert e.value.field == "lam"


@pytest.mark.parametrize("lam", ["0.5", True])
def test_lam_string_or_bool_rejected(lam):
    with pytest.raises(ho.InputError, match="lam"):
        validate_lam(lam)


@pytest.mark.parametrize("lam", [0, 0.0, 1, 0.25, np.float32(0.5), np.int64(1)])
def test_lam_valid_values(lam):
    assert validate_lam(lam) == float(lam)


def test_lam_setter_validates(tiny):
    prices, basket = tiny
    prob = ho.HedgeProblem(prices, basket, lam=0.3)
    with pytest.raises(ho.InputError, match="lam"):
        prob.lam = 1.5
    assert prob.lam == 0.3


# ------------------------------------------------------------------------------------------------
# unknown / missing tickers in constraint arguments
# ------------------------------------------------------------------------------------------------


def test_sector_map_missing_tickers_named(tiny):
    prices, basket = tiny
    prob = ho.HedgeProblem(prices, basket)
    with pytest.raises(ho.InputError, match=r"misses 2 ticker\(s\): \['BBB', 'CCC'\]") as e:
        prob.add(ho.SectorCap({"AAA": "Tech"}, max_weight=0.5))
    assert e.value.field == "sectors"
    assert prob.constraints == []


def test_turnover_unknown_tickers_named(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"unknown tickers \['ZZZ'\]") as e:
        ho.HedgeProblem(prices, basket).add(ho.Turnover({"AAA": 1, "ZZZ": 2}, max_dollars=10))
    assert e.value.field == "Turnover.current"


def test_bounds_series_unknown_tickers_named(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"unknown tickers \['QQQ'\]") as e:
        ho.HedgeProblem(prices, basket).add(ho.Bounds(upper=pd.Series({"AAA": 1.0, "QQQ": 2.0})))
    assert e.value.field == "Bounds.upper"
    with pytest.raises(ho.InputError, match=r"unknown tickers \['QQQ'\]") as e:
        ho.HedgeProblem(prices, basket).add(ho.Bounds(lower={"QQQ": -1.0}))
    assert e.value.field == "Bounds.lower"


def test_exclude_unknown_tickers_named(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"unknown tickers \['XYZ'\]") as e:
        ho.HedgeProblem(prices, basket).add(ho.Exclude(["AAA", "XYZ"]))
    assert e.value.field == "Exclude.tickers"


def test_constraints_kwarg_is_validated_too(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match="XYZ"):
        ho.HedgeProblem(prices, basket, constraints=[ho.Exclude("XYZ")])


# ------------------------------------------------------------------------------------------------
# reference date
# ------------------------------------------------------------------------------------------------


def test_reference_default_is_last_row(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    assert ctx.ref == len(prices) - 1
    assert ctx.reference_date == prices.index[-1]
    np.testing.assert_array_equal(ctx.p_ref, prices.iloc[-1].to_numpy())
    assert ctx.notional == basket.iloc[-1]


@pytest.mark.parametrize(
    "reference, row",
    [("2024-01-03", 2), (pd.Timestamp("2024-01-05"), 4), (2, 2), (-2, 6), (np.int64(0), 0)],
)
def test_reference_forms(tiny, reference, row):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket, reference=reference)
    assert ctx.ref == row
    assert ctx.reference_date == prices.index[row]
    assert ctx.notional == basket.iloc[row]
    np.testing.assert_array_equal(ctx.p_ref, prices.iloc[row].to_numpy())


@pytest.mark.parametrize(
    "reference, pattern",
    [
        ("2030-01-01", r"reference date '2030-01-01' is not a date of prices"),
        ("not a date", r"is not a date of prices"),
        (8, r"reference row 8 out of range"),
        (-9, r"reference row -9 out of range"),
        (2.5, r"not a date of prices"),
        (True, r"not a date of prices"),
    ],
)
def test_bad_reference(tiny, reference, pattern):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=pattern) as e:
        ho.HedgeContext(prices, basket, reference=reference)
    assert e.value.field == "reference"


def test_integer_index_labels_win_over_positions():
    idx = pd.Index([10, 20, 30, 40])
    prices = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0], "B": [2.0, 1.0, 2.0, 3.0]}, index=idx)
    basket = prices.sum(axis=1)
    assert ho.HedgeContext(prices, basket, reference=20).ref == 1
    assert ho.HedgeContext(prices, basket, reference=1).ref == 1


# ------------------------------------------------------------------------------------------------
# unsorted dates
# ------------------------------------------------------------------------------------------------


def test_unsorted_dates_are_sorted(market):
    prices, basket, _ = market
    rng = np.random.default_rng(0)
    order = rng.permutation(len(prices))
    ctx = ho.HedgeContext(prices.iloc[order], basket.iloc[order[::-1]])
    assert ctx.dates.equals(prices.index)
    np.testing.assert_array_equal(ctx.P, prices.to_numpy())
    np.testing.assert_array_equal(ctx.B, basket.to_numpy())
    assert ctx.reference_date == prices.index[-1]


@pytest.mark.parametrize("solver", ["OSQP", None])
def test_unsorted_dates_same_result_as_sorted(market, solver):
    prices, basket, sectors = market
    order = np.random.default_rng(1).permutation(len(prices))

    def solve(p, b):
        return ho.HedgeProblem(p, b, lam=0.4).add(
            ho.Budget(), ho.LongOnly(), ho.SectorCap(sectors, max_weight=0.3)
        ).solve(solver=solver)

    a = solve(prices, basket)
    b = solve(prices.iloc[order], basket.iloc[order])
    np.testing.assert_allclose(b.shares, a.shares, rtol=1e-7, atol=1e-7 * a.shares.abs().max())
    assert b.objective == pytest.approx(a.objective, rel=1e-9)


# ------------------------------------------------------------------------------------------------
# date labels: parsed as dates or refused, never sorted as text
# ------------------------------------------------------------------------------------------------


def _relabel(prices, basket, labels):
    return prices.set_axis(pd.Index(labels), axis=0), basket.set_axis(pd.Index(labels))


def test_iso_text_dates_are_parsed_and_match_a_dated_basket(tiny):
    prices, basket = tiny
    text = prices.set_axis(pd.Index(prices.index.strftime("%Y-%m-%d")), axis=0)
    shuffled = text.iloc[[3, 0, 7, 1, 2, 6, 4, 5]]
    ctx = ho.HedgeContext(shuffled, basket)  # text ISO prices, Timestamp basket
    assert isinstance(ctx.dates, pd.DatetimeIndex)
    assert list(ctx.dates) == list(prices.index)
    assert ctx.reference_date == pd.Timestamp("2024-01-10")
    assert ctx.notional == basket.iloc[-1]
    np.testing.assert_array_equal(ctx.P, prices.to_numpy())


@pytest.mark.parametrize("fmt", ["%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d", "%d-%m-%y"])
def test_non_iso_text_dates_are_refused(fmt):
    idx = pd.to_datetime(["2025-12-30", "2025-12-31", "2026-01-02", "2026-01-05"])
    labels = list(idx.strftime(fmt))
    prices = pd.DataFrame({"AAA": [1.0, 2.0, 3.0, 4.0], "BBB": [2.0, 1.0, 2.0, 3.0]},
                          index=labels)
    basket = prices.sum(axis=1)
    with pytest.raises(ho.InputError) as e:
        ho.HedgeContext(prices, basket)
    msg = str(e.value)
    assert e.value.field == "prices.index"
    assert repr(labels[0]) in msg and "not ISO" in msg
    assert "pd.to_datetime(index, format=" in msg and "read_frame(" in msg
    assert "date_format=" in msg


def test_us_text_dates_across_a_year_end_are_not_sorted_as_text(tiny):
    """Sorted as text, '01/02/2024' would come before '12/29/2023' and be the first row."""
    prices, basket = tiny
    labels = ["12/27/2023", "12/28/2023", "12/29/2023", "01/02/2024", "01/03/2024",
              "01/04/2024", "01/05/2024", "01/08/2024"]
    with pytest.raises(ho.InputError, match="not ISO"):
        ho.HedgeContext(*_relabel(prices, basket, labels))
    parsed = pd.to_datetime(pd.Index(labels), format="%m/%d/%Y")
    ctx = ho.HedgeContext(*_relabel(prices, basket, parsed))
    assert ctx.reference_date == pd.Timestamp("2024-01-08")
    assert ctx.notional == basket.iloc[-1]


def test_text_labels_keep_their_given_order(tiny):
    prices, basket = tiny
    labels = ["h", "b", "g", "a", "f", "c", "e", "d"]
    p, b = _relabel(prices, basket, labels)
    ctx = ho.HedgeContext(p, b.iloc[::-1])  # the basket is aligned to the prices' order
    assert list(ctx.dates) == labels
    assert ctx.reference_date == "d" and ctx.notional == basket.iloc[-1]
    np.testing.assert_array_equal(ctx.P, prices.to_numpy())
    np.testing.assert_array_equal(ctx.B, basket.to_numpy())


def test_date_objects_are_dates(tiny):
    prices, basket = tiny
    p, b = _relabel(prices, basket, [d.date() for d in prices.index])
    ctx = ho.HedgeContext(p, basket.iloc[::-1])  # date objects vs Timestamps: the same dates
    assert isinstance(ctx.dates, pd.DatetimeIndex)
    assert list(ctx.dates) == list(prices.index)
    assert ctx.reference_date == pd.Timestamp("2024-01-10")


def test_unsorted_integer_periods_are_sorted(tiny):
    prices, basket = tiny
    order = [3, 0, 7, 1, 2, 6, 4, 5]
    p, b = _relabel(prices.iloc[order], basket.iloc[order], order)
    ctx = ho.HedgeContext(p, b)
    assert list(ctx.dates) == list(range(8))
    np.testing.assert_array_equal(ctx.P, prices.to_numpy())


def test_mismatched_index_kinds_are_named(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"prices are indexed by dates, the basket by "
                                            r"numbers"):
        ho.HedgeContext(prices, basket.reset_index(drop=True))


def test_non_iso_reference_string_is_refused(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"reference date '01/03/2024' is not an ISO date: "
                                            r"write it as YYYY-MM-DD") as e:
        ho.HedgeContext(prices, basket, reference="01/03/2024")
    assert e.value.field == "reference"


def test_missing_reference_names_the_span(tiny):
    prices, basket = tiny
    with pytest.raises(ho.InputError, match=r"reference date 2030-01-01 is not a date of prices "
                                            r"\(prices run from 2024-01-01 to 2024-01-10\)"):
        ho.HedgeContext(prices, basket, reference=pd.Timestamp("2030-01-01"))


# ------------------------------------------------------------------------------------------------
# messages: plain dates and numbers
# ------------------------------------------------------------------------------------------------


def _message(prices, basket, **kw):
    with pytest.raises(ho.InputError) as e:
        ho.HedgeContext(prices, basket, **kw)
    msg = str(e.value)
    assert "Timestamp(" not in msg and "np.float64" not in msg and "np.int64" not in msg
    return msg


def test_messages_show_plain_dates_and_numbers(tiny):
    prices, basket = tiny
    bad = prices.copy()
    bad.iloc[3, 0] = -1.5
    assert "ticker 'AAA' on 2024-01-04 is not a positive finite number (-1.5)" in _message(
        bad, basket)
    bad.iloc[3, 0] = np.nan
    assert "on 2024-01-04 is missing (NaN)" in _message(bad, basket)
    b = basket.copy()
    b.iloc[-1] = -5.0
    assert "basket value at the reference date 2024-01-10 must be > 0, got -5.0" in _message(
        prices, b)
    b = basket.copy()
    b.iloc[4] = np.nan
    assert "basket: value on 2024-01-05 is NaN or infinite" in _message(prices, b)
    rows = [0, 1, 1, 2, 3]
    assert "duplicate dates [2024-01-02]" in _message(prices.iloc[rows], basket.iloc[rows])
    text = prices.astype(object)
    text.iloc[1, 1] = "n/a"
    assert "non-numeric value 'n/a' for ticker 'BBB' on 2024-01-02" in _message(text, basket)
    assert "[2024-01-01]" in _message(prices, basket.iloc[1:])


def test_repr_shows_the_reference_date_plainly(tiny):
    prices, basket = tiny
    text = repr(ho.HedgeContext(prices, basket))
    assert "reference=2024-01-10," in text and "Timestamp" not in text


# ------------------------------------------------------------------------------------------------
# scaled data against np.cov of the raw frames
# ------------------------------------------------------------------------------------------------


def test_unit_conversions(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    n = np.random.default_rng(2).normal(size=ctx.n_assets) * 1000
    w = ctx.weights_from_shares(n)
    np.testing.assert_allclose(w, n * prices.iloc[-1].to_numpy() / basket.iloc[-1], rtol=1e-15)
    np.testing.assert_allclose(ctx.shares_from_weights(w), n, rtol=1e-13)
    np.testing.assert_allclose(ctx.shares(w), n, rtol=1e-13)
    np.testing.assert_allclose(ctx.dollars(w), n * prices.iloc[-1].to_numpy(), rtol=1e-13)


def test_shares_and_dollars_of_a_cvxpy_variable_are_elementwise_dollars(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    w = cp.Variable(ctx.n_assets)
    assert ctx.dollars(w).shape == (ctx.n_assets,)


def test_shares_of_a_cvxpy_variable_is_elementwise(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    w = cp.Variable(ctx.n_assets)
    expr = ctx.shares(w)
    assert expr.shape == (ctx.n_assets,)
    w.value = np.full(ctx.n_assets, 0.01)
    np.testing.assert_allclose(expr.value, ctx.shares_from_weights(w.value))


def test_gram_matches_numpy_cov(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    X = np.column_stack([prices.to_numpy() / prices.iloc[-1].to_numpy(),
                         -basket.to_numpy() / basket.iloc[-1]])
    np.testing.assert_allclose(ctx.gram.levels, np.cov(X, rowvar=False), rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(ctx.gram.diffs, np.cov(np.diff(X, axis=0), rowvar=False),
                               rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(ctx.gram.combined(0.3),
                               0.7 * ctx.gram.diffs + 0.3 * ctx.gram.levels, rtol=1e-15,
                               atol=1e-15 * np.abs(ctx.gram.levels).max())  # daxpy may fuse


@pytest.mark.parametrize("reference", [None, 5])
def test_equal_weight_blocks_from_raw_prices_are_the_centred_scaled_data(market, reference):
    """The default blocks (formed in place, no X kept) against the numpy formula: centred
    X / sqrt(T-1) and centred diff(X) / sqrt(T-2), X = [P / P_ref, -B / B_ref]; bit for bit
    the centring of a copy (_weighted_centred without in_place) of X and of np.diff(X)."""
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket, reference=reference)
    r = ctx.ref
    X = np.column_stack([prices.to_numpy() / prices.iloc[r].to_numpy(),
                         -basket.to_numpy() / basket.iloc[r]])
    T = X.shape[0]
    D = np.diff(X, axis=0)
    levels, diffs = ctx.blocks
    for got, want, rows in ((levels, X, T), (diffs, D, T - 1)):
        ref = (want - want.mean(axis=0)) / np.sqrt(rows - 1)
        assert got.shape == ref.shape and got.flags.c_contiguous
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-14 * np.abs(ref).max())
    general = _weighted_centred(ctx.augmented, None), _weighted_centred(
        np.diff(ctx.augmented, axis=0), None)
    np.testing.assert_array_equal(levels, general[0])  # the same bits as the general path
    np.testing.assert_array_equal(diffs, general[1])


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_gram_combined_scaled_in_place_is_the_numpy_sum(market, lam):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    g = ctx.gram
    before = g.diffs.copy(), g.levels.copy()
    got = g.combined(lam, 2.5)
    np.testing.assert_allclose(got, 2.5 * ((1 - lam) * before[0] + lam * before[1]),
                               rtol=1e-14, atol=1e-14 * np.abs(before[1]).max())
    np.testing.assert_array_equal(g.diffs, before[0])  # inputs untouched
    np.testing.assert_array_equal(g.levels, before[1])
    assert got is not g.combined(lam, 2.5) and not np.shares_memory(got, g.diffs)


def test_prices_are_a_c_ordered_copy_of_the_frames_values(market):
    """A frame's values are column-ordered (pandas keeps a block per dtype, tickers first):
    ``ctx.P`` is a C-ordered copy, equal to them and not sharing their memory."""
    prices, basket, _ = market
    values = prices.to_numpy(dtype=float)
    ctx = ho.HedgeContext(prices, basket)
    assert ctx.P.flags.c_contiguous
    np.testing.assert_array_equal(ctx.P, values)
    assert values.flags.c_contiguous or not np.shares_memory(ctx.P, values)


def test_blocks_and_grams_live_in_one_array_each(market):
    """The two blocks are row views of one stacked array and the two Grams slices of one
    ``2 x m x m`` array (fresh arrays of >= 4 MiB get huge pages: one array is not faulted in
    4 KB at a time), each C-ordered, the Grams equal to their own products."""
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    levels, diffs = ctx.blocks
    assert levels.base is not None and levels.base is diffs.base
    assert levels.base.shape == (2 * ctx.n_obs - 1, ctx.n_assets + 1)
    assert levels.flags.c_contiguous and diffs.flags.c_contiguous
    g = ctx.gram
    assert g.levels.base is not None and g.levels.base is g.diffs.base
    np.testing.assert_array_equal(g.levels, levels.T @ levels)
    np.testing.assert_array_equal(g.diffs, diffs.T @ diffs)


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("band", [64, 7, 1000])
def test_gram_instruments_and_border_are_the_blocks_of_combined(market, lam, band, monkeypatch):
    """``instruments`` (formed in bands) and ``border`` are ``combined``'s ``[:N, :N]`` block
    and last column, to the last bit but for daxpy's fused tail, whatever the band height
    (one band, several, a band taller than N)."""
    import hedgeopt.context as context

    monkeypatch.setattr(context, "BAND_ROWS", band)
    prices, basket, _ = market
    g = ho.HedgeContext(prices, basket).gram
    n = g.levels.shape[0] - 1
    whole = g.combined(lam, 2.5)
    Q = g.instruments(lam, 2.5)
    assert Q.shape == (n, n) and Q.flags.c_contiguous and not np.shares_memory(Q, g.levels)
    tol = 1e-15 * np.abs(whole).max()
    np.testing.assert_allclose(Q, whole[:n, :n], rtol=0, atol=tol)
    np.testing.assert_allclose(Q, 2.5 * ((1 - lam) * g.diffs + lam * g.levels)[:n, :n],
                               rtol=1e-14, atol=tol)
    np.testing.assert_allclose(g.border(lam, 2.5), whole[:, -1], rtol=0, atol=tol)


def test_scaled_objective_times_notional_squared_is_dollar_objective(market, ref):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    rng = np.random.default_rng(3)
    for lam in (0.0, 0.37, 1.0):
        for _ in range(3):
            w = rng.normal(scale=0.05, size=ctx.n_assets)
            n = w * basket.iloc[-1] / prices.iloc[-1].to_numpy()
            expected = ref.objective(n, prices, basket, lam)
            got = ctx.scaled_objective(w, lam) * ctx.notional**2
            assert got == pytest.approx(expected, rel=1e-9)


def test_repr_and_sizes(market):
    prices, basket, _ = market
    ctx = ho.HedgeContext(prices, basket)
    assert (ctx.n_obs, ctx.n_assets) == prices.shape
    assert "T=120" in repr(ctx) and "N=30" in repr(ctx) and "10,000,000" in repr(ctx)


def test_ticker_mask(tiny):
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    np.testing.assert_array_equal(ctx.ticker_mask("BBB", "f"), [False, True, False])
    np.testing.assert_array_equal(ctx.ticker_mask(["CCC", "AAA"], "f"), [True, False, True])
    with pytest.raises(ho.InputError, match=r"f: unknown tickers \['ZZZ'\]"):
        ctx.ticker_mask(["ZZZ"], "f")


# ------------------------------------------------------------------------------------------------
# as_ticker_series
# ------------------------------------------------------------------------------------------------


def test_as_ticker_series_forms():
    tickers = pd.Index(["A", "B", "C"])
    pd.testing.assert_series_equal(
        as_ticker_series(2, tickers, "x"), pd.Series(2.0, index=tickers)
    )
    s = as_ticker_series({"B": 1, "A": 3}, tickers, "x", fill=0.0)
    assert s.tolist() == [3.0, 1.0, 0.0]
    with pytest.raises(ho.InputError, match=r"x: missing tickers \['C'\]"):
        as_ticker_series({"B": 1, "A": 3}, tickers, "x")
    with pytest.raises(ho.InputError, match=r"x: unknown tickers \['Z'\]"):
        as_ticker_series({"Z": 1}, tickers, "x", fill=0.0)
    with pytest.raises(ho.InputError, match=r"x: duplicate tickers \['A'\]"):
        as_ticker_series(pd.Series([1, 2], index=["A", "A"]), tickers, "x", fill=0.0)
    with pytest.raises(ho.InputError, match="x: values must be numeric"):
        as_ticker_series({"A": "lots"}, tickers, "x", fill=0.0)


def test_per_ticker_values_refuse_a_dataframe(market) -> None:
    prices, _, _ = market
    with pytest.raises(ho.InputError, match=r"adv must be one number per ticker.*DataFrame"):
        as_ticker_series(prices, prices.columns, "adv")


def test_as_ticker_series_numbers_on_the_universe_match_the_checked_path():
    # a float Series on exactly the universe skips the label and cell checks: same values, same
    # index, and the NaN / infinity refusals still name the ticker
    tickers = pd.Index(["A", "B", "C"])
    fast = pd.Series([3.0, 1.0, 2.0], index=tickers, name="adv")
    checked = as_ticker_series(fast.astype(object), tickers, "x")
    for values in (fast, fast.astype("int64"), fast.astype("Float64")):
        got = as_ticker_series(values, tickers, "x")
        pd.testing.assert_series_equal(got, checked, check_names=False)
        assert got.index.equals(tickers) and got.dtype == np.float64
    got = as_ticker_series(fast, tickers, "x")
    got.iloc[0] = -1.0
    assert fast.iloc[0] == 3.0  # the result is not a view of the argument
    with pytest.raises(ho.InputError, match=r"x: NaN for ticker\(s\) \['B'\]"):
        as_ticker_series(pd.Series([3.0, np.nan, 2.0], index=tickers), tickers, "x")
    with pytest.raises(ho.InputError, match=r"x: infinite value for ticker\(s\) \['C'\]"):
        as_ticker_series(pd.Series([3.0, 1.0, np.inf], index=tickers), tickers, "x",
                         finite=True)
    with pytest.raises(ho.InputError, match="true/false"):
        as_ticker_series(pd.Series([True, False, True], index=tickers), tickers, "x")
    reordered = as_ticker_series(fast.iloc[::-1], tickers, "x")  # the checked path aligns
    pd.testing.assert_series_equal(reordered, checked, check_names=False)


def test_as_ticker_series_refusals_on_both_paths_name_the_tickers():
    # the numpy masks of _finite_numbers on the fast path (numbers on the universe, nullable
    # ones included) and on the checked path (a dict, a Series in another order)
    tickers = pd.Index(["A", "B", "C"])
    holed = pd.Series([1.0, 2.0, 3.0], index=tickers, dtype="Float64")
    holed.iloc[1] = pd.NA
    with pytest.raises(ho.InputError, match=r"x: NaN for ticker\(s\) \['B'\]"):
        as_ticker_series(holed, tickers, "x")
    with pytest.raises(ho.InputError, match=r"x: NaN for ticker\(s\) \['C'\]"):
        as_ticker_series({"C": np.nan, "A": 1.0}, tickers, "x", fill=0.0)
    with pytest.raises(ho.InputError, match=r"x: infinite value for ticker\(s\) \['A'\]"):
        as_ticker_series(pd.Series([2.0, -np.inf], index=["B", "A"]), tickers, "x", fill=0.0,
                         finite=True)
    got = as_ticker_series(pd.Series([2.0, np.inf], index=["B", "A"]), tickers, "x", fill=0.5)
    assert got.tolist() == [np.inf, 2.0, 0.5] and got.index.equals(tickers)
    assert got.dtype == np.float64


def test_default_multipliers_are_float_ones_on_the_tickers(tiny):
    """Without ``multipliers`` every ticker's is 1.0: the Series a scalar broadcast makes."""
    prices, basket = tiny
    ctx = ho.HedgeContext(prices, basket)
    pd.testing.assert_series_equal(ctx.multipliers, pd.Series(1.0, index=prices.columns))
    ctx.multipliers.iloc[0] = 2.0  # its own memory: another context's are still ones
    assert (ho.HedgeContext(prices, basket).multipliers == 1.0).all()
