"""Batched transitions per second over HTTP (`transitionUows`, items of 50), with the raw
driver's floor measured beside it in the same run; SQLite and (when reachable) PostgreSQL.

- `sqlite` / `postgres`: 16 clients, each sending batches of 50 realistic items (three
  attributes, a reasoning, `expectedVersion`): one batch moves 50 units PENDING -> ACTIVE,
  the next the same 50 ACTIVE -> COMPLETED.
- `sqlite_driver_floor` / `postgres_driver_floor`: the same transitions on other units,
  their SQL as the service runs it replayed through the plain driver (`tests.bench.
  driver_floor`), one transaction per batch of 50: plain `sqlite3` on one connection,
  asyncpg on 16. Its rounds alternate with the HTTP ones, and every unit of both is checked
  COMPLETED at the end.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir, timed_clients
from tests.bench.data import pending_unit_sets
from tests.bench.driver_floor import (
    STEPS,
    Floor,
    all_completed,
    attributes,
    groups,
    postgres_floor,
    sqlite_floor,
)
from tests.bench.transitions import postgres_figures

ROUNDS = 3
BATCH = 50
UOWS_PER_ROUND = 1_600  # 32 batches of 50 per step: two per client
CLIENTS = 16
MOVE = """mutation($input: TransitionUowsInput!) {
  transitionUows(input: $input) { results { uow { version } errors { code } } errors { code } }
}"""


def _item(uow_id: uuid.UUID, status: str, reasoning: str, version: int) -> dict[str, Any]:
    return {
        "uowId": str(uow_id),
        "toStatus": status,
        "expectedVersion": version,
        "reasoning": reasoning,
        "attributes": attributes(status, version),
    }


async def _drive(url: str, uow_ids: list[uuid.UUID]) -> float:
    """Transitions per second: each client takes a batch of units and moves it twice."""
    queue: asyncio.Queue[list[uuid.UUID]] = asyncio.Queue()
    for batch in groups(uow_ids, BATCH):
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

    elapsed = await timed_clients([client] * CLIENTS, timeout_s=300)
    return len(STEPS) * len(uow_ids) / elapsed


async def _rates(
    urls: Urls, floor_of: Callable[[list[list[uuid.UUID]]], Awaitable[Floor]]
) -> tuple[float, float]:
    """(HTTP, floor) transitions per second: medians of interleaved rounds."""
    # 2 x ROUNDS sets of PENDING units: even ones for HTTP, odd ones for the floor.
    sets = await pending_unit_sets(urls.template, urls.instance, 2 * ROUNDS, UOWS_PER_ROUND)
    floor = await floor_of(sets[1::2])
    http, floors = [], []
    with server(urls) as running:
        for n in range(ROUNDS):
            http.append(await _drive(running.http_url, sets[2 * n]))
            floors.append(await floor.rate(n))
    await all_completed(urls, 2 * ROUNDS * UOWS_PER_ROUND)
    return median(http), median(floors)


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        sqlite, sqlite_floor_rate = await _rates(
            urls, lambda sets: sqlite_floor(urls, sets, per=BATCH)
        )
    result: dict[str, Any] = {
        "sqlite": round(sqlite, 1),
        "sqlite_driver_floor": round(sqlite_floor_rate, 1),
        "postgres": None,
        "postgres_driver_floor": None,
        "items_per_batch": BATCH,
        "clients": CLIENTS,
        "rounds": ROUNDS,
    }

    async def on_postgres(pg_urls: Urls) -> dict[str, Any]:
        postgres, postgres_floor_rate = await _rates(
            pg_urls, lambda sets: postgres_floor(pg_urls, sets, per=BATCH, connections=CLIENTS)
        )
        return {
            "postgres": round(postgres, 1),
            "postgres_driver_floor": round(postgres_floor_rate, 1),
        }

    result |= await postgres_figures(on_postgres)
    return result


if __name__ == "__main__":
    print(asyncio.run(measure()))
