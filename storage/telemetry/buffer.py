"""A bounded, non-blocking telemetry buffer flushed to Interaction_Logs in batches (SPEC 4.7).

`record` never waits: it checks the entry's values (see `values`), then appends it to an
in-memory queue or refuses when the queue is full, in entries or in bytes (backpressure).
A background task writes batches with one multi-row INSERT per batch.

Every accepted entry is written exactly once:
- a batch leaves the queue only after its transaction committed, so a failed flush is
  retried later with nothing lost;
- a batch handed to the database finishes even when its caller is cancelled (a graceful
  stop cancels the flusher), and the next flush waits for it, so it is never written twice;
- a batch the database refuses for what it holds (not because the database is down) is
  split until the refused entries are found; the rest is stored and each refused entry is
  replaced by an ERROR row with the reason (see `quarantine`), so one entry never stalls
  the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Table, insert

from storage.engines import Tier
from storage.errors import DomainError, ErrorCode
from storage.models import InteractionLogRow
from storage.prepared import PreparedInsert
from storage.telemetry import quarantine
from storage.telemetry.events import LogEntry
from storage.telemetry.values import stored_size
from storage.types import utcnow

log = logging.getLogger("chameleon.telemetry")
LOG_TABLE = cast(Table, InteractionLogRow.__table__)
ENTRY_OVERHEAD = 256  # bytes an entry costs besides its JSON (ids, timestamp, the object)
# Rows per INSERT of a flush. Not `executemany`: on SQLite it steps once per row, and
# `sqlite3` lets go of the GIL around every step, so the writer thread waits to take it back
# after each row, up to the switch interval (5 ms) while the event loop is busy; under load a
# 1,000-row batch took over a second for 20 ms of work. 100 rows of 9 values stay within the
# smallest parameter limit SQLite builds have had (999); one statement per row count is
# compiled, once.
ROWS_PER_STATEMENT = 100
_INSERT_ROWS = PreparedInsert(
    LOG_TABLE, [c.name for c in LOG_TABLE.c if c.name != "log_id"], max_rows=ROWS_PER_STATEMENT
)


@dataclass(frozen=True, slots=True)
class TelemetryEntry(LogEntry):
    """One accepted entry; `timestamp` is taken when it is recorded, not when it is flushed.

    `announce` asks for the entry to be handed to the buffer's `on_written` listener with
    its log id once stored (an event too large to travel before it is stored)."""

    timestamp: datetime = field(default_factory=utcnow)
    announce: bool = False

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

    def size(self) -> int:
        """Bytes the entry holds; VALIDATION_FAILED naming the path of an unstorable value."""
        return (
            ENTRY_OVERHEAD
            + stored_size(self.details, ("input", "details"))
            + stored_size(self.error, ("input", "error"))
        )


Written = Sequence[tuple[TelemetryEntry, int]]
WrittenListener = Callable[[Written], Awaitable[None]]


@dataclass(eq=False)
class TelemetryBuffer:
    """Accepts entries without blocking; a background task persists them in batches."""

    tier: Tier
    _: KW_ONLY
    capacity: int = 10_000
    max_bytes: int = 64_000_000
    batch_size: int = 1_000
    flush_interval_s: float = 0.5
    retry_delay_s: float = 1.0
    on_written: WrittenListener | None = None
    refused: int = field(default=0, init=False)
    flushed: int = field(default=0, init=False)
    quarantined: int = field(default=0, init=False)
    bytes: int = field(default=0, init=False)
    _queue: deque[tuple[TelemetryEntry, int]] = field(default_factory=deque, init=False)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _flush_lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.batch_size < 1 or self.max_bytes < 1:
            raise ValueError("capacity, max_bytes and batch_size must be at least 1")

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def flushing(self) -> bool:
        """True while a batch is being written."""
        return self._flush_lock.locked()

    def record(self, entry: TelemetryEntry) -> bool:
        """Accept `entry` for writing, or refuse it (False) when the buffer is full.

        Raises VALIDATION_FAILED (nothing queued) for a value no tier would store, or for an
        entry larger than the whole buffer (it could never be accepted)."""
        size = entry.size()
        if size > self.max_bytes:
            raise DomainError.single(
                ErrorCode.VALIDATION_FAILED,
                f"the entry takes {size} bytes; the buffer holds at most {self.max_bytes}",
                ("input",),
            )
        if len(self._queue) >= self.capacity or self.bytes + size > self.max_bytes:
            self.refused += 1
            return False
        self._queue.append((entry, size))
        self.bytes += size
        if len(self._queue) >= self.batch_size:
            self._wakeup.set()
        return True

    async def flush(self) -> int:
        """Store at most one batch; returns how many entries left the queue.

        The batch runs in a task of its own: a cancelled caller neither interrupts a commit
        nor leaves the committed entries queued (which would write them twice)."""
        work = asyncio.ensure_future(self._flush_one())
        work.add_done_callback(_retrieve)
        return await asyncio.shield(work)

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

    async def _flush_one(self) -> int:
        async with self._flush_lock:
            batch = [entry for entry, _ in islice(self._queue, self.batch_size)]
            if not batch:
                return 0
            await self._store(batch)
            return len(batch)

    async def _store(self, batch: list[TelemetryEntry]) -> None:
        """Write `batch` (the head of the queue), or find and quarantine what the database
        refuses in it; each part leaves the queue as soon as it is committed."""
        try:
            log_ids = await self.tier.write(lambda connection: _insert(connection, batch))
        except Exception as error:
            if not quarantine.refused_for_content(error):
                raise
            if len(batch) > 1:
                middle = len(batch) // 2
                await self._store(batch[:middle])
                await self._store(batch[middle:])
                return
            await quarantine.store_refusal(self.tier, batch[0], error)
            self.quarantined += 1
            self._dequeue(1)
            return
        self._dequeue(len(batch))
        self.flushed += len(batch)
        announced = [(e, i) for e, i in zip(batch, log_ids, strict=True) if e.announce]
        if announced and self.on_written is not None:
            try:
                await self.on_written(announced)
            except Exception:  # the entries are stored; only their announcement failed
                log.exception("announcing %d stored telemetry entries failed", len(announced))

    def _dequeue(self, count: int) -> None:
        for _ in range(count):
            _, size = self._queue.popleft()
            self.bytes -= size

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


def _insert(connection: Connection, batch: Sequence[TelemetryEntry]) -> list[int]:
    """Multi-row INSERTs of `ROWS_PER_STATEMENT` rows (no per-row ORM work). Log ids come
    back, in entry order, only when an entry is to be announced."""
    rows = [entry.row() for entry in batch]
    if not any(entry.announce for entry in batch):
        _INSERT_ROWS.run(connection, rows)
        return [0] * len(batch)
    statement = insert(LOG_TABLE).returning(LOG_TABLE.c.log_id, sort_by_parameter_order=True)
    return [int(row.log_id) for row in connection.execute(statement, rows)]


def _retrieve(task: asyncio.Future[int]) -> None:
    """Marks a flush's outcome as seen when its caller was cancelled before it ended."""
    if not task.cancelled():
        task.exception()
