"""Byte limits on the JSON values clients send (issue 13): a value over
CHAMELEON_MAX_JSON_VALUE_BYTES is VALIDATION_FAILED with its path and nothing is written,
over HTTP and WebSockets; the telemetry buffer is bounded in bytes as well as entries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.hypothesis_settings import examples_sharing_fixtures
from tests.live_server import LiveServer, app_on, serve
from tests.scenario import Scenario, build_scenario
from tests.ws_client import TRANSPORT_WS, Subscriber

LIMIT = 2_000
# One server and data set for the examples of a test: each checks nothing was written.
EXAMPLES = examples_sharing_fixtures(40)
START = """mutation($i: StartWorkInput!) {
  startWork(input: $i) { uow { id } errors { code path message } } }"""
TRANSITION = """mutation($i: TransitionUowInput!) {
  transitionUow(input: $i) { uow { version } errors { code path message } } }"""
MEMORY = """mutation($i: PutRoleMemoryInput!) {
  putRoleMemory(input: $i) { memory { key } errors { code path message } } }"""
REGISTER = """mutation($i: RegisterActorInput!) {
  registerActor(input: $i) { actor { id } errors { code path message } } }"""
RECORD = """mutation($i: RecordTelemetryInput!) {
  recordTelemetry(input: $i) { accepted errors { code path message } } }"""
COUNTS = """query($id: ID!) { instance(id: $id) {
  actors { id } uows { totalCount } logs { totalCount }
  workflows { roles { memory { key } } } } }"""
UOW = """query($id: ID!) { uow(id: $id) { version attributes { key value } } }"""


def blob(size: int) -> dict[str, str]:
    """A JSON object taking exactly `size` bytes (`{"b":"..."}` is 8 bytes around the text)."""
    return {"b": "x" * (size - 8)}


@pytest.fixture
async def live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    async with serve(app_on(db_urls, max_json_value_bytes=LIMIT)) as server:
        yield server


@pytest.fixture
def client(live_client: GraphQLClient) -> GraphQLClient:
    """The shared `live_client`, on this module's server (`live`, with the byte limit)."""
    return live_client


@pytest.fixture
async def scenario(client: GraphQLClient) -> Scenario:
    return await build_scenario(client, uows=1, steps=1)


async def payload_of(client: GraphQLClient, document: str, data: dict[str, Any]) -> Any:
    (payload,) = (await client.data(document, {"i": data})).values()
    return payload


def refused_at(payload: Any, *path: str) -> str:
    (error,) = payload["errors"]
    assert error["code"] == "VALIDATION_FAILED", error
    assert error["path"] == list(path), error
    return str(error["message"])


def inputs(scenario: Scenario, value: Any) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """Every mutation input carrying a client JSON value, with `value` in it."""
    uow, instance = scenario.uow_ids[0], scenario.instance_id
    role = scenario.role("Expense_Review", "Line_Splitter")
    actor = {"instanceId": instance, "name": "Big", "identityKey": "big", "type": "AI_AGENT"}
    telemetry = {"instanceId": instance, "logType": "TELEMETRY"}
    return [
        (START, {"instanceId": instance, "attributes": value}, ("input", "attributes")),
        (TRANSITION, {"uowId": uow, "attributes": value}, ("input", "attributes")),
        (
            TRANSITION,
            {"uowId": uow, "attributes": {"n": 1}, "metadata": value},
            ("input", "metadata"),
        ),
        (MEMORY, {"roleId": role, "key": "k", "value": value}, ("input", "value")),
        (REGISTER, {**actor, "capabilities": value}, ("input", "capabilities")),
        (RECORD, {**telemetry, "details": value}, ("input", "details")),
        (RECORD, {**telemetry, "error": value}, ("input", "error")),
    ]


async def state(client: GraphQLClient, scenario: Scenario) -> Any:
    counts = await client.data(COUNTS, {"id": scenario.instance_id})
    uow = await client.data(UOW, {"id": scenario.uow_ids[0]})
    return counts, uow


async def test_every_json_value_over_the_limit_is_refused_with_its_path(
    client: GraphQLClient, scenario: Scenario
) -> None:
    before = await state(client, scenario)
    for document, data, path in inputs(scenario, blob(LIMIT + 1)):
        message = refused_at(await payload_of(client, document, data), *path)
        assert f"{LIMIT + 1} bytes" in message
        assert str(LIMIT) in message
    assert await state(client, scenario) == before
    for document, data, _ in inputs(scenario, blob(LIMIT)):
        assert (await payload_of(client, document, data))["errors"] == [], document


async def test_over_websockets_too(live: LiveServer, scenario: Scenario) -> None:
    uow = scenario.uow_ids[0]
    async with Subscriber(live.ws_url, TRANSPORT_WS) as ws:
        await ws.subscribe(TRANSITION, {"i": {"uowId": uow, "attributes": blob(LIMIT + 1)}})
        message = await ws.next()
    payload = message["payload"]["data"]["transitionUow"]
    refused_at(payload, "input", "attributes")


@EXAMPLES
@given(size=st.integers(LIMIT - 40, LIMIT + 40), text=st.sampled_from(["x", "é", "😀", "\\"]))
async def test_the_limit_is_in_bytes_of_json(
    live: LiveServer, client: GraphQLClient, scenario: Scenario, size: int, text: str
) -> None:
    """Accepted exactly when the value's compact JSON (UTF-8) fits, against an oracle written
    apart: multi-byte characters and escapes count as what is stored."""
    value = {"t": text * size}
    stored = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    buffer = live.app.state.telemetry
    before = buffer.depth + buffer.flushed  # entries accepted so far (flushed or queued)
    data = {"instanceId": scenario.instance_id, "logType": "TELEMETRY", "details": value}
    payload = await payload_of(client, RECORD, data)
    if stored <= LIMIT:
        assert payload == {"accepted": True, "errors": []}
    else:
        refused_at(payload, "input", "details")
        assert buffer.depth + buffer.flushed == before


async def test_the_telemetry_buffer_is_bounded_in_bytes(db_urls: TierUrls) -> None:
    """Past the buffer's bytes (not its entry count) recordTelemetry answers BACKPRESSURE;
    an entry larger than the whole buffer is refused as invalid (it could never fit)."""
    application = app_on(
        db_urls,
        telemetry_buffer_bytes=20_000,
        telemetry_flush_interval_s=600,  # nothing leaves the buffer during the test
    )
    async with (
        serve(application) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http,
    ):
        client = GraphQLClient(http)
        scenario = await build_scenario(client, uows=1, steps=0)
        entry = {"instanceId": scenario.instance_id, "logType": "TELEMETRY"}
        answers = [
            await payload_of(client, RECORD, {**entry, "details": blob(5_000)}) for _ in range(4)
        ]
        assert [a["accepted"] for a in answers] == [True, True, True, False]
        assert answers[3]["errors"][0]["code"] == "BACKPRESSURE"
        assert application.state.telemetry.bytes <= 20_000
        huge = await payload_of(client, RECORD, {**entry, "details": blob(25_000)})
        assert huge["errors"][0]["code"] == "VALIDATION_FAILED"
        assert "the buffer holds at most 20000" in huge["errors"][0]["message"]
