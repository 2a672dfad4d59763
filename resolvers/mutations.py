"""How every mutation runs a service: the input's fields read as the service's arguments
(ids parsed), domain errors turned into payload errors, and what a write did published once
it is committed. A mutation that only calls its service is declared by `mutation_for_id` or
`mutation_publishing`, naming the operation and the service.

The mutations themselves live by area: `resolvers.templates`, `resolvers.instances` (actors,
roles and their memory too), `resolvers.uows`, `resolvers.engine`, `resolvers.telemetry`.
Each takes the request context and the mutation's input object, read by attribute: the
input types live in `schema`, which depends on `resolvers`, not the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import StrawberryOptional, get_object_definition
from strawberry.utils.str_converters import to_camel_case

from resolvers.context import RequestContext
from resolvers.errors import ClientError, parse_uuid
from resolvers.idempotency import run_once
from storage.engines import Tier
from storage.errors import DomainError, ErrorCode, Problem
from storage.telemetry.events import Event
from storage.values import checked_text

T = TypeVar("T")
Outcome = tuple[T | None, list[Problem]]
# A storage service: a tier, then keyword arguments named as the input's fields.
Service = Callable[..., Awaitable[T]]
MutationResolver = Callable[[RequestContext, Any], Awaitable[Outcome[T]]]
# What is made of one input field before the service sees it: its value and its input
# name in, the service's argument out (or a VALIDATION_FAILED domain error naming it).
Check = Callable[[Any, str], Any]


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


def input_text(value: Any, field: str) -> str | None:
    """Free text of an input field, checked here for a service that writes it as given."""
    return checked_text(value, ("input", field))


def service_arguments(data: Any, **checks: Check) -> dict[str, Any]:
    """An input object's fields as the keyword arguments of its service (the same names).

    Each `ID` field is parsed by `input_id` naming the field (`optional_input_id` when the
    field is optional), a field named in `checks` goes through its check, the others pass
    as given. The idempotency key is left out: it is `run_once`'s, not the service's.
    Fields are read in the input's order, so of several bad ones the first is reported."""
    arguments: dict[str, Any] = {}
    for name, input_name, parse in _fields_of(type(data)):
        check = checks.get(name, parse)
        value = getattr(data, name)
        arguments[name] = value if check is None else check(value, input_name)
    return arguments


# Per input type: each field but the idempotency key, as (Python name, name in the schema,
# how it is parsed if it is an id); worked out on first use, as the types never change.
InputFields = tuple[tuple[str, str, Check | None], ...]
_FIELDS: dict[type[Any], InputFields] = {}


def _fields_of(input_type: type[Any]) -> InputFields:
    fields = _FIELDS.get(input_type)
    if fields is None:
        fields = _FIELDS[input_type] = tuple(
            (
                field.python_name,
                field.graphql_name or to_camel_case(field.python_name),
                _id(field.type),
            )
            for field in get_object_definition(input_type, strict=True).fields
            if field.python_name != "idempotency_key"
        )
    return fields


def _id(field_type: object) -> Check | None:
    """How a field of `field_type` is parsed if it is an `ID` (None: it is not)."""
    if field_type is strawberry.ID:
        return input_id
    if isinstance(field_type, StrawberryOptional) and field_type.of_type is strawberry.ID:
        return optional_input_id
    return None


def calling(service: Service[T], data: Any, **checks: Check) -> Callable[[Tier], Awaitable[T]]:
    """`service` on a tier with the input's fields as its arguments (`service_arguments`).

    The input is read when the action runs, after the caller is authorized, so a bad id is
    a payload error of the mutation."""

    async def action(tier: Tier) -> T:
        return await service(tier, **service_arguments(data, **checks))

    return action


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


def mutation_for_id(
    mutation: str,
    service: Service[Any],
    column: str,
    written: type[Any] | None = None,
    /,
    **checks: Check,
) -> MutationResolver[uuid.UUID]:
    """The resolver of a mutation that writes a row: `service` called with the input's
    fields (`calling`) by `once_for_id`, answering with the row's id (column `column`)."""

    async def resolve(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
        action = calling(service, data, **checks)
        return await once_for_id(ctx, data, mutation, action, column, written)

    return resolve


def mutation_publishing(
    mutation: str,
    service: Service[T],
    events: Callable[[T], Iterable[Event]],
    /,
    **checks: Check,
) -> MutationResolver[T]:
    """The resolver of a mutation whose writes are announced: `service` called with the
    input's fields (`calling`) by `once_published`, answering with what it returned."""

    async def resolve(ctx: RequestContext, data: Any) -> Outcome[T]:
        return await once_published(ctx, data, mutation, calling(service, data, **checks), events)

    return resolve
