"""The operation timeout (issue 13): an operation running longer than
CHAMELEON_OPERATION_TIMEOUT_S, over HTTP or as a query or mutation over the WebSocket, is
answered with a TIMEOUT error and its statements are cancelled, so the database runs nothing
of it any more; a subscription is not timed out.

The slow statement is a real one: another client holds an exclusive lock on the table the
operation reads or writes (as a migration or a long maintenance transaction would), and the
operation's statement waits on it inside PostgreSQL. Without a cancellation it would wait for
as long as the lock is held."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from gql.app import create_app
from gql.settings import Settings
from storage.engines import Tiers
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.live_server import LiveServer, serve
from tests.scenario import Scenario, build_scenario
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, wait_for_subscribers

POSTGRES_ONLY = pytest.mark.parametrize(
    "db_factory", [p for p in BACKENDS if p.id == "postgresql"], indirect=True
)
pytestmark = POSTGRES_ONLY
TIMEOUT_S = 1.0

ROOT_LIST = ("Instance_Context", "query { instances(first: 5) { edges { node { id } } } }")
# The units come through a loader, whose batch runs in a task of its own.
NESTED = (
    "UnitsOfWork",
    "query($id: ID!) { instance(id: $id) { uows(first: 5) { edges { node { id } } } } }",
)
TRANSITION = """mutation($i: TransitionUowInput!) {
  transitionUow(input: $i) { uow { version } errors { code message } } }"""
UOW = "query($id: ID!) { uow(id: $id) { version } }"
RECORD = """mutation R($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } } }"""
RUNNING = text(
    """SELECT pid, state, wait_event_type, query FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> :holder
      AND state NOT IN ('idle')"""
)


@pytest.fixture
async def live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        operation_timeout_s=TIMEOUT_S,
    )
    async with serve(create_app(settings)) as server:
        yield server


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}", timeout=60) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def scenario(db_urls: TierUrls, live: LiveServer) -> Scenario:
    """Built through a server of its own with the default timeout: on a loaded machine a
    setup statement may take longer than the short timeout under test."""
    settings = Settings(template_db_url=db_urls.template, instance_db_url=db_urls.instance)
    async with (
        serve(create_app(settings)) as setup,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{setup.port}", timeout=60) as http,
    ):
        return await build_scenario(GraphQLClient(http), uows=1, steps=1)


async def others_running(watcher: AsyncConnection, holder: int) -> list[Any]:
    """What other sessions of the instance database are doing now (a fresh snapshot)."""
    result = await watcher.execute(RUNNING, {"holder": holder})
    rows = list(result)
    await watcher.commit()  # pg_stat_activity is a snapshot per transaction
    return rows


async def timed_out_while_locked(
    db_urls: TierUrls, table: str, send: Any
) -> tuple[httpx.Response, list[Any], list[Any]]:
    """Sends an operation while `table` is locked; returns its answer, what was running
    while it waited, and what is running right after its answer."""
    engine = create_async_engine(db_urls.instance)
    try:
        async with engine.connect() as holder, engine.connect() as watcher:
            holder_pid = (await holder.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await holder.execute(text(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE'))
            request = asyncio.create_task(send())
            waiting: list[Any] = []
            while not request.done():  # until the operation's statement waits on the lock
                waiting = await others_running(watcher, holder_pid)
                if any(row.wait_event_type == "Lock" for row in waiting):
                    break
                await asyncio.sleep(0.02)
            response = await request
            after = await others_running(watcher, holder_pid)
            await holder.rollback()
    finally:
        await engine.dispose()
    return response, waiting, after


def assert_timed_out(payload: Any) -> None:
    """The result (over HTTP or a WebSocket) is the operation's TIMEOUT and nothing else."""
    assert payload["data"] is None
    (error,) = payload["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert f"{TIMEOUT_S:g} s" in error["message"]


def assert_timeout(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert_timed_out(response.json())


@pytest.mark.parametrize(("table", "query"), [ROOT_LIST, NESTED], ids=["root", "loader"])
async def test_a_timed_out_read_leaves_no_statement_running(
    db_urls: TierUrls, client: GraphQLClient, scenario: Scenario, table: str, query: str
) -> None:
    async def send() -> httpx.Response:
        return await client.post(query, {"id": scenario.instance_id} if "$id" in query else None)

    response, waiting, after = await timed_out_while_locked(db_urls, table, send)
    assert_timeout(response)
    assert any(row.wait_event_type == "Lock" for row in waiting), waiting
    assert after == []
    # The server's connections are fine afterwards.
    data = await client.data(query, {"id": scenario.instance_id} if "$id" in query else None)
    assert data


async def test_a_timed_out_write_is_rolled_back(
    db_urls: TierUrls, client: GraphQLClient, scenario: Scenario
) -> None:
    uow_id = scenario.uow_ids[0]
    before = await client.data(UOW, {"id": uow_id})

    async def send() -> httpx.Response:
        change = {"uowId": uow_id, "attributes": {"late": True}}
        return await client.post(TRANSITION, {"i": change})

    response, waiting, after = await timed_out_while_locked(db_urls, "UnitsOfWork", send)
    assert_timeout(response)
    assert any(row.wait_event_type == "Lock" for row in waiting), waiting
    assert after == []
    assert await client.data(UOW, {"id": uow_id}) == before


async def test_server_connections_carry_the_statement_timeout(db_urls: TierUrls) -> None:
    tiers = Tiers.open(db_urls.template, db_urls.instance, statement_timeout_ms=1_500)
    try:
        for tier in (tiers.template, tiers.instance):
            async with tier.engine.connect() as connection:
                shown = (await connection.execute(text("SHOW statement_timeout"))).scalar_one()
                assert shown == "1500ms"
    finally:
        await tiers.dispose()


# --- over WebSockets -------------------------------------------------------------------------


async def ws_connection(live: LiveServer, protocol: str) -> Any:
    ws = await websockets.connect(live.ws_url, subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def ws_answer(ws: Any, protocol: str, key: str, document: str, variables: Any) -> Any:
    """Sends one operation; its result payload, after checking that it completes."""
    start = "subscribe" if protocol == TRANSPORT_WS else "start"
    payload = {"query": document, "variables": variables}
    await ws.send(json.dumps({"id": key, "type": start, "payload": payload}))
    result = json.loads(await asyncio.wait_for(ws.recv(), 60))
    assert result["id"] == key
    assert result["type"] == ("next" if protocol == TRANSPORT_WS else "data"), result
    done = json.loads(await asyncio.wait_for(ws.recv(), 60))
    assert done == {"id": key, "type": "complete"}
    return result["payload"]


@pytest.mark.parametrize(("table", "query"), [ROOT_LIST, NESTED], ids=["root", "loader"])
async def test_a_timed_out_read_over_the_websocket_leaves_no_statement_running(
    db_urls: TierUrls, live: LiveServer, scenario: Scenario, table: str, query: str
) -> None:
    """graphql-transport-ws carries queries and mutations as well as subscriptions."""
    ws = await ws_connection(live, TRANSPORT_WS)
    variables = {"id": scenario.instance_id} if "$id" in query else None
    try:

        async def send() -> Any:
            return await ws_answer(ws, TRANSPORT_WS, "slow", query, variables)

        payload, waiting, after = await timed_out_while_locked(db_urls, table, send)
        assert_timed_out(payload)
        assert any(row.wait_event_type == "Lock" for row in waiting), waiting
        assert after == []
        # The socket stays open and answers the next operation.
        again = await ws_answer(ws, TRANSPORT_WS, "again", query, variables)
        assert again["data"]
        assert "errors" not in again
    finally:
        await ws.close()


async def test_a_timed_out_mutation_over_the_websocket_is_rolled_back(
    db_urls: TierUrls, live: LiveServer, client: GraphQLClient, scenario: Scenario
) -> None:
    uow_id = scenario.uow_ids[0]
    before = await client.data(UOW, {"id": uow_id})
    ws = await ws_connection(live, TRANSPORT_WS)
    try:

        async def send() -> Any:
            change = {"uowId": uow_id, "attributes": {"late": True}}
            return await ws_answer(ws, TRANSPORT_WS, "write", TRANSITION, {"i": change})

        payload, waiting, after = await timed_out_while_locked(db_urls, "UnitsOfWork", send)
        assert_timed_out(payload)
        assert any(row.wait_event_type == "Lock" for row in waiting), waiting
        assert after == []
        assert await client.data(UOW, {"id": uow_id}) == before
    finally:
        await ws.close()


async def test_a_subscription_is_not_timed_out(live: LiveServer, scenario: Scenario) -> None:
    """A subscription outlives the operation timeout; its events keep coming."""
    ws = await ws_connection(live, TRANSPORT_WS)
    document = "subscription W($id: ID!) { telemetry(instanceId: $id) { logType } }"
    payload = {"query": document, "variables": {"id": scenario.instance_id}}
    try:
        await ws.send(json.dumps({"id": "w", "type": "subscribe", "payload": payload}))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
            await wait_for_subscribers(live.app)
            record = {"instanceId": scenario.instance_id, "logType": "TELEMETRY"}
            for _ in range(2):
                await asyncio.sleep(TIMEOUT_S)  # not an assertion: just outlive the timeout
                await GraphQLClient(http).data(RECORD, {"input": record})
                event = json.loads(await asyncio.wait_for(ws.recv(), 60))
                assert event["type"] == "next", event
                assert event["payload"]["data"]["telemetry"]["logType"] == "TELEMETRY"
    finally:
        await ws.close()


async def test_the_legacy_protocol_runs_no_query_to_time_out(
    db_urls: TierUrls, live: LiveServer, scenario: Scenario
) -> None:
    """graphql-ws carries subscriptions only: a query is refused before it runs anything,
    even while its table is locked."""
    ws = await ws_connection(live, LEGACY_WS)
    try:

        async def send() -> Any:
            payload = {"query": ROOT_LIST[1]}
            await ws.send(json.dumps({"id": "q", "type": "start", "payload": payload}))
            return json.loads(await asyncio.wait_for(ws.recv(), 60))

        answer, waiting, after = await timed_out_while_locked(db_urls, ROOT_LIST[0], send)
        assert answer == {
            "type": "error",
            "id": "q",
            "payload": {"message": "queries are not allowed"},
        }
        assert not any(row.wait_event_type == "Lock" for row in waiting), waiting
        assert after == []
    finally:
        await ws.close()
