"""How the schema describes itself: column comments for column-backed fields, typed
decorators for the fields described by hand.

Every column of both tiers carries a `comment=` (SPEC 3.2) and the schema guide serves
them; a GraphQL field showing the same column says the same thing, read from the same
place, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Table
from sqlalchemy.orm import DeclarativeBase
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

T = TypeVar("T")
Resolver = Callable[..., Any]
FieldDecorator = Callable[[Resolver], StrawberryField]
COLUMN = "column"  # field metadata: the column a field reads when it is not its own name


def described_by(model: type[DeclarativeBase]) -> Callable[[type[T]], type[T]]:
    """Give the fields of a Strawberry type backed by a column of `model` its comment.

    A plain field reads the column of its own name (or the one `id_field` names); a
    relationship field (one with a resolver) follows the foreign key `<name>_id`. Such a
    field must not describe itself: the comment is its one description. Apply it above
    `@strawberry.type`, which has by then collected the fields.
    """
    table = model.__table__
    assert isinstance(table, Table)

    def describe(cls: type[T]) -> type[T]:
        for member in get_object_definition(cls, strict=True).fields:
            name = member.metadata.get(COLUMN, member.python_name)
            if member.base_resolver is not None and COLUMN not in member.metadata:
                name = f"{name}_id"
            column = table.columns.get(name)
            if column is None:
                continue
            if member.description is not None:
                raise TypeError(
                    f"{cls.__name__}.{member.python_name} is described by column "
                    f"{table.name}.{name}; change the column's comment instead"
                )
            member.description = column.comment
        return cls

    return describe


def column_metadata(column: str) -> dict[str, str]:
    """Field metadata naming the column a field reads (for `described_by`)."""
    return {COLUMN: column}


# Strawberry types its decorators called with arguments (`@strawberry.field(description=...)`)
# as returning `Any`, which strict mypy refuses as an untyped decorator; these say what they
# return: the field built around the resolver, as the bare decorators do.


def field(description: str) -> FieldDecorator:
    """`@strawberry.field(description=...)`, typed."""
    decorate: FieldDecorator = strawberry.field(description=description)
    return decorate


def mutation(description: str) -> FieldDecorator:
    """`@strawberry.mutation(description=...)`, typed."""
    decorate: FieldDecorator = strawberry.mutation(description=description)
    return decorate


def subscription(description: str, *, graphql_type: object = None) -> FieldDecorator:
    """`@strawberry.subscription(description=...)`, typed; `graphql_type` names the type of
    the events when the generator yields row-like records that type reads."""
    decorate: FieldDecorator = strawberry.subscription(
        description=description, graphql_type=graphql_type
    )
    return decorate
