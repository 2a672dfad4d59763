"""Mutations over HTTP: payload errors for every expected failure, nothing half-written."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from migrations.ddl import drop_append_only_triggers  # noqa: F401 - names documented there
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import TierUrls
from tests.live_server import LiveServer
from tests.raw_sql import RawConnection
from tests.scenario import IMPORT, START, TRANSITION, TYPED_TEMPLATE, build_scenario, mutate

COUNT = "{ templates { totalCount } instances { totalCount } }"


async def _payload(client: GraphQLClient, document: str, variables: dict) -> dict:
    data = await client.data(document, variables)
    (payload,) = data.values()
    return payload


async def test_invalid_example_is_rejected_whole(client: GraphQLClient) -> None:
    text = (EXAMPLES / "invalid_missing_roles.yaml").read_text()
    payload = await _payload(client, IMPORT, {"yaml": text})
    assert payload["template"] is None
    assert {e["rule"] for e in payload["errors"]} == {"R2", "R3", "R4", "R5", "R7"}
    assert all(e["code"] == "RULE_VIOLATION" for e in payload["errors"])
    assert (await client.data(COUNT))["templates"]["totalCount"] == 0


async def test_bad_documents_are_payload_errors(client: GraphQLClient) -> None:
    documents = {
        "workflow: [unclosed": "invalid YAML",
        "- a\n- b\n": "expected a mapping",
        "workflow: {name: X, extra: 1}": "unknown key 'extra'",
        "workflow: {name: X, version: two}": "whole number",
        "workflow:\n  name: Big\n  description: " + "x" * 5_000_000: "at most",
    }
    for text, fragment in documents.items():
        payload = await _payload(client, IMPORT, {"yaml": text})
        assert payload["template"] is None
        assert payload["errors"][0]["code"] == "VALIDATION_FAILED"
        assert fragment in payload["errors"][0]["message"], payload["errors"]
    assert (await client.data(COUNT))["templates"]["totalCount"] == 0


async def test_duplicate_and_missing_child_and_cycles(client: GraphQLClient) -> None:
    child = (EXAMPLES / "receipt_audit.yaml").read_text()
    parent = (EXAMPLES / "expense_review.yaml").read_text()
    missing = await _payload(client, IMPORT, {"yaml": parent})
    assert "Receipt_Audit" in missing["errors"][0]["message"]
    assert (await _payload(client, IMPORT, {"yaml": child}))["errors"] == []
    assert (await _payload(client, IMPORT, {"yaml": child}))["errors"] == []  # same content
    changed = child.replace("Match a receipt", "Match one receipt")
    duplicate = await _payload(client, IMPORT, {"yaml": changed})
    assert duplicate["errors"][0]["code"] == "CONFLICT"
    # Receipt_Audit v2 delegating to Expense_Review, which delegates to Receipt_Audit: a loop.
    assert (await _payload(client, IMPORT, {"yaml": parent}))["errors"] == []
    looping = child.replace("version: 1", "version: 2").replace(
        "{name: Matcher, type: BETA, strategy: HOMOGENEOUS}",
        "{name: Matcher, type: BETA, strategy: HOMOGENEOUS, child_workflow: Expense_Review}",
    )
    cycle = await _payload(client, IMPORT, {"yaml": looping})
    assert cycle["errors"][0]["rule"] == "cycle"
    assert "Receipt_Audit -> Expense_Review -> Receipt_Audit" in cycle["errors"][0]["message"]
    assert (await client.data(COUNT))["templates"]["totalCount"] == 2


CREATE = """mutation($input: TemplateInput!) {
  createTemplate(input: $input) { template { name roles { name } } errors { code rule message } }
}"""


async def test_create_template_is_validated_like_an_import(client: GraphQLClient) -> None:
    broken = {"name": "Typed", "roles": [{"name": "Only", "roleType": "ALPHA"}]}
    payload = await _payload(client, CREATE, {"input": broken})
    assert {"R2", "R3", "R4", "R10"} <= {e["rule"] for e in payload["errors"]}
    valid = TYPED_TEMPLATE
    created = await _payload(client, CREATE, {"input": valid})
    assert created["errors"] == []
    assert len(created["template"]["roles"]) == 4


async def test_unknown_and_malformed_ids_are_payload_errors(client: GraphQLClient) -> None:
    unknown = str(uuid.uuid4())
    payload = await _payload(
        client, TRANSITION, {"input": {"uowId": unknown, "toStatus": "ACTIVE"}}
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert unknown in payload["errors"][0]["message"]
    payload = await _payload(client, TRANSITION, {"input": {"uowId": "nope", "toStatus": "ACTIVE"}})
    assert payload["errors"][0]["code"] == "VALIDATION_FAILED"
    assert payload["errors"][0]["message"].startswith("uowId: 'nope' is not a valid id")
    payload = await _payload(client, START, {"input": {"instanceId": unknown}})
    assert payload["errors"][0]["code"] == "NOT_FOUND"


async def test_twenty_clients_race_for_one_version(live: LiveServer, db_urls: TierUrls) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
        client = GraphQLClient(http)
        scenario = await build_scenario(client, uows=1, steps=0)
        uow_id = scenario.uow_ids[0]

        async def attempt(n: int) -> dict:
            return await _payload(
                client,
                TRANSITION,
                {
                    "input": {
                        "uowId": uow_id,
                        "toStatus": "ACTIVE",
                        "expectedVersion": 1,
                        "attributes": {"winner": n},
                    }
                },
            )

        results = await asyncio.gather(*(attempt(n) for n in range(20)))
        winners = [r for r in results if not r["errors"]]
        losers = [r for r in results if r["errors"]]
        assert len(winners) == 1
        assert {r["errors"][0]["code"] for r in losers} == {"STALE_STATE"}
        history = await client.data(
            """query($id: ID!) { uow(id: $id) { version status
                 attributeHistory(key: "winner") { totalCount }
                 history { edges { node { previousStatus newStatus } } } } }""",
            {"id": uow_id},
        )
    uow = history["uow"]
    assert (uow["version"], uow["status"]) == (2, "ACTIVE")
    assert uow["attributeHistory"]["totalCount"] == 1
    assert [e["node"] for e in uow["history"]["edges"]] == [
        {"previousStatus": None, "newStatus": "PENDING"},
        {"previousStatus": "PENDING", "newStatus": "ACTIVE"},
    ]


VERIFY = """mutation($id: ID!) {
  verifyUowState(input: {uowId: $id}) { intact uow { status contentHash } errors { code } }
}"""


async def test_tampering_is_detected_as_a_breach(client: GraphQLClient, db_urls: TierUrls) -> None:
    scenario = await build_scenario(client, uows=1, steps=1)
    uow_id = scenario.uow_ids[0]
    assert (await _payload(client, VERIFY, {"id": uow_id}))["intact"] is True
    async with RawConnection(db_urls) as raw:  # an attacker with database access
        if db_urls.dialect == "sqlite":
            await raw.execute('DROP TRIGGER "trg_UOW_Attributes_no_update"')
        else:
            await raw.execute('DROP TRIGGER "trg_UOW_Attributes_append_only" ON "UOW_Attributes"')
        await raw.execute(
            f"UPDATE \"UOW_Attributes\" SET value = '9999' WHERE key = 'amount'"
            f" AND uow_id = '{uow_id}'"
        )
    payload = await _payload(client, VERIFY, {"id": uow_id})
    assert payload["intact"] is False
    assert payload["uow"]["status"] == "FAILED_SECURITY_BREACH"
    history = await client.data(
        """query($id: ID!) { uow(id: $id) { history { edges { node { newStatus
           transitionMetadata } } } logs(logTypes: [ERROR]) { totalCount } } }""",
        {"id": uow_id},
    )
    last = history["uow"]["history"]["edges"][-1]["node"]
    assert last["newStatus"] == "FAILED_SECURITY_BREACH"
    assert last["transitionMetadata"]["reason"] == "hash drift"
    assert history["uow"]["logs"]["totalCount"] == 1


RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code message } }
}"""


async def test_record_telemetry_checks_ids(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    ok = await _payload(
        client,
        RECORD,
        {
            "input": {
                "instanceId": scenario.instance_id,
                "uowId": scenario.uow_ids[0],
                "logType": "TELEMETRY",
                "details": {"tokens": 42},
            }
        },
    )
    assert ok == {"accepted": True, "errors": []}
    bad = await _payload(
        client,
        RECORD,
        {
            "input": {
                "instanceId": scenario.instance_id,
                "uowId": str(uuid.uuid4()),
                "logType": "ERROR",
            }
        },
    )
    assert bad["accepted"] is False
    assert bad["errors"][0]["code"] == "NOT_FOUND"


async def test_actor_assignment_and_memory(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=0)
    role = scenario.role("Expense_Review", "Line_Checker")
    actor = await mutate(
        client,
        """mutation($i: RegisterActorInput!) {
      registerActor(input: $i) { actor { id name } errors { code message } } }""",
        {
            "i": {
                "instanceId": scenario.instance_id,
                "name": "Bot",
                "identityKey": "bot-1",
                "type": "AI_AGENT",
                "capabilities": {"model": "small"},
            }
        },
    )
    actor_id = actor["actor"]["id"]
    duplicate = await _payload(
        client,
        """mutation($i: RegisterActorInput!) {
      registerActor(input: $i) { actor { id } errors { code } } }""",
        {
            "i": {
                "instanceId": scenario.instance_id,
                "name": "Bot",
                "identityKey": "bot-2",
                "type": "AI_AGENT",
            }
        },
    )
    assert duplicate["errors"][0]["code"] == "CONFLICT"
    assigned = await mutate(
        client,
        """mutation($i: AssignRoleInput!) {
      assignRole(input: $i) { assignment { id status role { name } } errors { code } } }""",
        {"i": {"actorId": actor_id, "roleId": role}},
    )
    assert assigned["assignment"]["role"]["name"] == "Line_Checker"
    revoked = await mutate(
        client,
        """mutation($i: RevokeAssignmentInput!) {
      revokeAssignment(input: $i) { assignment { status } errors { code } } }""",
        {"i": {"assignmentId": assigned["assignment"]["id"]}},
    )
    assert revoked["assignment"]["status"] == "REVOKED"
    put = """mutation($i: PutRoleMemoryInput!) {
      putRoleMemory(input: $i) { memory { key value scope } errors { code } } }"""
    await mutate(client, put, {"i": {"roleId": role, "key": "limit", "value": 500}})
    await mutate(client, put, {"i": {"roleId": role, "key": "limit", "value": 750}})
    await mutate(
        client, put, {"i": {"roleId": role, "actorId": actor_id, "key": "limit", "value": 100}}
    )
    memory = await client.data(
        """query($id: ID!, $actor: ID) { instance(id: $id) {
      workflows { roles { name memory(actorId: $actor) { key value scope } } } } }""",
        {"id": scenario.instance_id, "actor": actor_id},
    )
    roles = {r["name"]: r for w in memory["instance"]["workflows"] for r in w["roles"]}
    assert sorted(roles["Line_Checker"]["memory"], key=lambda m: m["scope"]) == [
        {"key": "limit", "value": 750, "scope": "GLOBAL"},
        {"key": "limit", "value": 100, "scope": "PERSONAL"},
    ]
