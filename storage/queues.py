"""A bounded queue that never blocks whoever fills it: the delivery of subscriptions.

One producer serves many consumers (an event bus, a shared subscription stream); a slow
consumer must not slow it or the others. Full, the queue drops its own oldest item and
counts the loss, which the consumer reads beside the next item it takes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DroppingQueue(Generic[T]):
    """Iterate it for (item, dropped-since-the-last-item) pairs until it is closed and
    empty; `offer` never waits."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.dropped = 0
        self._items: deque[T] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def offer(self, item: T) -> None:
        """Never blocks: a full queue loses its oldest item instead."""
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self.dropped += 1
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """The iteration ends once what is queued has been taken."""
        self._closed = True
        self._ready.set()

    def queued(self) -> list[T]:
        """What waits now, oldest first (for inspection: it takes nothing)."""
        return list(self._items)

    def __aiter__(self) -> DroppingQueue[T]:
        return self

    async def __anext__(self) -> tuple[T, int]:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        dropped, self.dropped = self.dropped, 0
        return self._items.popleft(), dropped
