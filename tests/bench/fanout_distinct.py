"""Fan-out to distinct subscriptions: SUBSCRIBERS connections, each subscribed to
`telemetry(instanceId, uowId: <its own unit>)`; each event is a transition of one
subscriber's unit, and the latency is from its commit to its delivery to that subscriber.

No execution is shared here (every subscription has its own variables), and every event
of the instance still wakes every subscription of the instance, which drops the events of
other units: the cost of a bus that is not indexed by unit of work.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.bench.common import Urls, percentile
from tests.bench.subscribers import frozen_garbage, move, registered, subscribe, units

SUBSCRIBERS = 1_000
EVENTS = 200  # one each for the first EVENTS subscribers; the others only filter
EVENTS_PER_S = 20  # paced, so that the figure is the latency of fan-out, not of a backlog
WATCH = """subscription($id: ID!, $uow: ID!) { telemetry(instanceId: $id, uowId: $uow,
  logTypes: [STATE_TRANSITION]) { uowId timestamp transition { newStatus } } }"""


class _Subscribers:
    """Every subscriber's frames with their arrival times, and when all expected arrived."""

    def __init__(self, count: int) -> None:
        self.frames: list[list[tuple[float, str]]] = [[] for _ in range(count)]
        self.delivered = asyncio.Event()
        self.done = asyncio.Event()
        self._received = 0

    async def run(self, url: str, n: int, variables: dict[str, str]) -> None:
        async with await subscribe(url, WATCH, variables) as ws:
            reader = asyncio.create_task(self._read(ws, self.frames[n]))
            await self.done.wait()
            reader.cancel()

    async def _read(self, ws: ClientConnection, frames: list[tuple[float, str]]) -> None:
        while True:
            frame = await ws.recv()
            frames.append((time.time(), str(frame)))  # the arrival first, parsing later
            self._received += 1
            if self._received == EVENTS:
                self.delivered.set()


async def distinct(urls: Urls, port: int, http_url: str, ws_url: str) -> dict[str, Any]:
    instance_id, uow_ids = await units(urls, SUBSCRIBERS)
    subscribers = _Subscribers(SUBSCRIBERS)
    tasks = [
        asyncio.create_task(subscribers.run(ws_url, n, {"id": instance_id, "uow": uow_id}))
        for n, uow_id in enumerate(uow_ids)
    ]
    await registered(port, SUBSCRIBERS)
    async with httpx.AsyncClient(timeout=30) as http, frozen_garbage():
        started = time.perf_counter()
        for n, uow_id in enumerate(uow_ids[:EVENTS]):
            await move(http, http_url, uow_id, "ACTIVE")
            # Paced against the start, so that a slow request does not stretch the rest.
            await asyncio.sleep(max(0.0, started + (n + 1) / EVENTS_PER_S - time.perf_counter()))
        await asyncio.wait_for(subscribers.delivered.wait(), timeout=120)
        subscribers.done.set()
        await asyncio.gather(*tasks)
    latencies = []
    for n, uow_id in enumerate(uow_ids):
        frames = subscribers.frames[n]
        # Its own unit's event if it was sent one, and nothing else.
        assert len(frames) == int(n < EVENTS), (n, frames)
        for arrived, frame in frames:
            event = json.loads(frame)["payload"]["data"]["telemetry"]
            assert event["uowId"] == uow_id, event
            assert event["transition"]["newStatus"] == "ACTIVE", event
            stamp = datetime.fromisoformat(event["timestamp"]).timestamp()
            latencies.append((arrived - stamp) * 1000)
    return {
        "distinct_subscribers": SUBSCRIBERS,
        "distinct_events": EVENTS,
        "distinct_events_per_s": EVENTS_PER_S,
        "distinct_deliveries": len(latencies),
        "distinct_p50_ms": round(percentile(latencies, 0.5), 1),
        "distinct_p99_ms": round(percentile(latencies, 0.99), 1),
    }
