"""Where a value of a config came from, and the errors that say so.

A :class:`Source` is one TOML document (its path, the lines of its keys, the directory its paths
are relative to); a :class:`Loc` is one value in it (its dotted key as displayed, and its
canonical key in the hedge schema). Every :class:`ConfigError` is built here, so that all read
``file:line: key = value: problem``.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hedgeopt.config.lines import join_key, line_of, scan_key_lines
from hedgeopt.exceptions import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: pip install tomli
    import tomli as tomllib

__all__ = [
    "MISSING",
    "ConfigError",
    "Loc",
    "Source",
    "format_value",
    "origin_error",
    "relabel",
    "type_name",
]

#: "No value given" (``None`` is a value a message may show).
MISSING: Any = object()


class ConfigError(InputError):
    """An invalid configuration file: the message names the file, line, dotted key and value.

    Attributes
    ----------
    key : str or None
        Dotted key, e.g. ``"constraints.sector_cap.max_weight"``.
    value : object
        The offending value (``None`` when the key is missing).
    line : int or None
        1-based line of the key in the TOML file (best effort), or None.
    path : str or None
        The TOML file.
    """

    def __init__(self, message: str, field: str | None = None, *, key: str | None = None,
                 value: Any = None, line: int | None = None, path: str | None = None) -> None:
        super().__init__(message, field=field if field is not None else key)
        self.key = key
        self.value = value
        self.line = line
        self.path = path


# TOML's names of Python values; order matters (a bool is an int, a datetime is a date)
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"), (dict, "table"),
    (list, "array"), (_dt.datetime, "date-time"), (_dt.date, "date"),
)


def type_name(v: Any) -> str:
    """The TOML name of a value's type (``"boolean"``, ``"table"``, ...)."""
    return next((name for t, name in _TOML_TYPES if isinstance(v, t)), type(v).__name__)


def format_value(v: Any, limit: int = 80) -> str:
    """A value as it reads in TOML (strings quoted, booleans lower-case), shortened."""
    if isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, str):
        s = json.dumps(v)
    elif isinstance(v, dict):
        s = "{ " + ", ".join(f"{k} = {format_value(x, limit)}" for k, x in v.items()) + " }"
    elif isinstance(v, list):
        s = "[" + ", ".join(format_value(x, limit) for x in v) + "]"
    elif isinstance(v, (_dt.date, _dt.datetime)):
        s = v.isoformat()
    elif isinstance(v, Path):
        s = json.dumps(str(v))
    else:
        s = repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _located(where: str, problem: object, value: Any = MISSING, *, key: str | None,
             line: int | None, path: str | None, field: str | None = None) -> ConfigError:
    """``where = value: problem`` (no ``= value`` when it is :data:`MISSING`)."""
    shown = "" if value is MISSING else f" = {format_value(value)}"
    return ConfigError(f"{where}{shown}: {problem}", field=field, key=key,
                       value=None if value is MISSING else value, line=line, path=path)


@dataclass
class Source:
    """One TOML document: its path (or None), key lines, and the base directory of paths."""

    path: Path | None
    lines: dict[str, int]
    base: Path

    @classmethod
    def read(cls, path: str | Path) -> tuple[dict[str, Any], Source]:
        """Parse a TOML file: its values and its source."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: no such config file", key=None, path=str(p))
        text = p.read_text(encoding="utf-8")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: invalid TOML: {exc}", path=str(p)) from None
        return raw, cls(p, scan_key_lines(text), p.resolve().parent)

    @classmethod
    def of_dict(cls, base_dir: str | Path | None) -> Source:
        """The source of a mapping given in Python (no file, no lines)."""
        return cls(None, {}, Path(base_dir or ".").resolve())

    def label(self) -> str:
        return str(self.path) if self.path is not None else "<config>"

    @property
    def file(self) -> str | None:
        """The TOML file as a string (None for a mapping)."""
        return str(self.path) if self.path is not None else None

    def resolve(self, text: str) -> Path:
        """A path written in the document, relative to its directory."""
        return Path(self.base, Path(text).expanduser())


@dataclass
class Loc:
    """Where a value sits: the displayed dotted key and its canonical key in the hedge schema."""

    source: Source
    key: str
    canon: str
    locs: dict[str, Loc] | None = field(default=None, repr=False)

    @property
    def line(self) -> int | None:
        return line_of(self.source.lines, self.key)

    def child(self, name: str, canon: str | None = None, display: str | None = None) -> Loc:
        loc = Loc(self.source, join_key(self.key, display or name),
                  canon if canon is not None else join_key(self.canon, name), self.locs)
        if self.locs is not None:
            self.locs[loc.canon] = loc
        return loc

    def item(self, i: int) -> Loc:
        return Loc(self.source, f"{self.key}[{i}]", f"{self.canon}[{i}]", None)

    def where(self) -> str:
        """``file:line: key`` (without the line when it is unknown, the file for a dict)."""
        if self.source.path is None:
            return self.key or "<config>"
        line = self.line
        src = self.source.label()
        head = f"{src}:{line}" if line is not None else src
        return f"{head}: {self.key}" if self.key else head

    def table(self) -> str:
        """The table this location names, for messages: ``[key]`` or ``the top level``."""
        return f"[{self.key}]" if self.key else "the top level"

    def error(self, problem: str, value: Any = MISSING) -> ConfigError:
        """``file:line: key = value: problem`` (no ``= value`` when none is given)."""
        return _located(self.where(), problem, value, key=self.key or None, line=self.line,
                        path=self.source.file)

    def type_error(self, expected: str, value: Any) -> ConfigError:
        """``... = value: expected <expected>, got a <TOML type>``."""
        return self.error(f"expected {expected}, got a {type_name(value)}", value)


def origin_error(origin: Mapping[str, Any], exc: Exception) -> ConfigError:
    """A :class:`ConfigError` for ``exc`` located at a value's ``origin`` (plain data: ``where``,
    ``key``, ``line``, ``path``, ``value``; see :func:`hedgeopt.config.builders.origin`)."""
    value = origin.get("value")
    return _located(origin["where"], exc, MISSING if value is None else value,
                    field=getattr(exc, "field", None), key=origin.get("key"),
                    line=origin.get("line"), path=origin.get("path"))


def relabel(exc: InputError, labels: Mapping[str, Mapping[str, Any]],
            default: str | None = None) -> InputError:
    """Locate an error about data at the config key the data came from (``labels``: origins
    of ``prices``, ``basket``, ``reference``); other errors are returned as they are."""
    if isinstance(exc, ConfigError):
        return exc
    f = (exc.field or "").split(".")[0].split("[")[0]
    key = f if f in labels else default
    if key is None or key not in labels:
        key = "prices" if f.startswith("prices") else ("basket" if "basket" in f else None)
    if key is None or key not in labels:
        return exc
    return origin_error(labels[key], exc)
