"""Reading files: dates parsed as dates or refused, separators found, numbers read exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hedgeopt as ho
from hedgeopt.io import read_frame, read_list, read_series, sniff_separator
from hedgeopt.text import fmt_date, fmt_number, fmt_values


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stamps(*dates):
    return pd.DatetimeIndex(pd.to_datetime(list(dates)))


YEAR_END = ("2025-12-29", "2025-12-30", "2025-12-31", "2026-01-02", "2026-01-05")


# ------------------------------------------------------------------------------------------------
# text helpers
# ------------------------------------------------------------------------------------------------


def test_formatters_write_plain_dates_and_numbers():
    assert fmt_date(pd.Timestamp("2021-01-11")) == "2021-01-11"
    assert fmt_date(pd.Timestamp("2021-01-11 09:30")) == "2021-01-11 09:30:00"
    assert fmt_date(np.datetime64("2021-01-11")) == "2021-01-11"
    assert fmt_date(pd.NaT) == "NaT"
    assert fmt_date("AAA") == "'AAA'"
    assert fmt_number(np.float64(1234.5)) == "1234.5"
    assert fmt_number(np.int64(3)) == "3"
    assert fmt_number(np.float64("nan")) == "nan"
    assert fmt_number(-np.inf) == "-inf"
    assert fmt_values([pd.Timestamp("2021-01-11"), np.float64(2.5), "x", 4]) == \
        "2021-01-11, 2.5, 'x' and 1 more"
    assert fmt_values(["a"], k=3) == "'a'"


# ------------------------------------------------------------------------------------------------
# dates
# ------------------------------------------------------------------------------------------------


LAYOUTS = {
    "us": ("%m/%d/%Y", None),
    "european": ("%d/%m/%Y", None),
    "dotted": ("%d.%m.%Y", None),
    "dashed-dayfirst": ("%d-%m-%Y", None),
    "dashed-monthfirst": ("%m-%d-%Y", None),
    "two-digit-us": ("%m/%d/%y", None),
    "two-digit-european": ("%d/%m/%y", None),
    "year-slash": ("%Y/%m/%d", None),
    "compact": ("%Y%m%d", None),
    "with-time": ("%d/%m/%Y %H:%M", None),
}


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=list(LAYOUTS))
def test_dates_across_a_year_boundary_are_parsed_in_order(tmp_path, layout):
    fmt, _ = LAYOUTS[layout]
    dates = stamps(*YEAR_END)
    lines = ["date,AAA,BBB"] + [f"{d.strftime(fmt)},{10 + i},{20 - i}.5"
                                for i, d in enumerate(dates)]
    df = read_frame(write(tmp_path, "p.csv", "\n".join(lines) + "\n"), "--prices")
    assert isinstance(df.index, pd.DatetimeIndex)
    assert list(df.index) == list(dates)
    assert df["AAA"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert df["BBB"].tolist() == [20.5, 19.5, 18.5, 17.5, 16.5]


def test_us_dates_give_the_right_reference_date_and_notional(tmp_path):
    """The issue's case: text-sorted, 01/01/2026 came before 12/31/2025."""
    p = write(tmp_path, "p.csv", "date,AAA,BBB\n12/29/2025,10,20\n12/30/2025,11,19\n"
                                 "12/31/2025,12,21\n01/02/2026,13,22\n")
    b = write(tmp_path, "b.csv", "date,basket\n12/29/2025,100\n12/30/2025,101\n"
                                 "12/31/2025,99\n01/02/2026,105\n")
    ctx = ho.HedgeContext(read_frame(p, "--prices"), read_series(b, "--basket"))
    assert ctx.reference_date == pd.Timestamp("2026-01-02")
    assert ctx.notional == 105.0
    assert list(ctx.dates) == list(stamps("2025-12-29", "2025-12-30", "2025-12-31",
                                          "2026-01-02"))


@pytest.mark.parametrize("sep_char", ["/", ".", "-"])
def test_ambiguous_dates_are_refused_with_raw_values_and_settings(tmp_path, sep_char):
    text = "".join(f"0{m}{sep_char}01{sep_char}2026,{m}\n" for m in range(1, 5))
    path = write(tmp_path, "p.csv", "date,AAA\n" + text)
    with pytest.raises(ho.InputError) as e:
        read_frame(path, "--prices")
    msg = str(e.value)
    assert f"'01{sep_char}01{sep_char}2026'" in msg and f"'02{sep_char}01{sep_char}2026'" in msg
    assert "day-first" in msg and "month-first" in msg
    for setting in ("date_format", "data.date_format", "--date-format", "dayfirst",
                    "data.dayfirst", "--dayfirst", "--monthfirst"):
        assert setting in msg, setting
    assert "p.csv" in msg and msg.startswith("--prices: ")
    assert e.value.field == "--prices"


@pytest.mark.parametrize("dayfirst, first", [(True, "2026-01-02"), (False, "2026-02-01")])
def test_dayfirst_resolves_the_ambiguity(tmp_path, dayfirst, first):
    path = write(tmp_path, "p.csv", "date,AAA\n02/01/2026,1\n02/02/2026,2\n02/03/2026,3\n")
    df = read_frame(path, "--prices", dayfirst=dayfirst)
    assert df.index[0] == pd.Timestamp(first)
    assert df.index.is_monotonic_increasing


def test_date_format_resolves_the_ambiguity(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n02/01/2026,1\n02/02/2026,2\n02/03/2026,3\n")
    df = read_frame(path, "--prices", date_format="%m/%d/%Y")
    assert list(df.index) == list(stamps("2026-02-01", "2026-02-02", "2026-02-03"))


def test_date_format_mismatch_quotes_values_and_names_the_setting(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n30/12/2025,1\n31/12/2025,2\n02/01/2026,3\n")
    with pytest.raises(ho.InputError) as e:
        read_frame(path, "data.prices", date_format="%m/%d/%Y")
    msg = str(e.value)
    assert "'30/12/2025'" in msg and "'31/12/2025'" in msg
    assert "date_format '%m/%d/%Y'" in msg and "data.date_format" in msg
    assert "--date-format" in msg


def test_date_format_accepts_iso_files(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n2025-12-31,1\n2026-01-02,2\n")
    df = read_frame(path, "--prices", date_format="%d/%m/%Y")
    assert list(df.index) == list(stamps("2025-12-31", "2026-01-02"))


def test_dayfirst_that_contradicts_the_file_is_refused(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n12/30/2025,1\n12/31/2025,2\n01/02/2026,3\n")
    with pytest.raises(ho.InputError, match=r"dayfirst = true asks for day-first dates, but "
                                            r"'12/30/2025', '12/31/2025' only read month-first"):
        read_frame(path, "--prices", dayfirst=True)


def test_mixed_layouts_are_refused(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n30/12/2025,1\n12/31/2025,2\n02/01/2026,3\n")
    with pytest.raises(ho.InputError, match=r"no single date layout fits every value.*"
                                            r"'12/31/2025' does not read like the others"):
        read_frame(path, "--prices")


def test_iso_dates_and_times_parse_as_before(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n2025-12-31,1\n2026-01-02,2\n")
    assert list(read_frame(path, "--prices").index) == list(stamps("2025-12-31", "2026-01-02"))
    path = write(tmp_path, "q.csv", "date,AAA\n2025-12-31 10:00,1\n2025-12-31T11:30:00,2\n")
    assert list(read_frame(path, "--prices").index) == [pd.Timestamp("2025-12-31 10:00"),
                                                         pd.Timestamp("2025-12-31 11:30")]


def test_integer_week_index_stays_integer(tmp_path):
    rows = "".join(f"{w},{100 + w}\n" for w in range(291))
    df = read_frame(write(tmp_path, "w.csv", "week,AAA\n" + rows), "--prices")
    assert pd.api.types.is_integer_dtype(df.index.dtype)
    assert df.index[0] == 0 and df.index[-1] == 290 and df.index.name == "week"
    assert df["AAA"].iloc[-1] == 390.0


def test_text_first_column_is_refused_for_a_dated_file(tmp_path):
    path = write(tmp_path, "p.csv", "ticker,AAA\nfoo,1\nbar,2\nbaz,3\n")
    with pytest.raises(ho.InputError, match=r"the first column must hold dates or integers, "
                                            r"found 'foo', 'bar', 'baz'"):
        read_frame(path, "--prices")


def test_labels_index_keeps_tickers_as_text(tmp_path):
    path = write(tmp_path, "s.csv", "ticker,sector\n0700,Tech\nAAA,Energy\n")
    s = read_series(path, "--sectors", index="labels")
    assert list(s.index) == ["0700", "AAA"] and list(s) == ["Tech", "Energy"]


def test_missing_date_is_refused(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n2025-12-31,1\n,2\n2026-01-02,3\n")
    with pytest.raises(ho.InputError, match=r"no date in data row\(s\) 2"):
        read_frame(path, "--prices")


def test_parquet_datetime_index_is_unchanged(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"AAA": [1.0, 2.0]}, index=pd.DatetimeIndex(["2025-12-31", "2026-01-02"],
                                                                  name="date"))
    df.to_parquet(tmp_path / "p.parquet")
    got = read_frame(tmp_path / "p.parquet", "--prices")
    pd.testing.assert_frame_equal(got, df, check_index_type=False, check_freq=False)
    assert isinstance(got.index, pd.DatetimeIndex)


def test_parquet_text_dates_follow_the_same_rule(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"date": ["02/01/2026", "02/02/2026"], "AAA": [1.0, 2.0]})
    df.to_parquet(tmp_path / "p.parquet", index=False)
    with pytest.raises(ho.InputError, match="day-first"):
        read_frame(tmp_path / "p.parquet", "--prices")
    got = read_frame(tmp_path / "p.parquet", "--prices", dayfirst=False)
    assert list(got.index) == list(stamps("2026-02-01", "2026-02-02"))


# ------------------------------------------------------------------------------------------------
# separators
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_other_separators_are_found(tmp_path, sep):
    text = sep.join(["date", "AAA", "BBB"]) + "\n" + "".join(
        sep.join([d, f"{10 + i}.25", f"{20 + i}"]) + "\n" for i, d in enumerate(YEAR_END))
    path = write(tmp_path, "p.csv", text)
    assert sniff_separator(path) == sep
    df = read_frame(path, "--prices")
    assert list(df.columns) == ["AAA", "BBB"]
    assert df["AAA"].tolist() == [10.25, 11.25, 12.25, 13.25, 14.25]
    assert list(df.index) == list(stamps(*YEAR_END))


def test_one_column_names_the_separator_setting(tmp_path):
    path = write(tmp_path, "p.csv", "date AAA BBB\n2025-12-31 1 2\n2026-01-02 3 4\n")
    with pytest.raises(ho.InputError) as e:
        read_frame(path, "--prices")
    msg = str(e.value)
    assert "found one column" in msg and "'date AAA BBB'" in msg
    assert "data.sep" in msg and "--sep" in msg
    df = read_frame(path, "--prices", sep=" ")
    assert df["BBB"].tolist() == [2.0, 4.0]


def test_unquoted_thousands_that_shift_the_columns_are_refused(tmp_path):
    """pandas would take the dates as an implicit index and shift every column name."""
    path = write(tmp_path, "p.csv", "date,AAA,BBB\n2025-12-31,1,234.50,7\n2026-01-02,1,300.00,8\n")
    with pytest.raises(ho.InputError, match=r"line 2 has 4 fields separated by ',' but the "
                                            r"header has 3 \('2025-12-31,1,234.50,7'\)"):
        read_frame(path, "--prices")


def test_series_from_a_semicolon_file(tmp_path):
    path = write(tmp_path, "b.csv", "date;basket\n2025-12-31;1.000.000,50\n"
                                    "2026-01-02;1.002.500,25\n")
    s = read_series(path, "--basket")
    assert s.tolist() == [1000000.5, 1002500.25]


def test_list_from_a_semicolon_file(tmp_path):
    path = write(tmp_path, "u.csv", "ticker;weight\nAAA;1\nBBB;2\n")
    assert read_list(path, "data.universe") == ["AAA", "BBB"]


# ------------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------------


def test_thousands_commas_in_a_quoted_comma_csv(tmp_path):
    path = write(tmp_path, "p.csv", 'date,AAA,BBB\n2025-12-31,"1,234.50",7.5\n'
                                    '2026-01-02,"1,300.25","12,345.00"\n')
    df = read_frame(path, "--prices")
    assert df["AAA"].tolist() == [1234.5, 1300.25]
    assert df["BBB"].tolist() == [7.5, 12345.0]


def test_european_file_with_decimal_commas(tmp_path):
    path = write(tmp_path, "p.csv", "Datum;AAA;BBB\n30.12.2025;1.234,50;12,5\n"
                                    "31.12.2025;1.240,00;12,75\n02.01.2026;1.250,25;13\n")
    df = read_frame(path, "--prices")
    assert list(df.index) == list(stamps("2025-12-30", "2025-12-31", "2026-01-02"))
    assert df["AAA"].tolist() == [1234.5, 1240.0, 1250.25]
    assert df["BBB"].tolist() == [12.5, 12.75, 13.0]


def test_european_thousands_points_read_with_the_file_style(tmp_path):
    """``1.240`` is 1240 in a file whose other values have decimal commas."""
    path = write(tmp_path, "p.csv", "date;AAA;BBB\n2025-12-31;1.240;12,5\n2026-01-02;1.250;13\n")
    df = read_frame(path, "--prices")
    assert df["AAA"].tolist() == [1240.0, 1250.0]


def test_number_that_reads_two_ways_is_refused_with_value_row_and_column(tmp_path):
    path = write(tmp_path, "p.csv", 'date,AAA,BBB\n2025-12-31,5,"1,234"\n2026-01-02,6,"1,300"\n')
    with pytest.raises(ho.InputError) as e:
        read_frame(path, "--prices")
    msg = str(e.value)
    assert "'1,234'" in msg and "column 'BBB' on 2025-12-31" in msg
    assert "1234" in msg and "1.234" in msg and "data.decimal" in msg and "--decimal" in msg
    assert read_frame(path, "--prices", decimal=".")["BBB"].tolist() == [1234.0, 1300.0]
    assert read_frame(path, "--prices", decimal=",")["BBB"].tolist() == [1.234, 1.3]


def test_grouped_points_in_a_semicolon_file_are_refused(tmp_path):
    """``1.234`` beside no decisive value: 1.234 or 1234 in a ;-separated file."""
    path = write(tmp_path, "p.csv", "date;AAA\n2025-12-31;1.234\n2026-01-02;1.250\n")
    with pytest.raises(ho.InputError, match=r"'1.234' in column 'AAA' on 2025-12-31 reads as "
                                            r"1.234 with a decimal point or as 1234 with a "
                                            r"thousands point"):
        read_frame(path, "--prices")
    assert read_frame(path, "--prices", decimal=",")["AAA"].tolist() == [1234.0, 1250.0]
    assert read_frame(path, "--prices", decimal=".")["AAA"].tolist() == [1.234, 1.25]
    comma = write(tmp_path, "q.csv", "date,AAA\n2025-12-31,1.234\n2026-01-02,1.250\n")
    assert read_frame(comma, "--prices")["AAA"].tolist() == [1.234, 1.25]  # US layout


def test_unpadded_year_first_dates(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA\n2025-12-31,1\n2026-1-2,2\n2026-1-5,3\n")
    assert list(read_frame(path, "--prices").index) == list(stamps("2025-12-31", "2026-01-02",
                                                                   "2026-01-05"))


def test_mixed_number_styles_are_refused(tmp_path):
    path = write(tmp_path, "p.csv", "date;AAA;BBB\n2025-12-31;1,234.50;3\n2026-01-02;12,5;4\n")
    with pytest.raises(ho.InputError, match=r"mixes a decimal point \('1,234.50' in column 'AAA' "
                                            r"on 2025-12-31\) and a decimal comma \('12,5' in "
                                            r"column 'AAA' on 2026-01-02\)"):
        read_frame(path, "--prices")


def test_bad_thousands_grouping_is_refused(tmp_path):
    path = write(tmp_path, "p.csv", 'date,AAA\n2025-12-31,"1,23.5"\n2026-01-02,"2.5"\n')
    with pytest.raises(ho.InputError, match=r"non-numeric value '1,23.5' in column 'AAA' on "
                                            r"2025-12-31"):
        read_frame(path, "--prices")


def test_text_in_a_price_column_names_value_column_and_date(tmp_path):
    path = write(tmp_path, "p.csv", "date,AAA,BBB\n2025-12-31,1,2\n2026-01-02,n/a?,3\n")
    with pytest.raises(ho.InputError, match=r"non-numeric value 'n/a\?' in column 'AAA' on "
                                            r"2026-01-02"):
        read_frame(path, "--prices")


def test_empty_cells_stay_missing(tmp_path):
    path = write(tmp_path, "p.csv", "date;AAA;BBB\n2025-12-31;1,5;\n2026-01-02;2,5;3\n")
    df = read_frame(path, "--prices")
    assert df["AAA"].tolist() == [1.5, 2.5]
    assert np.isnan(df["BBB"].iloc[0]) and df["BBB"].iloc[1] == 3.0
