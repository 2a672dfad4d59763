"""One rule for every writing mutation: a PAUSED or ARCHIVED instance takes no writes, and
the refusal writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import GraphQLClient
from tests.engine_client import LOAN, SET_STATUS, START, Engine, loan_instance
from tests.scenario import mutate

COUNTS = """query($id: ID!) {
  instance(id: $id) {
    status logs(first: 1) { totalCount } uows(first: 1) { totalCount }
    actors { name assignments { status } }
    workflows { roles { memory { key value } } }
  }
}"""
WRITES: dict[str, str] = {
    "registerActor": """mutation($i: ID!) { registerActor(input: {instanceId: $i, name: "late",
        identityKey: "late", type: HUMAN}) { errors { code } } }""",
    "assignRole": """mutation($a: ID!, $r: ID!) { assignRole(input: {actorId: $a, roleId: $r})
        { errors { code } } }""",
    "revokeAssignment": """mutation($s: ID!) { revokeAssignment(input: {assignmentId: $s})
        { errors { code } } }""",
    "putRoleMemory": """mutation($r: ID!) { putRoleMemory(input: {roleId: $r, key: "k",
        value: 1}) { errors { code } } }""",
    "heartbeat": """mutation($u: ID!, $a: ID!) { heartbeat(input: {uowId: $u, actorId: $a})
        { errors { code } } }""",
    "recordTelemetry": """mutation($i: ID!) { recordTelemetry(input: {instanceId: $i,
        logType: TELEMETRY, details: {x: 1}}) { accepted errors { code } } }""",
    "startWork": """mutation($i: ID!) { startWork(input: {instanceId: $i}) { errors { code } } }""",
    "submit": """mutation($u: ID!, $a: ID!) { submit(input: {uowId: $u, actorId: $a})
        { errors { code } } }""",
    "checkout": """mutation($r: ID!, $a: ID!) { checkout(input: {roleId: $r, actorId: $a})
        { errors { code } } }""",
}
ASSIGNMENTS = """query($a: ID!) { actor(id: $a) { assignments { id } } }"""


@pytest.mark.parametrize("status", ["PAUSED", "ARCHIVED"])
async def test_an_instance_that_is_not_active_takes_no_writes(
    clients: list[GraphQLClient],
    status: str,
) -> None:
    client = clients[0]
    instance_id = await loan_instance(client, {"splitter": ["Document_Splitter"], "idle": []})
    desk = await Engine.of(client, instance_id)
    await mutate(client, START, {"input": {"instanceId": instance_id}})
    held = await desk.take(f"{LOAN}.Document_Splitter", "splitter")
    splitter = desk.actors["splitter"]
    role = desk.roles[f"{LOAN}.Document_Splitter"]
    assignment = (await client.data(ASSIGNMENTS, {"a": splitter}))["actor"]["assignments"][0]
    await mutate(client, SET_STATUS, {"input": {"instanceId": instance_id, "status": status}})
    before = await client.data(COUNTS, {"id": instance_id})
    variables: dict[str, dict[str, Any]] = {
        "registerActor": {"i": instance_id},
        "assignRole": {"a": desk.actors["idle"], "r": role},
        "revokeAssignment": {"s": assignment["id"]},
        "putRoleMemory": {"r": role},
        "heartbeat": {"u": held["id"], "a": splitter},
        "recordTelemetry": {"i": instance_id},
        "startWork": {"i": instance_id},
        "submit": {"u": held["id"], "a": splitter},
        "checkout": {"r": role, "a": splitter},
    }
    for name, document in WRITES.items():
        (payload,) = (await client.data(document, variables[name])).values()
        assert [e["code"] for e in payload["errors"]] == ["INSTANCE_NOT_ACTIVE"], name
    assert await client.data(COUNTS, {"id": instance_id}) == before
