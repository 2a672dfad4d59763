"""Shared subscription streams: one execution per event for identical subscriptions.

Strawberry executes a subscription's selection once per subscriber and event. With a
thousand subscribers watching one instance through the same document, that is a thousand
identical executions per event (about 0.4 ms each). This schema runs each distinct
subscription (same document, variables, operation and caller) once and hands every
result to all of its subscribers, each through its own bounded queue: a slow subscriber
loses its own oldest results (added to the `dropped` field of its next one) and slows
nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncGenerator, Hashable, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.schema.schema import StreamResult
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType as AllowedOperation

from storage.queues import DroppingQueue

MEMBER_QUEUE = 1_000


@functools.lru_cache(maxsize=512)
def _operation_types(query: str) -> dict[str | None, OperationType]:
    try:
        document = parse(query)
    except GraphQLError:
        return {}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    types: dict[str | None, OperationType] = {
        (o.name.value if o.name else None): o.operation for o in operations
    }
    if len(operations) == 1:
        types[None] = operations[0].operation
    return types


class _Member(DroppingQueue[Any]):
    """One subscriber of a shared stream: its own bounded queue of results."""

    def __init__(self) -> None:
        super().__init__(MEMBER_QUEUE)


class _Hub:
    """One running subscription and the subscribers sharing it."""

    def __init__(self, source: AsyncGenerator[Any, None], on_empty: Any) -> None:
        self.source = source
        self.members: set[_Member] = set()
        self.on_empty = on_empty
        self.task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for result in self.source:
                for member in list(self.members):
                    member.offer(result)
        finally:
            for member in list(self.members):
                member.close()
            self.on_empty()

    def leave(self, member: _Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.on_empty()
            self.task.cancel()


def _with_dropped(result: Any, dropped: int) -> Any:
    """The result with this subscriber's own losses added to `dropped`, where it has one."""
    if not dropped or not isinstance(result, ExecutionResult) or not result.data:
        return result
    data = {
        field: (
            {**value, "dropped": value["dropped"] + dropped}
            if isinstance(value, dict) and isinstance(value.get("dropped"), int)
            else value
        )
        for field, value in result.data.items()
    }
    return ExecutionResult(data=data, errors=result.errors, extensions=result.extensions)


class SharingSchema(strawberry.Schema):
    """A `strawberry.Schema` whose identical subscriptions share one execution."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hubs: dict[Hashable, _Hub] = {}

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[AllowedOperation] | None = None,
    ) -> StreamResult:
        arguments = (
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        if (
            query is None
            or _operation_types(query).get(operation_name) != OperationType.SUBSCRIPTION
        ):
            return await super().stream(*arguments)
        caller = getattr(context_value, "caller", None)
        key = (
            query,
            json.dumps(variable_values or {}, sort_keys=True, default=str),
            operation_name,
            caller,
        )
        hub = self._hubs.get(key)
        if hub is None:
            source = await super().stream(*arguments)
            hub = self._hubs.get(key)  # another subscriber may have started it meanwhile
            if hub is None:
                hub = _Hub(source, functools.partial(self._hubs.pop, key, None))
                self._hubs[key] = hub
            else:
                await source.aclose()
        member = _Member()
        hub.members.add(member)
        return self._member_stream(hub, member)

    @staticmethod
    async def _member_stream(hub: _Hub, member: _Member) -> StreamResult:
        try:
            async for result, dropped in member:
                yield _with_dropped(result, dropped)
        finally:
            with contextlib.suppress(Exception):
                hub.leave(member)
