"""Transitions per second over HTTP: concurrent clients, PENDING -> ACTIVE -> COMPLETED on
distinct units of work, one server process; SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy.engine import make_url

from migrations import runner
from storage.engines import Tiers
from storage.enums import UowStatus
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir
from tests.bench.data import bulk_uows, example_instance

ROUNDS = 3
UOWS_PER_ROUND = 500  # two transitions each
CLIENTS = 16
MOVE = """mutation($id: ID!, $to: UowStatus!) {
  transitionUow(input: {uowId: $id, toStatus: $to}) { uow { version } errors { code } }
}"""


async def _drive(url: str, uow_ids: list[uuid.UUID]) -> float:
    """aiohttp rather than httpx: the load generator shares the machine with the server,
    and httpx spent more CPU per request than the server did (55-75 % of a core against
    aiohttp's 15 % at the same rate)."""
    queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
    for uow_id in uow_ids:
        queue.put_nowait(uow_id)

    async def client(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            uow_id = queue.get_nowait()
            for status in ("ACTIVE", "COMPLETED"):
                variables = {"id": str(uow_id), "to": status}
                async with http.post(url, json={"query": MOVE, "variables": variables}) as response:
                    errors = (await response.json())["data"]["transitionUow"]["errors"]
                assert errors == [], errors

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return 2 * len(uow_ids) / elapsed


async def _rate(urls: Urls) -> float:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(
            tiers,
            instance_id,
            uows=ROUNDS * UOWS_PER_ROUND,
            history_per_uow=1,
            status=UowStatus.PENDING,
        )
    finally:
        await tiers.dispose()
    with server(urls) as running:
        # The median of a few rounds on one server: a shared machine is noisy.
        rounds = [uow_ids[n * UOWS_PER_ROUND : (n + 1) * UOWS_PER_ROUND] for n in range(ROUNDS)]
        return median([await _drive(running.http_url, ids) for ids in rounds])


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


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        sqlite = await _rate(fresh_sqlite(root))
    postgres: float | None = None
    note = None
    url = postgres_server_url()
    if url is None:
        note = "no PostgreSQL: set CHAMELEON_BENCH_POSTGRES_URL"
    else:
        try:
            async with postgres_tiers(url) as urls:
                postgres = await _rate(urls)
        except (OSError, asyncpg.PostgresError) as error:
            note = f"PostgreSQL unreachable: {error}"
    result: dict[str, Any] = {
        "sqlite": round(sqlite, 1),
        "postgres": None if postgres is None else round(postgres, 1),
        "clients": CLIENTS,
        "rounds": ROUNDS,
    }
    if note:
        result["note"] = note
    return result


if __name__ == "__main__":
    print(asyncio.run(measure()))
