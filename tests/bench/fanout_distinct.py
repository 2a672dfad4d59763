"""Fan-out to distinct subscriptions: `subscribers` connections, each subscribed to
`telemetry(instanceId, uowId: <its own unit>)`; each event is a transition of one
subscriber's unit, and the latency is from its commit to its delivery to that subscriber.

No execution is shared here (every subscription has its own variables); the bus's index
(`gql.fanout`) offers each event to the one subscription of its unit, so the cost of an
event should not grow with the number of subscriptions. Reported per run:

- `<label>_subscribe_s`: from the first connection attempt until the server reports every
  subscription registered (connect, `connection_init`, subscribe; at most GATE handshakes
  in flight, as a listening socket's backlog would otherwise drop connection attempts and
  leave them to the kernel's one-second retries);
- `<label>_events_per_s`: events delivered per second, from the first transition sent to
  the last delivery, with transitions sent at `events_per_s` (a pace, not a ceiling);
- `<label>_p50_ms` / `_p99_ms`: commit-to-delivery at the unit's subscriber;
- with `telemetry=True`, the same three for `recordTelemetry` entries (`<label>_telemetry_*`,
  from acceptance to delivery), sent to the next `events` subscribers' units after the
  transitions: a cheaper producer than a transition, so that the fan-out, not the write
  path, is what limits the rate.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.bench.common import Urls, percentile
from tests.bench.subscribers import frozen_garbage, move, registered, subscribe, units
from tests.live_server import LocalEndpoint

GATE = 1_000  # connection handshakes in flight at once
WATCH = """subscription($id: ID!, $uow: ID!) { telemetry(instanceId: $id, uowId: $uow,
  logTypes: [STATE_TRANSITION, TELEMETRY]) { uowId logType timestamp transition { newStatus } } }"""
RECORD = """mutation($instance: ID!, $uow: ID!) { recordTelemetry(input: {instanceId: $instance,
  uowId: $uow, logType: TELEMETRY, details: {bench: true}}) { accepted errors { code } } }"""


def allow_open_files(count: int) -> None:
    """One process holds a socket per subscriber (and the server, a child, inherits the
    limit): raise the soft limit of open files as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 1_000
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


class _Subscribers:
    """Every subscriber's frames with their arrival times, and when all expected arrived."""

    def __init__(self, count: int) -> None:
        self.frames: list[list[tuple[float, str]]] = [[] for _ in range(count)]
        self.expected = 0  # frames expected in all (raised before each round of events)
        self.delivered = asyncio.Event()
        self.done = asyncio.Event()
        self.gate = asyncio.Semaphore(GATE)
        self.last_arrival = 0.0
        self._received = 0

    async def run(self, url: str, n: int, variables: dict[str, str]) -> None:
        async with self.gate:
            ws = await subscribe(url, WATCH, variables)
        async with ws:
            reader = asyncio.create_task(self._read(ws, self.frames[n]))
            await self.done.wait()
            reader.cancel()

    async def _read(self, ws: ClientConnection, frames: list[tuple[float, str]]) -> None:
        while True:
            frame = await ws.recv()
            arrived = time.time()
            frames.append((arrived, str(frame)))  # the arrival first, parsing later
            self._received += 1
            if self._received == self.expected:
                self.last_arrival = arrived
                self.delivered.set()


async def _record(http: httpx.AsyncClient, url: str, instance_id: str, uow_id: str) -> None:
    variables = {"instance": instance_id, "uow": uow_id}
    response = await http.post(url, json={"query": RECORD, "variables": variables})
    assert response.json()["data"]["recordTelemetry"]["accepted"], response.text


async def _round(
    watchers: _Subscribers, send: Callable[[str], Awaitable[None]], uow_ids: list[str], rate: float
) -> float:
    """One event for each unit: each sent at its slot (paced against the start, so that a
    slow request does not stretch the rest; several in flight when the server is slower
    than the pace); returns events per second from the first send to the last delivery."""
    watchers.expected += len(uow_ids)
    watchers.delivered.clear()
    started, first = time.perf_counter(), time.time()
    sending = []
    for n, uow_id in enumerate(uow_ids):
        sending.append(asyncio.create_task(send(uow_id)))
        await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
    await asyncio.gather(*sending)
    await asyncio.wait_for(watchers.delivered.wait(), timeout=120)
    return len(uow_ids) / (watchers.last_arrival - first)


async def distinct(
    urls: Urls,
    endpoint: LocalEndpoint,
    *,
    subscribers: int = 1_000,
    events: int = 200,
    events_per_s: float = 20,
    label: str = "distinct",
    telemetry: bool = False,
) -> dict[str, Any]:
    """`events` transitions, one for each of the first `events` subscribers' units (then as
    many telemetry entries for the next ones, if asked); the others only wait (and must
    receive nothing)."""
    allow_open_files(subscribers)
    instance_id, uow_ids = await units(urls, subscribers)
    watchers = _Subscribers(subscribers)
    connecting = time.perf_counter()
    tasks = [
        asyncio.create_task(watchers.run(endpoint.ws_url, n, {"id": instance_id, "uow": uow_id}))
        for n, uow_id in enumerate(uow_ids)
    ]
    await registered(endpoint.port, subscribers, timeout_s=600)
    subscribe_s = time.perf_counter() - connecting
    limits = httpx.Limits(max_connections=32)
    rates = {}
    async with httpx.AsyncClient(timeout=60, limits=limits) as http, frozen_garbage():
        rates["STATE_TRANSITION"] = await _round(
            watchers,
            lambda uow_id: move(http, endpoint.http_url, uow_id, "ACTIVE"),
            uow_ids[:events],
            events_per_s,
        )
        if telemetry:
            rates["TELEMETRY"] = await _round(
                watchers,
                lambda uow_id: _record(http, endpoint.http_url, instance_id, uow_id),
                uow_ids[events : 2 * events],
                events_per_s,
            )
        watchers.done.set()
        await asyncio.gather(*tasks)
    latencies: dict[str, list[float]] = {kind: [] for kind in rates}
    for n, uow_id in enumerate(uow_ids):
        frames = watchers.frames[n]
        # Its own unit's event if it was sent one, and nothing else.
        assert len(frames) == int(n < events * len(rates)), (n, frames)
        for arrived, frame in frames:
            event = json.loads(frame)["payload"]["data"]["telemetry"]
            assert event["uowId"] == uow_id, event
            assert event["logType"] == ("STATE_TRANSITION" if n < events else "TELEMETRY"), event
            stamp = datetime.fromisoformat(event["timestamp"]).timestamp()
            latencies[event["logType"]].append((arrived - stamp) * 1000)
    results: dict[str, Any] = {
        f"{label}_subscribers": subscribers,
        f"{label}_subscribe_s": round(subscribe_s, 1),
        f"{label}_paced_events_per_s": events_per_s,
    }
    for kind, prefix in (("STATE_TRANSITION", label), ("TELEMETRY", f"{label}_telemetry")):
        if kind in rates:
            results |= {
                f"{prefix}_events": events,
                f"{prefix}_events_per_s": round(rates[kind], 1),
                f"{prefix}_deliveries": len(latencies[kind]),
                f"{prefix}_p50_ms": round(percentile(latencies[kind], 0.5), 1),
                f"{prefix}_p99_ms": round(percentile(latencies[kind], 0.99), 1),
            }
    return results
