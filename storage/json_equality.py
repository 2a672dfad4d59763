"""JSON equality in SQL that answers the same on SQLite and PostgreSQL.

PostgreSQL compares jsonb by meaning (object keys in any order, numbers by value). SQLite
keeps the JSON text the client's key order produced (and a top-level number as a number,
by column affinity), so two equal objects may differ as text: there the stored value is
brought to one canonical text by a deterministic SQL function registered on every
connection, `chameleon_json_canonical`, and compared with the canonical text of the value
asked for. Both sides are normalised as `storage.values.checked_json` stores values (a
whole number is an integer), so `100.0`, `-0.0` and `1e16` match what was stored for them.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement as _Element
from sqlalchemy.types import Boolean

SQLITE_FUNCTION = "chameleon_json_canonical"


def canonical_text(value: Any) -> str:
    """One text per JSON value: sorted keys, no spaces, whole numbers as integers."""
    return json.dumps(
        _whole(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_whole(child) for child in value]
    return value


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
    return f"({column} = CAST({compiler.process(element.text, **kw)} AS JSONB))"


def json_equals(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    """`column` equals the JSON `value` (already checked storable); a JSON null also
    matches SQL NULL."""
    text = canonical_text(value)
    match: ColumnElement[bool] = JsonEquals(column, text)
    if value is None:
        return column.is_(None) | match
    return match
