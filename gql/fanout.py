"""Delivery inside one process: each subscriber's bounded queue, and an index of them by
what they watch. Both buses (`gql.events`) share it; only how events reach it differs.

Subscriptions are indexed by (instance, unit of work or None, log type or None), so an
event is offered only to the subscriptions that want it: at most four dictionary lookups
per event, whatever the number of subscriptions of the instance. Filtering before an event
enters a queue is also what makes `dropped` exact: a queue holds only its subscriber's own
events, so what overflow drops is what that subscriber lost.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from storage.enums import LogType
from storage.queues import DroppingQueue
from storage.telemetry.events import Event

# (instance, unit of work or None: every unit, log type or None: every type)
Key = tuple[uuid.UUID, uuid.UUID | None, LogType | None]


@dataclass(eq=False)
class Subscription:
    """One subscriber's bounded queue; iterate it for (event, dropped-since-last) pairs."""

    instance_id: uuid.UUID
    capacity: int = 1_000
    uow_id: uuid.UUID | None = None
    log_types: frozenset[LogType] | None = None  # None: every type
    transitions_only: bool = False  # only events that carry their history entry
    _queue: DroppingQueue[Event] = field(init=False)

    def __post_init__(self) -> None:
        self._queue = DroppingQueue(self.capacity)

    def keys(self) -> list[Key]:
        types: Iterable[LogType | None] = self.log_types if self.log_types else (None,)
        return [(self.instance_id, self.uow_id, log_type) for log_type in types]

    def offer(self, event: Event) -> None:
        """Never blocks: a full queue loses its oldest event instead."""
        self._queue.offer(event)

    def close(self) -> None:
        self._queue.close()

    def queued(self) -> list[Event]:
        """The events waiting to be taken, oldest first (for inspection)."""
        return self._queue.queued()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[Event, int]:
        return await anext(self._queue)


@dataclass
class BusHealth:
    """What `/ready` and `/metrics` say about a bus. The counters only grow."""

    connected: bool = True
    reconnects: int = 0
    publish_failures: int = 0
    dropped: int = 0
    problem: str | None = None
    # Events put into subscriber queues: with an index, one per matching subscription, not
    # one per subscription of the instance (tests read it to see who an event woke).
    offered: int = 0


class Fanout:
    """Subscriptions indexed by what they watch; delivery is a few lookups and one
    non-blocking `offer` per matching subscription."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self._index: dict[Key, set[Subscription]] = {}
        self._all: set[Subscription] = set()
        self.health = BusHealth()

    def deliver(self, event: Event) -> None:
        instance, uow, log_type = event.instance_id, event.uow_id, event.log_type
        keys: tuple[Key, ...] = ((instance, None, None), (instance, None, log_type))
        if uow is not None:
            keys += ((instance, uow, None), (instance, uow, log_type))
        index = self._index
        offered = 0
        for key in keys:
            for subscription in index.get(key, ()):
                if subscription.transitions_only and event.transition is None:
                    continue
                subscription.offer(event)
                offered += 1
        self.health.offered += offered

    @contextlib.asynccontextmanager
    async def subscribe(
        self,
        instance_id: uuid.UUID,
        *,
        uow_id: uuid.UUID | None = None,
        log_types: Iterable[LogType] | None = None,
        transitions_only: bool = False,
    ) -> AsyncIterator[Subscription]:
        """A subscription to the events of `instance_id`, of one unit if `uow_id` is given,
        of the given log types if any; `transitions_only` keeps the STATE_TRANSITION events
        that carry their history entry (what `uowTransitions` delivers)."""
        subscription = Subscription(
            instance_id,
            capacity=self.queue_size,
            uow_id=uow_id,
            log_types=frozenset(log_types) if log_types else None,
            transitions_only=transitions_only,
        )
        keys = subscription.keys()
        for key in keys:
            self._index.setdefault(key, set()).add(subscription)
        self._all.add(subscription)
        try:
            yield subscription
        finally:
            self._all.discard(subscription)
            for key in keys:
                subscribers = self._index.get(key)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._index[key]

    def close_all(self) -> None:
        """Every subscription completes; the bus itself keeps publishing (a graceful stop
        still announces the telemetry it drains to other server processes)."""
        for subscription in self._all:
            subscription.close()

    @property
    def count(self) -> int:
        return len(self._all)

    @property
    def subscriptions(self) -> dict[uuid.UUID, set[Subscription]]:
        """The open subscriptions by instance (built on demand: for inspection, not delivery)."""
        by_instance: dict[uuid.UUID, set[Subscription]] = {}
        for subscription in self._all:
            by_instance.setdefault(subscription.instance_id, set()).add(subscription)
        return by_instance
