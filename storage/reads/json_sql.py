"""JSON built by the database, per dialect, in exactly the text the resolver path answers.

PostgreSQL builds it with `json_build_object`/`json_agg`, SQLite with `json_object`/
`json_group_array`. Values are rendered the way Strawberry serialises them: UUIDs as text,
enums as their stored name, booleans as `true`/`false` (SQLite keeps 0/1), timestamps as
Python's `datetime.isoformat()` of an aware UTC value (microseconds only when non-zero,
`+00:00`), JSON columns embedded as JSON, and cursors as `resolvers.pagination` encodes
them (`urlsafe_b64encode("c1:" + key)`; SQLite has no base64, so a deterministic
function registered on each connection does it, see `storage.engines`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import JSON as SAJSON

from storage.types import JSONText

SQLITE_CURSOR_FUNCTION = "chameleon_cursor"
Element = ColumnElement[Any]


def sqlite_cursor(key: Any) -> str | None:
    """The cursor of a row key, for SQLite (`resolvers.pagination.encode_cursor`'s text)."""
    if key is None:
        return None
    return base64.urlsafe_b64encode(f"c1:{key}".encode()).decode()


class JsonSql:
    """The builders of one dialect (`postgresql` or `sqlite`)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgresql"

    def obj(self, pairs: Sequence[tuple[str, Element]]) -> Element:
        """A JSON object of `pairs`, keys in the order given (the selection's order)."""
        args: list[Any] = []
        for key, value in pairs:
            args.extend((literal(key, Text), value))
        if self.postgres:
            return func.json_build_object(*args, type_=postgresql.JSON)
        return func.json_object(*args, type_=SAJSON)

    def array(self, element: Element, order_by: Sequence[Element]) -> Element:
        """The aggregate of `element` over the rows of a FROM, in `order_by`; `[]` for none."""
        if self.postgres:
            agg = func.json_agg(aggregate_order_by(element, order_by), type_=postgresql.JSON)
            return func.coalesce(agg, literal_column("'[]'::json"), type_=postgresql.JSON)
        # SQLite aggregates in the order rows arrive: the FROM is ordered by the caller.
        return func.json_group_array(element, type_=SAJSON)

    def boolean(self, column: Element) -> Element:
        if self.postgres:
            return column
        return func.json(case((column != 0, "true"), else_="false"), type_=SAJSON)

    def constant_json(self, text: str) -> Element:
        """A literal JSON value (`0`, `true`, a string): written by us, never by a client."""
        if self.postgres:
            return literal_column(f"'{text}'::json")
        return func.json(literal_column(f"'{text}'"), type_=SAJSON)

    def integer(self, column: Element) -> Element:
        return column

    def text(self, column: Element) -> Element:
        """A string value; PostgreSQL's UUIDs and enums go out as their text."""
        return cast(column, Text) if self.postgres else type_coerce(column, String)

    def integer_text(self, column: Element) -> Element:
        """An integer key shown as an `ID` (its decimal text)."""
        return cast(column, Text)

    def json_value(self, column: Element) -> Element:
        """A JSON column embedded as JSON: client JSON is exact text on both dialects
        (`storage.types.JSONText`; PostgreSQL's json type keeps the text as written), the
        template tier's blueprints jsonb on PostgreSQL and text on SQLite."""
        if self.postgres:
            if isinstance(column.type, JSONText):
                return cast(type_coerce(column, Text), postgresql.JSON)
            return column
        # SQLite's JSON affinity stores a bare number as REAL, which json() writes with 15
        # digits (2.827893089874245e-127 became ...425e-127): 17 digits read back exactly.
        real = func.typeof(column) == "real"
        text = case((real, func.printf("%!.17g", column)), else_=type_coerce(column, Text))
        return func.json(text, type_=SAJSON)

    def datetime(self, column: Element) -> Element:
        """`datetime.isoformat()` of the stored aware UTC timestamp."""
        if self.postgres:
            utc = func.timezone("UTC", column)
            whole = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
            fraction = case(
                (func.date_trunc("second", column) == column, ""),
                else_=func.to_char(utc, ".US"),
            )
            return case((column.is_(None), null()), else_=whole + fraction + "+00:00")
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, no zone): the only '.000000' in
        # it is a zero fraction, which isoformat() leaves out.
        stored = type_coerce(column, Text)
        return func.replace(func.replace(stored, " ", "T"), ".000000", "") + "+00:00"

    def cursor(self, key: Element) -> Element:
        """The pagination cursor of a row whose primary key is `key`."""
        if self.postgres:
            raw = func.convert_to(literal("c1:", Text) + cast(key, Text), "UTF8")
            return func.translate(func.encode(raw, "base64"), "+/\n", "-_")
        cursor: Element = getattr(func, SQLITE_CURSOR_FUNCTION)(key, type_=String)
        return cursor

    def count(self) -> Element:
        return func.count(type_=Integer)


def aggregate_order_by(element: Element, order_by: Sequence[Element]) -> Element:
    """PostgreSQL's `agg(x ORDER BY ...)`."""
    return postgresql.aggregate_order_by(element, *order_by)
