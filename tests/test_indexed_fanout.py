"""The bus's index: an event reaches only the subscriptions that want it, each subscriber's
`dropped` counts exactly its own lost events, and a subscription names a real target."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from gql.events import MemoryBus
from resolvers.owners import UnitOwners
from storage.enums import LogType
from storage.telemetry.events import Event
from storage.types import utcnow
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.live_server import LiveServer
from tests.processes import two_on_the_postgres_bus
from tests.processes import wait_for_subscribers as wait_for_process_subscribers
from tests.scenario import INSTANTIATE, START, TRANSITION, build_scenario, mutate
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, Subscriber, wait_for_subscribers

UNIT = """subscription($id: ID!, $uow: ID, $types: [LogType!]) {
  telemetry(instanceId: $id, uowId: $uow, logTypes: $types) { uowId logType dropped
    transition { newStatus } }
}"""
TRANSITIONS = """subscription($id: ID!, $uow: ID) {
  uowTransitions(instanceId: $id, uowId: $uow) { newStatus dropped uow { id } }
}"""
RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } }
}"""


def _event(instance: uuid.UUID, uow: uuid.UUID | None, n: int, kind: LogType) -> Event:
    return Event(instance, kind, utcnow(), uow_id=uow, details={"n": n})


async def test_an_event_is_offered_only_to_the_subscriptions_that_want_it() -> None:
    bus = MemoryBus(queue_size=10)
    instance, other_instance = uuid.uuid4(), uuid.uuid4()
    units = [uuid.uuid4() for _ in range(500)]
    async with (
        bus.subscribe(instance) as everything,
        bus.subscribe(instance, log_types=[LogType.ERROR]) as errors,
        bus.subscribe(
            instance, uow_id=units[7], log_types=[LogType.TELEMETRY, LogType.ERROR]
        ) as seventh_typed,
        bus.subscribe(other_instance) as elsewhere,
    ):
        own = [bus.subscribe(instance, uow_id=unit) for unit in units]
        subscriptions = [await context.__aenter__() for context in own]
        before = bus.health.offered
        await bus.publish(_event(instance, units[7], 1, LogType.TELEMETRY))
        # the instance's, the seventh unit's and its typed one: 3 of 504 subscriptions
        assert bus.health.offered - before == 3
        await bus.publish(_event(instance, units[8], 2, LogType.ERROR))
        assert bus.health.offered - before == 3 + 3  # everything, errors, the eighth unit
        await bus.publish(_event(instance, None, 3, LogType.TELEMETRY))
        assert bus.health.offered - before == 3 + 3 + 1  # no unit: only `everything`
        for n, subscription in enumerate(subscriptions):
            expected = {7: [1], 8: [2]}.get(n, [])
            assert [e.details["n"] for e in subscription.queued()] == expected
        assert [e.details["n"] for e in everything.queued()] == [1, 2, 3]
        assert [e.details["n"] for e in errors.queued()] == [2]
        assert [e.details["n"] for e in seventh_typed.queued()] == [1]
        assert not elsewhere.queued()
        for context in own:
            await context.__aexit__(None, None, None)
    assert bus.count == 0
    assert not bus._index  # nothing left behind by the subscriptions that ended


async def test_a_slow_filtered_subscriber_is_told_exactly_what_it_lost() -> None:
    """Its queue holds only its own events: the other unit's events, however many, neither
    push its events out nor hide its losses."""
    bus = MemoryBus(queue_size=5)
    instance, mine, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with bus.subscribe(instance, uow_id=mine, log_types=[LogType.TELEMETRY]) as slow:
        for n in range(20):
            await bus.publish(_event(instance, mine, n, LogType.TELEMETRY))
            await bus.publish(_event(instance, other, n, LogType.TELEMETRY))
            await bus.publish(_event(instance, mine, n, LogType.ERROR))
        # Ends with the kind of event it does not want (this used to swallow the count).
        await bus.publish(_event(instance, other, 99, LogType.TELEMETRY))
        first, dropped = await anext(slow)
        rest = [(await anext(slow))[1] for _ in range(4)]
    assert (first.details["n"], dropped) == (15, 15)
    assert rest == [0, 0, 0, 0]


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_each_unit_subscriber_gets_all_of_its_events_and_nothing_else(
    live: LiveServer, live_client: GraphQLClient, protocol: str
) -> None:
    scenario = await build_scenario(live_client, uows=3, steps=0)
    units = scenario.uow_ids
    bus = live.app.state.bus
    subscribers = [Subscriber(live.ws_url, protocol) for _ in units]
    for subscriber, unit in zip(subscribers, units, strict=True):
        await subscriber.__aenter__()
        await subscriber.subscribe(UNIT, {"id": scenario.instance_id, "uow": unit})
    try:
        await wait_for_subscribers(live.app, len(units))
        before = bus.health.offered
        moves = ["ACTIVE", "PENDING", "ACTIVE", "COMPLETED"]
        for status in moves:
            for unit in units:
                await mutate(
                    live_client, TRANSITION, {"input": {"uowId": unit, "toStatus": status}}
                )
        # Each transition woke exactly one subscription: its unit's.
        assert bus.health.offered - before == len(moves) * len(units)
        for subscriber, unit in zip(subscribers, units, strict=True):
            kind = "next" if protocol == TRANSPORT_WS else "data"
            events = []
            for _ in moves:
                message = await subscriber.next()
                assert message["type"] == kind, message
                events.append(message["payload"]["data"]["telemetry"])
            assert {e["uowId"] for e in events} == {unit}
            assert [e["transition"]["newStatus"] for e in events] == moves
            assert {e["dropped"] for e in events} == {0}
    finally:
        for subscriber in subscribers:
            await subscriber.__aexit__()


async def _offered(client: GraphQLClient) -> float:
    metrics = (await client.http.get("/metrics")).text
    line = next(x for x in metrics.splitlines() if x.startswith("chameleon_event_bus_offered_"))
    return float(line.split()[1])


async def test_many_distinct_subscriptions_and_an_event_wakes_one(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    """Fifty units, fifty subscribers, one per unit: an event costs one offer, not fifty."""
    scenario = await build_scenario(live_client, uows=50, steps=0)
    bus = live.app.state.bus
    subscribers = [Subscriber(live.ws_url, TRANSPORT_WS) for _ in scenario.uow_ids]
    for subscriber, unit in zip(subscribers, scenario.uow_ids, strict=True):
        await subscriber.__aenter__()
        variables = {"id": scenario.instance_id, "uow": unit, "types": ["TELEMETRY"]}
        await subscriber.subscribe(UNIT, variables)
    try:
        await wait_for_subscribers(live.app, len(subscribers))
        before = bus.health.offered
        scraped = await _offered(live_client)
        await mutate(
            live_client,
            RECORD,
            {
                "input": {
                    "instanceId": scenario.instance_id,
                    "uowId": scenario.uow_ids[31],
                    "logType": "TELEMETRY",
                }
            },
        )
        event = (await subscribers[31].next())["payload"]["data"]["telemetry"]
        assert event["uowId"] == scenario.uow_ids[31]
        assert bus.health.offered - before == 1
        assert await _offered(live_client) - scraped == 1  # as /metrics tells it
    finally:
        for subscriber in subscribers:
            await subscriber.__aexit__()


async def _foreign_unit(client: GraphQLClient) -> str:
    """A unit of work of a second instance of the same template."""
    other = await mutate(
        client, INSTANTIATE, {"input": {"templateName": "Expense_Review", "name": "Other"}}
    )
    started = await mutate(client, START, {"input": {"instanceId": other["instance"]["id"]}})
    return str(started["uow"]["id"])


@pytest.mark.parametrize("document", [TRANSITIONS, UNIT])
async def test_a_unit_of_another_instance_is_refused_like_an_unknown_one(
    live: LiveServer, live_client: GraphQLClient, document: str
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    foreign = await _foreign_unit(live_client)
    for unit in (foreign, str(uuid.uuid4())):
        async with Subscriber(live.ws_url, TRANSPORT_WS) as ws:
            await ws.subscribe(document, {"id": scenario.instance_id, "uow": unit})
            message, final = await ws.next(), await ws.next()
        payload = message["payload"]  # an error while subscribing arrives as a result
        errors = payload if isinstance(payload, list) else payload["errors"]
        assert errors[0]["message"] == (
            f"no unit of work with id {unit} in instance {scenario.instance_id}"
        )
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        assert final["type"] == "complete"
    assert live.app.state.bus.count == 0


def _instance_statements(app: object) -> float:
    counter = app.state.metrics.sql_statements.labels(tier="instance")  # type: ignore[attr-defined]
    return float(counter._value.get())


async def test_subscribing_again_to_a_known_target_reads_nothing(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    """What a subscription checks is remembered: a second subscriber to the same unit (or
    instance) costs the database nothing."""
    scenario = await build_scenario(live_client, uows=1, steps=0)
    variables = [
        {"id": scenario.instance_id, "uow": scenario.uow_ids[0]},
        {"id": scenario.instance_id},
    ]
    for n, values in enumerate(variables):
        async with Subscriber(live.ws_url, TRANSPORT_WS) as first:
            await first.subscribe(TRANSITIONS, values)
            await wait_for_subscribers(live.app, 1)
            before = _instance_statements(live.app)
            async with Subscriber(live.ws_url, LEGACY_WS) as second:
                await second.subscribe(UNIT, values)
                await wait_for_subscribers(live.app, 2)
                assert _instance_statements(live.app) == before, n


POSTGRES_ONLY = [p for p in BACKENDS if p.id == "postgresql"]


@pytest.mark.parametrize("db_factory", POSTGRES_ONLY, indirect=True)
async def test_events_of_another_process_go_through_the_index(db_urls: TierUrls) -> None:
    async with two_on_the_postgres_bus(db_urls) as (one, client):
        scenario = await build_scenario(client, uows=2, steps=0)
        first, second = scenario.uow_ids
        async with Subscriber(one.ws_url, TRANSPORT_WS) as ws:
            await ws.subscribe(TRANSITIONS, {"id": scenario.instance_id, "uow": second})
            await wait_for_process_subscribers(one.port)
            for unit, status in ((first, "ACTIVE"), (second, "ACTIVE"), (second, "FAILED")):
                await mutate(client, TRANSITION, {"input": {"uowId": unit, "toStatus": status}})
            events = [(await ws.next())["payload"]["data"]["uowTransitions"] for _ in range(2)]
    assert [e["uow"]["id"] for e in events] == [second, second]
    assert [(e["newStatus"], e["dropped"]) for e in events] == [("ACTIVE", 0), ("FAILED", 0)]


async def test_units_asked_for_together_are_read_in_one_statement(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    scenario = await build_scenario(live_client, uows=3, steps=0)
    owners = UnitOwners(live.app.state.tiers.instance)
    unknown = uuid.uuid4()
    asked = [uuid.UUID(unit) for unit in scenario.uow_ids] + [unknown]
    before = _instance_statements(live.app)
    answers = await asyncio.gather(*(owners.owner(unit) for unit in asked))
    assert _instance_statements(live.app) - before == 1
    assert answers == [uuid.UUID(scenario.instance_id)] * 3 + [None]
