"""Arguments of list fields: filters as SQL conditions and the page window, checked as
`resolvers.filters` and `resolvers.pagination.page_args` check them (a refused value is the
resolvers' error to report: `FallbackError`). Values are bound parameters (`Params`), so a
built statement serves every request of the same shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, FromClause, false
from strawberry.schema.types.base_scalars import DateTimeDefinition

from gql.compiled.catalog import TABLES, Paged
from gql.compiled.selection import Args, FallbackError, Params, parse_id, plain
from resolvers.errors import ClientError
from resolvers.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from storage import enums
from storage.reads import pages
from storage.values import folded, text_problem

Element = ColumnElement[Any]


def _escaped(text: str) -> str:
    """`contains(..., autoescape=True)`'s escaping (with "/"), for a bound value."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _log_types(value: Any) -> list[enums.LogType]:
    return sorted({enums.LogType(plain(kind)) for kind in value}, key=lambda kind: kind.value)


def _moment(argument: str) -> Callable[[Any], datetime]:
    """A `DateTime` argument as the resolvers take it: a variable's text parsed as the
    scalar parses it; without a time zone it is the resolvers' error (`_aware`)."""

    def convert(value: Any) -> datetime:
        if isinstance(value, str):
            try:
                value = DateTimeDefinition.parse_value(value)  # type: ignore[misc]
            except Exception:  # the scalar's coercion error: the resolvers report it
                raise FallbackError(f"{argument}: not a DateTime") from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise FallbackError(f"{argument}: no time zone")
        return value

    return convert


def list_filters(relation: Paged, alias: FromClause, args: Args, params: Params) -> list[Element]:
    conditions: list[Element] = []
    for name in relation.filters:
        value = args.get(name)
        if value is None:
            continue
        if name == "status":
            status = alias.c.status
            enum_class: Any = getattr(status.type, "enum_class")  # noqa: B009 (typed as Any)

            def stored(value: Any, kind: Any = enum_class) -> Any:
                return kind(plain(value))

            conditions.append(status == params.bind(args, name, stored))
        elif name == "statuses":
            column = alias.c.status
            kinds: Any = getattr(column.type, "enum_class")  # noqa: B009 (typed as Any)
            if not value:
                conditions.append(false())  # an empty list admits none
            else:

                def stored_set(value: Any, kind: Any = kinds) -> list[Any]:
                    return sorted({kind(plain(item)) for item in value}, key=lambda k: k.value)

                bound = params.bind(args, name, stored_set, expanding=True)
                conditions.append(column.in_(bound))
        elif name == "createdAfter":
            conditions.append(alias.c.created_at >= params.bind(args, name, _moment(name)))
        elif name == "createdBefore":
            conditions.append(alias.c.created_at < params.bind(args, name, _moment(name)))
        elif name == "interactionId":
            conditions.append(alias.c.current_interaction_id == params.bind(args, name, parse_id))
        elif name == "parentId":
            conditions.append(alias.c.parent_id == params.bind(args, name, parse_id))
        elif name == "key":
            conditions.append(alias.c.key == params.bind(args, name))
        elif name == "logTypes":
            if not value:
                conditions.append(false())
            else:
                kinds = params.bind(args, name, _log_types, expanding=True)
                conditions.append(alias.c.log_type.in_(kinds))
        elif name == "filter":
            if value.get("name") is not None:
                exact = params.bind(args, name, lambda v: v["name"])
                conditions.append(alias.c.name == exact)
            if value.get("nameContains") is not None:
                # As `resolvers.filters.name_contains`: folded text against the folded name.
                if text_problem(value["nameContains"]) is not None:
                    conditions.append(false())
                else:
                    part = params.bind(args, name, lambda v: _escaped(folded(v["nameContains"])))
                    conditions.append(alias.c.name_folded.contains(part, escape="/"))
    return conditions


def page_window(
    relation: Paged, args: Args, max_page_size: int, params: Params
) -> tuple[BindParameter[Any], bool, pages.Cursor | None]:
    """`first` (bound), whether it is 0, and the cursor `after` names (its key bound)."""

    def size(first: Any) -> int:
        value = DEFAULT_PAGE_SIZE if first is None else int(first)
        if value < 0 or value > max_page_size:
            raise FallbackError("first: out of bounds")
        return value

    first = params.bind(args, "first", size)
    empty = size(args.get("first")) == 0
    if args.get("after") is None:
        return first, empty, None
    target = TABLES[relation.target]
    (pk,) = target.primary_key.columns
    integer = pk.type.python_type is int

    def key(after: Any) -> Any:
        try:
            text = decode_cursor(after)
        except ClientError:
            raise FallbackError("after: not a cursor") from None
        try:
            return int(text) if integer else uuid.UUID(text)
        except ValueError:
            raise FallbackError("after: not a key of the list") from None

    return first, empty, pages.Cursor(target, params.bind(args, "after", key))
