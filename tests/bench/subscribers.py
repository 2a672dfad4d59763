"""What the fan-out benchmarks share: subscribing over graphql-transport-ws, waiting until
the server has registered every subscription, moving units of work, the load generator's
garbage collections kept off its connections."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from storage.engines import Tiers
from storage.enums import UowStatus
from tests.bench.common import Urls
from tests.bench.data import bulk_uows, example_instance

MOVE = """mutation($id: ID!, $to: UowStatus!, $why: String) {
  transitionUow(input: {uowId: $id, toStatus: $to, reasoning: $why}) { errors { code } } }"""


async def subscribe(url: str, query: str, variables: dict[str, Any]) -> ClientConnection:
    """A connection with one graphql-transport-ws subscription sent (not yet registered)."""
    ws = await websockets.connect(
        url, subprotocols=["graphql-transport-ws"], open_timeout=60, max_queue=None
    )
    await ws.send(json.dumps({"type": "connection_init"}))
    await ws.recv()
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


async def registered(port: int, count: int, timeout_s: float = 60) -> None:
    """Waits until the server reports `count` open subscriptions."""
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(int(timeout_s / 0.2)):
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            line = next(x for x in metrics.splitlines() if x.startswith("chameleon_subscribers "))
            if float(line.split()[1]) >= count:
                return
            await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {count} subscriptions registered")


@asynccontextmanager
async def frozen_garbage() -> AsyncIterator[None]:
    """A thousand connections are long-lived objects of the load generator: keep its garbage
    collections from walking them (a pause of the client would be counted as delivery
    latency). Collection itself stays on."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def move(
    http: httpx.AsyncClient, url: str, uow_id: str, to: str, reasoning: str | None = None
) -> None:
    variables = {"id": uow_id, "to": to, "why": reasoning}
    response = await http.post(url, json={"query": MOVE, "variables": variables})
    assert response.json()["data"]["transitionUow"]["errors"] == [], response.text


async def units(urls: Urls, count: int) -> tuple[str, list[str]]:
    """An instance and `count` PENDING units of work in it."""
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(
            tiers, instance_id, uows=count, history_per_uow=1, status=UowStatus.PENDING
        )
    finally:
        await tiers.dispose()
    return str(instance_id), [str(uow_id) for uow_id in uow_ids]


class Countdown:
    """Set once `count` subscribers have counted down (asyncio has no latch)."""

    def __init__(self, count: int) -> None:
        self._left = count
        self._event = asyncio.Event()

    def count_down(self) -> None:
        self._left -= 1
        if self._left == 0:
            self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
