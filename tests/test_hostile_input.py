"""Hostile or malformed requests over real sockets: clear errors with codes, never a 500 or a
connection dropped without a close code (issue 12, transport items)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from gql.params import MAX_DEPTH
from tests.client import GraphQLClient
from tests.live_server import LiveServer
from tests.ws_client import LEGACY_WS, TRANSPORT_WS

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEEP = "[" * 1000 + "]" * 1000
QUERY = "{ instances { totalCount } }"
TWO_OPERATIONS = "query A { __typename } query B { instances { totalCount } }"
TELEMETRY = "subscription($id: ID!) { telemetry(instanceId: $id) { logType } }"
MEDIA = [GRAPHQL_RESPONSE, "application/json"]


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


async def post_raw(client: GraphQLClient, body: str, accept: str) -> Any:
    headers = {"content-type": "application/json", "accept": accept}
    return await client.http.post("/graphql", content=body, headers=headers)


def assert_request_error(response: Any, accept: str, status: int, text: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(accept)
    body = response.json()
    assert "data" not in body
    assert text in body["errors"][0]["message"]


@pytest.mark.parametrize("accept", MEDIA)
async def test_deeply_nested_json_is_a_400(live_client: GraphQLClient, accept: str) -> None:
    bodies = [
        DEEP,  # the body itself
        json.dumps({"query": QUERY})[:-1] + f', "variables": {{"v": {DEEP}}}}}',
        json.dumps({"query": QUERY, "variables": {"v": nested(MAX_DEPTH - 1)}}),
    ]
    for body in bodies:
        response = await post_raw(live_client, body, accept)
        assert_request_error(response, accept, 400, f"nested deeper than {MAX_DEPTH} levels")
    response = await live_client.http.get(
        "/graphql", params={"query": QUERY, "variables": f'{{"v": {DEEP}}}'}
    )
    assert_request_error(response, "application/json", 400, "variables: JSON nested deeper")
    # The limit itself is accepted: the body and `variables` are two of the levels.
    body = json.dumps({"query": QUERY, "variables": {"v": nested(MAX_DEPTH - 2)}})
    response = await post_raw(live_client, body, accept)
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"instances": {"totalCount": 0}}}


@pytest.mark.parametrize("accept", MEDIA)
async def test_non_object_variables_and_extensions_are_request_errors(
    live_client: GraphQLClient, accept: str
) -> None:
    for name in ("variables", "extensions"):
        for value in (0, False, "", [], "x", 1.5):
            body = json.dumps({"query": QUERY, name: value})
            response = await post_raw(live_client, body, accept)
            assert_request_error(response, accept, 400, f"{name}: must be a JSON object")
        response = await live_client.http.get("/graphql", params={"query": QUERY, name: "0"})
        assert_request_error(response, "application/json", 400, f"{name}: must be a JSON object")
        for absent in (None, {}):  # null and an empty object both mean "none"
            response = await post_raw(
                live_client, json.dumps({"query": QUERY, name: absent}), accept
            )
            assert response.status_code == 200, response.text


@pytest.mark.parametrize("accept", MEDIA)
async def test_several_operations_need_an_operation_name(
    live_client: GraphQLClient, accept: str
) -> None:
    response = await post_raw(live_client, json.dumps({"query": TWO_OPERATIONS}), accept)
    assert_request_error(response, accept, 400, "operationName: required")
    response = await live_client.http.get("/graphql", params={"query": TWO_OPERATIONS})
    assert_request_error(response, "application/json", 400, "operationName: required")
    # Named, each runs; Strawberry only keeps the client's name privately (gql/operations.py).
    for name, data in (("A", {"__typename": "Query"}), ("B", {"instances": {"totalCount": 0}})):
        body = json.dumps({"query": TWO_OPERATIONS, "operationName": name})
        response = await post_raw(live_client, body, accept)
        assert response.status_code == 200, response.text
        assert response.json() == {"data": data}
    body = json.dumps({"query": TWO_OPERATIONS, "operationName": "C"})
    assert_request_error(await post_raw(live_client, body, accept), accept, 400, 'named "C"')


async def close_of(url: str, frames: list[str], protocol: str = TRANSPORT_WS) -> tuple[Any, str]:
    """Sends `frames` and returns the close code and reason the server ended with."""
    async with websockets.connect(url, subprotocols=[protocol]) as ws:
        for frame in frames:
            await ws.send(frame)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive_until_closed(ws)
    received = closed.value.rcvd
    assert received is not None, "closed without a close frame"
    return received.code, received.reason


async def receive_until_closed(ws: Any) -> None:
    while True:
        await asyncio.wait_for(ws.recv(), 10)


INIT = json.dumps({"type": "connection_init", "payload": {}})


def subscribe(payload: Any, id_: Any = "1", kind: str = "subscribe") -> str:
    return json.dumps({"id": id_, "type": kind, "payload": payload})


async def test_unusable_transport_ws_frames_close_with_4400(live: LiveServer) -> None:
    bad_frames = {
        DEEP: "nested deeper than",
        json.dumps({"type": "connection_init", "payload": json.loads(DEEP[400:-400])}): "deeper",
        "[]": "must be a JSON object",
        "1": "must be a JSON object",
        '"x"': "must be a JSON object",
        "null": "must be a JSON object",
        "{nope": "must be valid JSON",
    }
    for frame, reason in bad_frames.items():
        for frames in ([frame], [INIT, frame]):  # before and after the handshake
            code, said = await close_of(live.ws_url, frames)
            assert (code, reason in said) == (4400, True), (frame[:40], code, said)
    bad_subscribes = {
        subscribe({"query": QUERY}, id_=[1]): "id: must be a string",
        subscribe(5): "payload: must be a JSON object",
        subscribe({"query": 5}): "query:",
        subscribe({"query": QUERY, "variables": 0}): "variables: must be a JSON object",
        subscribe({"query": QUERY, "extensions": []}): "extensions: must be a JSON object",
        subscribe({"query": QUERY, "operationName": 1}): "operationName: must be a string",
        subscribe({"query": TWO_OPERATIONS}): "operationName: required",
    }
    for frame, reason in bad_subscribes.items():
        code, said = await close_of(live.ws_url, [INIT, frame])
        assert (code, reason in said) == (4400, True), (frame, code, said)


async def test_connection_init_with_a_null_payload_is_accepted(live: LiveServer) -> None:
    async with websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": None}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "connection_ack"}
        await ws.send(subscribe({"query": QUERY}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"instances": {"totalCount": 0}}},
        }
    async with websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))  # no payload at all: also fine
        assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"type": "connection_ack"}


async def test_legacy_graphql_ws_ignores_unusable_frames(live: LiveServer) -> None:
    """The legacy protocol has no close code for bad messages; Strawberry ignores frames that
    are not JSON there, and frames it cannot use are ignored the same way. The connection
    stays usable."""
    async with websockets.connect(live.ws_url, subprotocols=[LEGACY_WS]) as ws:
        for frame in (DEEP, "[]", "1", '"x"', "{nope", json.dumps({"type": "stop", "id": [1]})):
            await ws.send(frame)
        await ws.send(INIT)
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(subscribe({"query": QUERY, "variables": 0}, kind="start"))
        error = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert error["type"] == "error"
        assert error["id"] == "1"
        assert "variables: must be a JSON object" in error["payload"]["message"]
        unknown = "00000000-0000-0000-0000-000000000000"
        await ws.send(subscribe({"query": TELEMETRY, "variables": {"id": unknown}}, "2", "start"))
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert message["id"] == "2"
        assert f"no instance with id {unknown}" in json.dumps(message["payload"])


async def test_a_query_over_a_websocket_gives_its_connection_back(live: LiveServer) -> None:
    """A query over the socket opens a read connection on the socket's context; it used to go
    back to the pool only when garbage collected, long after the socket closed."""
    async with websockets.connect(live.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        await ws.send(INIT)
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(subscribe({"query": QUERY}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "next"
    pool = live.app.state.tiers.instance.engine.pool
    for _ in range(200):
        if pool.checkedout() == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{pool.checkedout()} connection(s) still checked out")
