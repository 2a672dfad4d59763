"""JSON equality in SQL that answers the same on SQLite and PostgreSQL.

Values are stored as the exact JSON text the client sent (`storage.types.JSONText`), so two
equal objects may differ as text (key order, `100.0` beside `100`). PostgreSQL casts both
sides to jsonb, which compares by meaning (object keys in any order, numbers by value).
SQLite brings the stored text to one canonical text with a deterministic SQL function
registered on every connection, `chameleon_json_canonical` (sorted keys, numbers as
normalised decimals, as jsonb compares them), and compares it with the canonical text of
the value asked for; so `100.0`, `-0.0` and `1e16` match `100`, `0` and
`10000000000000000` on both.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement as _Element
from sqlalchemy.types import Boolean

SQLITE_FUNCTION = "chameleon_json_canonical"


def canonical_text(value: Any) -> str:
    """One text per JSON value, by meaning: sorted keys, no spaces, and every number as its
    normalised decimal (`100`, `100.0` and `1e2` all read `1E+2`; `-0.0` reads `0`), which
    is how PostgreSQL's jsonb compares numbers. The text is valid JSON."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return "0" if number == 0 else str(number.normalize())
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        members = (
            f"{json.dumps(key, ensure_ascii=False)}:{canonical_text(child)}"
            for key, child in sorted(value.items())
        )
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_text(child) for child in value) + "]"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _sqlite_canonical(stored: Any) -> str | None:
    """The SQL function: a stored JSON value (text, or a number by affinity) as canonical
    text; NULL for SQL NULL or anything that is not JSON (it then equals nothing)."""
    if stored is None:
        return None
    try:
        value = json.loads(stored) if isinstance(stored, str | bytes) else stored
        return canonical_text(value)
    except (ValueError, TypeError, RecursionError):
        return None


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Called on every new SQLite connection (see `storage.engines`)."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, _sqlite_canonical, deterministic=True)


class JsonEquals(_Element[bool]):
    """`column` holds JSON equal to the value whose canonical text is `text`."""

    inherit_cache = True
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], text: str) -> None:
        self.column = column
        self.text = bindparam(None, text, type_=String())


@compiles(JsonEquals)
def _compile_default(element: JsonEquals, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"({SQLITE_FUNCTION}({column}) = {compiler.process(element.text, **kw)})"


@compiles(JsonEquals, "postgresql")
def _compile_postgresql(element: JsonEquals, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(CAST({column} AS JSONB) = CAST({compiler.process(element.text, **kw)} AS JSONB))"


def json_equals(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """`column` equals the JSON `value` (already checked storable); a JSON null also
    matches SQL NULL."""
    text = canonical_text(value)
    match: ColumnElement[bool] = JsonEquals(column, text)
    if value is None:
        return column.is_(None) | match
    return match
