"""Fan-out: many graphql-transport-ws subscribers on one server process; latency from the
commit of a transition to its delivery at each subscriber (same machine, same clock)."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from datetime import datetime
from typing import Any

import httpx
import websockets

from storage.engines import Tiers
from storage.enums import UowStatus
from tests.bench.common import fresh_sqlite, percentile, server, temporary_dir
from tests.bench.data import bulk_uows, example_instance

SUBSCRIBERS = 1_000
EVENTS = 10
WATCH = """subscription($id: ID!) { uowTransitions(instanceId: $id) { newStatus
  transitionTimestamp } }"""
MOVE = """mutation($id: ID!, $to: UowStatus!) {
  transitionUow(input: {uowId: $id, toStatus: $to}) { errors { code } } }"""


async def _subscriber(
    url: str,
    instance_id: str,
    ready: asyncio.Event,
    received: asyncio.Event,
    counter: list[int],
    latencies: list[float],
) -> None:
    async with websockets.connect(
        url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": WATCH, "variables": {"id": instance_id}},
                }
            )
        )
        counter[0] += 1
        if counter[0] == SUBSCRIBERS:
            ready.set()
        # Note the arrival time first; parse and close only once every subscriber has had
        # every event, so that the load generator's own work (JSON, closing handshakes)
        # does not delay the frames still on their way to the others.
        frames: list[tuple[float, str | bytes]] = []
        while len(frames) < EVENTS:
            frame = await ws.recv()
            frames.append((time.time(), frame))
        counter[1] += 1
        if counter[1] == SUBSCRIBERS:
            received.set()
        await received.wait()
        for arrived, frame in frames:
            message = json.loads(frame)
            stamp = message["payload"]["data"]["uowTransitions"]["transitionTimestamp"]
            latencies.append((arrived - datetime.fromisoformat(stamp).timestamp()) * 1000)


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        tiers = Tiers.open(urls.template, urls.instance)
        try:
            instance_id = await example_instance(tiers)
            (uow_id,) = await bulk_uows(
                tiers, instance_id, uows=1, history_per_uow=1, status=UowStatus.PENDING
            )
        finally:
            await tiers.dispose()
        with server(urls) as running:
            ready, received = asyncio.Event(), asyncio.Event()
            counter, latencies = [0, 0], []  # subscribed, received everything
            tasks = [
                asyncio.create_task(
                    _subscriber(
                        running.ws_url, str(instance_id), ready, received, counter, latencies
                    )
                )
                for _ in range(SUBSCRIBERS)
            ]
            await asyncio.wait_for(ready.wait(), timeout=120)
            async with httpx.AsyncClient(timeout=30) as http:
                for _ in range(50):  # until the server has registered every subscription
                    metrics = (await http.get(f"http://127.0.0.1:{running.port}/metrics")).text
                    line = next(
                        x for x in metrics.splitlines() if x.startswith("chameleon_subscribers ")
                    )
                    if float(line.split()[1]) >= SUBSCRIBERS:
                        break
                    await asyncio.sleep(0.2)
                # A thousand connections are long-lived objects of the load generator: keep
                # its garbage collections from walking them (a pause of the client would be
                # counted as delivery latency). Collection itself stays on.
                gc.freeze()
                try:
                    for status in (["ACTIVE", "PENDING"] * EVENTS)[:EVENTS]:
                        variables = {"id": str(uow_id), "to": status}
                        response = await http.post(
                            running.http_url, json={"query": MOVE, "variables": variables}
                        )
                        assert response.json()["data"]["transitionUow"]["errors"] == []
                        await asyncio.sleep(0.5)
                    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
                finally:
                    gc.unfreeze()
    return {
        "subscribers": SUBSCRIBERS,
        "events": EVENTS,
        "deliveries": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
    }


if __name__ == "__main__":
    print(asyncio.run(measure()))
