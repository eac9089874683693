"""The reference of every config key, rendered from the schemas as Markdown tables."""

from __future__ import annotations

import hedgeopt.config.schema as schema
from hedgeopt.config.lines import join_key
from hedgeopt.config.locate import format_value
from hedgeopt.config.spec import Field, OneOf, Table

__all__ = ["reference_markdown"]

_Row = tuple[str, str, str, str]


def _default_cell(f: Field) -> str:
    if f.required:
        return "required"
    return "" if f.default is None else format_value(f.default)


def _row(key: str, f: Field) -> _Row:
    return (f"`{key}`", f.spec.describe(), _default_cell(f), f.doc)


def _doc_rows(table: Table, prefix: str) -> list[_Row]:
    """Rows ``(key, type, default, meaning)`` of a section and of its keys' sub-tables."""
    rows = []
    for k, f in table.fields.items():
        key = join_key(prefix, k)
        rows.append(_row(key, f))
        alts = f.spec.alts if isinstance(f.spec, OneOf) else (f.spec,)
        for sub in (a for a in alts if isinstance(a, Table) and a.fields):
            rows += [_row(f"{key}.{kk}", ff) for kk, ff in sub.fields.items()]
    return rows


def _table(rows: list[_Row]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = ["| key | type | default | meaning |", "|---|---|---|---|"]
    out += ["| " + " | ".join(esc(x) for x in row) + " |" for row in rows]
    return "\n".join(out)


def reference_markdown() -> str:
    """The reference of every config key, as Markdown tables (generated from the schema)."""
    parts = ["#### hedge.toml"]
    for name, spec in [("data", schema.DATA), ("objective", schema.OBJECTIVE),
                       ("solve", schema.SOLVE), ("constraints", schema.CONSTRAINTS),
                       ("output", schema.OUTPUT)]:
        parts.append(f"`[{name}]`: {spec.doc}\n\n" + _table(_doc_rows(spec, name)))
    parts.append("#### book.toml\n\nTop level:\n\n" + _table(
        [(f"`{k}`", f.spec.describe() if k not in ("defaults", "basket", "output", "batch")
          else "table" if k != "basket" else "array of tables",
          "", f.doc) for k, f in schema.BOOK_SCHEMA.fields.items()]))
    parts.append("`[[basket]]`: " + schema.BASKET.doc + "\n\n" + _table(
        [(f"`{k}`", f.spec.describe() if not isinstance(f.spec, Table) else "table",
          "required" if f.required else "", f.doc) for k, f in schema.BASKET.fields.items()]))
    parts.append("`[output]` (book): " + schema.BOOK_OUTPUT.doc + "\n\n"
                 + _table(_doc_rows(schema.BOOK_OUTPUT, "output")))
    parts.append("`[batch]`: " + schema.BATCH.doc + "\n\n"
                 + _table(_doc_rows(schema.BATCH, "batch")))
    return "\n\n".join(parts) + "\n"
