"""Logs are listed in the order events happened, not the order they were written."""

from __future__ import annotations

import asyncio

from tests.client import GraphQLClient
from tests.scenario import TRANSITION, build_scenario, mutate

RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } }
}"""
LOGS = """query($id: ID!) { uow(id: $id) { logs(first: 10) { edges { node { logType } } } } }"""


async def test_telemetry_recorded_before_a_transition_is_listed_before_it(
    client: GraphQLClient,
) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    uow_id = scenario.uow_ids[0]
    entry = {"instanceId": scenario.instance_id, "uowId": uow_id, "logType": "TELEMETRY"}
    await mutate(client, RECORD, {"input": entry})  # buffered: written after the transition
    await mutate(client, TRANSITION, {"input": {"uowId": uow_id, "toStatus": "ACTIVE"}})
    for _ in range(200):  # until the buffer's flusher has written the entry
        edges = (await client.data(LOGS, {"id": uow_id}))["uow"]["logs"]["edges"]
        if len(edges) == 3:
            break
        await asyncio.sleep(0.05)
    assert [e["node"]["logType"] for e in edges] == [
        "STATE_TRANSITION",  # genesis
        "TELEMETRY",
        "STATE_TRANSITION",
    ]
