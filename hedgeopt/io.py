"""Reading prices, baskets, sector maps, holdings and ticker lists from CSV or Parquet files.

Every reader takes the name of the field being read (a CLI flag such as ``--prices`` or a config
key such as ``data.prices``) and raises :class:`~hedgeopt.exceptions.InputError` naming that
field and the file when the file is missing, unreadable, empty or has the wrong shape.

File layouts
------------
- **table** (:func:`read_frame`): the first column is the index (dates, integer periods or
  tickers), the others are values. A Parquet file written by ``DataFrame.to_parquet`` keeps
  its index; one written without an index uses its first column as the index.
- **series** (:func:`read_series`): an index column and one value column (``ticker, sector``;
  ``date, basket``; ``ticker, shares``).
- **list** (:func:`read_list`): one column of names with a header (``ticker``).

Dates
-----
With ``index="dates"`` (prices, baskets) the first column is read as text and parsed by
:func:`hedgeopt.dates.parse_dates`: ISO dates always; other layouts (``31/12/2025``,
``12/31/2025``, ``31.12.2025``, ...) when exactly one day/month order fits, else refused
unless ``date_format`` or ``dayfirst`` says which; integers (week numbers) stay integers;
anything else is refused. Dates are never kept as text (text sorts ``01/01/2026`` before
``12/31/2025``).

Separators and numbers
----------------------
The field separator of a CSV is found from its first lines (``,``, ``;``, tab or ``|``: the
one that splits every line into the same number of fields, :class:`csv.Sniffer` breaking a
tie) unless ``sep`` is given. Numbers may be written with a decimal point and thousands
commas (``"1,234.50"``) or with a decimal comma and thousands points (``1.234,50``); the
style is decided for the whole file from values that only read one way (``12,5``,
``1,234.50``). A value that reads both ways in a file that does not say (only ``1,234``) is
refused unless ``decimal`` is given, as is a file mixing the styles or holding text where a
number belongs: the message quotes the value, its column and its row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgeopt.dates import parse_dates
from hedgeopt.exceptions import InputError
from hedgeopt.text import fmt_date, fmt_label

__all__ = [
    "PARQUET_SUFFIXES",
    "SEPARATORS",
    "parse_numbers",
    "read_frame",
    "read_list",
    "read_series",
    "sniff_separator",
]

#: File suffixes read as Parquet (everything else is read as CSV).
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Field separators recognised in CSV files, in order of preference.
SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
_SAMPLE = 1 << 16

# a number with a decimal point (and optional thousands commas), or with a decimal comma
# (and optional thousands points); each needs at least one digit
_DOT = re.compile(r"^(?=[^\d]*\d)[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d*)?(?:[eE][+-]?\d+)?$")
_COMMA = re.compile(r"^(?=[^\d]*\d)[+-]?(?:\d+|\d{1,3}(?:\.\d{3})+)?(?:,\d*)?(?:[eE][+-]?\d+)?$")
_SPECIAL = re.compile(r"^[+-]?(?:inf|infinity|nan)$", re.IGNORECASE)

IndexKind = Literal["dates", "labels"]


# ------------------------------------------------------------------------------------------------
# separators
# ------------------------------------------------------------------------------------------------


def _sample_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read(_SAMPLE)
    except (OSError, UnicodeDecodeError):
        return []
    lines = text.splitlines()
    if len(text) == _SAMPLE and lines:
        lines = lines[:-1]  # may be cut mid-line
    return [ln for ln in lines if ln.strip()][:50]


def sniff_separator(path: str | Path) -> str:
    """The field separator of a CSV file, one of :data:`SEPARATORS` (``","`` if none fits).

    A separator fits when it splits the header into at least two fields and every one of the
    first lines into as many (quotes respected). Of several that fit, :class:`csv.Sniffer`
    chooses; else the one giving the most fields.
    """
    lines = _sample_lines(Path(path))
    if not lines:
        return ","
    counts: dict[str, list[int]] = {}
    for sep in SEPARATORS:
        try:
            counts[sep] = [len(row) for row in csv.reader(lines, delimiter=sep)]
        except csv.Error:
            continue
    fits = [s for s, c in counts.items() if c and c[0] >= 2 and all(n == c[0] for n in c)]
    if len(fits) == 1:
        return fits[0]
    if len(fits) > 1:
        try:
            found = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(fits)).delimiter
            if found in fits:
                return found
        except csv.Error:
            pass
        return max(fits, key=lambda s: counts[s][0])
    wide = [s for s, c in counts.items() if c and c[0] >= 2]
    return max(wide, key=lambda s: counts[s][0]) if wide else ","


def _sep_name(sep: str) -> str:
    return _SEP_NAMES.get(sep, repr(sep))


# ------------------------------------------------------------------------------------------------
# raw reading
# ------------------------------------------------------------------------------------------------


def _check_file(path: str | Path, field: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{field}: no such file {str(p)!r}", field=field)
    return p


def _is_parquet(p: Path) -> bool:
    return p.suffix.lower() in PARQUET_SUFFIXES


def _read_csv(p: Path, field: str, sep: str, *, index: bool, text: bool) -> pd.DataFrame:
    kwargs: dict[str, Any] = {"sep": sep}
    if len(sep) > 1:
        kwargs["engine"] = "python"
    if index:
        kwargs["index_col"] = 0
    kwargs["dtype"] = str if text else {0: str}
    try:
        return pd.read_csv(p, **kwargs)
    except Exception as exc:  # pandas raises many kinds; report them as one input error
        raise InputError(f"{field}: cannot read {str(p)!r}: {exc}", field=field) from None


def _read_parquet(p: Path, field: str, index: bool) -> pd.DataFrame:
    try:
        df = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises many kinds; report them as one input error
        raise InputError(f"{field}: cannot read {str(p)!r}: {exc}", field=field) from None
    if index and isinstance(df.index, pd.RangeIndex) and df.shape[1] > 1:
        df = df.set_index(df.columns[0])
    elif not index and not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    return df


def _check_fields(p: Path, field: str, sep: str) -> None:
    """Refuse data lines with more fields than the header.

    pandas reads a file whose every data line has one field more than its header with the
    first column as an implicit index, shifting every column name by one (an unquoted
    ``1,234.50`` in a comma CSV does that): a silent misreading, refused here.
    """
    if len(sep) != 1:
        return
    lines = _sample_lines(p)
    try:
        rows = list(csv.reader(lines, delimiter=sep))
    except csv.Error:
        return  # pandas reports it
    if len(rows) < 2:
        return
    head = len(rows[0])
    for no, row in enumerate(rows[1:], start=2):
        if len(row) > head:
            shown = lines[no - 1] if len(lines[no - 1]) <= 60 else lines[no - 1][:57] + "..."
            raise InputError(
                f"{field}: {str(p)!r}: line {no} has {len(row)} fields separated by "
                f"{_sep_name(sep)} but the header has {head} ({shown!r}); is a number written "
                f"with an unquoted thousands separator or decimal comma? quote such values "
                f"(\"1,234.50\") or use another separator (config data.sep, CLI --sep)",
                field=field)


def _one_column(p: Path, field: str, sep: str | None, given: bool) -> InputError:
    lines = _sample_lines(p)
    first = lines[0] if lines else ""
    first = first if len(first) <= 60 else first[:57] + "..."
    if given:
        how = f"with sep {_sep_name(sep or ',')} it has one column"
    else:
        how = ("found one column: no ',', ';', tab or '|' separates its fields the same way on "
               "every line")
    return InputError(
        f"{field}: {str(p)!r}: {how} (first line {first!r}); a table needs an index column "
        f"and value columns: set sep to the file's separator (config data.sep, CLI --sep)",
        field=field)


# ------------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------------


def _where(text: pd.DataFrame, value: str) -> str:
    """``column 'AAA' on 2021-01-04``: the first cell of ``text`` holding ``value``."""
    dated = isinstance(text.index, pd.DatetimeIndex)
    for col in text.columns:
        cells = text[col]
        hit = (cells.astype(object).where(cells.notna(), None).map(
            lambda v: None if v is None else str(v).strip()) == value).to_numpy()
        if hit.any():
            row = text.index[int(np.argmax(hit))]
            at = f"on {fmt_date(row)}" if dated else f"at {fmt_label(row)}"
            return f"column {fmt_label(col)} {at}"
    return "the file"  # pragma: no cover - the value came from the table


def parse_numbers(text: pd.DataFrame, field: str, *, decimal: str | None = None,
                  source: str = "", sep: str | None = None) -> pd.DataFrame:
    """Convert a table of number strings to floats, deciding the number style for the table.

    Parameters
    ----------
    text : pandas.DataFrame
        Cells as text (missing cells NaN).
    field : str
        What is read, for messages.
    decimal : {".", ","}, optional
        The decimal mark; the other mark is then the thousands separator. Default: decided
        from the values (see the module docstring).
    source : str
        Prefix of messages (``"'prices.csv': "``).
    sep : str, optional
        The file's field separator: with ``;``, a tab or ``|`` (European layouts), values
        that all look like ``1.234`` are ambiguous too.

    Raises
    ------
    InputError
        Quoting the value, its column and its row, for text where a number belongs, a value
        that reads two ways, or a table mixing decimal points and decimal commas.
    """
    if decimal not in (None, ".", ","):
        raise InputError(f"{field}: decimal must be '.' or ',', got {decimal!r}", field=field)
    cols = {c: text[c].astype(object).where(text[c].notna(), None).map(
        lambda v: None if v is None else str(v).strip()) for c in text.columns}
    vals = pd.unique(np.concatenate([s.dropna().to_numpy(dtype=object) for s in cols.values()]
                                    or [np.empty(0, dtype=object)]))
    vals = pd.Series(vals, dtype=object)
    vals = vals[vals != ""]
    special = vals.str.match(_SPECIAL).astype(bool)
    dot = vals.str.match(_DOT).astype(bool) | special
    comma = vals.str.match(_COMMA).astype(bool) | special

    def refuse(problem: str) -> InputError:
        return InputError(f"{field}: {source}{problem}", field=field)

    junk = vals[~(dot | comma)]
    if len(junk):
        v = junk.iloc[0]
        raise refuse(f"non-numeric value {v!r} in {_where(text, v)}")
    style = decimal
    if style is not None:
        wrong = vals[~(dot if style == "." else comma)]
        if len(wrong):
            v = wrong.iloc[0]
            mark = "point" if style == "." else "comma"
            raise refuse(f"value {v!r} in {_where(text, v)} is not a number with a decimal "
                         f"{mark} (decimal = {style!r})")
    elif dot.all() and comma.all():
        # no value reads only one way: "1,234" is 1234 or 1.234; in a file separated by ";",
        # a tab or "|" (a European layout), "1.234" may as well be 1234
        two_way = vals[vals.str.contains(",", regex=False)]
        if not len(two_way) and sep not in (None, ","):
            dotted = vals[vals.str.contains(".", regex=False)]
            if len(dotted) and dotted.str.match(r"^[+-]?\d{1,3}(?:\.\d{3})+$").all():
                two_way = dotted
        if len(two_way):
            v = two_way.iloc[0]
            if "," in v:
                ways = (f"{v.replace(',', '')} with a thousands comma or as "
                        f"{v.replace(',', '.')} with a decimal comma")
            else:
                ways = f"{v} with a decimal point or as {v.replace('.', '')} with a thousands point"
            raise refuse(
                f"value {v!r} in {_where(text, v)} reads as {ways}, and no value in the file "
                f"tells which; set decimal (config data.decimal, CLI --decimal) to '.' or ','")
        style = "."
    elif dot.all():
        style = "."
    elif comma.all():
        style = ","
    else:
        p = vals[dot & ~comma].iloc[0]
        c = vals[comma & ~dot].iloc[0]
        raise refuse(f"mixes a decimal point ({p!r} in {_where(text, p)}) and a decimal comma "
                     f"({c!r} in {_where(text, c)}); write every number the same way")
    out = {}
    for c, s in cols.items():
        s = s.where(s != "", None)
        if style == ".":
            s = s.str.replace(",", "", regex=False)
        else:
            s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        out[c] = pd.to_numeric(s, errors="raise").astype(float)
    return pd.DataFrame(out, index=text.index, columns=text.columns)


def _all_numeric(df: pd.DataFrame) -> bool:
    return all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
               for t in df.dtypes)


# ------------------------------------------------------------------------------------------------
# readers
# ------------------------------------------------------------------------------------------------


def read_frame(path: str | Path, field: str, *, index: IndexKind = "dates",
               date_format: str | None = None, dayfirst: bool | None = None,
               numeric: bool | None = None, sep: str | None = None,
               decimal: str | None = None) -> pd.DataFrame:
    """A table indexed by its first column: dates (parsed or refused), periods or labels.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV, or Parquet (``.parquet`` / ``.pq``).
    field : str
        Name of what is read, used in error messages (``--prices``, ``data.prices``).
    index : {"dates", "labels"}
        ``"dates"``: the first column holds dates (see :func:`hedgeopt.dates.parse_dates`) or
        integer periods; anything else is an error. ``"labels"``: tickers or other names,
        kept as text in file order.
    date_format : str, optional
        strptime format of the dates (``"%d/%m/%Y"``); ISO dates are accepted too.
    dayfirst : bool, optional
        Resolves dates that read both day-first and month-first.
    numeric : bool, optional
        Whether every value must be a number (default: with ``index="dates"``).
    sep : str, optional
        Field separator of a CSV; default: found from the first lines.
    decimal : {".", ","}, optional
        Decimal mark of the numbers; default: decided from the values.

    Raises
    ------
    InputError
        Naming ``field`` and the file when it is missing, unreadable, empty, has one column,
        dates that are ambiguous or do not parse, or values that are not numbers.
    """
    if index not in ("dates", "labels"):
        raise InputError(f"index must be 'dates' or 'labels', got {index!r}", field="index")
    numeric = index == "dates" if numeric is None else bool(numeric)
    p = _check_file(path, field)
    src = f"{str(p)!r}: "
    given = sep is not None
    if _is_parquet(p):
        df = _read_parquet(p, field, index=True)
    else:
        sep = sep if sep is not None else sniff_separator(p)
        _check_fields(p, field, sep)
        df = _read_csv(p, field, sep, index=True, text=False)
        if df.shape[1] == 0:
            raise _one_column(p, field, sep, given)
    if df.empty:
        raise InputError(f"{field}: {str(p)!r} holds no rows", field=field)
    if index == "dates":
        if not isinstance(df.index, pd.DatetimeIndex):
            raw = df.index
            if pd.api.types.is_integer_dtype(raw.dtype) and date_format is None:
                new_index = raw
            else:
                new_index = parse_dates(raw, field, date_format=date_format,
                                        dayfirst=dayfirst, source=src)
        else:
            new_index = df.index
    else:
        new_index = pd.Index([v.strip() if isinstance(v, str) else v for v in df.index],
                             name=df.index.name)
    # pandas reads numbers with a decimal point; anything else, and every file of a European
    # layout (";", tab, "|": "1.234" may mean 1234 there), goes through parse_numbers
    european = not _is_parquet(p) and sep not in (None, ",")
    if numeric and (decimal is not None or european or not _all_numeric(df)):
        text = df if _is_parquet(p) else _read_csv(p, field, sep or ",", index=True, text=True)
        text.index = new_index
        df = parse_numbers(text, field, decimal=decimal, source=src,
                           sep=None if _is_parquet(p) else sep)
    df.index = new_index
    return df


def read_series(path: str | Path, field: str, *, index: IndexKind = "dates",
                date_format: str | None = None, dayfirst: bool | None = None,
                numeric: bool | None = None, sep: str | None = None,
                decimal: str | None = None) -> pd.Series:
    """A one-column table as a Series (first column is the index); see :func:`read_frame`."""
    df = read_frame(path, field, index=index, date_format=date_format, dayfirst=dayfirst,
                    numeric=numeric, sep=sep, decimal=decimal)
    if df.shape[1] != 1:
        raise InputError(
            f"{field}: {str(path)!r} must have an index column and one value column, "
            f"found {df.shape[1]} value columns {list(df.columns)[:5]}",
            field=field,
        )
    return df.iloc[:, 0]


def read_list(path: str | Path, field: str, *, sep: str | None = None) -> list[str]:
    """A list of names (e.g. tickers) from the first column of a file with a header row.

    Blank entries are dropped; duplicates are an error.
    """
    p = _check_file(path, field)
    if _is_parquet(p):
        df = _read_parquet(p, field, index=False)
    else:
        df = _read_csv(p, field, sep if sep is not None else sniff_separator(p), index=False,
                       text=True)
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{field}: {str(p)!r} holds no names", field=field)
    names = [str(x).strip() for x in df.iloc[:, 0].dropna().tolist()]
    names = [x for x in names if x]
    if not names:
        raise InputError(f"{field}: {str(p)!r} holds no names", field=field)
    dup: list[Hashable] = sorted(pd.Index(names)[pd.Index(names).duplicated()].unique())
    if dup:
        raise InputError(f"{field}: {str(p)!r} repeats {dup[:10]}", field=field)
    return names
