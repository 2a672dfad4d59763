"""Shared pieces of the GraphQL types.

The object types are views over database rows: the value behind each object is a row (an
ORM object from a service or a Core row from a loader; both expose the table's column names
as attributes). Plain fields read the column of the same name; relationship fields receive
the row as `strawberry.Parent` and ask a loader. No wrapper objects are built per row.
Fields backed by a column are described by its comment (`schema.describe.described_by`).
"""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Annotated, Any, Generic, TypeVar, cast

import strawberry
from strawberry.types import Info as StrawberryInfo

from resolvers.context import RequestContext
from resolvers.pagination import DEFAULT_PAGE_SIZE, Page, encode_cursor
from schema.describe import column_metadata
from schema.enums import LogType, UowStatus

Info = StrawberryInfo[RequestContext, None]
Row = strawberry.Parent[Any]
T = TypeVar("T")

# Arguments shared by many fields, described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size: {DEFAULT_PAGE_SIZE} unless given, at most the server's limit."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Start after this cursor (`pageInfo.endCursor`)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page size read backwards: the last N items (before `before`, else the "
        "newest), still in the list's order. Not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="End before this cursor (`pageInfo.startCursor`): pages backwards with `last`."
    ),
]
AnId = Annotated[strawberry.ID, strawberry.argument(description="The id (a UUID).")]
Input = Annotated[T, strawberry.argument(description="What to do: see the input type.")]
OfStatus = Annotated[
    UowStatus | None, strawberry.argument(description="Only units of work in this status.")
]
InInteraction = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only units of work now in this interaction."),
]
OfLogTypes = Annotated[
    list[LogType] | None,
    strawberry.argument(description="Only entries of these types (every type if omitted)."),
]


@functools.cache
def _init_fields(cls: Any) -> tuple[str, ...]:
    """The fields `cls` (a dataclass) takes when built: all but resolver fields."""
    return tuple(f.name for f in fields(cls) if f.init)


def from_record(cls: type[T], record: object, **given: Any) -> T:
    """A `cls` (a Strawberry type, or any dataclass) whose fields are read from the
    attributes of the same name of `record` (a storage dataclass or row), but for those
    `given`: a storage record is shown as it is, without restating each field."""
    names = [name for name in _init_fields(cast(type, cls)) if name not in given]
    return cls(**{name: getattr(record, name) for name in names}, **given)


def id_field(column: str) -> Any:
    """An `ID` field read from `column` of the row (a UUID, or the log's sequence number)."""

    def resolve(root: Row) -> strawberry.ID:
        return strawberry.ID(str(getattr(root, column)))

    return strawberry.field(resolver=resolve, metadata=column_metadata(column))


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(
        description="Cursor of the page's first item (null: empty page): pass it as "
        "`before` for the previous page."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last item: pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a page and the cursor that points at it.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Pass as `after` to read on from this item, or as `before` to read back."
    )
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page sits in the list.")
    total_count: int = strawberry.field(description="Items in the whole list (every page).")

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
