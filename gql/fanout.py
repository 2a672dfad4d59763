"""Delivery inside one process: each subscriber's bounded queue, and the set of them by
instance. Both buses (`gql.events`) share it; only how events reach it differs."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from storage.telemetry.events import Event


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


@dataclass
class BusHealth:
    """What `/ready` and `/metrics` say about a bus. The counters only grow."""

    connected: bool = True
    reconnects: int = 0
    publish_failures: int = 0
    dropped: int = 0
    problem: str | None = None


class Fanout:
    """Subscriptions by instance; delivery is a loop of non-blocking `offer` calls."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.subscriptions: dict[uuid.UUID, set[Subscription]] = {}
        self.health = BusHealth()

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
        """Every subscription completes; the bus itself keeps publishing (a graceful stop
        still announces the telemetry it drains to other server processes)."""
        for subscribers in self.subscriptions.values():
            for subscription in subscribers:
                subscription.close()

    @property
    def count(self) -> int:
        return sum(len(s) for s in self.subscriptions.values())
