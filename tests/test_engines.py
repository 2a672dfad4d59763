"""Tier.write: the one way a transition reaches the database, on each dialect."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, select, update

from storage.engines import Tiers
from storage.models import InstanceRow
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.services import expense_instance


class RefusedError(Exception):
    pass


def _rename(
    instance_id: uuid.UUID, name: str, *, then_fail: bool = False
) -> Callable[[Connection], str]:
    """A write body that renames the instance and answers the thread it ran on."""

    def body(connection: Connection) -> str:
        connection.execute(
            update(InstanceRow).where(InstanceRow.instance_id == instance_id).values(name=name)
        )
        if then_fail:
            raise RefusedError(name)
        return threading.current_thread().name

    return body


async def _name(tiers: Tiers, instance_id: uuid.UUID) -> str | None:
    async with tiers.instance.sessions() as session:
        return await session.scalar(
            select(InstanceRow.name).where(InstanceRow.instance_id == instance_id)
        )


async def test_a_body_that_raises_writes_nothing(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    with pytest.raises(RefusedError):
        await tiers.instance.write(_rename(instance.instance_id, "Half-written", then_fail=True))
    assert await _name(tiers, instance.instance_id) == instance.name
    await tiers.instance.write(_rename(instance.instance_id, "Renamed"))
    assert await _name(tiers, instance.instance_id) == "Renamed"


async def test_sqlite_writes_run_on_the_writer_thread(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    thread = await tiers.instance.write(_rename(instance.instance_id, "Renamed"))
    if tiers.instance.dialect == "sqlite":
        assert thread.startswith("sqlite-writer")
    else:  # PostgreSQL: on the event loop's thread, through the greenlet bridge
        assert thread == threading.current_thread().name


def _sample(text: str, name: str, **labels: str) -> float:
    return next(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels == labels
    )


async def test_statements_on_the_writer_thread_count_for_their_request(
    client: GraphQLClient,
) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    before = (await client.http.get("/metrics")).text
    await mutate(
        client, TRANSITION, {"input": {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE"}}
    )
    after = (await client.http.get("/metrics")).text
    # The claim, the holding role, the row, history and log; /metrics itself sends no SQL.
    total = "chameleon_sql_statements_total"
    grown = _sample(after, total, tier="instance") - _sample(before, total, tier="instance")
    assert grown >= 5
    per_request = "chameleon_sql_statements_per_request_sum"
    assert _sample(after, per_request) - _sample(before, per_request) >= 5


@pytest.mark.parametrize("db_factory", [p for p in BACKENDS if p.id == "sqlite"], indirect=True)
async def test_a_cancelled_sqlite_write_holds_the_lock_until_its_transaction_ends(
    tiers: Tiers,
) -> None:
    instance = await expense_instance(tiers)
    started, release = threading.Event(), threading.Event()

    def slow(connection: Connection) -> None:
        started.set()
        release.wait(timeout=60)  # held until the test has looked at the lock
        _rename(instance.instance_id, "Late")(connection)

    writing = asyncio.create_task(tiers.instance.write(slow))
    await asyncio.to_thread(started.wait)
    writing.cancel()
    # The cancellation reaches the task at its next step; a few loop iterations let it get
    # from the shielded await to waiting for the body. The body cannot finish meanwhile.
    try:
        for _ in range(5):
            await asyncio.sleep(0)
        assert not writing.done()
        assert tiers.instance.write_lock.locked()  # the body is still running on the thread
    finally:
        release.set()
    with pytest.raises(asyncio.CancelledError):
        await writing
    assert not tiers.instance.write_lock.locked()
    # The thread could not be stopped: its transaction committed.
    assert await _name(tiers, instance.instance_id) == "Late"
