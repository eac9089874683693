"""Reading prices, baskets, sector maps, holdings and ticker lists from CSV or Parquet files.

Every reader takes the name of the field being read (a CLI flag such as ``--prices`` or a config
key such as ``data.prices``) and raises :class:`~hedgeopt.exceptions.InputError` naming that
field and the file when the file is missing, unreadable, empty or has the wrong shape.

File layouts
------------
- **table** (:func:`read_frame`): the first column is the index (dates or tickers), the others
  are values. A Parquet file written by ``DataFrame.to_parquet`` keeps its index; one written
  without an index uses its first column as the index.
- **series** (:func:`read_series`): an index column and one value column (``ticker, sector``;
  ``date, basket``; ``ticker, shares``).
- **list** (:func:`read_list`): one column of names with a header (``ticker``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hedgeopt.exceptions import InputError

__all__ = ["read_frame", "read_list", "read_series", "PARQUET_SUFFIXES"]

#: File suffixes read as Parquet (everything else is read as CSV).
PARQUET_SUFFIXES = (".parquet", ".pq")


def _read_raw(path: str | Path, field: str, index_col: int | None) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{field}: no such file {str(p)!r}", field=field)
    try:
        if p.suffix.lower() in PARQUET_SUFFIXES:
            df = pd.read_parquet(p)
            if index_col == 0 and isinstance(df.index, pd.RangeIndex) and df.shape[1] > 1:
                df = df.set_index(df.columns[0])
            elif index_col is None and not isinstance(df.index, pd.RangeIndex):
                df = df.reset_index()
        else:
            df = pd.read_csv(p, index_col=index_col)
    except Exception as exc:  # pandas / pyarrow raise many kinds; report them as one input error
        raise InputError(f"{field}: cannot read {str(p)!r}: {exc}", field=field) from None
    return df


def read_frame(path: str | Path, field: str) -> pd.DataFrame:
    """A table indexed by its first column (dates are parsed when they look like dates).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV, or Parquet (``.parquet`` / ``.pq``).
    field : str
        Name of what is read, used in error messages (``--prices``, ``data.prices``).

    Raises
    ------
    InputError
        Naming ``field`` and the file when it is missing, unreadable or empty.
    """
    df = _read_raw(path, field, index_col=0)
    if df.empty:
        raise InputError(f"{field}: {str(path)!r} holds no rows", field=field)
    if df.index.dtype == object or pd.api.types.is_string_dtype(df.index.dtype):
        try:
            df.index = pd.to_datetime(df.index, format="ISO8601")
        except (ValueError, TypeError):
            pass
    return df


def read_series(path: str | Path, field: str) -> pd.Series:
    """A one-column table as a Series (first column is the index)."""
    df = read_frame(path, field)
    if df.shape[1] != 1:
        raise InputError(
            f"{field}: {str(path)!r} must have an index column and one value column, "
            f"found {df.shape[1]} value columns {list(df.columns)[:5]}",
            field=field,
        )
    return df.iloc[:, 0]


def read_list(path: str | Path, field: str) -> list[str]:
    """A list of names (e.g. tickers) from the first column of a file with a header row.

    Blank entries are dropped; duplicates are an error.
    """
    df = _read_raw(path, field, index_col=None)
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{field}: {str(path)!r} holds no names", field=field)
    names = [str(x).strip() for x in df.iloc[:, 0].dropna().tolist()]
    names = [x for x in names if x]
    if not names:
        raise InputError(f"{field}: {str(path)!r} holds no names", field=field)
    dup = sorted(pd.Index(names)[pd.Index(names).duplicated()].unique())
    if dup:
        raise InputError(f"{field}: {str(path)!r} repeats {dup[:10]}", field=field)
    return names
