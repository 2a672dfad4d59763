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
from tests.ws_client import TRANSPORT_WS

GRAPHQL_RESPONSE = "application/graphql-response+json"
DEEP = "[" * 1000 + "]" * 1000
QUERY = "{ instances { totalCount } }"
TWO_OPERATIONS = "query A { __typename } query B { instances { totalCount } }"
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


INIT = json.dumps({"type": "connection_init", "payload": {}})


def subscribe(payload: Any, id_: Any = "1", kind: str = "subscribe") -> str:
    return json.dumps({"id": id_, "type": kind, "payload": payload})


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
