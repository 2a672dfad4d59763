"""The event bus: what subscribers see of transitions and telemetry, across processes.

Two backends behind one small interface. `MemoryBus` delivers within the process.
`PostgresBus` sends every event through PostgreSQL NOTIFY and delivers what it hears on
LISTEN, so a subscriber on one server process sees events caused on another; an event too
large for NOTIFY's payload limit travels by reference (its log id) and is read back.

Each subscription has a bounded queue: when a subscriber falls behind, its oldest events are
dropped and counted, so a slow subscriber never slows producers or other subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from storage.engines import Tier
from storage.models import InteractionLogRow, UowHistoryRow
from storage.telemetry.events import Event

log = logging.getLogger("chameleon.events")
CHANNEL = "chameleon_events"
NOTIFY_LIMIT = 7_900  # bytes; PostgreSQL refuses payloads of 8000 bytes or more


@dataclass(eq=False)
class Subscription:
    """One subscriber's bounded queue; iterate it for (event, dropped-since-last) pairs."""

    instance_id: uuid.UUID
    capacity: int = 1_000
    dropped: int = 0
    _queue: deque[Event] = field(default_factory=deque)
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _closed: bool = False

    def offer(self, event: Event) -> None:
        """Never blocks: a full queue loses its oldest event instead."""
        if len(self._queue) >= self.capacity:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[Event, int]:
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        dropped, self.dropped = self.dropped, 0
        return self._queue.popleft(), dropped


class EventBus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, event: Event) -> None: ...
    def subscribe(
        self, instance_id: uuid.UUID
    ) -> contextlib.AbstractAsyncContextManager[Subscription]: ...


class _Fanout:
    """Subscriptions by instance; delivery is a loop of non-blocking `offer` calls."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.subscriptions: dict[uuid.UUID, set[Subscription]] = {}

    def deliver(self, event: Event) -> None:
        for subscription in self.subscriptions.get(event.instance_id, ()):
            subscription.offer(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, instance_id: uuid.UUID) -> AsyncIterator[Subscription]:
        subscription = Subscription(instance_id, capacity=self.queue_size)
        self.subscriptions.setdefault(instance_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self.subscriptions.get(instance_id, set())
            subscribers.discard(subscription)
            if not subscribers:
                self.subscriptions.pop(instance_id, None)

    def close_all(self) -> None:
        for subscribers in self.subscriptions.values():
            for subscription in subscribers:
                subscription.close()

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.subscriptions.values())


class MemoryBus(_Fanout):
    """In-process delivery (the default; one server process)."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.close_all()

    async def publish(self, event: Event) -> None:
        self.deliver(event)


class PostgresBus(_Fanout):
    """Delivery through LISTEN/NOTIFY on the instance tier's PostgreSQL database."""

    def __init__(self, tier: Tier, queue_size: int) -> None:
        super().__init__(queue_size)
        self.tier = tier
        url = make_url(tier.engine.url.render_as_string(hide_password=False))
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._publish_lock = asyncio.Lock()
        # Notifications are handled one at a time, in arrival order, even when one of them
        # must be read back from the database first.
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = await asyncpg.connect(self._dsn)
        await self._listener.add_listener(CHANNEL, self._heard)
        self._publisher = await asyncpg.connect(self._dsn)
        self._worker = asyncio.create_task(self._deliver_in_order(), name="event-bus-inbox")

    async def stop(self) -> None:
        self.close_all()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        for connection in (self._listener, self._publisher):
            if connection is not None:
                await connection.close()
        self._listener = self._publisher = None

    async def publish(self, event: Event) -> None:
        payload = event.encode()
        if len(payload.encode()) > NOTIFY_LIMIT:
            if event.log_id is None:
                raise ValueError("an event too large for NOTIFY must be written first")
            payload = json.dumps({"ref": event.log_id})
        assert self._publisher is not None, "bus not started"
        async with self._publish_lock:
            await self._publisher.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._inbox.put_nowait(payload)

    async def _deliver_in_order(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                raw = json.loads(payload)
                if "ref" in raw:
                    await self._read_back(int(raw["ref"]))
                else:
                    self.deliver(Event.decode(payload))
            except Exception:  # one bad notification must not stop the bus
                log.exception("could not deliver an event")

    async def _read_back(self, log_id: int) -> None:
        """Rebuild a large event from its stored log row (and its history entry)."""
        async with self.tier.sessions() as session:
            row = await session.get(InteractionLogRow, log_id)
            if row is None:
                log.warning("event %s announced but not found", log_id)
                return
            history = None
            history_id = (row.event_details or {}).get("history_id")
            if history_id is not None:
                history = await session.get(UowHistoryRow, uuid.UUID(history_id))
        self.deliver(Event.of_log(row, history))


def create_bus(kind: str, instance_tier: Tier, queue_size: int = 1_000) -> MemoryBus | PostgresBus:
    if kind == "postgres":
        if instance_tier.dialect != "postgresql":
            raise ValueError("CHAMELEON_EVENT_BUS=postgres needs the instance tier on PostgreSQL")
        return PostgresBus(instance_tier, queue_size)
    return MemoryBus(queue_size)


__all__ = [
    "EventBus",
    "MemoryBus",
    "PostgresBus",
    "Subscription",
    "create_bus",
]
