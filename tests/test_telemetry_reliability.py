"""The telemetry buffer under stress: unstorable values refused on record, memory bounded
in bytes, refused batches quarantined, and a graceful stop that writes each entry once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from storage.engines import Tier, Tiers
from storage.enums import LogType
from storage.errors import DomainError, ErrorCode
from storage.models import InteractionLogRow
from storage.telemetry.buffer import TelemetryBuffer, TelemetryEntry
from tests.factories import seed_uow


async def _rows(tier: Tier, kind: LogType) -> list[InteractionLogRow]:
    async with tier.sessions() as session:
        rows = await session.scalars(
            select(InteractionLogRow)
            .where(InteractionLogRow.log_type == kind)
            .order_by(InteractionLogRow.log_id)
        )
        return list(rows)


async def _count(tier: Tier, kind: LogType) -> int:
    async with tier.sessions() as session:
        query = select(func.count()).where(InteractionLogRow.log_type == kind)
        return int(await session.scalar(query) or 0)


@pytest.mark.parametrize(
    ("details", "path"),
    [
        ({"s": "a\u0000b\ud800"}, ("input", "details", "s")),
        ({"list": [1, "ok", "lone \udc00"]}, ("input", "details", "list", "2")),
        ({"n": {"x": float("nan")}}, ("input", "details", "n", "x")),
        ({"n": float("inf")}, ("input", "details", "n")),
    ],
)
async def test_record_refuses_values_a_database_would_refuse(
    tiers: Tiers, details: dict, path: tuple[str, ...]
) -> None:
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance)
    with pytest.raises(DomainError) as refused:
        buffer.record(TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details=details))
    (problem,) = refused.value.problems
    assert problem.code == ErrorCode.VALIDATION_FAILED
    assert problem.path == path
    assert buffer.depth == 0
    # A backslash followed by "u0000" is text, not a NUL: stored as given.
    text = {"s": "\\u0000 is how JSON spells NUL"}
    assert buffer.record(TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details=text))
    await buffer.drain()
    assert [row.event_details for row in await _rows(tiers.instance, LogType.TELEMETRY)] == [text]


async def test_the_buffer_is_bounded_in_bytes(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=1_000, max_bytes=50_000)
    big = {"blob": "x" * 20_000}
    entries = [TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details=big) for _ in range(3)]
    assert [buffer.record(e) for e in entries] == [True, True, False]
    assert buffer.refused == 1
    assert 40_000 < buffer.bytes <= 50_000
    assert await buffer.flush() == 2
    assert buffer.bytes == 0
    assert buffer.record(entries[2]) is True
    huge = TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"b": "x" * 60_000})
    with pytest.raises(DomainError) as refused:  # larger than the whole buffer: never fits
        buffer.record(huge)
    assert refused.value.problems[0].code == ErrorCode.VALIDATION_FAILED


async def test_a_batch_the_database_refuses_is_quarantined_not_retried(tiers: Tiers) -> None:
    """An entry naming a unit of work that does not exist breaks its batch's foreign key:
    the other entries are stored, the refused one becomes an ERROR row with the reason, and
    the queue moves on."""
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, batch_size=100)
    ghost = uuid.uuid4()
    for n in range(7):
        uow = ghost if n == 4 else seeded.uow_id
        entry = TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, uow_id=uow, details={"n": n})
        assert buffer.record(entry)
    assert await buffer.flush() == 7
    assert buffer.depth == 0
    assert buffer.quarantined == 1
    stored = [row.event_details["n"] for row in await _rows(tiers.instance, LogType.TELEMETRY)]
    assert stored == [0, 1, 2, 3, 5, 6]
    (error,) = await _rows(tiers.instance, LogType.ERROR)
    assert error.instance_id == seeded.instance_id
    assert error.error_metadata["entry"]["uow_id"] == str(ghost)
    assert "Integrity" in error.error_metadata["error"] or "foreign" in (
        error.error_metadata["error"].lower()
    )
    later = TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": 7})
    assert buffer.record(later)
    assert await buffer.flush() == 1


@pytest.mark.parametrize("round_", range(3))
async def test_stop_during_a_flush_writes_every_entry_exactly_once(
    tiers: Tiers, round_: int
) -> None:
    """The flusher is cancelled while its batch commits; drain must not write it again."""
    seeded = await seed_uow(tiers)
    buffer = TelemetryBuffer(tiers.instance, capacity=20_000, batch_size=1_000)
    for n in range(20_000):
        assert buffer.record(
            TelemetryEntry(seeded.instance_id, LogType.TELEMETRY, details={"n": n})
        )
    buffer.start()
    for _ in range(10_000):  # until the batch is on its way to the database
        if buffer.flushing:
            break
        await asyncio.sleep(0)
    assert buffer.flushing
    await asyncio.sleep(0.002 * round_)
    await buffer.stop()
    assert buffer.depth == 0
    assert await _count(tiers.instance, LogType.TELEMETRY) == 20_000
