"""Shared pieces of the GraphQL types.

The object types are views over database rows: the value behind each object is a row (an
ORM object from a service or a Core row from a loader; both expose the table's column names
as attributes). Plain fields read the column of the same name; relationship fields receive
the row as `strawberry.Parent` and ask a loader. No wrapper objects are built per row.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info as StrawberryInfo

from resolvers.context import RequestContext
from resolvers.pagination import Page, encode_cursor

Info = StrawberryInfo[RequestContext, None]
Row = strawberry.Parent[Any]
T = TypeVar("T")


def id_field(column: str) -> Any:
    """An `ID` field read from `column` of the row (a UUID, or the log's sequence number)."""

    def resolve(root: Row) -> strawberry.ID:
        return strawberry.ID(str(getattr(root, column)))

    return strawberry.field(resolver=resolve)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, page: Page, pk: str) -> Any:
        """The connection of one page of rows; cursors carry column `pk` of each row."""
        edges = [Edge(cursor=encode_cursor(getattr(row, pk)), node=row) for row in page.rows]
        info = PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=info, total_count=page.total)
