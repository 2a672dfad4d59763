"""Transitions per second over HTTP (`transitionUow`, one unit per request), with the raw
driver's floor measured beside it in the same run; SQLite and (when reachable) PostgreSQL.

16 clients move distinct units of work PENDING -> ACTIVE -> COMPLETED on one server
process. Three cases, their rounds interleaved:

- `sqlite` / `postgres`, the realistic case: each transition carries three attributes, a
  reasoning and the `expectedVersion` the client read from the previous answer;
- `sqlite_driver_floor` / `postgres_driver_floor`: the same realistic transitions on other
  units, their SQL as the service runs it replayed through the plain driver
  (`tests.bench.driver_floor`), one transition per transaction as one `transitionUow` is:
  plain `sqlite3` on one connection, asyncpg on 16. (On SQLite the server may commit the
  transitions of concurrent requests together; the floor commits each on its own.)
- `bare_sqlite` / `bare_postgres`: a status change alone (no attributes, no reasoning, no
  version guard), the cheapest transition there is.

Every unit of the three cases is checked COMPLETED at version 3 at the end.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from migrations import runner
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir, timed_clients
from tests.bench.data import pending_unit_sets
from tests.bench.driver_floor import (
    STEPS,
    Floor,
    all_completed,
    attributes,
    postgres_floor,
    sqlite_floor,
)

ROUNDS = 3
UOWS_PER_ROUND = 500  # two transitions each
CLIENTS = 16
BARE = """mutation($id: ID!, $to: UowStatus!) {
  transitionUow(input: {uowId: $id, toStatus: $to}) { uow { version } errors { code } }
}"""
MOVE = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { version } errors { code } }
}"""
# A request body for one step of one unit: (unit, status, reasoning, expected version).
Body = Callable[[uuid.UUID, str, str, int], dict[str, Any]]


def _bare(uow_id: uuid.UUID, status: str, reasoning: str, version: int) -> dict[str, Any]:
    return {"query": BARE, "variables": {"id": str(uow_id), "to": status}}


def _realistic(uow_id: uuid.UUID, status: str, reasoning: str, version: int) -> dict[str, Any]:
    move = {
        "uowId": str(uow_id),
        "toStatus": status,
        "expectedVersion": version,
        "reasoning": reasoning,
        "attributes": attributes(status, version),
    }
    return {"query": MOVE, "variables": {"input": move}}


async def _drive(url: str, uow_ids: list[uuid.UUID], body: Body) -> float:
    """Transitions per second: each client takes a unit and moves it twice."""
    queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
    for uow_id in uow_ids:
        queue.put_nowait(uow_id)

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            uow_id = queue.get_nowait()
            version = 1  # what the generated units start at (one history row each)
            for status, reasoning in STEPS:
                async with http.post(
                    url, json=body(uow_id, status, reasoning, version)
                ) as response:
                    answer = (await response.json())["data"]["transitionUow"]
                assert answer["errors"] == [], answer["errors"]
                assert answer["uow"]["version"] == version + 1, answer
                version = answer["uow"]["version"]

    elapsed = await timed_clients([client] * CLIENTS, timeout_s=60)
    return len(STEPS) * len(uow_ids) / elapsed


async def _rates(
    urls: Urls, floor_of: Callable[[list[list[uuid.UUID]]], Awaitable[Floor]]
) -> tuple[float, float, float]:
    """(realistic, floor, bare) transitions per second: medians of interleaved rounds."""
    sets = await pending_unit_sets(urls.template, urls.instance, 3 * ROUNDS, UOWS_PER_ROUND)
    realistic_sets, floor_sets, bare_sets = sets[0::3], sets[1::3], sets[2::3]
    floor = await floor_of(floor_sets)
    realistic, floors, bare = [], [], []
    with server(urls) as running:
        # The median of a few rounds on one server: a shared machine is noisy.
        for n in range(ROUNDS):
            realistic.append(await _drive(running.http_url, realistic_sets[n], _realistic))
            floors.append(await floor.rate(n))
            bare.append(await _drive(running.http_url, bare_sets[n], _bare))
    await all_completed(urls, 3 * ROUNDS * UOWS_PER_ROUND)
    return median(realistic), median(floors), median(bare)


@asynccontextmanager
async def postgres_tiers(server_url: str) -> AsyncIterator[Urls]:
    """Two fresh, migrated databases on the server; dropped afterwards."""
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    names = [f"chameleon_bench_{uuid.uuid4().hex[:8]}_{tier}" for tier in ("tpl", "ins")]
    admin = await asyncpg.connect(dsn)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        urls = Urls(
            *(
                make_url(server_url).set(database=name).render_as_string(hide_password=False)
                for name in names
            )
        )
        runner.upgrade_all(urls.template, urls.instance)
        yield urls
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def postgres_server_url() -> str | None:
    return os.environ.get("CHAMELEON_BENCH_POSTGRES_URL") or os.environ.get(
        "CHAMELEON_TEST_POSTGRES_URL"
    )


async def postgres_figures(
    figures: Callable[[Urls], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """What `figures` measures on fresh PostgreSQL tiers, or a `note` saying why nothing was
    measured there (no server named, or none reachable): the benchmarks' PostgreSQL half."""
    url = postgres_server_url()
    if url is None:
        return {"note": "no PostgreSQL: set CHAMELEON_BENCH_POSTGRES_URL"}
    try:
        async with postgres_tiers(url) as urls:
            return await figures(urls)
    except (OSError, asyncpg.PostgresError) as error:
        return {"note": f"PostgreSQL unreachable: {error}"}


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        sqlite = await _rates(urls, lambda sets: sqlite_floor(urls, sets, per=1))

    async def on_postgres(pg_urls: Urls) -> dict[str, Any]:
        postgres = await _rates(
            pg_urls, lambda sets: postgres_floor(pg_urls, sets, per=1, connections=CLIENTS)
        )
        return {
            "postgres": _rounded(postgres[0]),
            "postgres_driver_floor": _rounded(postgres[1]),
            "bare_postgres": _rounded(postgres[2]),
        }

    # None where PostgreSQL was not measured; `note` then says why.
    result: dict[str, Any] = {
        "sqlite": _rounded(sqlite[0]),
        "sqlite_driver_floor": _rounded(sqlite[1]),
        "postgres": None,
        "postgres_driver_floor": None,
        "bare_sqlite": _rounded(sqlite[2]),
        "bare_postgres": None,
        "clients": CLIENTS,
        "rounds": ROUNDS,
    }
    result |= await postgres_figures(on_postgres)
    return result


def _rounded(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 1)


if __name__ == "__main__":
    print(asyncio.run(measure()))
