"""A telemetry flush (multi-row INSERTs) stores exactly what Core's executemany stores, on
every tier, in the order recorded, whatever the number of statements a batch takes."""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Table, Text, func, insert, select, type_coerce

from storage.engines import Tiers
from storage.enums import LogType
from storage.models import InteractionLogRow
from storage.telemetry.buffer import ROWS_PER_STATEMENT, TelemetryBuffer, TelemetryEntry
from storage.values import stored_size
from tests.factories import SeededUow, seed_uow
from tests.json_values import JSON_VALUES

LOGS = cast(Table, InteractionLogRow.__table__)
COLUMNS = [column for column in LOGS.c if column.key != "log_id"]
SERIAL = itertools.count()


@pytest.fixture
async def seeded(tiers: Tiers) -> SeededUow:
    """One unit of work for all the examples of a test (they share its tiers)."""
    return await seed_uow(tiers)


def _storable(value: Any) -> bool:
    try:
        stored_size(value, ("details",))
    except Exception:  # any refusal: the buffer never hands such a value on
        return False
    return True


def _entry(seeded: SeededUow, details: Any) -> TelemetryEntry:
    return TelemetryEntry(
        seeded.instance_id,
        LogType.TELEMETRY,
        uow_id=seeded.uow_id,
        details=details,
        error=None if next(SERIAL) % 2 else {"n": 1},
    )


async def _flushed(tiers: Tiers, entries: list[TelemetryEntry]) -> None:
    buffer = TelemetryBuffer(tiers.instance, capacity=len(entries), batch_size=len(entries))
    assert all(buffer.record(entry) for entry in entries)
    assert await buffer.flush() == len(entries)


async def _stored_after(tiers: Tiers, log_id: int) -> list[tuple[str | None, ...]]:
    """The rows written after `log_id`, as the database holds them (JSON as its text)."""

    def read(connection: Connection) -> list[tuple[str | None, ...]]:
        columns = [type_coerce(column, Text) for column in COLUMNS]
        rows = connection.execute(
            select(*columns).where(LOGS.c.log_id > log_id).order_by(LOGS.c.log_id)
        )
        return [tuple(None if value is None else str(value) for value in row) for row in rows]

    return await tiers.instance.write(read)


async def _last_log_id(tiers: Tiers) -> int:
    async with tiers.instance.sessions() as session:
        return int(await session.scalar(select(func.max(InteractionLogRow.log_id))) or 0)


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(values=st.lists(JSON_VALUES.filter(_storable), min_size=1, max_size=5))
async def test_rows_read_back_as_core_writes_them(
    tiers: Tiers, seeded: SeededUow, values: list[Any]
) -> None:
    entries = [_entry(seeded, value) for value in values]
    after = await _last_log_id(tiers)
    rows = [entry.row() for entry in entries]
    await tiers.instance.write(lambda connection: connection.execute(insert(LOGS), rows))
    await _flushed(tiers, entries)
    stored = await _stored_after(tiers, after)
    assert len(stored) == 2 * len(entries)
    assert stored[len(entries) :] == stored[: len(entries)]


async def test_a_batch_of_several_statements_keeps_its_order(
    tiers: Tiers, seeded: SeededUow
) -> None:
    count = 2 * ROWS_PER_STATEMENT + 7
    await _flushed(tiers, [_entry(seeded, {"n": n}) for n in range(count)])
    async with tiers.instance.sessions() as session:
        details = list(
            await session.scalars(
                select(InteractionLogRow.event_details)
                .where(InteractionLogRow.log_type == LogType.TELEMETRY)
                .order_by(InteractionLogRow.log_id)
            )
        )
    assert details == [{"n": n} for n in range(count)]
