"""The raw driver's floor of the transition benchmarks: the SQL the server runs for a round of
realistic transitions, replayed through the plain driver in the same run.

The transition service is run once, in this process, on a scratch copy of the benchmark
database taken before any round, with every statement the driver receives recorded (SQL
text and values, SAVEPOINTs included). `per` transitions make one transaction, as in the
server: one is `transitionUow` (`transition_uow`, no SAVEPOINT), more is `transitionUows`
(`transition_many`, a SAVEPOINT each). The replay runs those statements on the benchmark
database, one transaction at a time as recorded: plain `sqlite3` with the project's PRAGMAs
on one connection (SQLite has one writer), asyncpg with as many connections as the HTTP
benchmark has clients on PostgreSQL. `all_completed` then checks that the replay did the
work it claims. The gap between the HTTP figure and the floor is what HTTP, GraphQL,
validation, Python-side hashing and the server's scheduling cost, not SQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine, make_url

from storage.engines import SQLITE_PRAGMAS, Tier, Tiers
from storage.enums import UowStatus
from storage.models import UnitOfWorkRow
from storage.runtime.transitions import TransitionSpec, transition_many, transition_uow
from tests.bench.common import Urls

# Each unit moves PENDING -> ACTIVE -> COMPLETED, one step after the other.
STEPS = (("ACTIVE", "picked up by the reviewer"), ("COMPLETED", "amount and receipt match"))
# One transaction as the driver saw it: (SQL, values) in order, without BEGIN and COMMIT.
Calls = list[tuple[str, list[Any]]]
# A group of `per` units: one transaction per step, in order.
Group = list[Calls]


def attributes(status: str, version: int) -> dict[str, Any]:
    """The three attributes a realistic transition sets (a client reading `version`)."""
    return {"reviewer": f"agent-{version}", "score": 0.87, "checked": status == "COMPLETED"}


def groups(uow_ids: list[uuid.UUID], per: int) -> list[list[uuid.UUID]]:
    """`uow_ids` cut into the groups of `per` units that move together."""
    return [uow_ids[n : n + per] for n in range(0, len(uow_ids), per)]


@dataclass(frozen=True)
class Floor:
    """The recorded rounds of one database and the plain driver that replays them."""

    per: int
    rounds: list[list[Group]]
    # Seconds the driver took to run a round's groups.
    replay: Callable[[list[Group]], Awaitable[float]]

    async def rate(self, n: int) -> float:
        """Transitions per second of round `n`."""
        transactions = sum(len(group) for group in self.rounds[n])
        return self.per * transactions / await self.replay(self.rounds[n])


def _arguments(uow_id: uuid.UUID, step: int) -> dict[str, Any]:
    """One realistic step of one unit, as the transition service takes it."""
    status, reasoning = STEPS[step]
    return {
        "uow_id": uow_id,
        "to_status": UowStatus(status),
        "reasoning": reasoning,
        "expected_version": step + 1,  # the generated units start at version 1
        "attributes": attributes(status, step + 1),
    }


async def _apply(tier: Tier, group: list[uuid.UUID], step: int, per: int) -> None:
    """The step of `group` through the service of the mutation the server would run."""
    if per == 1:
        (uow_id,) = group
        await transition_uow(tier, **_arguments(uow_id, step))
        return
    specs = [TransitionSpec(**_arguments(uow_id, step)) for uow_id in group]
    outcomes = await transition_many(tier, specs)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes


async def _record(url: str, unit_sets: list[list[uuid.UUID]], per: int) -> list[list[Group]]:
    """The driver calls of every transaction of every round, recorded while the service
    applies them to a copy of the database (`url`)."""
    tiers = Tiers.open(url, url)
    calls: Calls = []

    def listen(engine: Engine) -> None:
        def seen(_c: Any, _cursor: Any, sql: str, values: Any, _x: Any, many: bool) -> None:
            assert not many, "an executemany would need its own replay"
            calls.append((sql, list(values or ())))

        event.listen(engine, "before_cursor_execute", seen)

    tiers.instance.watch_engines(listen)
    recorded: list[list[Group]] = []
    try:
        for uow_ids in unit_sets:
            # `Floor.rate` counts `per` transitions in every transaction.
            assert len(uow_ids) % per == 0, f"{len(uow_ids)} units in groups of {per}"
            round_: list[Group] = []
            for group in groups(uow_ids, per):
                transactions: Group = []
                for step in range(len(STEPS)):
                    calls.clear()
                    await _apply(tiers.instance, group, step, per)
                    # The transaction is the replay's own: BEGIN and COMMIT are added there.
                    transactions.append([c for c in calls if not c[0].startswith("BEGIN")])
                round_.append(transactions)
            recorded.append(round_)
    finally:
        await tiers.dispose()
    return recorded


def _sqlite_replay(path: str, round_: list[Group]) -> float:
    """One plain sqlite3 connection, the transactions one after the other."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (*SQLITE_PRAGMAS, "PRAGMA busy_timeout=10000"):
            connection.execute(pragma)
        started = time.perf_counter()
        for group in round_:
            for transaction in group:
                connection.execute("BEGIN IMMEDIATE")
                for sql, values in transaction:
                    connection.execute(sql, values).fetchall()
                connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


async def _postgres_replay(url: str, connections: int, round_: list[Group]) -> float:
    """`connections` asyncpg connections, each taking a group and running its transactions
    in order (a unit's second step waits for its first, as the HTTP clients do)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    opened = [await asyncpg.connect(dsn) for _ in range(connections)]
    queue: asyncio.Queue[Group] = asyncio.Queue()
    for group in round_:
        queue.put_nowait(group)

    async def client(connection: asyncpg.Connection) -> None:
        while not queue.empty():
            for transaction in queue.get_nowait():
                async with connection.transaction():
                    for sql, values in transaction:
                        await connection.fetch(sql, *values)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in opened))
        return time.perf_counter() - started
    finally:
        for connection in opened:
            await connection.close()


async def sqlite_floor(urls: Urls, unit_sets: list[list[uuid.UUID]], *, per: int) -> Floor:
    """The floor of rounds `unit_sets` on a SQLite file, recorded on a copy beside it; call
    before the server starts."""
    path = Path(str(make_url(urls.instance).database))
    scratch = path.with_name(f"{path.stem}-floor-scratch.db")
    source, target = sqlite3.connect(path), sqlite3.connect(scratch)
    try:
        source.backup(target)  # the WAL's pages included
    finally:
        source.close()
        target.close()
    rounds = await _record(f"sqlite+aiosqlite:///{scratch}", unit_sets, per)

    async def replay(round_: list[Group]) -> float:
        return _sqlite_replay(str(path), round_)

    return Floor(per, rounds, replay)


async def postgres_floor(
    urls: Urls, unit_sets: list[list[uuid.UUID]], *, per: int, connections: int
) -> Floor:
    """The floor of rounds `unit_sets` on PostgreSQL, recorded on a template copy of the
    instance database (dropped afterwards); call before the server starts: a template copy
    needs its source idle."""
    instance = make_url(urls.instance)
    scratch = f"{instance.database}_scratch"
    admin_dsn = instance.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{scratch}" TEMPLATE "{instance.database}"')
        scratch_url = instance.set(database=scratch).render_as_string(hide_password=False)
        rounds = await _record(scratch_url, unit_sets, per)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()

    async def replay(round_: list[Group]) -> float:
        return await _postgres_replay(urls.instance, connections, round_)

    return Floor(per, rounds, replay)


async def all_completed(urls: Urls, expected: int) -> None:
    """The rounds did the work they claim: `expected` units, HTTP's and the replay's, are
    COMPLETED at version 3 (they were generated PENDING at version 1)."""
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
