"""Reading prices, baskets, sector maps and holdings from CSV or Parquet files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hedgeopt.exceptions import InputError

__all__ = ["read_frame", "read_series"]


def read_frame(path: str | Path, field: str) -> pd.DataFrame:
    """A table indexed by its first column (dates are parsed when they look like dates).

    Raises
    ------
    InputError
        Naming ``field`` and the file when it is missing, unreadable or empty.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{field}: no such file {str(p)!r}", field=field)
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, index_col=0)
    except Exception as exc:  # pandas raises many kinds; report them as one input error
        raise InputError(f"{field}: cannot read {str(p)!r}: {exc}", field=field) from None
    if df.empty:
        raise InputError(f"{field}: {str(p)!r} holds no rows", field=field)
    if df.index.dtype == object:
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
