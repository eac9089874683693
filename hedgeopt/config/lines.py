"""Which line of a TOML document a key is on: a best-effort scan of the text.

:mod:`tomllib` reports no line numbers, so the messages of :class:`~hedgeopt.config.ConfigError`
find them here: the line of a key, of its table header, or of the enclosing key (a value inside
an inline table or a multi-line array is reported at the line of the key that holds it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

__all__ = ["join_key", "line_of", "scan_key_lines", "split_key"]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEYPART = rf"(?:{_BARE}|{_QUOTED})"
_KEY_RE = re.compile(rf"^\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")
_HEADER_RE = re.compile(rf"^\s*(\[\[?)\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*\]\]?\s*(?:#.*)?$")
_INLINE_RE = re.compile(rf"[{{,]\s*({_KEYPART})\s*=")
_PART_RE = re.compile(_KEYPART)


def split_key(text: str) -> list[str]:
    """The parts of a dotted TOML key as written (``a."b.c".d`` -> ``["a", "b.c", "d"]``)."""
    parts = []
    for m in _PART_RE.finditer(text):
        p = m.group(0)
        if p[0] in "\"'":
            p = json.loads(p) if p[0] == '"' else p[1:-1]
        parts.append(p)
    return parts


def join_key(prefix: str, name: str) -> str:
    """``prefix.name``, or ``name`` at the top level."""
    return f"{prefix}.{name}" if prefix else name


def scan_key_lines(text: str) -> dict[str, int]:
    """Map dotted keys of a TOML document to 1-based line numbers (best effort).

    Arrays of tables are indexed from 0 (``basket[2].name``); keys of an inline table are mapped
    to the line of the inline table. Multi-line strings are skipped.
    """
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}
    prefix = ""
    in_string: str | None = None
    for no, raw in enumerate(text.splitlines(), start=1):
        if in_string:
            if raw.count(in_string) % 2 == 1:
                in_string = None
            continue
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head = _HEADER_RE.match(raw)
        if head:
            parts = split_key(head.group(2))
            path = ""
            for i, part in enumerate(parts):
                path = join_key(path, part)
                if path in arrays and (i < len(parts) - 1 or head.group(1) == "["):
                    path = f"{path}[{arrays[path]}]"
            if head.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                # a new element: forget the indices of arrays nested in the previous one
                for k in [k for k in arrays if k.startswith(f"{path}[")]:
                    del arrays[k]
                path = f"{path}[{arrays[path]}]"
            prefix = path
            lines.setdefault(prefix, no)
            continue
        key = _KEY_RE.match(raw)
        if key:
            full = prefix
            for part in split_key(key.group(1)):
                full = join_key(full, part)
                lines.setdefault(full, no)
            rest = raw[key.end():]
            for inner in _INLINE_RE.finditer(rest):
                for part in split_key(inner.group(1)):
                    lines.setdefault(join_key(full, part), no)
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return lines


def line_of(lines: Mapping[str, int], key: str) -> int | None:
    """Line of ``key`` or of its nearest enclosing key."""
    k = key
    while k:
        if k in lines:
            return lines[k]
        cut = max(k.rfind("."), k.rfind("["))
        k = k[:cut] if cut > 0 else ""
    return None
