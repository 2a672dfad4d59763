"""Minimal clients of both GraphQL WebSocket protocols, over a real socket (websockets)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets

from tests.live_server import LiveServer

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class Subscriber:
    """One connection running one subscription; `next()` returns the next payload."""

    def __init__(self, url: str, protocol: str) -> None:
        self.url = url
        self.protocol = protocol
        self.connection: Any = None

    async def __aenter__(self) -> Subscriber:
        self.connection = await websockets.connect(self.url, subprotocols=[self.protocol])
        await self.connection.send(json.dumps({"type": "connection_init", "payload": {}}))
        while (await self._receive())["type"] != "connection_ack":
            pass
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connection.close()

    async def _receive(self, wait_s: float = 10) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.connection.recv(), wait_s))

    async def subscribe(self, query: str, variables: dict[str, Any]) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        message = {"id": "1", "type": kind, "payload": {"query": query, "variables": variables}}
        await self.connection.send(json.dumps(message))

    async def next(self, wait_s: float = 10) -> dict[str, Any]:
        """The next message about the subscription (`ka` keep-alives skipped)."""
        while True:
            message = await self._receive(wait_s)
            if message["type"] != "ka":
                return message


async def wait_for_subscribers(app: Any, count: int = 1) -> None:
    """Waits until the in-process server has registered `count` subscriptions."""
    for _ in range(500):
        if app.state.bus.count >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscription never registered")


@asynccontextmanager
async def subscribed(
    live: LiveServer, query: str, variables: dict[str, Any], protocol: str = TRANSPORT_WS
) -> AsyncIterator[Subscriber]:
    """A connection to `live` running `query`, entered only once the server has registered
    it: an event published inside the block is sure to be one the subscription can see."""
    async with Subscriber(live.ws_url, protocol) as ws:
        await ws.subscribe(query, variables)
        await wait_for_subscribers(live.app)
        yield ws
