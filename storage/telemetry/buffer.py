"""A bounded, non-blocking telemetry buffer flushed to Interaction_Logs in batches (SPEC 4.7).

`record` never waits: it appends to an in-memory queue or refuses when the queue is full
(backpressure). A background task writes batches with one multi-row INSERT per batch; a
batch leaves the queue only after its transaction committed, so a failed flush is retried
later with nothing lost and nothing written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert

from storage.engines import Tier
from storage.enums import LogType
from storage.models import InteractionLogRow
from storage.types import utcnow

log = logging.getLogger("chameleon.telemetry")
LOG_TABLE = cast(Table, InteractionLogRow.__table__)


@dataclass(frozen=True, slots=True)
class TelemetryEntry:
    """One accepted entry; `timestamp` is taken when it is recorded, not when it is flushed."""

    instance_id: uuid.UUID
    log_type: LogType
    uow_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    interaction_id: uuid.UUID | None = None
    details: Any = None
    error: Any = None
    timestamp: datetime = field(default_factory=utcnow)

    def row(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "uow_id": self.uow_id,
            "actor_id": self.actor_id,
            "role_id": self.role_id,
            "interaction_id": self.interaction_id,
            "timestamp": self.timestamp,
            "log_type": self.log_type,
            "event_details": self.details,
            "error_metadata": self.error,
        }


FlushListener = Callable[[Sequence[TelemetryEntry]], Awaitable[None]]


class TelemetryBuffer:
    """Accepts entries without blocking; a background task persists them in batches."""

    def __init__(
        self,
        tier: Tier,
        *,
        capacity: int = 10_000,
        batch_size: int = 1_000,
        flush_interval_s: float = 0.5,
        retry_delay_s: float = 1.0,
    ) -> None:
        if capacity < 1 or batch_size < 1:
            raise ValueError("capacity and batch_size must be at least 1")
        self.tier = tier
        self.capacity = capacity
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retry_delay_s = retry_delay_s
        self.refused = 0
        self.flushed = 0
        self._queue: deque[TelemetryEntry] = deque()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()

    @property
    def depth(self) -> int:
        return len(self._queue)

    def record(self, entry: TelemetryEntry) -> bool:
        """Accept `entry` for writing, or refuse it (False) when the buffer is full."""
        if len(self._queue) >= self.capacity:
            self.refused += 1
            return False
        self._queue.append(entry)
        if len(self._queue) >= self.batch_size:
            self._wakeup.set()
        return True

    async def flush(self) -> int:
        """Write at most one batch; returns how many entries were written."""
        async with self._flush_lock:
            batch = [self._queue[i] for i in range(min(self.batch_size, len(self._queue)))]
            if not batch:
                return 0
            # A Core insert of the table (not the ORM entity): no per-row ORM work.
            await self.tier.write(
                lambda connection: connection.execute(
                    insert(LOG_TABLE), [entry.row() for entry in batch]
                )
            )
            # Only now, after the commit, do the entries leave the queue.
            for _ in batch:
                self._queue.popleft()
            self.flushed += len(batch)
            return len(batch)

    async def drain(self) -> int:
        """Flush until empty (shutdown); raises if the database keeps refusing."""
        written = 0
        while self._queue:
            written += await self.flush()
        return written

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="telemetry-flusher")

    async def stop(self) -> None:
        """Stop the background task, then write everything still queued.

        The task is cancelled between two flushes, never during one: on SQLite a cancelled
        write still commits on the writer thread, and its batch, still queued, would be
        written a second time by the drain."""
        if self._task is not None:
            async with self._flush_lock:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        await self.drain()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.flush_interval_s)
            self._wakeup.clear()
            try:
                while await self.flush() == self.batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is down or busy: keep the entries, try later
                log.exception("telemetry flush failed; %d entries kept for retry", self.depth)
                await asyncio.sleep(self.retry_delay_s)
