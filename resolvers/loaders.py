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
from typing import Any, NoReturn

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
from resolvers.pagination import EMPTY_PAGE, Page, PageArgs, page_of_window, window
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


async def load_optional(ctx: RequestContext, model: type[DeclarativeBase], key: Any) -> Any:
    """The row of `model` whose primary key is `key` (None for no key or an unknown one)."""
    return None if key is None else await by_id(ctx, model).load(key)


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
    `after` cursor, `_bpos` rows strictly before the `before` cursor (all rows without it);
    the page is the first `size` rows of `_pos < _rn <= _bpos`, or its last `size` rows when
    reading backwards. Each parent's last row comes too so `totalCount` is known even for a
    page past the end. A cursor is a row's key, looked up for its sort values: rows inserted
    between two requests never shift a page (no duplicates, no gaps).
    """
    table = spec.table

    async def load(keys: list[Any]) -> list[Page]:
        after_values, before_values = await _cursor_positions(ctx, spec, args)
        src = spec.source(keys, (*conditions, *scoped(ctx, table))).subquery("src")
        order = [src.c[name] for name in spec.order]
        partition = src.c[PARENT_KEY]

        def count_rows(values: tuple[Any, ...], inclusive: bool) -> ColumnElement[Any]:
            bound = tuple_(
                *(literal(value, column.type) for value, column in zip(values, order, strict=True))
            )
            test = tuple_(*order) <= bound if inclusive else tuple_(*order) < bound
            return func.sum(case((test, 1), else_=0)).over(partition_by=partition)

        total = func.count().over(partition_by=partition)
        position = literal(0) if after_values is None else count_rows(after_values, True)
        upper = total if before_values is None else count_rows(before_values, False)
        ranked = select(
            src,
            func.row_number().over(partition_by=partition, order_by=order).label("_rn"),
            total.label("_total"),
            position.label("_pos"),
            upper.label("_bpos"),
        ).subquery("ranked")
        rn, pos, bpos = ranked.c._rn, ranked.c._pos, ranked.c._bpos
        if args.backward:
            in_page = and_(rn <= bpos, rn > bpos - args.size, rn > pos)
        else:
            in_page = and_(rn > pos, rn <= pos + args.size, rn <= bpos)
        statement = (
            select(ranked)
            .where(or_(in_page, rn == ranked.c._total))
            .order_by(ranked.c[PARENT_KEY], rn)
        )
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in await ctx.reader(tier_of(table)).execute(statement):
            grouped[getattr(row, PARENT_KEY)].append(row)
        return [_page(grouped.get(_normal_key(key), []), args) for key in keys]

    return ctx.loader(("paged", spec.name, args, condition_key), load)


def _normal_key(key: Any) -> Any:
    return 0 if key is None else key


def _page(rows: list[Any], args: PageArgs) -> Page:
    if not rows:
        return EMPTY_PAGE
    head = rows[0]
    span = window(args, head._total, head._pos, None if args.before is None else head._bpos)
    items = [row for row in rows if span.start < row._rn <= span.end]
    return page_of_window(items, head._total, span)


async def _cursor_positions(
    ctx: RequestContext, spec: PagedList, args: PageArgs
) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]:
    """The sort values of the rows the `after` and `before` cursors point at (one statement
    for both); an unknown cursor is the client's error."""
    cursors = {"after": args.after, "before": args.before}
    given = {name: cursor for name, cursor in cursors.items() if cursor is not None}
    if not given:
        return None, None
    table = spec.table
    pk = primary_key(table)
    keys: dict[str, Any] = {}
    for name, cursor in given.items():
        try:
            keys[name] = int(cursor) if pk.type.python_type is int else uuid.UUID(cursor)
        except ValueError:
            _unknown_cursor(name)
    statement = select(pk, *(table.c[name] for name in spec.order)).where(
        pk.in_(set(keys.values())), *scoped(ctx, table)
    )
    found: dict[Any, tuple[Any, ...]] = {
        row[0]: tuple(row[1:]) for row in await ctx.reader(tier_of(table)).execute(statement)
    }
    values: dict[str, tuple[Any, ...]] = {}
    for name, key in keys.items():
        if key not in found:
            _unknown_cursor(name)
        values[name] = found[key]
    return values.get("after"), values.get("before")


def _unknown_cursor(name: str) -> NoReturn:
    raise ClientError(
        f"{name}: unknown cursor (the item it points at no longer exists or is not in this list)"
    )
