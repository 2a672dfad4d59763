"""The event bus: what subscribers see of transitions and telemetry, across processes.

Two backends behind one small interface. `MemoryBus` delivers within the process.
`PostgresBus` (`gql.postgres_bus`) sends every event through PostgreSQL NOTIFY and delivers
what it hears on LISTEN, so a subscriber on one server process sees events caused on
another; an event too large for NOTIFY's payload limit travels by reference (its log id)
and is read back. It reconnects by itself when its connections break.

Subscriptions are indexed by instance, unit of work and log type (`gql.fanout`), so an
event reaches only the subscriptions that want it. Each has a bounded queue: when a
subscriber falls behind, its oldest events are dropped and counted, so a slow subscriber
never slows producers or other subscribers. `publish` never raises on either bus: it is
called after a commit, and a committed change must be answered as committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from gql.fanout import BusHealth, Fanout, Subscription
from resolvers.context import EventSource
from storage.engines import Tier
from storage.telemetry.events import Event

if TYPE_CHECKING:
    from gql.postgres_bus import PostgresBus


class EventBus(EventSource, Protocol):
    """A bus the server runs: what resolvers use of it (publish, subscribe), and its life."""

    health: BusHealth

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def close_all(self) -> None: ...


class MemoryBus(Fanout):
    """In-process delivery (the default; one server process)."""

    @property
    def waiting(self) -> int:
        return 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.close_all()

    async def publish(self, event: Event) -> None:
        self.deliver(event)


def create_bus(
    kind: str, instance_tier: Tier, queue_size: int = 1_000, *, outbox_size: int = 10_000
) -> MemoryBus | PostgresBus:
    if kind == "postgres":
        if instance_tier.dialect != "postgresql":
            raise ValueError("CHAMELEON_EVENT_BUS=postgres needs the instance tier on PostgreSQL")
        # Imported here: asyncpg is loaded only by a server that uses this bus (cold start).
        from gql.postgres_bus import PostgresBus

        return PostgresBus(instance_tier, queue_size, outbox_size=outbox_size)
    return MemoryBus(queue_size)


__all__ = [
    "BusHealth",
    "EventBus",
    "MemoryBus",
    "Subscription",
    "create_bus",
]
