"""`recordTelemetry` as the API runs it: ids and log type checked, the entry handed to the
buffer, the event announced."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from resolvers.access import authorize
from resolvers.context import RequestContext
from resolvers.mutations import Outcome, input_id, optional_input_id
from storage.access import with_caller
from storage.errors import DomainError, ErrorCode
from storage.telemetry import checks as telemetry_checks
from storage.telemetry.buffer import TelemetryEntry
from storage.telemetry.events import Event
from storage.telemetry.values import check_client_log_type


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
