"""The execution context of our schema: rows are known not to be awaitable.

GraphQL execution asks of every resolved value whether it can be awaited; for an object
that is not a coroutine the last test is `hasattr(value, "__await__")`. Our types are views
over SQLAlchemy rows, and a row answers a missing attribute by building and raising an
exception (about 3 µs), once per node: a deep read of 12,000 nodes spent a good part of its
time there. Rows are answered first, by type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from sqlalchemy.engine import Row
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

IsAwaitable = Callable[[Any], TypeGuard[Awaitable[Any]]]


def _rows_first(is_awaitable: IsAwaitable) -> IsAwaitable:
    def check(value: Any) -> TypeGuard[Awaitable[Any]]:
        return False if type(value) is Row else is_awaitable(value)

    return check


class RowAwareExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _rows_first(self.is_awaitable)
