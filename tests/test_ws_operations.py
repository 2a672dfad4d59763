"""Queries and mutations over graphql-transport-ws run each on a context of their own
(`gql.ws_protocols.Bounded`): one query does not answer from what an earlier query of the
same connection loaded."""

from __future__ import annotations

import json
from typing import Any

import websockets

from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.live_server import LiveServer
from tests.scenario import IMPORT
from tests.ws_client import TRANSPORT_WS

COUNT = "query C { templates { totalCount } }"


async def ask(ws: Any, key: str, document: str) -> Any:
    await ws.send(json.dumps({"id": key, "type": "subscribe", "payload": {"query": document}}))
    answer = json.loads(await ws.recv())
    assert answer["type"] == "next", answer
    assert json.loads(await ws.recv()) == {"id": key, "type": "complete"}
    return answer["payload"]["data"]


async def test_a_query_over_the_socket_sees_what_was_written_since_the_last(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    async with websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        assert await ask(ws, "1", COUNT) == {"templates": {"totalCount": 0}}
        yaml = (EXAMPLES / "receipt_audit.yaml").read_text()
        await live_client.data(IMPORT, {"yaml": yaml})
        assert await ask(ws, "2", COUNT) == {"templates": {"totalCount": 1}}
