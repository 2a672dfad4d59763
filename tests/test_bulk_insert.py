"""`storage.bulk.insert_rows` stores exactly what Core's executemany stores, on every tier."""

from __future__ import annotations

import itertools
import sqlite3
import uuid
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Table, Text, func, insert, select, type_coerce

from storage.bulk import SQLITE_MAX_PARAMETERS, insert_rows
from storage.engines import Tiers
from storage.enums import LogType
from storage.models import InteractionLogRow
from storage.types import utcnow
from storage.values import stored_size
from tests.conftest import BACKENDS
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


def _row(instance_id: uuid.UUID, uow_id: uuid.UUID | None, details: Any) -> dict[str, Any]:
    return {
        "instance_id": instance_id,
        "uow_id": uow_id,
        "actor_id": None,
        "role_id": None,
        "interaction_id": None,
        "timestamp": utcnow(),
        "log_type": LogType.TELEMETRY,
        "event_details": details,
        "error_metadata": None if next(SERIAL) % 2 else {"n": 1},
    }


async def _stored_after(tiers: Tiers, log_id: int) -> list[tuple[str | None, ...]]:
    """The rows written after `log_id`, as the database holds them (JSON as its text)."""

    def read(connection: Connection) -> list[tuple[str | None, ...]]:
        columns = [type_coerce(column, Text) for column in COLUMNS]
        rows = connection.execute(
            select(*columns).where(LOGS.c.log_id > log_id).order_by(LOGS.c.log_id)
        )
        return [tuple(None if value is None else str(value) for value in row) for row in rows]

    return await tiers.instance.write(read)


async def _telemetry_details(tiers: Tiers) -> list[Any]:
    """The details of every TELEMETRY row, in the order written."""
    async with tiers.instance.sessions() as session:
        return list(
            await session.scalars(
                select(InteractionLogRow.event_details)
                .where(InteractionLogRow.log_type == LogType.TELEMETRY)
                .order_by(InteractionLogRow.log_id)
            )
        )


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
    rows = [_row(seeded.instance_id, seeded.uow_id, value) for value in values]
    core = [dict(row) for row in rows]

    def write(connection: Connection) -> None:
        connection.execute(insert(LOGS), core)
        insert_rows(connection, LOGS, rows)

    after = await _last_log_id(tiers)
    await tiers.instance.write(write)
    stored = await _stored_after(tiers, after)
    assert len(stored) == 2 * len(rows)
    assert stored[len(rows) :] == stored[: len(rows)]


async def test_more_values_than_one_sqlite_statement_takes(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    count = SQLITE_MAX_PARAMETERS // len(COLUMNS) + 7
    rows = [_row(seeded.instance_id, None, {"n": n}) for n in range(count)]
    await tiers.instance.write(lambda connection: insert_rows(connection, LOGS, rows))
    assert await _telemetry_details(tiers) == [{"n": n} for n in range(count)]


async def test_rows_with_other_keys_are_refused_and_nothing_is_written(tiers: Tiers) -> None:
    seeded = await seed_uow(tiers)
    rows = [_row(seeded.instance_id, None, {"n": 1}), _row(seeded.instance_id, None, {"n": 2})]
    del rows[1]["role_id"]
    with pytest.raises(ValueError, match="every row needs the keys"):
        await tiers.instance.write(lambda connection: insert_rows(connection, LOGS, rows))
    assert await _telemetry_details(tiers) == []


@pytest.mark.parametrize("db_factory", [p for p in BACKENDS if p.id == "sqlite"], indirect=True)
async def test_a_sqlite_build_with_fewer_parameters_gets_smaller_statements(
    tiers: Tiers, seeded: SeededUow
) -> None:
    """A SQLite built (or set) with a lower SQLITE_MAX_VARIABLE_NUMBER than the default gets
    statements within its own limit."""
    rows = [_row(seeded.instance_id, None, {"n": n}) for n in range(50)]

    def write(connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None
        default = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 11 rows of 9 values
        try:
            insert_rows(connection, LOGS, rows)
        finally:
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, default)

    await tiers.instance.write(write)
    assert await _telemetry_details(tiers) == [{"n": n} for n in range(50)]
