"""Batched transitions per second over HTTP (`transitionUows`, items of 50), with the raw
driver's floor measured beside it in the same run; SQLite and (when reachable) PostgreSQL.

HTTP: 16 clients, each sending batches of 50 realistic items (three attributes, a
reasoning, `expectedVersion`): one batch moves 50 units PENDING -> ACTIVE, the next the
same 50 ACTIVE -> COMPLETED.

The floor is the very same driver work without the server: the transition service is run
once, in this process, on a copy of the database taken before any round, with every
statement the driver receives recorded (SQL text and values, SAVEPOINTs included). The
floor replays those statements on the benchmark database through the plain driver
(`sqlite3` with the project's PRAGMAs, one connection, as SQLite has one writer; asyncpg
with 16 connections on PostgreSQL), one transaction per batch of 50. So the gap between
the two figures is what HTTP, GraphQL, validation, Python-side hashing and the server's
scheduling cost, not SQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine, make_url

from storage.engines import SQLITE_PRAGMAS, Tiers
from storage.enums import UowStatus
from storage.models import UnitOfWorkRow
from storage.runtime.transitions import TransitionSpec, transition_many
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir
from tests.bench.data import pending_unit_sets
from tests.bench.transitions import postgres_server_url, postgres_tiers

ROUNDS = 3
BATCH = 50
UOWS_PER_ROUND = 1_600  # 32 batches of 50 per step: two per client
CLIENTS = 16
MOVE = """mutation($input: TransitionUowsInput!) {
  transitionUows(input: $input) { results { uow { version } errors { code } } errors { code } }
}"""
STEPS = (("ACTIVE", "picked up by the reviewer"), ("COMPLETED", "amount and receipt match"))
# One batch as the driver saw it: (SQL, values) in order.
Calls = list[tuple[str, list[Any]]]


def _item(uow_id: uuid.UUID, status: str, reasoning: str, version: int) -> dict[str, Any]:
    return {
        "uowId": str(uow_id),
        "toStatus": status,
        "expectedVersion": version,
        "reasoning": reasoning,
        "attributes": {
            "reviewer": f"agent-{version}",
            "score": 0.87,
            "checked": status == "COMPLETED",
        },
    }


def _batches(uow_ids: list[uuid.UUID]) -> list[list[uuid.UUID]]:
    return [uow_ids[n : n + BATCH] for n in range(0, len(uow_ids), BATCH)]


async def _drive(url: str, uow_ids: list[uuid.UUID]) -> float:
    """Transitions per second: each client takes a batch of units and moves it twice."""
    queue: asyncio.Queue[list[uuid.UUID]] = asyncio.Queue()
    for batch in _batches(uow_ids):
        queue.put_nowait(batch)

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            version = 1  # what the generated units start at
            for status, reasoning in STEPS:
                items = [_item(uow_id, status, reasoning, version) for uow_id in batch]
                body = {"query": MOVE, "variables": {"input": {"items": items}}}
                async with http.post(url, json=body) as response:
                    answer = (await response.json())["data"]["transitionUows"]
                assert answer["errors"] == [], answer["errors"]
                for result in answer["results"]:
                    assert result["errors"] == [], result["errors"]
                    assert result["uow"]["version"] == version + 1, result
                version += 1

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return len(STEPS) * len(uow_ids) / elapsed


def _specs(batch: list[uuid.UUID], status: str, reasoning: str, version: int) -> list[Any]:
    return [
        TransitionSpec(
            uow_id=uow_id,
            to_status=UowStatus(status),
            reasoning=reasoning,
            expected_version=version,
            attributes=_item(uow_id, status, reasoning, version)["attributes"],
        )
        for uow_id in batch
    ]


async def _record(url: str, rounds: list[list[uuid.UUID]]) -> list[list[Calls]]:
    """The driver calls of every batch of every floor round, recorded while the service
    applies them to a copy of the database (`url`)."""
    tiers = Tiers.open(url, url)
    calls: Calls = []

    def listen(engine: Engine) -> None:
        def seen(_c: Any, _cursor: Any, sql: str, values: Any, _x: Any, many: bool) -> None:
            assert not many, "an executemany would need its own replay"
            calls.append((sql, list(values or ())))

        event.listen(engine, "before_cursor_execute", seen)

    tiers.instance.watch_engines(listen)
    recorded: list[list[Calls]] = []
    try:
        for uow_ids in rounds:
            batches: list[Calls] = []
            for batch in _batches(uow_ids):
                for version, (status, reasoning) in enumerate(STEPS, start=1):
                    calls.clear()
                    outcomes = await transition_many(
                        tiers.instance, _specs(batch, status, reasoning, version)
                    )
                    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
                    # The transaction is the replay's own: BEGIN and COMMIT are added there.
                    batches.append([c for c in calls if not c[0].startswith("BEGIN")])
            recorded.append(batches)
    finally:
        await tiers.dispose()
    return recorded


def _sqlite_floor(path: str, batches: list[Calls]) -> float:
    """Replay on one plain sqlite3 connection, one transaction per batch."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (*SQLITE_PRAGMAS, "PRAGMA busy_timeout=10000"):
            connection.execute(pragma)
        started = time.perf_counter()
        for batch in batches:
            connection.execute("BEGIN IMMEDIATE")
            for sql, values in batch:
                connection.execute(sql, values).fetchall()
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return BATCH * len(batches) / elapsed


async def _postgres_floor(url: str, batches: list[Calls]) -> float:
    """Replay on 16 asyncpg connections, one transaction per batch; a unit's second batch
    waits for its first (the clients of the HTTP figure do the same)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connections = [await asyncpg.connect(dsn) for _ in range(CLIENTS)]
    pairs: asyncio.Queue[tuple[Calls, Calls]] = asyncio.Queue()
    for n in range(0, len(batches), len(STEPS)):
        pairs.put_nowait((batches[n], batches[n + 1]))

    async def client(connection: asyncpg.Connection) -> None:
        while not pairs.empty():
            for batch in pairs.get_nowait():
                async with connection.transaction():
                    for sql, values in batch:
                        await connection.fetch(sql, *values)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in connections))
        elapsed = time.perf_counter() - started
    finally:
        for connection in connections:
            await connection.close()
    return BATCH * len(batches) / elapsed


async def _units(urls: Urls) -> list[list[uuid.UUID]]:
    """2 x ROUNDS sets of PENDING units: even ones for HTTP, odd ones for the floor."""
    return await pending_unit_sets(urls.template, urls.instance, 2 * ROUNDS, UOWS_PER_ROUND)


async def _rates(
    urls: Urls, copy: Callable[[], Any], floor: Callable[[list[Calls]], Any]
) -> tuple[float, float]:
    """(HTTP, floor) transitions per second: medians of interleaved rounds."""
    sets = await _units(urls)
    scratch = await copy()
    recorded = await _record(scratch, sets[1::2])
    http, floors = [], []
    with server(urls) as running:
        for n in range(ROUNDS):
            http.append(await _drive(running.http_url, sets[2 * n]))
            rate = floor(recorded[n])
            floors.append(await rate if asyncio.iscoroutine(rate) else rate)
    await _all_completed(urls, 2 * ROUNDS * UOWS_PER_ROUND)
    return median(http), median(floors)


async def _all_completed(urls: Urls, expected: int) -> None:
    """The floor did the work it claims: every unit, HTTP's and the replay's, COMPLETED at
    version 3."""
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        async with tiers.instance.sessions() as session:
            done = await session.scalar(
                select(func.count()).where(
                    UnitOfWorkRow.status == UowStatus.COMPLETED, UnitOfWorkRow.version == 3
                )
            )
    finally:
        await tiers.dispose()
    assert done == expected, f"{done} of {expected} units completed"


async def _sqlite(root: Path) -> tuple[float, float]:
    urls = fresh_sqlite(root)
    path = str(make_url(urls.instance).database)

    async def copy() -> str:
        source, target = sqlite3.connect(path), sqlite3.connect(root / "scratch.db")
        try:
            source.backup(target)  # the WAL's pages included
        finally:
            source.close()
            target.close()
        return f"sqlite+aiosqlite:///{root / 'scratch.db'}"

    return await _rates(urls, copy, lambda batches: _sqlite_floor(path, batches))


async def _postgres(server_url: str) -> tuple[float, float]:
    async with postgres_tiers(server_url) as urls:
        instance = make_url(urls.instance)
        scratch = f"{instance.database}_scratch"
        admin_dsn = instance.set(drivername="postgresql", database="postgres")
        admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))

        async def copy() -> str:
            # A template copy needs the source idle: the data set's engines are disposed.
            await admin.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{instance.database}"')
            return instance.set(database=scratch).render_as_string(hide_password=False)

        try:
            return await _rates(urls, copy, lambda batches: _postgres_floor(urls.instance, batches))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            await admin.close()


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        sqlite, sqlite_floor = await _sqlite(root)
    result: dict[str, Any] = {
        "sqlite": round(sqlite, 1),
        "sqlite_driver_floor": round(sqlite_floor, 1),
        "postgres": None,
        "postgres_driver_floor": None,
        "items_per_batch": BATCH,
        "clients": CLIENTS,
        "rounds": ROUNDS,
    }
    url = postgres_server_url()
    if url is None:
        result["note"] = "no PostgreSQL: set CHAMELEON_BENCH_POSTGRES_URL"
        return result
    try:
        postgres, postgres_floor = await _postgres(url)
    except (OSError, asyncpg.PostgresError) as error:
        result["note"] = f"PostgreSQL unreachable: {error}"
        return result
    result["postgres"], result["postgres_driver_floor"] = (
        round(postgres, 1),
        round(postgres_floor, 1),
    )
    return result


if __name__ == "__main__":
    print(asyncio.run(measure()))
