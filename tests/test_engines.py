"""Tier.write: the one way a transition reaches the database, on each dialect."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, event, select, update

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


SQLITE_ONLY = pytest.mark.parametrize(
    "db_factory", [p for p in BACKENDS if p.id == "sqlite"], indirect=True
)


async def _hold_writer(
    tiers: Tiers, instance_id: uuid.UUID
) -> tuple[asyncio.Task[str], threading.Event]:
    """A write that holds the writer thread until `release` is set (so that others queue
    behind it), then renames the instance "Blocker"; it has started when this returns."""
    started, release = threading.Event(), threading.Event()

    def body(connection: Connection) -> str:
        started.set()
        release.wait(timeout=30)
        return _rename(instance_id, "Blocker")(connection)

    writing = asyncio.create_task(tiers.instance.write(body))
    await asyncio.to_thread(started.wait)
    return writing, release


async def _queued(tiers: Tiers, count: int) -> None:
    """Waits until `count` writes wait in the writer thread's queue (bounded: a hang fails)."""
    jobs = tiers.instance._sqlite_writer()._jobs
    for _ in range(3_000):
        if jobs.qsize() >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{jobs.qsize()} of {count} writes queued")


@SQLITE_ONLY
async def test_group_commit_answers_each_writer_with_its_own_outcome(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    first, release = await _hold_writer(tiers, instance.instance_id)

    commits: list[int] = []
    event.listen(tiers.instance._sqlite_writer().engine, "commit", lambda _: commits.append(1))
    plan = [("A", False), ("B", True), ("C", False), ("D", True)]
    queued = [
        asyncio.create_task(tiers.instance.write(_rename(instance.instance_id, n, then_fail=f)))
        for n, f in plan
    ]
    await _queued(tiers, len(plan))  # all four are queued behind the blocker
    release.set()
    await first
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    # One commit for the blocker, one for the four (each in its own savepoint): B and D
    # are answered alone and roll back alone.
    assert len(commits) == 2
    assert isinstance(outcomes[0], str)
    assert isinstance(outcomes[2], str)
    assert isinstance(outcomes[1], RefusedError)
    assert isinstance(outcomes[3], RefusedError)
    assert await _name(tiers, instance.instance_id) == "C"


@SQLITE_ONLY
async def test_a_write_cancelled_before_it_started_writes_nothing(tiers: Tiers) -> None:
    instance = await expense_instance(tiers)
    first, release = await _hold_writer(tiers, instance.instance_id)
    waiting = asyncio.create_task(tiers.instance.write(_rename(instance.instance_id, "Never")))
    await _queued(tiers, 1)
    waiting.cancel()
    release.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await tiers.instance.write(lambda connection: None)  # the queue has moved past it
    assert await _name(tiers, instance.instance_id) == "Blocker"


@SQLITE_ONLY
async def test_a_started_write_runs_to_its_commit_when_its_caller_is_cancelled(
    tiers: Tiers,
) -> None:
    instance = await expense_instance(tiers)
    writing, release = await _hold_writer(tiers, instance.instance_id)
    writing.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await tiers.instance.write(lambda connection: None)
    # The thread could not be stopped: its transaction committed.
    assert await _name(tiers, instance.instance_id) == "Blocker"


@SQLITE_ONLY
async def test_orm_writers_pause_the_writer_thread(tiers: Tiers) -> None:
    """An ORM write (imports, actors) and the writer thread never hold SQLite's lock
    together: the thread waits between two transactions until the ORM write is done."""
    instance = await expense_instance(tiers)
    async with tiers.instance.writing() as session:
        queued = asyncio.create_task(tiers.instance.write(_rename(instance.instance_id, "Late")))
        await asyncio.sleep(0.05)
        assert not queued.done()
        row = await session.get(InstanceRow, instance.instance_id)
        assert row is not None
        row.name = "First"
    await queued
    assert await _name(tiers, instance.instance_id) == "Late"
