"""TOML configuration files: ``hedge.toml`` (one hedge) and ``book.toml`` (a book of baskets).

A config file is parsed with :mod:`tomllib` (``tomli`` on Python 3.10), checked against a
schema, and only then turned into data and constraints. Nothing in a config is evaluated:
no ``eval``, no pickle, no imports; values are TOML strings, numbers, booleans, arrays, tables.

Validation
----------
Every problem raises :class:`ConfigError` (an :class:`~hedgeopt.exceptions.InputError`, hence a
``ValueError``) whose message names

- the file and the **line** of the offending key (best effort: :mod:`tomllib` reports no line
  numbers, so hedgeopt scans the file's text for the key or its table header; a value inside an
  inline table or a multi-line array is reported at the line of the enclosing key),
- the **dotted key** (``constraints.sector_cap.max_weight``; in a book ``basket[2].lam``, counting
  ``[[basket]]`` entries from 0, or ``defaults.constraints.lots``),
- the **value** found there, and what was expected.

Unknown keys are errors listing the allowed keys (with a did-you-mean). Types are checked:
a boolean is not a number, a number is not a string. File paths are resolved relative to the
directory of the TOML file; a missing or unreadable file names the key and the resolved path.

The schema is data (:data:`HEDGE_SCHEMA`, :data:`BOOK_SCHEMA`), and :func:`reference_markdown`
renders the reference of every key from it.

Layout (each module imports only those above it)
------------------------------------------------
``lines``      which line of the TOML text a key is on
``locate``     :class:`Source` (a document), :class:`Loc` (a value in it), :class:`ConfigError`
``files``      :class:`FileRef` (a file a config names) and :class:`Files` (read once)
``spec``       the schema language: :class:`Spec`, :class:`Number`, :class:`Table`, ...
``schema``     the hedge.toml and book.toml schemas, as data
``builders``   constraints and problems from validated values
``hedge``      :class:`HedgeConfig`, :func:`load_config`
``book``       :class:`BookConfig`, :func:`load_book`, :func:`book_from_dict`
``reference``  :func:`reference_markdown`
"""

from hedgeopt.config.book import BookConfig, book_from_dict, load_book
from hedgeopt.config.builders import LoadedHedge, add_constraints, build_problem
from hedgeopt.config.constraint_keys import INTEGER_KEYS
from hedgeopt.config.files import FileRef
from hedgeopt.config.hedge import HedgeConfig, load_config
from hedgeopt.config.lines import scan_key_lines
from hedgeopt.config.locate import ConfigError, Loc, format_value, origin_error, relabel
from hedgeopt.config.reference import reference_markdown
from hedgeopt.config.schema import (
    BASKET,
    BATCH,
    BOOK_OUTPUT,
    BOOK_SCHEMA,
    CONSTRAINTS,
    DATA,
    FILE_OPTIONS,
    HEDGE_SCHEMA,
    OBJECTIVE,
    OUTPUT,
    READ_OPTIONS,
    SOLVE,
)
from hedgeopt.config.spec import Field, OneOf, Spec, Table

#: The name :mod:`hedgeopt.book` imports (kept while it does).
_relabel = relabel

# The kinds of values of the schema language (Number, String, Array, ...) are in
# hedgeopt.config.spec; the schema's sections (DATA, SOLVE, ...) in hedgeopt.config.schema.

__all__ = [
    "BASKET",
    "BATCH",
    "BOOK_OUTPUT",
    "BOOK_SCHEMA",
    "CONSTRAINTS",
    "DATA",
    "FILE_OPTIONS",
    "HEDGE_SCHEMA",
    "INTEGER_KEYS",
    "OBJECTIVE",
    "OUTPUT",
    "READ_OPTIONS",
    "SOLVE",
    "BookConfig",
    "ConfigError",
    "Field",
    "FileRef",
    "HedgeConfig",
    "LoadedHedge",
    "Loc",
    "OneOf",
    "Spec",
    "Table",
    "add_constraints",
    "book_from_dict",
    "build_problem",
    "format_value",
    "load_book",
    "load_config",
    "origin_error",
    "reference_markdown",
    "relabel",
    "scan_key_lines",
]
