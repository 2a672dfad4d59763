"""Units of work and their records (attributes, history, interaction log): the
relationships the types in `schema.uows` name as resolvers, and the mutations that start,
move, split, keep alive and verify units of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from resolvers.access import authorize
from resolvers.attributes import current_attributes
from resolvers.context import RequestContext
from resolvers.idempotency import run_once
from resolvers.mutations import (
    Outcome,
    calling,
    input_text,
    json_object,
    mutation_for_id,
    mutation_publishing,
    once_published,
    service_arguments,
)
from resolvers.relations import LOCAL, Info, Parent, one
from storage.errors import DomainError, ErrorCode, Problem
from storage.models import ActorRow, LocalInteractionRow, LocalRoleRow, UnitOfWorkRow
from storage.runtime import transitions
from storage.runtime import uows as uow_services
from storage.telemetry.events import Event

uow = one(UnitOfWorkRow, "uow_id")
parent = one(UnitOfWorkRow, "parent_id")
workflow = LOCAL.workflow
interaction = LOCAL.component_interaction  # any row's `interaction_id`
current_interaction = one(LocalInteractionRow, "current_interaction_id")
current_role = one(LocalRoleRow, "current_role_id")
locked_by = one(ActorRow, "locked_by_actor_id")
previous_interaction = one(LocalInteractionRow, "previous_interaction_id")
new_interaction = one(LocalInteractionRow, "new_interaction_id")


async def attributes(root: Parent, info: Info) -> Any:
    """The current attributes: the newest version of each key."""
    return await current_attributes(info.context).load(root.uow_id)


def dropped(root: Parent) -> int:
    """A subscription's count of transitions lost to overflow; rows carry none (0)."""
    count: int = getattr(root, "dropped", 0)
    return count


# --- mutations -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecomposeIds:
    parent_id: uuid.UUID
    child_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    uow_id: uuid.UUID
    intact: bool


def _moved(result: Any) -> tuple[Event]:
    """The event of one transition: its log entry with its history entry."""
    return (Event.of_log(result.log, result.history),)


async def _published(ctx: RequestContext, results: list[Any]) -> None:
    """After commit: one event per transition (a rolled-back change never gets here)."""
    for result in results:
        for event in _moved(result):
            await ctx.events.publish(event)


start_work = mutation_publishing(
    "startWork",
    uow_services.start_work,
    _moved,
    attributes=json_object,
    # The unit-of-work service writes reasoning as given; it is checked here.
    reasoning=input_text,
)


async def transition_uow(ctx: RequestContext, data: Any) -> Outcome[Any]:
    """The change read as a batch item is (`_requested`), once per idempotency key."""
    return await once_published(
        ctx,
        data,
        "transitionUow",
        lambda tier: transitions.transition(tier, _requested(data)),
        _moved,
    )


MAX_BATCH_ITEMS = 100


def _spec(item: Any) -> transitions.TransitionSpec:
    if item.idempotency_key is not None:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            "idempotencyKey: give the key on the batch; it answers for every item",
            ("input", "idempotencyKey"),
        )
    return _requested(item)


def _requested(item: Any) -> transitions.TransitionSpec:
    """The change a `TransitionUowInput` (alone or as a batch item) asks for, its ids read."""
    return transitions.TransitionSpec(**service_arguments(item, attributes=json_object))


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
    action = calling(uow_services.decompose, data, reasoning=input_text)
    done = await run_once(ctx, data, "decompose", action)
    result = done.result
    if result is None:
        return None, done.problems
    if done.fresh:
        await _published(ctx, list(result.children))
    return DecomposeIds(result.parent.uow_id, [c.uow.uow_id for c in result.children]), []


heartbeat = mutation_for_id("heartbeat", uow_services.heartbeat, "uow_id")


async def verify_uow_state(ctx: RequestContext, data: Any) -> Outcome[VerifyOutcome]:
    done = await run_once(ctx, data, "verifyUowState", calling(uow_services.verify_uow_state, data))
    result = done.result
    if result is None:
        return None, done.problems
    if done.fresh and result.history is not None and result.log is not None:
        await _published(ctx, [result])
    return VerifyOutcome(result.uow.uow_id, result.intact), []
