"""The engine verbs as the API runs them: ids parsed, one service call, every row the verb
wrote published after the commit, expected failures as problems."""

from __future__ import annotations

import uuid
from typing import Any

from resolvers.context import RequestContext
from resolvers.mutations import Outcome, input_id, json_object, once_published, optional_input_id
from resolvers.pagination import Page, PageArgs, slice_page
from storage.engine import checkout as checkouts
from storage.engine import submit as submits
from storage.engine.journal import EngineResult
from storage.telemetry.events import Event


def _written(result: EngineResult) -> list[Event]:
    """Every row the verb wrote, in the order written (a guardian's decision before the
    move it caused); transitions carry their history entries."""
    events = [Event.of_log(move.log, move.history) for move in result.transitions]
    events += [Event.of_log(log) for log in result.logs]
    return sorted(events, key=lambda e: e.log_id or 0)


async def _engine(
    ctx: RequestContext, data: Any, mutation: str, action: Any
) -> Outcome[EngineResult]:
    """The verb once per idempotency key; a replayed answer publishes nothing again."""
    return await once_published(ctx, data, mutation, action, _written)


async def inbox(ctx: RequestContext, role_id: uuid.UUID, args: PageArgs) -> Page:
    """A role's work queue, paginated over the eligible units in their checkout order."""
    tier = ctx.tiers.instance
    rows = await ctx.reader("instance").run_sync(
        lambda session: checkouts.eligible_units(tier, session, role_id)
    )
    return slice_page(rows, [str(row.uow_id) for row in rows], args, "this inbox")


async def checkout(ctx: RequestContext, data: Any) -> Outcome[EngineResult]:
    return await _engine(
        ctx,
        data,
        "checkout",
        lambda tier: checkouts.checkout(
            tier,
            role_id=input_id(data.role_id, "roleId"),
            actor_id=input_id(data.actor_id, "actorId"),
            uow_id=optional_input_id(data.uow_id, "uowId"),
        ),
    )


async def submit(ctx: RequestContext, data: Any) -> Outcome[EngineResult]:
    return await _engine(
        ctx,
        data,
        "submit",
        lambda tier: submits.submit(
            tier,
            uow_id=input_id(data.uow_id, "uowId"),
            actor_id=input_id(data.actor_id, "actorId"),
            attributes=json_object(data.attributes, "attributes"),
            reasoning=data.reasoning,
            expected_version=data.expected_version,
            metadata=data.metadata,
            decompose=None if data.decompose is None else list(data.decompose),
            inherit=data.inherit,
        ),
    )


async def report_failure(ctx: RequestContext, data: Any) -> Outcome[EngineResult]:
    return await _engine(
        ctx,
        data,
        "reportFailure",
        lambda tier: submits.report_failure(
            tier,
            uow_id=input_id(data.uow_id, "uowId"),
            actor_id=input_id(data.actor_id, "actorId"),
            error=data.error,
            reasoning=data.reasoning,
            expected_version=data.expected_version,
        ),
    )
