"""How every mutation runs a service: ids parsed, domain errors turned into payload errors,
and what a write did published once it is committed.

The mutations themselves live by area: `resolvers.templates`, `resolvers.instances` (actors,
roles and their memory too), `resolvers.uows`, `resolvers.engine`, `resolvers.telemetry`.
Each takes the request context and the mutation's input object, read by attribute: the
input types live in `schema`, which depends on `resolvers`, not the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from resolvers.context import RequestContext
from resolvers.errors import ClientError, parse_uuid
from resolvers.idempotency import run_once
from storage.engines import Tier
from storage.errors import DomainError, ErrorCode, Problem
from storage.telemetry.events import Event

T = TypeVar("T")
Outcome = tuple[T | None, list[Problem]]


def input_id(value: Any, field: str) -> uuid.UUID:
    """The UUID of an input field, or a VALIDATION_FAILED domain error naming the field.

    Parsed by `parse_uuid`, like arguments; only the way the refusal travels differs (an
    input's bad id is a payload error, an argument's a GraphQL error).
    """
    try:
        return parse_uuid(value, field)
    except ClientError as error:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, error.message, ("input", field)
        ) from None


def optional_input_id(value: Any, field: str) -> uuid.UUID | None:
    return None if value is None else input_id(value, field)


def json_object(value: Any, field: str) -> dict[str, Any] | None:
    """An attributes-style input: a JSON object or nothing."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"{field}: expected a JSON object of key to value, got {type(value).__name__}",
            ("input", field),
        )
    return value


async def run(
    ctx: RequestContext, action: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[Problem]]:
    """Runs one service call; expected failures come back as problems, never as exceptions.

    After a write the request's read connections and loader caches are dropped, so the
    payload is read from the committed state.
    """
    try:
        result = await action()
    except DomainError as error:
        return None, list(error.problems)
    await ctx.forget_reads()
    return result, []


async def run_for_id(
    ctx: RequestContext, action: Callable[[], Awaitable[Any]], column: str
) -> Outcome[uuid.UUID]:
    """`run`, answering with the id (column `column`) of the row the service returned."""
    row, problems = await run(ctx, action)
    return (getattr(row, column) if row is not None else None), problems


async def once_for_id(
    ctx: RequestContext,
    data: Any,
    mutation: str,
    action: Callable[[Tier], Awaitable[Any]],
    column: str,
    written: type[Any] | None = None,
) -> Outcome[uuid.UUID]:
    """`run_once` (an instance-tier write, once per idempotency key), answering with the id
    (column `column`) of the row the service returned; `written` is the model an ORM
    service writes (see `KeySpec`)."""
    done = await run_once(ctx, data, mutation, action, written=written)
    return (getattr(done.result, column) if done.result is not None else None), done.problems


async def once_published(
    ctx: RequestContext,
    data: Any,
    mutation: str,
    action: Callable[[Tier], Awaitable[T]],
    events: Callable[[T], Iterable[Event]],
) -> Outcome[T]:
    """`run_once`; a fresh answer's `events` (what the write did) are published after the
    commit, a replayed one publishes nothing again."""
    done = await run_once(ctx, data, mutation, action)
    if done.fresh and done.result is not None:
        for event in events(done.result):
            await ctx.events.publish(event)
    return done.result, done.problems
