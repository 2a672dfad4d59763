"""How every mutation runs a service: ids parsed, domain errors turned into payload errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from resolvers.access import authorize
from resolvers.context import RequestContext
from resolvers.errors import ClientError, parse_uuid
from resolvers.idempotency import run_once
from storage.access import with_caller
from storage.engines import Tier, Tiers
from storage.errors import DomainError, ErrorCode, Problem
from storage.models import ActorRow, AssignmentRow, InstanceRow, RoleMemoryRow
from storage.runtime import actors, instantiation, transitions, uows
from storage.runtime.instantiation import ActorSpec
from storage.telemetry import checks as telemetry_checks
from storage.telemetry.buffer import TelemetryEntry
from storage.telemetry.events import Event
from storage.telemetry.values import check_client_log_type
from storage.templates import importer as template_import
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)
from storage.values import checked_text

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


# --- the mutations -------------------------------------------------------------------------
# Each takes the request context and the mutation's input object (read by attribute: the
# input types live in `schema`, which depends on this module, not the other way round).


@dataclass(frozen=True, slots=True)
class DecomposeIds:
    parent_id: uuid.UUID
    child_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    uow_id: uuid.UUID
    intact: bool


async def import_template(ctx: RequestContext, yaml: str) -> Outcome[uuid.UUID]:
    async def action() -> Any:
        await authorize(ctx, "importTemplate", None)
        return await template_import.import_template_yaml(ctx.tiers.template, text=yaml)

    return await run_for_id(ctx, action, "workflow_id")


async def create_template(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    async def action() -> Any:
        await authorize(ctx, "createTemplate", None)
        spec = template_spec(data)
        return await template_import.import_template_spec(ctx.tiers.template, spec=spec)

    return await run_for_id(ctx, action, "workflow_id")


def template_spec(data: Any) -> TemplateSpec:
    """The typed `TemplateInput` as the same spec a YAML document parses into."""
    return TemplateSpec(
        name=data.name,
        version=data.version,
        description=data.description,
        ai_context=data.ai_context,
        roles=tuple(
            RoleSpec(
                name=r.name,
                role_type=r.role_type,
                strategy=r.strategy,
                description=r.description,
                ai_context=r.ai_context,
                child_workflow=r.child_workflow,
                child_workflow_version=r.child_workflow_version,
            )
            for r in data.roles
        ),
        interactions=tuple(
            InteractionSpec(
                name=i.name,
                description=i.description,
                ai_context=i.ai_context,
                stale_token_limit_seconds=i.stale_token_limit_seconds,
            )
            for i in data.interactions
        ),
        components=tuple(
            ComponentSpec(
                name=c.name,
                role=c.role,
                interaction=c.interaction,
                direction=c.direction,
                description=c.description,
                ai_context=c.ai_context,
                guardians=tuple(
                    GuardianSpec(
                        name=g.name,
                        type=g.type,
                        description=g.description,
                        ai_context=g.ai_context,
                        config=g.config or {},
                    )
                    for g in c.guardians
                ),
            )
            for c in data.components
        ),
    )


async def instantiate(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    async def action(instance_tier: Tier) -> Any:
        actors = [
            ActorSpec(
                name=a.name,
                identity_key=a.identity_key,
                type=a.type,
                description=a.description,
                capabilities=a.capabilities,
                roles=list(a.roles),
            )
            for a in data.actors or ()
        ]
        return await instantiation.instantiate(
            Tiers(ctx.tiers.template, instance_tier),
            template_id=optional_input_id(data.template_id, "templateId"),
            template_name=data.template_name,
            template_version=data.template_version,
            name=data.name,
            description=data.description,
            actors=actors,
        )

    return await once_for_id(ctx, data, "instantiate", action, "instance_id", InstanceRow)


async def set_instance_status(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "setInstanceStatus",
        lambda tier: actors.set_instance_status(
            tier,
            instance_id=input_id(data.instance_id, "instanceId"),
            status=data.status,
        ),
        "instance_id",
        InstanceRow,
    )


async def register_actor(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "registerActor",
        lambda tier: actors.register_actor(
            tier,
            instance_id=input_id(data.instance_id, "instanceId"),
            name=data.name,
            identity_key=data.identity_key,
            type=data.type,
            description=data.description,
            capabilities=data.capabilities,
        ),
        "actor_id",
        ActorRow,
    )


async def assign_role(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "assignRole",
        lambda tier: actors.assign_role(
            tier,
            actor_id=input_id(data.actor_id, "actorId"),
            role_id=input_id(data.role_id, "roleId"),
        ),
        "assignment_id",
        AssignmentRow,
    )


async def revoke_assignment(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "revokeAssignment",
        lambda tier: actors.revoke_assignment(
            tier,
            assignment_id=input_id(data.assignment_id, "assignmentId"),
        ),
        "assignment_id",
        AssignmentRow,
    )


async def put_role_memory(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "putRoleMemory",
        lambda tier: actors.put_role_memory(
            tier,
            role_id=input_id(data.role_id, "roleId"),
            actor_id=optional_input_id(data.actor_id, "actorId"),
            key=data.key,
            value=data.value,
        ),
        "memory_id",
        RoleMemoryRow,
    )


async def _published(ctx: RequestContext, results: list[Any]) -> None:
    """After commit: one event per transition (a rolled-back change never gets here)."""
    for result in results:
        await ctx.events.publish(Event.of_log(result.log, result.history))


async def start_work(ctx: RequestContext, data: Any) -> Outcome[Any]:
    done = await run_once(
        ctx,
        data,
        "startWork",
        lambda tier: uows.start_work(
            tier,
            instance_id=input_id(data.instance_id, "instanceId"),
            workflow_id=optional_input_id(data.workflow_id, "workflowId"),
            actor_id=optional_input_id(data.actor_id, "actorId"),
            attributes=json_object(data.attributes, "attributes"),
            # The unit-of-work service writes reasoning as given; it is checked here.
            reasoning=checked_text(data.reasoning, ("input", "reasoning")),
        ),
    )
    if done.fresh:
        await _published(ctx, [done.result])
    return done.result, done.problems


async def transition_uow(ctx: RequestContext, data: Any) -> Outcome[Any]:
    done = await run_once(
        ctx,
        data,
        "transitionUow",
        lambda tier: transitions.transition_uow(
            tier,
            uow_id=input_id(data.uow_id, "uowId"),
            to_status=data.to_status,
            to_interaction_id=optional_input_id(data.to_interaction_id, "toInteractionId"),
            actor_id=optional_input_id(data.actor_id, "actorId"),
            reasoning=data.reasoning,
            metadata=data.metadata,
            attributes=json_object(data.attributes, "attributes"),
            expected_version=data.expected_version,
            expected_state_hash=data.expected_state_hash,
        ),
    )
    if done.fresh:
        await _published(ctx, [done.result])
    return done.result, done.problems


MAX_BATCH_ITEMS = 100


def _spec(item: Any) -> transitions.TransitionSpec:
    if item.idempotency_key is not None:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            "idempotencyKey: give the key on the batch; it answers for every item",
            ("input", "idempotencyKey"),
        )
    return transitions.TransitionSpec(
        uow_id=input_id(item.uow_id, "uowId"),
        to_status=item.to_status,
        to_interaction_id=optional_input_id(item.to_interaction_id, "toInteractionId"),
        actor_id=optional_input_id(item.actor_id, "actorId"),
        reasoning=item.reasoning,
        metadata=item.metadata,
        attributes=json_object(item.attributes, "attributes"),
        expected_version=item.expected_version,
        expected_state_hash=item.expected_state_hash,
    )


def _in_item(problems: Sequence[Problem], index: int) -> list[Problem]:
    """An item's problems with paths under `input.items.<index>`."""
    return [
        replace(p, path=("input", "items", str(index), *p.path[1:])) if p.path else p
        for p in problems
    ]


async def transition_many(
    ctx: RequestContext, data: Any
) -> tuple[list[Outcome[Any]], list[Problem]]:
    """Each item's outcome in order (each atomic on its own), or problems with the batch."""
    if len(data.items) > MAX_BATCH_ITEMS:
        problem = Problem(
            ErrorCode.VALIDATION_FAILED,
            f"items: at most {MAX_BATCH_ITEMS} per request (got {len(data.items)})",
            ("input", "items"),
        )
        return [], [problem]
    specs: list[transitions.TransitionSpec | None] = []
    answers: list[Outcome[Any] | None] = []
    for index, item in enumerate(data.items):
        try:
            await authorize(ctx, "transitionUows", item)  # each item is checked on its own
            specs.append(_spec(item))
            answers.append(None)
        except DomainError as error:
            specs.append(None)
            answers.append((None, _in_item(error.problems, index)))
    runnable = [spec for spec in specs if spec is not None]
    results: list[Any] = []
    fresh = False
    if runnable:
        # One key answers for the batch as a whole; a batch whose every item was refused
        # wrote nothing and keeps no key.
        once = await run_once(
            ctx,
            data,
            "transitionUows",
            lambda tier: transitions.transition_many(tier, runnable),
            keep=lambda answers: any(not isinstance(a, DomainError) for a in answers),
        )
        if once.result is None:
            return [], once.problems
        results, fresh = once.result, once.fresh
    done = iter(results)
    outcomes: list[Outcome[Any]] = []
    for index, answer in enumerate(answers):
        if answer is not None:
            outcomes.append(answer)
            continue
        result = next(done)
        if isinstance(result, DomainError):
            outcomes.append((None, _in_item(result.problems, index)))
        else:
            if fresh:
                await _published(ctx, [result])
            outcomes.append((result, []))
    return outcomes, []


async def decompose(ctx: RequestContext, data: Any) -> Outcome[DecomposeIds]:
    # The service checks each child (a JSON object) inside `run`: a bad one is a payload
    # error with its path, never an exception.
    children = list(data.children)
    done = await run_once(
        ctx,
        data,
        "decompose",
        lambda tier: uows.decompose(
            tier,
            parent_id=input_id(data.parent_id, "parentId"),
            actor_id=optional_input_id(data.actor_id, "actorId"),
            children=children,
            inherit=data.inherit,
            reasoning=checked_text(data.reasoning, ("input", "reasoning")),
        ),
    )
    result = done.result
    if result is None:
        return None, done.problems
    if done.fresh:
        await _published(ctx, list(result.children))
    return DecomposeIds(result.parent.uow_id, [c.uow.uow_id for c in result.children]), []


async def heartbeat(ctx: RequestContext, data: Any) -> Outcome[uuid.UUID]:
    return await once_for_id(
        ctx,
        data,
        "heartbeat",
        lambda tier: uows.heartbeat(
            tier,
            uow_id=input_id(data.uow_id, "uowId"),
            actor_id=input_id(data.actor_id, "actorId"),
        ),
        "uow_id",
    )


async def verify_uow_state(ctx: RequestContext, data: Any) -> Outcome[VerifyOutcome]:
    done = await run_once(
        ctx,
        data,
        "verifyUowState",
        lambda tier: uows.verify_uow_state(
            tier,
            uow_id=input_id(data.uow_id, "uowId"),
        ),
    )
    result = done.result
    if result is None:
        return None, done.problems
    if done.fresh and result.history is not None and result.log is not None:
        await _published(ctx, [result])
    return VerifyOutcome(result.uow.uow_id, result.intact), []


async def record_telemetry(ctx: RequestContext, data: Any) -> Outcome[bool]:
    """Checks the log type and the ids (a bad id would poison the flush), then hands the
    entry to the buffer, which checks its values. Accepted means announced: at once, or,
    for an event too large to travel before it is stored, by log id once it is written."""

    async def action() -> bool:
        await authorize(ctx, "recordTelemetry", data)
        check_client_log_type(data.log_type, ("input", "logType"))
        entry = TelemetryEntry(
            instance_id=input_id(data.instance_id, "instanceId"),
            uow_id=optional_input_id(data.uow_id, "uowId"),
            actor_id=optional_input_id(data.actor_id, "actorId"),
            role_id=optional_input_id(data.role_id, "roleId"),
            interaction_id=optional_input_id(data.interaction_id, "interactionId"),
            log_type=data.log_type,
            details=with_caller(data.details, ctx.caller.subject),
            error=data.error,
        )
        await telemetry_checks.check_entry(ctx.tiers.instance, entry)
        event = Event.of_entry(entry)
        inline = event.fits_inline()
        if not ctx.telemetry.record(entry if inline else replace(entry, announce=True)):
            raise DomainError.single(
                ErrorCode.BACKPRESSURE,
                "the telemetry buffer is full; retry shortly",
                ("input",),
            )
        if inline:
            await ctx.events.publish(event)
        return True

    try:
        return await action(), []
    except DomainError as error:
        return False, list(error.problems)
