"""The schema language: value types (:class:`Spec` and its kinds) and the keys of a table
(:class:`Field`).

``spec.check(value, loc)`` returns the validated value (numbers as float or int, file paths as
:class:`~hedgeopt.config.files.FileRef`, dates as Timestamps) or raises a
:class:`~hedgeopt.config.ConfigError` located at ``loc``; :func:`raw_of` turns a validated value
back into TOML terms for messages. The schemas themselves are in
:mod:`hedgeopt.config.schema`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hedgeopt.config.files import FileRef
from hedgeopt.config.locate import ConfigError, Loc


class Spec:
    """A value type of the schema: ``accepts`` looks at the TOML type, ``check`` validates.

    ``types``: the Python types of the TOML values it accepts (a boolean is not a number:
    ``bool`` counts only when named); ``description``: what :meth:`describe` says of a valid
    value when it does not depend on the instance.
    """

    types: tuple[type, ...] = ()
    description = ""

    def accepts(self, v: Any) -> bool:
        return isinstance(v, self.types) and (bool in self.types or not isinstance(v, bool))

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        """The validated value (``partial``: a table may lack its required keys)."""
        if not self.accepts(v):
            raise loc.type_error(self.describe(), v)
        return v

    def describe(self) -> str:
        """What a valid value is, for messages and the reference (``"a number >= 0"``)."""
        return self.description


class Bool(Spec):
    types = (bool,)
    description = "true or false"


class Off(Spec):
    """Only ``false``: turns a constraint off (to override ``[defaults]`` in a book)."""

    description = "false (off)"

    def accepts(self, v: Any) -> bool:
        return v is False


class Number(Spec):
    types = (int, float)

    def __init__(self, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
                 integer: bool = False) -> None:
        self.lo, self.hi, self.lo_open, self.integer = lo, hi, lo_open, integer

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        if not math.isfinite(v):
            raise loc.error(f"expected a finite {self.describe()}", v)
        if self.integer:
            if not float(v).is_integer():
                raise loc.error("expected an integer", v)
            v = int(v)
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            raise loc.error(f"must be {'>' if self.lo_open else '>='} {self.lo:g}", v)
        if self.hi is not None and v > self.hi:
            raise loc.error(f"must be <= {self.hi:g}", v)
        return v if self.integer else float(v)

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        rng = []
        if self.lo is not None:
            rng.append(f"{'>' if self.lo_open else '>='} {self.lo:g}")
        if self.hi is not None:
            rng.append(f"<= {self.hi:g}")
        return kind + (f" {' and '.join(rng)}" if rng else "")


class String(Spec):
    types = (str,)
    description = "a string"

    def __init__(self, choices: Iterable[str] | None = None, upper: bool = False) -> None:
        self.choices = None if choices is None else list(choices)
        self.upper = upper

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        if not v.strip():
            raise loc.error("must not be empty", v)
        if self.choices is not None:
            key = v.upper() if self.upper else v
            if key not in self.choices:
                raise loc.error(f"expected one of {', '.join(map(json.dumps, self.choices))}", v)
            return key
        return v

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(json.dumps, self.choices))
        return self.description


class FilePath(String):
    """A path (string) resolved relative to the TOML file's directory (existence is checked
    when the data are loaded)."""

    description = "a file path (string)"

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        v = super().check(v, loc)
        return FileRef(loc.source.resolve(v), v, loc)


class DirPath(String):
    description = "a directory path (string)"

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        return loc.source.resolve(super().check(v, loc))


class DateLike(Spec):
    types = (str, _dt.date, int)
    description = "a date (2026-06-30 or \"2026-06-30\") or a row number"

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        if isinstance(v, _dt.date):
            return pd.Timestamp(v)
        return v


class DateFormat(String):
    """A strptime format such as ``"%d/%m/%Y"`` (it must hold a day, a month and a year)."""

    description = "a date format (string)"

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        v = super().check(v, loc)
        sample = _dt.datetime(2021, 1, 11, 9, 30)
        try:
            back: _dt.datetime | None = _dt.datetime.strptime(sample.strftime(v), v)
        except ValueError:
            back = None
        if back is None or back.date() != sample.date():
            raise loc.error("expected a strptime format with a day, a month and a year, "
                            "e.g. \"%d/%m/%Y\" or \"%m/%d/%Y\"", v)
        return v


class Separator(Spec):
    """A CSV field separator: one character, ``"\\t"`` (or ``"tab"``) for a tab."""

    types = (str,)
    description = "one character (string)"

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        sep = "\t" if v.lower() == "tab" else v
        if len(sep) != 1 or sep in "\"'\r\n" or sep.isalnum():
            raise loc.error("expected one separator character such as \",\", \";\", \"|\" or "
                            "\"\\t\" (tab)", v)
        return sep


class Array(Spec):
    types = (list,)

    def __init__(self, item: Spec, *, min_len: int = 0, length: int | None = None) -> None:
        self.item, self.min_len, self.length = item, min_len, length

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        if self.length is not None and len(v) != self.length:
            raise loc.error(f"expected {self.length} items, got {len(v)}", v)
        if len(v) < self.min_len:
            raise loc.error(f"expected at least {self.min_len} item(s)", v)
        return [self.item.check(x, loc.item(i)) for i, x in enumerate(v)]

    def describe(self) -> str:
        n = f"{self.length} " if self.length else ""
        return f"an array of {n}{_plural(self.item.describe())}"


def _plural(text: str) -> str:
    text = re.sub(r"^an? ", "", text)
    return re.sub(r"^(number|integer|string|date)\b", r"\1s", text)


@dataclass
class Field:
    """A key of a table: its type, whether it is required, its default and documentation."""

    spec: Spec
    doc: str
    required: bool = False
    default: Any = None
    canon: str | None = None  # canonical key (shorthands of [[basket]] entries)
    example: str | None = None


class Table(Spec):
    types = (dict,)

    def __init__(self, fields: dict[str, Field], *, extra: Spec | None = None,
                 extra_doc: str = "", doc: str = "", section: bool = False) -> None:
        self.fields, self.extra, self.extra_doc, self.doc = fields, extra, extra_doc, doc
        self.section = section  # a [section]: may be partial in [defaults] / [[basket]]

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        super().check(v, loc)
        out: dict[str, Any] = {}
        for k, x in v.items():
            f = self.fields.get(k)
            if f is None:
                if self.extra is not None:
                    out[k] = self.extra.check(x, loc.child(k))
                    continue
                raise self._unknown(k, x, loc)
            sub = partial and isinstance(f.spec, Table) and f.spec.section
            out[k] = f.spec.check(x, loc.child(k, canon=f.canon), sub)
        if not partial:
            for k, f in self.fields.items():
                if f.required and k not in v:
                    raise loc.error(f"missing required key {k!r} in {loc.table()}")
        return out

    def _unknown(self, k: str, x: Any, loc: Loc) -> ConfigError:
        allowed = list(self.fields)
        near = difflib.get_close_matches(k, allowed, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return loc.child(k).error(
            f"unknown key{hint}; allowed keys in {loc.table()}: {', '.join(allowed)}", x
        )

    def default_of(self, dotted: str) -> Any:
        """The schema default of a dotted key below this table (None if it has none)."""
        spec: Spec = self
        f = None
        for part in dotted.split("."):
            if not isinstance(spec, Table) or part not in spec.fields:
                return None
            f = spec.fields[part]
            spec = f.spec
        return None if f is None else f.default

    def describe(self) -> str:
        if self.fields:
            return "a table with keys " + ", ".join(self.fields)
        return f"a table of {self.extra_doc or 'values'}"


class OneOf(Spec):
    def __init__(self, *alts: Spec) -> None:
        self.alts = alts

    def accepts(self, v: Any) -> bool:
        return any(a.accepts(v) for a in self.alts)

    def check(self, v: Any, loc: Loc, partial: bool = False) -> Any:
        for a in self.alts:
            if a.accepts(v):
                return a.check(v, loc, partial)
        raise loc.type_error(self.describe(), v)

    def describe(self) -> str:
        return " or ".join(a.describe() for a in self.alts)


def raw_of(v: Any) -> Any:
    """A validated value back in TOML terms (for messages)."""
    if isinstance(v, FileRef):
        return v.text
    if isinstance(v, dict):
        return {k: raw_of(x) for k, x in v.items()}
    if isinstance(v, list):
        return [raw_of(x) for x in v]
    if isinstance(v, Path):
        return str(v)
    return v


def plain(v: Any) -> Any:
    """A validated value as plain JSON-ready data (paths as written, dates as ISO strings)."""
    v = raw_of(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    return v
