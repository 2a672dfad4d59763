"""The operation timeout (issue 13): an HTTP operation running longer than
CHAMELEON_OPERATION_TIMEOUT_S is answered with a TIMEOUT error and its statements are
cancelled, so the database runs nothing of it any more.

The slow statement is a real one: another client holds an exclusive lock on the table the
operation reads or writes (as a migration or a long maintenance transaction would), and the
operation's statement waits on it inside PostgreSQL. Without a cancellation it would wait for
as long as the lock is held."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
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
async def scenario(client: GraphQLClient) -> Scenario:
    return await build_scenario(client, uows=1, steps=1)


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


def assert_timeout(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert f"{TIMEOUT_S:g} s" in error["message"]


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
