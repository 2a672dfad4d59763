"""recordTelemetry as clients call it: which entries are refused (and how), what is
announced and when, and what /metrics counts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from gql.app import create_app
from gql.settings import Settings
from storage.engines import Tiers
from storage.enums import LogType
from storage.models import InteractionLogRow
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.live_server import LiveServer, app_on, serve
from tests.processes import running_server
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.ws_client import subscribed

RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code message path } }
}"""
WATCH = """subscription($id: ID!) {
  telemetry(instanceId: $id, logTypes: [TELEMETRY]) {
    logId uowId details transition { newStatus }
  }
}"""
POSTGRES_ONLY = [p for p in BACKENDS if p.id == "postgresql"]


async def record_raw(http: httpx.AsyncClient, variables: dict[str, Any]) -> dict[str, Any]:
    """Posts JSON as Python writes it: lone surrogates escaped, NaN as a bare literal (what
    a careless client sends; httpx's own encoder would refuse both)."""
    body = json.dumps({"query": RECORD, "variables": variables})
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload
    return dict(payload["data"]["recordTelemetry"])


async def _count(tiers: Tiers, kind: LogType) -> int:
    async with tiers.instance.sessions() as session:
        query = select(func.count()).where(InteractionLogRow.log_type == kind)
        return int(await session.scalar(query) or 0)


@pytest.fixture
async def small_app(db_urls: TierUrls) -> AsyncIterator[Starlette]:
    """A buffer of one entry that is never flushed by time (only a stop writes it)."""
    application = app_on(db_urls, telemetry_buffer_size=1, telemetry_flush_interval_s=600)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def small_client(small_app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=small_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


@pytest.mark.parametrize("log_type", ["STATE_TRANSITION", "GUARDIAN_DECISION"])
async def test_clients_cannot_forge_engine_log_types(
    app: Starlette, client: GraphQLClient, log_type: str
) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    data = await client.data(
        RECORD, {"input": {"instanceId": scenario.instance_id, "logType": log_type}}
    )
    payload = data["recordTelemetry"]
    assert payload["accepted"] is False
    (error,) = payload["errors"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["path"] == ["input", "logType"]
    assert app.state.telemetry.depth == 0
    for allowed in ("TELEMETRY", "INTERACTION", "ERROR"):
        data = await client.data(
            RECORD, {"input": {"instanceId": scenario.instance_id, "logType": allowed}}
        )
        assert data["recordTelemetry"] == {"accepted": True, "errors": []}


@pytest.mark.parametrize(
    ("details", "path"),
    [
        ({"s": "a\u0000b\ud800"}, ["input", "details", "s"]),
        ({"deep": [{"x": float("nan")}]}, ["input", "details", "deep", "0", "x"]),
        ({"inf": float("inf")}, ["input", "details", "inf"]),
    ],
)
async def test_values_a_database_would_refuse_are_refused_with_their_path(
    app: Starlette, client: GraphQLClient, tiers: Tiers, details: Any, path: list[str]
) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    base = {"instanceId": scenario.instance_id, "logType": "TELEMETRY"}
    payload = await record_raw(client.http, {"input": {**base, "details": details}})
    assert payload["accepted"] is False
    assert [(e["code"], e["path"]) for e in payload["errors"]] == [("VALIDATION_FAILED", path)]
    ok = await record_raw(client.http, {"input": {**base, "details": {"fine": 1}}})
    assert ok == {"accepted": True, "errors": []}
    await app.state.telemetry.drain()
    assert await _count(tiers, LogType.TELEMETRY) == 1


async def test_backpressure_is_counted_in_metrics(small_client: GraphQLClient) -> None:
    scenario = await build_scenario(small_client, uows=1, steps=0)
    entry = {"input": {"instanceId": scenario.instance_id, "logType": "TELEMETRY"}}
    first = (await small_client.data(RECORD, entry))["recordTelemetry"]
    second = (await small_client.data(RECORD, entry))["recordTelemetry"]
    assert first["accepted"] is True
    assert [e["code"] for e in second["errors"]] == ["BACKPRESSURE"]
    metrics = (await small_client.http.get("/metrics")).text
    assert "chameleon_telemetry_refused_total 1.0" in metrics.splitlines()


@pytest.fixture
def bus(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bus_live(bus: str, db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        event_bus=bus,
        telemetry_flush_interval_s=0.05,
    )
    async with serve(create_app(settings)) as server:
        yield server


@pytest.mark.parametrize(
    ("db_factory", "bus"),
    [
        pytest.param("sqlite", "memory", id="sqlite-memory"),
        pytest.param("postgresql", "memory", id="postgresql-memory", marks=pytest.mark.postgres),
        pytest.param("postgresql", "postgres", id="postgresql-bus", marks=pytest.mark.postgres),
    ],
    indirect=True,
)
async def test_a_large_entry_is_announced_once_written_and_a_refused_one_never(
    bus_live: LiveServer, tiers: Tiers
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bus_live.port}") as http:
        client = GraphQLClient(http)
        scenario = await build_scenario(client, uows=2, steps=0)
        first, second = scenario.uow_ids
        moved = await mutate(client, TRANSITION, {"input": {"uowId": first, "toStatus": "ACTIVE"}})
        someone_elses_history = moved["historyEntry"]["id"]
        blob = "x" * 10_000  # over NOTIFY's 8000 bytes
        async with subscribed(bus_live, WATCH, {"id": scenario.instance_id}) as ws:
            base = {"instanceId": scenario.instance_id, "logType": "TELEMETRY", "uowId": second}
            refused = await record_raw(
                http, {"input": {**base, "details": {"blob": blob, "bad": "\u0000"}}}
            )
            assert refused["errors"][0]["code"] == "VALIDATION_FAILED"
            # A client's details naming another unit's history must not attach it.
            forged = {"blob": blob, "history_id": someone_elses_history}
            accepted = await client.data(RECORD, {"input": {**base, "details": forged}})
            assert accepted["recordTelemetry"] == {"accepted": True, "errors": []}
            event = (await ws.next(wait_s=20))["payload"]["data"]["telemetry"]
    assert event["details"] == forged  # the refused entry never appeared
    assert event["logId"] is not None  # announced once written
    assert event["uowId"] == second
    assert event["transition"] is None
    assert await _count(tiers, LogType.TELEMETRY) == 1


@pytest.mark.parametrize("db_factory", POSTGRES_ONLY, indirect=True)
async def test_sigterm_after_a_refused_entry_keeps_every_accepted_one(
    db_urls: TierUrls, tiers: Tiers
) -> None:
    """The reported case: one bad entry used to stall the buffer, and SIGTERM lost the rest."""
    with running_server(db_urls, telemetry_flush_interval_s="0.05") as server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            scenario = await build_scenario(GraphQLClient(http), uows=1, steps=0)
            base = {"instanceId": scenario.instance_id, "logType": "TELEMETRY"}
            bad = await record_raw(http, {"input": {**base, "details": {"s": "a\u0000b\ud800"}}})
            assert bad["errors"][0]["code"] == "VALIDATION_FAILED"
            for n in range(50):
                ok = await record_raw(http, {"input": {**base, "details": {"n": n}}})
                assert ok["accepted"] is True
            await asyncio.sleep(0.3)  # a few flushes: none may fail
            assert await asyncio.to_thread(server.terminate) in (0, -15)
        log = server.process.stdout.read() if server.process.stdout else ""
    assert "telemetry flush failed" not in log
    assert await _count(tiers, LogType.TELEMETRY) == 50
