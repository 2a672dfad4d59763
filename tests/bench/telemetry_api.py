"""`recordTelemetry` per second over HTTP: what a client can record, not what the buffer takes.

Each request goes the whole API path (HTTP, GraphQL execution, the id checks, the buffer,
the publication to the event bus) against `chameleon serve` on SQLite. The figure counts
accepted entries only, and the benchmark fails unless every accepted entry is in
Interaction_Logs once the server has stopped (SIGTERM drains the buffer).

Its baseline, in the same run on the same server with the same load generator, is the
cheapest mutation there is (`mutation { __typename }`): the floor of GraphQL over HTTP in
one process, so the difference between the two is what recording itself costs.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from typing import Any

import aiohttp
from sqlalchemy import func, select

from storage.engines import Tiers
from storage.enums import ActorType, LogType
from storage.models import InteractionLogRow
from storage.runtime.actors import register_actor
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir
from tests.bench.data import bulk_uows, example_instance

ROUNDS = 3
REQUESTS_PER_ROUND = 6_000
WARM_UP = 500
CLIENTS = 16
UOWS = 64
ACTORS = 4
RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } } }"""
FLOOR = {"query": "mutation { __typename }"}


async def _population(urls: Urls) -> tuple[uuid.UUID, list[uuid.UUID], list[uuid.UUID]]:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(tiers, instance_id, uows=UOWS, history_per_uow=1)
        actor_ids = [
            (
                await register_actor(
                    tiers.instance,
                    instance_id=instance_id,
                    name=f"agent-{n}",
                    identity_key=f"bench-agent-{n}",
                    type=ActorType.AI_AGENT,
                )
            ).actor_id
            for n in range(ACTORS)
        ]
    finally:
        await tiers.dispose()
    return instance_id, uow_ids, actor_ids


def _payloads(
    instance_id: uuid.UUID, uow_ids: list[uuid.UUID], actor_ids: list[uuid.UUID], count: int
) -> list[dict[str, Any]]:
    """What an agent reports while it works: which unit, who, and a few measurements."""
    units, actors = itertools.cycle(uow_ids), itertools.cycle(actor_ids)
    return [
        {
            "query": RECORD,
            "variables": {
                "input": {
                    "instanceId": str(instance_id),
                    "uowId": str(next(units)),
                    "actorId": str(next(actors)),
                    "logType": "TELEMETRY",
                    "details": {"step": n, "tool": "ocr", "latencyMs": 12.5, "tokens": 431},
                }
            },
        }
        for n in range(count)
    ]


async def _drive(url: str, payloads: list[dict[str, Any]]) -> tuple[float, int, int]:
    """Sends every payload from CLIENTS concurrent clients; answers (accepted per second,
    accepted, refused). aiohttp, as in the transitions benchmark: the load generator shares
    the machine with the server."""
    queue = iter(payloads)
    accepted = refused = 0

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal accepted, refused
        for body in queue:
            async with http.post(url, json=body) as response:
                answer = (await response.json())["data"]
            if body is FLOOR:
                assert answer == {"__typename": "Mutation"}, answer
                accepted += 1
            elif answer["recordTelemetry"]["accepted"]:
                accepted += 1
            else:
                codes = [error["code"] for error in answer["recordTelemetry"]["errors"]]
                assert codes == ["BACKPRESSURE"], answer
                refused += 1

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return accepted / elapsed, accepted, refused


async def _logged(urls: Urls, log_type: LogType) -> int:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        async with tiers.instance.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(InteractionLogRow.log_type == log_type)
            )
    finally:
        await tiers.dispose()
    return int(count or 0)


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        instance_id, uow_ids, actor_ids = await _population(urls)
        before = await _logged(urls, LogType.TELEMETRY)
        rates, floors, accepted, refused = [], [], 0, 0
        with server(urls) as running:
            payloads = _payloads(instance_id, uow_ids, actor_ids, WARM_UP)
            _, warm_accepted, warm_refused = await _drive(running.http_url, payloads)
            accepted, refused = accepted + warm_accepted, refused + warm_refused
            # The median of a few rounds, each beside its floor: a shared machine is noisy.
            for _ in range(ROUNDS):
                payloads = _payloads(instance_id, uow_ids, actor_ids, REQUESTS_PER_ROUND)
                rate, round_accepted, round_refused = await _drive(running.http_url, payloads)
                rates.append(rate)
                accepted, refused = accepted + round_accepted, refused + round_refused
                floor, _, _ = await _drive(running.http_url, [FLOOR] * REQUESTS_PER_ROUND)
                floors.append(floor)
        # The server has stopped (SIGTERM drains the buffer): every accepted entry is a row.
        flushed = await _logged(urls, LogType.TELEMETRY) - before
    assert flushed == accepted, f"{accepted} accepted but {flushed} rows written"
    return {
        "api_record_per_s": round(median(rates)),
        "api_floor_typename_mutation_per_s": round(median(floors)),
        "api_accepted": accepted,
        "api_refused_backpressure": refused,
        "api_rows_flushed": flushed,
        "api_clients": CLIENTS,
    }


if __name__ == "__main__":
    print(asyncio.run(measure()))
