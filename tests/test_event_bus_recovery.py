"""The PostgreSQL event bus when its connections are taken away: writers are answered as
committed, events queued meanwhile arrive in order, /ready and /metrics say what happened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from storage.enums import LogType
from storage.telemetry.events import Event
from storage.types import utcnow
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls, allow_connections, terminate_backends
from tests.live_server import LiveServer, serve
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.ws_client import subscribed

POSTGRES_ONLY = [p for p in BACKENDS if p.id == "postgresql"]
pytestmark = pytest.mark.parametrize("db_factory", POSTGRES_ONLY, indirect=True)
WATCH = """subscription($id: ID!) {
  telemetry(instanceId: $id) { logType uowId details transition { newStatus } }
}"""


@pytest.fixture
async def bus_live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        event_bus="postgres",
        event_bus_outbox_size=3,
    )
    async with serve(create_app(settings)) as server:
        yield server


@pytest.fixture
async def http(bus_live: LiveServer) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bus_live.port}") as client:
        yield GraphQLClient(client)


def metric(text: str, name: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(f"{name} "))
    return float(line.split()[1])


async def test_transitions_after_backends_are_terminated_commit_and_arrive_in_order(
    bus_live: LiveServer, http: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(http, uows=6, steps=0)
    async with subscribed(bus_live, WATCH, {"id": scenario.instance_id}) as ws:
        heard = []
        for uow in scenario.uow_ids:
            await terminate_backends(db_urls)
            payload = await mutate(
                http, TRANSITION, {"input": {"uowId": uow, "toStatus": "ACTIVE"}}
            )
            assert payload["uow"]["status"] == "ACTIVE"  # committed, and answered so
            # The bus reconnects by itself and delivers the event it kept meanwhile (waiting
            # for it here keeps the outbox under its bound of 3 whatever the machine's pace).
            message = await ws.next(wait_s=30)
            assert message["type"] == "next", message
            heard.append(message["payload"]["data"]["telemetry"])
    assert [e["uowId"] for e in heard] == scenario.uow_ids
    assert {e["transition"]["newStatus"] for e in heard} == {"ACTIVE"}
    ready = await http.http.get("/ready")
    assert ready.status_code == 200, ready.text
    metrics = (await http.http.get("/metrics")).text
    assert metric(metrics, "chameleon_event_bus_reconnects_total") >= 1
    assert metric(metrics, "chameleon_event_bus_connected") == 1


async def test_events_wait_for_the_bus_in_a_bounded_queue_and_ready_reports_it(
    bus_live: LiveServer, http: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(http, uows=1, steps=0)
    bus = bus_live.app.state.bus
    async with subscribed(bus_live, WATCH, {"id": scenario.instance_id}) as ws:
        await allow_connections(db_urls, False)
        try:
            await terminate_backends(db_urls)
            for _ in range(500):
                ready = await http.http.get("/ready")
                if "bus" in ready.json():
                    break
                await asyncio.sleep(0.02)
            assert ready.status_code == 503
            assert ready.json()["bus"].startswith("reconnecting")
            instance = bus.subscriptions and next(iter(bus.subscriptions))
            for n in range(5):  # published while the bus is down; the bound is 3
                await bus.publish(Event(instance, LogType.TELEMETRY, utcnow(), details={"n": n}))
            assert bus.waiting == 3
            assert bus.health.dropped == 2
            await asyncio.sleep(0.5)  # a few failed reconnects
        finally:
            await allow_connections(db_urls, True)
        heard = []
        for _ in range(3):
            message = await ws.next(wait_s=20)
            heard.append(message["payload"]["data"]["telemetry"]["details"]["n"])
    assert heard == [2, 3, 4]  # the newest kept, in the order published
    for _ in range(500):
        ready = await http.http.get("/ready")
        if ready.status_code == 200:
            break
        await asyncio.sleep(0.02)
    assert ready.json() == {"status": "ready"}
    metrics = (await http.http.get("/metrics")).text
    assert metric(metrics, "chameleon_event_bus_dropped_total") == 2
    assert metric(metrics, "chameleon_event_bus_reconnects_total") >= 1
