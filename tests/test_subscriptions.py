"""Subscriptions over real WebSockets, both protocols: transitions, telemetry, filters."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.client import GraphQLClient
from tests.live_server import LiveServer
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, Subscriber, subscribed, wait_for_subscribers

PROTOCOLS = [TRANSPORT_WS, LEGACY_WS]
TELEMETRY = """subscription($id: ID!, $uow: ID, $types: [LogType!]) {
  telemetry(instanceId: $id, uowId: $uow, logTypes: $types) {
    logId instanceId uowId logType details dropped
    transition { previousStatus newStatus uow { id status } }
  }
}"""
TRANSITIONS = """subscription($id: ID!) {
  uowTransitions(instanceId: $id) { previousStatus newStatus newInteraction { name } }
}"""
RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } }
}"""


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    """Each test taking `protocol` runs once over each WebSocket protocol."""
    name: str = request.param
    return name


def data_of(message: dict, protocol: str) -> dict:
    assert message["type"] == ("next" if protocol == TRANSPORT_WS else "data"), message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]


async def test_a_transition_made_over_http_arrives(
    live: LiveServer, live_client: GraphQLClient, protocol: str
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    async with subscribed(live, TELEMETRY, {"id": scenario.instance_id}, protocol) as ws:
        await mutate(
            live_client, TRANSITION, {"input": {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE"}}
        )
        event = data_of(await ws.next(), protocol)["telemetry"]
    assert event["logType"] == "STATE_TRANSITION"
    assert event["uowId"] == scenario.uow_ids[0]
    assert event["logId"] is not None
    assert event["dropped"] == 0
    assert event["transition"]["previousStatus"] == "PENDING"
    assert event["transition"]["uow"] == {"id": scenario.uow_ids[0], "status": "ACTIVE"}


async def test_recorded_telemetry_and_filters(
    live: LiveServer, live_client: GraphQLClient, protocol: str
) -> None:
    scenario = await build_scenario(live_client, uows=2, steps=0)
    first, second = scenario.uow_ids
    watched = {"id": scenario.instance_id, "uow": second, "types": ["TELEMETRY"]}
    async with subscribed(live, TELEMETRY, watched, protocol) as ws:
        # Filtered out: another UOW, and a transition of the watched UOW.
        await mutate(
            live_client,
            RECORD,
            {"input": {"instanceId": scenario.instance_id, "uowId": first, "logType": "TELEMETRY"}},
        )
        await mutate(live_client, TRANSITION, {"input": {"uowId": second, "toStatus": "ACTIVE"}})
        await mutate(
            live_client,
            RECORD,
            {
                "input": {
                    "instanceId": scenario.instance_id,
                    "uowId": second,
                    "logType": "TELEMETRY",
                    "details": {"tokens": 7},
                }
            },
        )
        event = data_of(await ws.next(), protocol)["telemetry"]
    assert event["uowId"] == second
    assert event["details"] == {"tokens": 7}
    assert event["logId"] is None  # accepted, not yet flushed
    assert event["transition"] is None


async def test_uow_transitions_stream(
    live: LiveServer, live_client: GraphQLClient, protocol: str
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    async with subscribed(live, TRANSITIONS, {"id": scenario.instance_id}, protocol) as ws:
        for status in ("ACTIVE", "COMPLETED"):
            await mutate(
                live_client,
                TRANSITION,
                {"input": {"uowId": scenario.uow_ids[0], "toStatus": status}},
            )
        events = [data_of(await ws.next(), protocol)["uowTransitions"] for _ in range(2)]
    assert [(e["previousStatus"], e["newStatus"]) for e in events] == [
        ("PENDING", "ACTIVE"),
        ("ACTIVE", "COMPLETED"),
    ]
    assert events[0]["newInteraction"]["name"] == "Intake_Queue"


async def test_unknown_instance_is_a_subscription_error(live: LiveServer, protocol: str) -> None:
    """Not a silent stream: the error arrives, then the subscription is over."""
    unknown = str(uuid.uuid4())
    async with Subscriber(live.ws_url, protocol) as ws:
        await ws.subscribe(TELEMETRY, {"id": unknown})
        message = await ws.next()
        final = await ws.next()
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert f"no instance with id {unknown}" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert final["type"] == "complete"
    assert live.app.state.bus.count == 0


async def test_a_failed_transition_publishes_nothing(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    async with subscribed(live, TRANSITIONS, {"id": scenario.instance_id}) as ws:
        refused = await live_client.data(
            TRANSITION, {"input": {"uowId": scenario.uow_ids[0], "toStatus": "COMPLETED"}}
        )
        assert refused["transitionUow"]["errors"][0]["code"] == "INVALID_TRANSITION"
        await mutate(
            live_client, TRANSITION, {"input": {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE"}}
        )
        event = data_of(await ws.next(), TRANSPORT_WS)["uowTransitions"]
    assert event["newStatus"] == "ACTIVE"  # the refused change never appeared


async def test_identical_subscriptions_share_one_stream(
    live: LiveServer, live_client: GraphQLClient
) -> None:
    scenario = await build_scenario(live_client, uows=2, steps=0)
    first, second = scenario.uow_ids
    async with (
        Subscriber(live.ws_url, TRANSPORT_WS) as one,
        Subscriber(live.ws_url, LEGACY_WS) as two,
        Subscriber(live.ws_url, TRANSPORT_WS) as only_second,
    ):
        await one.subscribe(TRANSITIONS, {"id": scenario.instance_id})
        await two.subscribe(TRANSITIONS, {"id": scenario.instance_id})
        await only_second.subscribe(TELEMETRY, {"id": scenario.instance_id, "uow": second})
        # The two identical subscriptions run once on the bus; the filtered one on its own.
        await wait_for_subscribers(live.app, 2)
        assert live.app.state.bus.count == 2
        await mutate(live_client, TRANSITION, {"input": {"uowId": first, "toStatus": "ACTIVE"}})
        await mutate(live_client, TRANSITION, {"input": {"uowId": second, "toStatus": "FAILED"}})
        seen_one = [data_of(await one.next(), TRANSPORT_WS)["uowTransitions"] for _ in range(2)]
        seen_two = [data_of(await two.next(), LEGACY_WS)["uowTransitions"] for _ in range(2)]
        filtered = data_of(await only_second.next(), TRANSPORT_WS)["telemetry"]
    assert seen_one == seen_two
    assert [e["newStatus"] for e in seen_one] == ["ACTIVE", "FAILED"]
    assert filtered["uowId"] == second
    for _ in range(500):  # every stream ends when its last subscriber leaves
        if live.app.state.bus.count == 0:
            break
        await asyncio.sleep(0.01)
    assert live.app.state.bus.count == 0
