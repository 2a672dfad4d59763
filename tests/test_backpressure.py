"""Slow subscribers lose their own oldest events; producers and other subscribers never wait."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.events import MemoryBus
from gql.settings import Settings
from storage.enums import LogType
from storage.telemetry.events import Event
from storage.types import utcnow
from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.engine_client import Engine
from tests.live_server import serve
from tests.scenario import build_scenario, mutate
from tests.ws_client import subscribed


def _event(instance: uuid.UUID, n: int) -> Event:
    return Event(instance, LogType.TELEMETRY, utcnow(), details={"n": n})


async def test_a_stalled_subscriber_drops_and_reports_while_others_get_everything() -> None:
    bus = MemoryBus(queue_size=10)
    instance = uuid.uuid4()
    received: list[int] = []
    async with bus.subscribe(instance) as stalled, bus.subscribe(instance) as active:

        async def consume() -> None:
            async for event, dropped in active:
                assert dropped == 0
                received.append(event.details["n"])
                if len(received) == 100:
                    return

        consumer = asyncio.create_task(consume())
        for n in range(100):
            await bus.publish(_event(instance, n))
            await asyncio.sleep(0)  # the active subscriber keeps up; the stalled one never reads
        await asyncio.wait_for(consumer, timeout=5)
        event, dropped = await anext(stalled)
    assert received == list(range(100))
    assert dropped == 90
    assert event.details == {"n": 90}  # the oldest were dropped, the newest kept


async def test_publishing_never_waits_for_subscribers() -> None:
    bus = MemoryBus(queue_size=3)
    instance = uuid.uuid4()
    async with bus.subscribe(instance):
        for n in range(10_000):  # no subscriber reads: publish must still complete at once
            await asyncio.wait_for(bus.publish(_event(instance, n)), timeout=1)


DECOMPOSE = """mutation($input: DecomposeInput!) {
  decompose(input: $input) { children { id } errors { code message } }
}"""
WATCH = "subscription($id: ID!) { telemetry(instanceId: $id) { logType dropped } }"
TRANSITIONS = "subscription($id: ID!) { uowTransitions(instanceId: $id) { newStatus dropped } }"


async def _burst_to_slow_subscriber(db_urls: TierUrls, document: str, count: int) -> list[Any]:
    """The first `count` results a subscriber gets of a burst of 20 transition events (a
    decomposition into 20 children) that it did not read while they were published, with
    room for 5 in its queue."""
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        subscriber_queue_size=5,
    )
    app = create_app(settings)
    async with (
        serve(app) as live,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http,
    ):
        client = GraphQLClient(http)
        scenario = await build_scenario(client, uows=1, steps=0)
        desk = await Engine.of(client, scenario.instance_id)
        await desk.take("Expense_Review.Line_Splitter", "Ada")
        async with subscribed(live, document, {"id": scenario.instance_id}) as ws:
            children = [{"n": n} for n in range(20)]
            await mutate(
                client,
                DECOMPOSE,
                {
                    "input": {
                        "parentId": scenario.uow_ids[0],
                        "actorId": desk.actors["Ada"],
                        "children": children,
                    }
                },
            )
            return [(await ws.next())["payload"]["data"] for _ in range(count)]


@pytest.mark.parametrize("db_factory", ["sqlite"], indirect=True)
async def test_dropped_count_reaches_the_websocket_client(db_urls: TierUrls) -> None:
    (first,) = await _burst_to_slow_subscriber(db_urls, WATCH, 1)
    assert first["telemetry"] == {"logType": "STATE_TRANSITION", "dropped": 15}


@pytest.mark.parametrize("db_factory", ["sqlite"], indirect=True)
async def test_uow_transitions_reports_what_it_dropped(db_urls: TierUrls) -> None:
    received = await _burst_to_slow_subscriber(db_urls, TRANSITIONS, 5)
    assert [e["uowTransitions"]["dropped"] for e in received] == [15, 0, 0, 0, 0]
