"""The Subscription root: live telemetry and transitions of one instance."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers.errors import optional_uuid, parse_uuid
from resolvers.subscriptions import check_target
from schema.base import Info, OfLogTypes, from_record
from schema.describe import subscription
from schema.enums import LogType
from schema.uows import UowHistoryEntry
from storage.telemetry.events import Event, HistoryRecord


def _id(value: uuid.UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="An interaction log entry of an instance, as it happens.")
class TelemetryEvent:
    log_id: strawberry.ID | None = strawberry.field(
        description="Sequence number of the log entry; null until the entry is written."
    )
    instance_id: strawberry.ID = strawberry.field(description="The instance it happened in.")
    uow_id: strawberry.ID | None = strawberry.field(description="Unit of work concerned, if any.")
    actor_id: strawberry.ID | None = strawberry.field(description="Actor concerned, if any.")
    role_id: strawberry.ID | None = strawberry.field(description="Role concerned, if any.")
    interaction_id: strawberry.ID | None = strawberry.field(
        description="Interaction concerned, if any."
    )
    log_type: LogType = strawberry.field(description="The kind of entry.")
    timestamp: datetime = strawberry.field(description="When the event happened (UTC).")
    details: JSON | None = strawberry.field(description="Structured details of the event.")
    error: JSON | None = strawberry.field(description="Error context, for ERROR entries.")
    # A row-like record of the entry, which the UowHistoryEntry type reads.
    transition: HistoryRecord | None = strawberry.field(
        description="The history entry, for STATE_TRANSITION events.",
        graphql_type=UowHistoryEntry | None,
    )
    dropped: int = strawberry.field(
        description="Events this subscriber lost to overflow since its previous event."
    )

    @classmethod
    def of(cls, event: Event, dropped: int) -> TelemetryEvent:
        return from_record(
            cls,
            event,
            log_id=None if event.log_id is None else strawberry.ID(str(event.log_id)),
            instance_id=strawberry.ID(str(event.instance_id)),
            uow_id=_id(event.uow_id),
            actor_id=_id(event.actor_id),
            role_id=_id(event.role_id),
            interaction_id=_id(event.interaction_id),
            dropped=dropped,
        )


async def _events(
    info: Info,
    instance_id: strawberry.ID,
    uow_id: strawberry.ID | None,
    *,
    log_types: Iterable[LogType] | None = None,
    transitions_only: bool = False,
) -> AsyncGenerator[tuple[Event, int], None]:
    """The events of an instance (of one unit of work, of some log types) with the count
    this subscriber lost before each; an unknown instance, or a unit that is unknown or of
    another instance, is an error. The bus filters before queueing (`gql.fanout`), so
    every event arriving here is wanted and `dropped` counts only wanted events.

    A WebSocket context lives as long as its connection, so no read connection (nor cached
    load) is kept between events: each event is resolved against the newest state."""
    instance = parse_uuid(instance_id, "instanceId")
    uow = optional_uuid(uow_id, "uowId")
    await check_target(info.context, instance, uow)
    async with info.context.events.subscribe(
        instance, uow_id=uow, log_types=log_types, transitions_only=transitions_only
    ) as subscription:
        async for event, dropped in subscription:
            yield event, dropped
            # The event's fields were resolved; hold no connection while waiting.
            await info.context.forget_reads()


@dataclass(frozen=True, slots=True)
class DeliveredTransition(HistoryRecord):
    """A history entry as `uowTransitions` delivers it: with the transitions this
    subscriber lost to overflow before it (read by `UowHistoryEntry.dropped`)."""

    dropped: int = 0

    @classmethod
    def with_dropped(cls, record: HistoryRecord, dropped: int) -> DeliveredTransition:
        return from_record(cls, record, dropped=dropped)


InstanceId = Annotated[strawberry.ID, strawberry.argument(description="The instance to watch.")]
UowId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only what concerns this unit of work."),
]


@strawberry.type(description="Live streams of one instance, over WebSocket.")
class Subscription:
    @subscription("Every log entry of an instance, transitions included.")
    async def telemetry(
        self,
        info: Info,
        instance_id: InstanceId,
        uow_id: UowId = None,
        log_types: OfLogTypes = None,
    ) -> AsyncGenerator[TelemetryEvent, None]:
        async for event, dropped in _events(info, instance_id, uow_id, log_types=log_types):
            yield TelemetryEvent.of(event, dropped)

    @subscription("Each committed transition of an instance's UOWs.", graphql_type=UowHistoryEntry)
    async def uow_transitions(
        self, info: Info, instance_id: InstanceId, uow_id: UowId = None
    ) -> AsyncGenerator[DeliveredTransition, None]:
        transitions = _events(
            info,
            instance_id,
            uow_id,
            log_types=(LogType.STATE_TRANSITION,),
            transitions_only=True,
        )
        async for event, dropped in transitions:
            assert event.transition is not None  # `transitions_only`
            yield DeliveredTransition.with_dropped(event.transition, dropped)
