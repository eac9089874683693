"""The files a config names: :class:`FileRef` reads one and locates its errors at the key,
:class:`Files` reads each file of a config (or of a whole book) once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hedgeopt.config.locate import ConfigError, Loc
from hedgeopt.exceptions import InputError
from hedgeopt.io import read_frame, read_list, read_series

__all__ = ["FileRef", "Files"]


@dataclass(frozen=True)
class FileRef:
    """A file named in a config: the resolved path, the text as written, and where it was."""

    path: Path
    text: str
    loc: Loc = field(repr=False, compare=False)

    def _read(self, reader: Callable[..., Any], **options: Any) -> Any:
        if not self.path.is_file():
            raise self.loc.error(f"no such file {str(self.path)!r}", self.text)
        try:
            return reader(self.path, self.loc.key, **options)
        except ConfigError:
            raise
        except InputError as exc:
            msg = str(exc)
            # the location and the file are said once, here
            for prefix in (f"{self.loc.key}: ", f"{str(self.path)!r}: "):
                msg = msg[len(prefix):] if msg.startswith(prefix) else msg
            raise self.loc.error(f"{msg} (file {str(self.path)!r})", self.text) from None

    def frame(self, index: str = "dates", numeric: bool | None = None,
              **options: Any) -> pd.DataFrame:
        """The file as a table (see :func:`hedgeopt.io.read_frame`; ``options``: date_format,
        dayfirst, sep, decimal)."""
        return self._read(read_frame, index=index, numeric=numeric, **options)

    def series(self, numeric: bool = False, tickers: bool = True, **options: Any) -> pd.Series:
        """A two-column file as a Series (``tickers``: the index holds ticker strings, else
        dates; ``options``: see :meth:`frame`)."""
        s = self._read(read_series, index="labels" if tickers else "dates", numeric=numeric,
                       **options)
        if numeric:
            values = pd.to_numeric(s, errors="coerce")
            bad = values.isna() & s.notna()
            if bad.any():
                where = list(map(str, s.index[bad][:5]))
                raise self.loc.error(f"non-numeric values in {str(self.path)!r} for {where}",
                                     self.text)
            s = values.astype(float)
        if tickers:
            s.index = pd.Index([str(t).strip() for t in s.index], name=s.index.name)
        return s

    def names(self, sep: str | None = None, decimal: str | None = None) -> list[str]:
        """A one-column file of names (``decimal`` is accepted and unused)."""
        names: list[str] = self._read(read_list, sep=sep)
        return names


class Files:
    """Reads the files of a config, each once for each way of reading it.

    Parameters
    ----------
    cache : dict
        What was read, by kind and path: shared between the baskets of a book so that a file
        is read once.
    dated : mapping
        Read options of the dated files (``data.prices``, ``data.basket``): ``date_format``,
        ``dayfirst``, ``sep``, ``decimal``.
    other : mapping
        Read options of every other file (``sep``, ``decimal``).
    """

    def __init__(self, cache: dict[Any, Any], dated: Mapping[str, Any],
                 other: Mapping[str, Any]) -> None:
        self.cache = cache
        self.dated, self.other = dict(dated), dict(other)
        self._dated_tag = str(tuple(sorted(self.dated.items())))
        self._other_tag = str(tuple(sorted(self.other.items())))

    def _cached(self, ref: FileRef, kind: str, read: Callable[[], Any]) -> Any:
        k = (kind, str(ref.path))
        if k not in self.cache:
            self.cache[k] = read()
        return self.cache[k]

    def dated_frame(self, ref: FileRef) -> pd.DataFrame:
        """A table of dated rows (the prices)."""
        return self._cached(ref, "frame" + self._dated_tag, lambda: ref.frame(**self.dated))

    def dated_series(self, ref: FileRef) -> pd.Series:
        """Numbers by date (the basket's dollar values)."""
        return self._cached(ref, "basket" + self._dated_tag,
                            lambda: ref.series(numeric=True, tickers=False, **self.dated))

    def series(self, ref: FileRef, numeric: bool = True) -> pd.Series:
        """Values by ticker: numbers (units, holdings, limits, lots) or labels (sectors)."""
        return self._cached(ref, "series" + ("#" if numeric else "") + self._other_tag,
                            lambda: ref.series(numeric=numeric, **self.other))

    def frame(self, ref: FileRef) -> pd.DataFrame:
        """A numeric table by ticker (factor loadings)."""
        return self._cached(ref, "labels" + self._other_tag,
                            lambda: ref.frame(index="labels", numeric=True, **self.other))

    def names(self, ref: FileRef) -> list[str]:
        """A one-column file of tickers."""
        names: list[str] = self._cached(ref, "names" + self._other_tag,
                                        lambda: ref.names(**self.other))
        return names
