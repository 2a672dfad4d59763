"""Arguments of list fields: filters as SQL conditions and the page window, checked as
`resolvers.filters` and `resolvers.pagination.page_args` check them (a refused value is the
resolvers' error to report: `FallbackError`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, FromClause, false

from gql.compiled.catalog import TABLES, Paged
from gql.compiled.selection import FallbackError, parse_id, plain
from resolvers.errors import ClientError
from resolvers.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from storage import enums
from storage.reads import pages

Element = ColumnElement[Any]


def list_filters(relation: Paged, alias: FromClause, arguments: Mapping[str, Any]) -> list[Element]:
    conditions: list[Element] = []
    for name in relation.filters:
        value = arguments.get(name)
        if name == "status" and value is not None:
            status = alias.c.status
            kind: Any = status.type
            conditions.append(status == kind.enum_class(plain(value)))
        elif name == "interactionId" and value is not None:
            conditions.append(alias.c.current_interaction_id == parse_id(value))
        elif name == "parentId" and value is not None:
            conditions.append(alias.c.parent_id == parse_id(value))
        elif name == "key" and value is not None:
            conditions.append(alias.c.key == value)
        elif name == "logTypes" and value is not None:
            kinds = sorted({enums.LogType(plain(k)) for k in value}, key=lambda k: k.value)
            conditions.append(alias.c.log_type.in_(kinds) if kinds else false())
        elif name == "filter" and value is not None:
            if value.get("name") is not None:
                conditions.append(alias.c.name == value["name"])
            if value.get("nameContains") is not None:
                conditions.append(alias.c.name.contains(value["nameContains"], autoescape=True))
    return conditions


def page_window(
    relation: Paged, arguments: Mapping[str, Any], max_page_size: int
) -> tuple[int, pages.Cursor | None]:
    """`first` and `after` as `resolvers.pagination.page_args` checks them."""
    first = arguments.get("first")
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0 or size > max_page_size:
        raise FallbackError("first: out of bounds")
    after = arguments.get("after")
    if after is None:
        return size, None
    try:
        text = decode_cursor(after)
    except ClientError:
        raise FallbackError("after: not a cursor") from None
    target = TABLES[relation.target]
    (pk,) = target.primary_key.columns
    try:
        key: Any = int(text) if pk.type.python_type is int else uuid.UUID(text)
    except ValueError:
        raise FallbackError("after: not a key of the list") from None
    cursor = pages.Cursor(target, key)
    return size, cursor
