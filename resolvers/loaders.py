"""Per-request batch loaders: one SQL statement per relationship level, whatever the fan-out.

Loaders read through the request's `TierReader` with SQLAlchemy Core: rows come back as
`Row` objects whose attributes are the table's column names, like the ORM objects the
services return, so the GraphQL types accept either.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import DeclarativeBase
from strawberry.dataloader import DataLoader

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.pagination import EMPTY_PAGE, Page, PageArgs
from storage.access import scope_condition
from storage.models import TemplateBase

PARENT_KEY = "_parent_key"
Conditions = tuple[ColumnElement[bool], ...]


def table_of(model: type[DeclarativeBase] | Table) -> Table:
    table = model if isinstance(model, Table) else model.__table__
    assert isinstance(table, Table)
    return table


def tier_of(table: Table) -> str:
    return "template" if table.metadata is TemplateBase.metadata else "instance"


def primary_key(table: Table) -> Any:
    (column,) = table.primary_key.columns
    return column


def scoped(ctx: RequestContext, table: Table) -> Conditions:
    """The caller's filter on `table` (SPEC 8): a row of an instance the caller does not
    reach is never read, so it looks exactly like a row that does not exist."""
    condition = scope_condition(table, ctx.caller)
    return () if condition is None else (condition,)


def by_id(ctx: RequestContext, model: type[DeclarativeBase]) -> DataLoader[uuid.UUID, Any]:
    """Rows by primary key (None for an unknown id)."""
    table = table_of(model)
    pk = primary_key(table)

    async def load(ids: list[uuid.UUID]) -> list[Any]:
        statement = select(table).where(pk.in_(ids), *scoped(ctx, table))
        result = await ctx.reader(tier_of(table)).execute(statement)
        found = {getattr(row, pk.name): row for row in result}
        return [found.get(key) for key in ids]

    return ctx.loader(("by_id", table.name), load)


def list_by(
    ctx: RequestContext,
    model: type[DeclarativeBase],
    column: str,
    order_by: Sequence[str] = ("name",),
) -> DataLoader[uuid.UUID, list[Any]]:
    """All rows whose `column` equals each key (small, bounded lists: roles, components...)."""
    table = table_of(model)
    key_column = table.c[column]

    async def load(keys: list[uuid.UUID]) -> list[list[Any]]:
        statement = (
            select(table)
            .where(key_column.in_(keys), *scoped(ctx, table))
            .order_by(*(table.c[name] for name in order_by), primary_key(table))
        )
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in await ctx.reader(tier_of(table)).execute(statement):
            grouped[getattr(row, column)].append(row)
        return [grouped.get(key, []) for key in keys]

    return ctx.loader(("list_by", table.name, column, tuple(order_by)), load)


@dataclass(frozen=True, slots=True)
class PagedList:
    """A paginated relationship: which rows belong to which parent, in which stable order.

    `source(keys, conditions)` returns a SELECT of the table's columns plus the parent's key
    labelled `PARENT_KEY`; `order` names the sort columns, ending with the primary key.
    """

    name: str
    table: Table
    order: tuple[str, ...]
    source: Callable[[Sequence[Any], Conditions], Select[Any]]

    @classmethod
    def by_column(
        cls, model: type[DeclarativeBase], column: str, order: tuple[str, ...]
    ) -> PagedList:
        table = table_of(model)

        def source(keys: Sequence[Any], conditions: Conditions) -> Select[Any]:
            return select(table, table.c[column].label(PARENT_KEY)).where(
                table.c[column].in_(keys), *conditions
            )

        return cls(f"{table.name}.{column}", table, order, source)

    @classmethod
    def everything(cls, model: type[DeclarativeBase], order: tuple[str, ...]) -> PagedList:
        """A top-level list: every row belongs to the single parent key `None`."""
        table = table_of(model)

        def source(keys: Sequence[Any], conditions: Conditions) -> Select[Any]:
            return select(table, literal(0).label(PARENT_KEY)).where(*conditions)

        return cls(f"{table.name}.*", table, order, source)


def paged(
    ctx: RequestContext,
    spec: PagedList,
    args: PageArgs,
    conditions: Conditions = (),
    condition_key: Hashable = (),
) -> DataLoader[Any, Page]:
    """Pages of `spec` for many parents in ONE statement (window functions per parent).

    Each parent's rows are numbered in order (`_rn`); `_pos` counts rows at or before the
    cursor; rows `_pos < _rn <= _pos + first` form the page, and each parent's last row comes
    too so `totalCount` is known even for a page past the end.
    """
    table = spec.table

    async def load(keys: list[Any]) -> list[Page]:
        cursor_values = await _cursor_position(ctx, spec, args.after)
        src = spec.source(keys, (*conditions, *scoped(ctx, table))).subquery("src")
        order = [src.c[name] for name in spec.order]
        partition = src.c[PARENT_KEY]
        if cursor_values is None:
            position: ColumnElement[Any] = literal(0)
        else:
            at_or_before = tuple_(*order) <= tuple_(
                *(
                    literal(value, column.type)
                    for value, column in zip(cursor_values, order, strict=True)
                )
            )
            position = func.sum(case((at_or_before, 1), else_=0)).over(partition_by=partition)
        ranked = select(
            src,
            func.row_number().over(partition_by=partition, order_by=order).label("_rn"),
            func.count().over(partition_by=partition).label("_total"),
            position.label("_pos"),
        ).subquery("ranked")
        statement = (
            select(ranked)
            .where(
                or_(
                    and_(ranked.c._rn > ranked.c._pos, ranked.c._rn <= ranked.c._pos + args.first),
                    ranked.c._rn == ranked.c._total,
                )
            )
            .order_by(ranked.c[PARENT_KEY], ranked.c._rn)
        )
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in await ctx.reader(tier_of(table)).execute(statement):
            grouped[getattr(row, PARENT_KEY)].append(row)
        return [_page(grouped.get(_normal_key(key), []), args.first) for key in keys]

    return ctx.loader(("paged", spec.name, args, condition_key), load)


def _normal_key(key: Any) -> Any:
    return 0 if key is None else key


def _page(rows: list[Any], first: int) -> Page:
    if not rows:
        return EMPTY_PAGE
    total, position = rows[0]._total, rows[0]._pos
    items = [row for row in rows if position < row._rn <= position + first]
    return Page(items, total, position + len(items) < total, position > 0)


async def _cursor_position(
    ctx: RequestContext, spec: PagedList, after: str | None
) -> tuple[Any, ...] | None:
    """The sort values of the row a cursor points at; an unknown cursor is the client's error."""
    if after is None:
        return None
    table = spec.table
    pk = primary_key(table)
    try:
        key: Any = int(after) if pk.type.python_type is int else uuid.UUID(after)
    except ValueError:
        key = None
    row = None
    if key is not None:
        statement = select(*(table.c[name] for name in spec.order)).where(
            pk == key, *scoped(ctx, table)
        )
        row = (await ctx.reader(tier_of(table)).execute(statement)).first()
    if row is None:
        raise ClientError(
            "after: unknown cursor (the item it points at no longer exists or is not in this list)"
        )
    return tuple(row)
