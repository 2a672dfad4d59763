"""One parent's page of a list in SQL, as `resolvers.loaders.paged` computes it.

The list is the rows of `ListRows` (a table alias, the conditions linking it to the parent,
filters and scope) in a total order ending with the primary key. With a cursor, the page is
the rows after the cursor row's sort values; `position` counts the rows at or before them.
Then `hasNextPage` = rows after the cursor > `first`, `hasPreviousPage` = `position` > 0,
exactly the loader's `position + len(items) < total` and `position > 0`. Every statement is
kept flat (no derived table inside another): SQLite's parser has a bounded stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    Table,
    exists,
    false,
    func,
    literal,
    not_,
    select,
    tuple_,
)

Element = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Cursor:
    """A decoded `after`: the primary key of a row of `table` (checked to exist by `guard`),
    as a bound parameter."""

    table: Table
    key: Element

    def values(self, order: Sequence[str]) -> Element:
        (pk,) = self.table.primary_key.columns
        statement = select(*(self.table.c[name] for name in order)).where(pk == self.key)
        return statement.scalar_subquery()

    def guard(self) -> Element:
        """True when the row the cursor points at exists (else: the loader's error)."""
        (pk,) = self.table.primary_key.columns
        return exists().where(pk == self.key)


@dataclass(frozen=True, slots=True)
class ListRows:
    """The rows of one parent's list: `alias` where `conditions`, sorted by `order`."""

    alias: FromClause
    conditions: tuple[Element, ...]
    order: tuple[str, ...]
    parent: FromClause | None  # the parent's row the conditions refer to

    def select(
        self, *columns: Any, cursor: Cursor | None = None, before: bool = False
    ) -> Select[Any]:
        """SELECT `columns` over the list's rows (after the cursor, or at/before it)."""
        statement = select(*columns).select_from(self.alias).where(*self.conditions)
        if cursor is not None:
            later = tuple_(*(self.alias.c[name] for name in self.order)) > cursor.values(self.order)
            statement = statement.where(not_(later) if before else later)
        return statement.correlate(self.parent) if self.parent is not None else statement

    def sorted(self, columns: Any) -> list[Element]:
        return [columns[name] for name in self.order]


def page(rows: ListRows, first: Element, cursor: Cursor | None) -> Subquery:
    """The page's rows, ordered, at most `first`."""
    statement = rows.select(rows.alias, cursor=cursor)
    return statement.order_by(*rows.sorted(rows.alias.c)).limit(first).subquery()


def total(rows: ListRows) -> Element:
    return rows.select(func.count()).scalar_subquery()


def remaining(rows: ListRows, cursor: Cursor | None) -> Element:
    """Rows after the cursor (every row without one)."""
    return rows.select(func.count(), cursor=cursor).scalar_subquery()


def position(rows: ListRows, cursor: Cursor | None) -> Element:
    """Rows at or before the cursor (0 without one)."""
    if cursor is None:
        return literal(0)
    return rows.select(func.count(), cursor=cursor, before=True).scalar_subquery()


def edge_key(
    rows: ListRows, first: Element, empty: bool, cursor: Cursor | None, pk: str, last: bool
) -> Select[Any]:
    """The key of the page's first row (`startCursor`) or last row (`endCursor`).

    The last row of a page is the `min(first, remaining)`-th after the cursor."""
    ordering = rows.sorted(rows.alias.c)
    if empty:
        return rows.select(rows.alias.c[pk]).where(false())
    if not last:
        return rows.select(rows.alias.c[pk], cursor=cursor).order_by(*ordering).limit(1)
    inner = rows.select(rows.alias, cursor=cursor).order_by(*ordering).limit(first).subquery()
    return select(inner.c[pk]).order_by(*(c.desc() for c in rows.sorted(inner.c))).limit(1)
