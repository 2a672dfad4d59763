"""Fan-out: many graphql-transport-ws subscribers on one server process; latency from the
commit of a transition to its delivery (same machine, same clock). Two cases, each on its
own fresh server:

- `identical_*`, the best case: every subscriber sends the same document with the same
  variables, so the server executes each event once and sends one encoded frame to all;
- `distinct_*` (`tests/bench/fanout_distinct.py`): each subscriber watches its own unit of
  work, and each event is for one of them: DISTINCT subscribers, 200 events at 20 per second;
- `distinct_10k_*`: the same with DISTINCT_LARGE subscribers (10,000 by default; set
  CHAMELEON_BENCH_DISTINCT_LARGE to another number, 0 to skip it), 1,000 transitions at 200
  per second, then 1,000 `recordTelemetry` entries at 200 per second (`distinct_10k_telemetry_*`,
  a cheaper producer), and the time it took to connect and subscribe them all.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from tests.bench import fanout_distinct
from tests.bench.common import Urls, fresh_sqlite, percentile, server, temporary_dir
from tests.bench.subscribers import (
    Countdown,
    frozen_garbage,
    move,
    registered,
    subscribe,
    units,
)
from tests.live_server import LocalEndpoint

SUBSCRIBERS = 1_000
EVENTS = 10
DISTINCT = 1_000
DISTINCT_LARGE = int(os.environ.get("CHAMELEON_BENCH_DISTINCT_LARGE", "10000"))
WATCH = """subscription($id: ID!) { uowTransitions(instanceId: $id) { newStatus
  transitionTimestamp reasoning } }"""
MEASURED = "measured"  # the reasoning of the measured transitions, told apart by substring


async def _identical_subscriber(
    url: str,
    instance_id: str,
    ready: Countdown,
    received: Countdown,
    latencies: list[float],
) -> None:
    async with await subscribe(url, WATCH, {"id": instance_id}) as ws:
        # Note the arrival time first; parse and close only once every subscriber has had
        # every event, so that the load generator's own work (JSON, closing handshakes)
        # does not delay the frames still on their way to the others. A substring tells
        # the measured transitions' frames from the warm-up's.
        frames: list[tuple[float, str]] = []
        warm = False
        while len(frames) < EVENTS:
            frame = str(await ws.recv())
            arrived = time.time()
            if MEASURED in frame:
                frames.append((arrived, frame))
            elif not warm:
                warm = True
                ready.count_down()
        received.count_down()
        await received.wait()
        for arrived, frame in frames:
            message = json.loads(frame)
            stamp = message["payload"]["data"]["uowTransitions"]["transitionTimestamp"]
            latencies.append((arrived - datetime.fromisoformat(stamp).timestamp()) * 1000)


async def identical(urls: Urls, endpoint: LocalEndpoint) -> dict[str, Any]:
    """The best case: one shared execution and one frame per event for all subscribers.

    Shared subscriptions count once in /metrics, so readiness is observed instead: warm-up
    transitions until every subscriber has had one."""
    instance_id, (uow_id,) = await units(urls, 1)
    ready, received, latencies = Countdown(SUBSCRIBERS), Countdown(SUBSCRIBERS), []
    tasks = [
        asyncio.create_task(
            _identical_subscriber(endpoint.ws_url, instance_id, ready, received, latencies)
        )
        for _ in range(SUBSCRIBERS)
    ]
    await registered(endpoint.port, 1)
    statuses = itertools.cycle(["ACTIVE", "PENDING"])
    async with httpx.AsyncClient(timeout=30) as http, frozen_garbage():
        for _ in range(240):
            await move(http, endpoint.http_url, uow_id, next(statuses), reasoning="warm-up")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), timeout=0.5)
                break
        else:
            raise AssertionError("the subscribers never all received a warm-up event")
        for _ in range(EVENTS):
            await asyncio.sleep(0.5)
            await move(http, endpoint.http_url, uow_id, next(statuses), reasoning=MEASURED)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    return {
        "identical_subscribers": SUBSCRIBERS,
        "identical_events": EVENTS,
        "identical_deliveries": len(latencies),
        "identical_p50_ms": round(percentile(latencies, 0.5), 1),
        "identical_p99_ms": round(percentile(latencies, 0.99), 1),
    }


async def measure() -> dict[str, Any]:
    results: dict[str, Any] = {}
    cases: list[Callable[..., Awaitable[dict[str, Any]]]] = [
        identical,
        functools.partial(fanout_distinct.distinct, subscribers=DISTINCT),
    ]
    if DISTINCT_LARGE:
        large = functools.partial(
            fanout_distinct.distinct,
            subscribers=DISTINCT_LARGE,
            events=1_000,
            events_per_s=200,
            telemetry=True,
            label="distinct_10k" if DISTINCT_LARGE == 10_000 else f"distinct_{DISTINCT_LARGE}",
        )
        cases.append(large)
    for case in cases:
        with temporary_dir() as root:
            urls = fresh_sqlite(root)
            with server(urls) as running:
                results |= await case(urls, running)
    return results


if __name__ == "__main__":
    print(asyncio.run(measure()))
