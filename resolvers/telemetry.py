"""`recordTelemetry` as the API runs it: ids and log type checked, the entry handed to the
buffer, the event announced."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from resolvers.access import authorize
from resolvers.context import RequestContext
from resolvers.mutations import Outcome, service_arguments
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
            **service_arguments(
                data, details=lambda details, _: with_caller(details, ctx.caller.subject)
            )
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
