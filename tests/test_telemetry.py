"""The telemetry buffer: never blocks, refuses when full, writes every accepted entry once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.engines import Tier, Tiers
from storage.enums import LogType
from storage.models import InteractionLogRow
from storage.telemetry.buffer import TelemetryBuffer, TelemetryEntry
from tests.databases import TierUrls
from tests.factories import seed_uow
from tests.raw_sql import RawConnection


async def _logged(tier: Tier, kind: LogType = LogType.TELEMETRY) -> list[dict]:
    async with tier.sessions() as session:
        rows = await session.scalars(
            select(InteractionLogRow)
            .where(InteractionLogRow.log_type == kind)
            .order_by(InteractionLogRow.log_id)
        )
        return [row.event_details for row in rows]


async def test_full_buffer_refuses_then_accepts_after_a_flush(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=3, batch_size=10)
    entries = [
        TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": n}) for n in range(4)
    ]
    assert [buffer.record(e) for e in entries] == [True, True, True, False]
    assert buffer.refused == 1
    assert await buffer.flush() == 3
    assert buffer.record(entries[3]) is True
    await buffer.drain()
    assert await _logged(tiers.instance) == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


async def test_batches_respect_the_batch_size(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=100, batch_size=4)
    for n in range(10):
        buffer.record(TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": n}))
    assert [await buffer.flush() for _ in range(4)] == [4, 4, 2, 0]
    assert [d["n"] for d in await _logged(tiers.instance)] == list(range(10))


async def test_a_failed_flush_loses_and_duplicates_nothing(tiers: Tiers, db_urls: TierUrls) -> None:
    seeded = await seed_uow(tiers)
    impatient = Tier.open("instance", db_urls.instance, lock_wait_ms=50)
    try:
        buffer = TelemetryBuffer(impatient, capacity=100, batch_size=100)
        for n in range(5):
            buffer.record(TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": n}))
        async with RawConnection(db_urls) as other_client:
            if db_urls.dialect == "sqlite":
                await other_client.execute("BEGIN EXCLUSIVE")
            else:
                await other_client.execute("BEGIN")
                await other_client.execute('LOCK TABLE "Interaction_Logs" IN EXCLUSIVE MODE')
            with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the driver raises
                await buffer.flush()
            assert buffer.depth == 5
            await other_client.execute("ROLLBACK")
        assert await buffer.flush() == 5
        assert buffer.depth == 0
        assert [d["n"] for d in await _logged(tiers.instance)] == list(range(5))
    finally:
        await impatient.dispose()


async def test_background_task_flushes_and_stop_drains(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=1000, batch_size=50, flush_interval_s=0.05)
    buffer.start()
    for n in range(120):
        assert buffer.record(TelemetryEntry(seeded.instance_id, LogType.ERROR, error={"n": n}))
    await buffer.stop()
    async with tiers.instance.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InteractionLogRow)
            .where(InteractionLogRow.log_type == LogType.ERROR)
        )
    assert count == 120
    assert buffer.depth == 0


async def test_stop_during_a_flush_writes_each_entry_once(tiers: Tiers) -> None:
    """On SQLite a cancelled write still commits on the writer thread: stopping the flusher
    in the middle of a batch must not leave that batch queued for the drain."""
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=5_000, batch_size=1_000, flush_interval_s=60)
    for n in range(3_000):
        assert buffer.record(
            TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": n})
        )
    buffer.start()  # a full batch is queued: the flusher starts writing at once
    # Observable state, no event to wait on: yield to the loop until the write is under way.
    while buffer.flushed == 0 and not tiers.instance.write_lock.locked():  # noqa: ASYNC110
        await asyncio.sleep(0)
    await buffer.stop()
    assert sorted(d["n"] for d in await _logged(tiers.instance)) == list(range(3_000))
