"""Reads over HTTP: every type and relationship, pagination, filters, batching."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from resolvers.pagination import encode_cursor
from tests.client import GraphQLClient
from tests.scenario import build_scenario
from tests.statements import count_statements, statements_by_role_page


async def test_templates_navigate_both_ways(client: GraphQLClient) -> None:
    await build_scenario(client, uows=0)
    data = await client.data("""{
      templateByName(name: "Expense_Review") {
        name version schemaJson
        roles { name roleType strategy workflow { name }
                childWorkflow { name parentRoles { name } roles { name } }
                components { name role { name } } }
        interactions { name components { name direction interaction { name } } }
        components { name role { name } interaction { name } guardians { name component { name } } }
        guardians { name type config workflow { name } component { name } }
      }
    }""")
    template = data["templateByName"]
    checker = next(r for r in template["roles"] if r["name"] == "Line_Checker")
    assert checker["strategy"] == "HETEROGENEOUS"
    assert checker["childWorkflow"]["name"] == "Receipt_Audit"
    assert checker["childWorkflow"]["parentRoles"] == [{"name": "Line_Checker"}]
    guardians = {g["name"]: g for g in template["guardians"]}
    assert guardians["Amount_Ok"]["config"] == {
        "interaction_policy": "amount <= 500 and not flagged"
    }
    assert guardians["All_Lines_Back"]["component"]["name"] == "Settle_In"
    assert all(r["workflow"]["name"] == "Expense_Review" for r in template["roles"])


async def test_instance_graph_navigates_both_ways(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=2, steps=2)
    data = await client.data(
        """query($id: ID!) {
      instance(id: $id) {
        name status
        masterWorkflow { name isMaster instance { name } }
        workflows {
          name isMaster
          gatewayRoles { name }
          roles { name isRecursiveGateway linkedWorkflow { name } workflow { name }
                  inboundComponents { name } outboundComponents { name }
                  assignments { status actor { name } role { name } } }
          interactions { name workflow { name } components { name } }
          components { name role { name } interaction { name } guardians { name } }
          guardians { name attributes component { name } workflow { name } }
        }
        actors { name identityKey type instance { name } assignments { role { name } }
                 roles { name } }
        uows { totalCount edges { node { status workflow { name } instance { name }
               currentInteraction { name } lockedBy { name } parent { id }
               attributes { key value version }
               history { totalCount edges { node { newStatus uow { id }
                         newInteraction { name } previousInteraction { name } } } }
               logs { totalCount edges { node { logType uow { id } instance { name } } } } } } }
        logs(logTypes: [STATE_TRANSITION]) { totalCount }
      }
    }""",
        {"id": scenario.instance_id},
    )
    instance = data["instance"]
    assert instance["masterWorkflow"]["name"] == "Expense_Review"
    workflows = {w["name"]: w for w in instance["workflows"]}
    assert set(workflows) == {"Expense_Review", "Receipt_Audit"}
    assert workflows["Receipt_Audit"]["gatewayRoles"] == [{"name": "Line_Checker"}]
    roles = {r["name"]: r for r in workflows["Expense_Review"]["roles"]}
    assert roles["Line_Checker"]["isRecursiveGateway"] is True
    assert roles["Line_Checker"]["linkedWorkflow"]["name"] == "Receipt_Audit"
    assert roles["Line_Splitter"]["assignments"][0]["actor"]["name"] == "Ada"
    assert instance["actors"][0]["roles"] == [{"name": "Line_Splitter"}]
    uows = instance["uows"]
    assert uows["totalCount"] == 2
    for edge in uows["edges"]:
        node = edge["node"]
        assert node["history"]["totalCount"] == 3  # genesis + two transitions
        assert node["logs"]["totalCount"] == 3
        assert {a["key"] for a in node["attributes"]} == {"amount", "step"}
    assert instance["logs"]["totalCount"] == 6


async def test_pagination_edges(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=5, steps=0)
    query = """query($id: ID!, $first: Int, $after: String) {
      uows(instanceId: $id, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id } }
      }
    }"""
    first = (await client.data(query, {"id": scenario.instance_id, "first": 2}))["uows"]
    assert first["totalCount"] == 5
    assert [e["node"]["id"] for e in first["edges"]] == scenario.uow_ids[:2]
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": first["edges"][-1]["cursor"],
    }
    second = (
        await client.data(
            query, {"id": scenario.instance_id, "first": 2, "after": first["pageInfo"]["endCursor"]}
        )
    )["uows"]
    assert [e["node"]["id"] for e in second["edges"]] == scenario.uow_ids[2:4]
    last = (
        await client.data(
            query,
            {"id": scenario.instance_id, "first": 2, "after": second["pageInfo"]["endCursor"]},
        )
    )["uows"]
    assert [e["node"]["id"] for e in last["edges"]] == scenario.uow_ids[4:]
    assert last["pageInfo"]["hasNextPage"] is False
    past = (
        await client.data(
            query, {"id": scenario.instance_id, "first": 2, "after": last["pageInfo"]["endCursor"]}
        )
    )["uows"]
    assert past["edges"] == []
    assert past["totalCount"] == 5
    errors = await client.errors(
        query, {"id": scenario.instance_id, "after": encode_cursor(uuid.uuid4())}
    )
    assert "unknown cursor" in errors[0]["message"]


async def test_filters(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=3, steps=1)  # each one PENDING -> ACTIVE
    intake = scenario.interaction("Expense_Review", "Intake_Queue")
    query = """query($id: ID!, $status: UowStatus, $interaction: ID) {
      uows(instanceId: $id, status: $status, interactionId: $interaction) { totalCount }
      instance(id: $id) {
        logs(logTypes: [TELEMETRY]) { totalCount }
        all: logs { totalCount }
        workflows { name uows(status: ACTIVE) { totalCount } }
      }
      templates(filter: {nameContains: "Audit"}) { totalCount edges { node { name } } }
    }"""
    data = await client.data(query, {"id": scenario.instance_id, "status": "ACTIVE"})
    assert data["uows"]["totalCount"] == 3
    assert data["instance"]["logs"]["totalCount"] == 0
    assert data["instance"]["all"]["totalCount"] == 6
    by_name = {w["name"]: w["uows"]["totalCount"] for w in data["instance"]["workflows"]}
    assert by_name == {"Expense_Review": 3, "Receipt_Audit": 0}
    assert data["templates"]["edges"] == [{"node": {"name": "Receipt_Audit"}}]
    pending = await client.data(query, {"id": scenario.instance_id, "status": "PENDING"})
    assert pending["uows"]["totalCount"] == 0
    queued = await client.data(query, {"id": scenario.instance_id, "interaction": intake})
    assert queued["uows"]["totalCount"] == 3


DEEP_QUERY = """query($id: ID!, $n: Int!) {
  instance(id: $id) {
    workflows { roles { uows(first: $n) { totalCount edges { node {
      id history(first: 10) { totalCount edges { node { newStatus } } } } } } } }
  }
}"""
DEEP_BACKWARDS = """query($id: ID!, $n: Int!) {
  instance(id: $id) {
    workflows { roles { uows(last: $n) { totalCount edges { node {
      id history(last: 10) { totalCount edges { node { newStatus } } }
      logs(last: 3) { edges { node { id } } } } } } } }
  }
}"""


@pytest.mark.parametrize(
    ("document", "units", "large", "depth"),
    [
        # depth: instance, workflows, roles, uows, history
        pytest.param(DEEP_QUERY, 45, 40, 5, id="forwards"),
        # depth: instance, workflows, roles, uows, history, logs
        pytest.param(DEEP_BACKWARDS, 30, 30, 6, id="backwards"),
    ],
)
async def test_deep_query_statements_do_not_grow_with_page_size(
    app: Starlette, client: GraphQLClient, document: str, units: int, large: int, depth: int
) -> None:
    scenario = await build_scenario(client, uows=units, steps=1)
    counts, largest = await statements_by_role_page(
        app, client, document, scenario.instance_id, (2, large)
    )
    assert largest == {2: 2, large: large}
    assert counts[2] == counts[large], counts
    assert counts[large] <= depth + 2, counts


TEMPLATE_QUERY = """{ templates(first: 50) { edges { node {
  roles { components { guardians { name } } } } } } }"""


async def test_template_tree_statements_are_bounded(app: Starlette, client: GraphQLClient) -> None:
    await build_scenario(client, uows=0)
    with count_statements(app) as statements:
        await client.data(TEMPLATE_QUERY)
    assert len(statements) <= 4 + 2, statements


async def test_a_query_touching_one_tier_never_connects_to_the_other(
    app: Starlette, client: GraphQLClient
) -> None:
    await build_scenario(client, uows=0)
    checkouts: list[str] = []
    listeners = {
        name: (lambda *_, name=name: checkouts.append(name)) for name in ("template", "instance")
    }
    for name, listener in listeners.items():
        event.listen(getattr(app.state.tiers, name).engine.sync_engine, "checkout", listener)
    try:
        await client.data("{ templates { totalCount edges { node { roles { name } } } } }")
        assert set(checkouts) == {"template"}
        checkouts.clear()
        await client.data("{ instances { totalCount edges { node { workflows { name } } } } }")
        assert set(checkouts) == {"instance"}
    finally:
        for name, listener in listeners.items():
            event.remove(getattr(app.state.tiers, name).engine.sync_engine, "checkout", listener)


async def test_empty_log_type_list_matches_nothing_and_unknown_tables_are_named(
    client: GraphQLClient,
) -> None:
    scenario = await build_scenario(client, uows=1, steps=1)
    logs = """query($id: ID!, $types: [LogType!]) {
      instance(id: $id) { logs(logTypes: $types) { totalCount } } }"""
    everything = await client.data(logs, {"id": scenario.instance_id, "types": None})
    assert everything["instance"]["logs"]["totalCount"] >= 2
    nothing = await client.data(logs, {"id": scenario.instance_id, "types": []})
    assert nothing["instance"]["logs"]["totalCount"] == 0
    errors = await client.errors('{ schemaGuide(tier: INSTANCE, table: "nope") { columnName } }')
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert "'nope'" in errors[0]["message"]
    found = await client.data(
        '{ schemaGuide(tier: INSTANCE, table: "UnitsOfWork") { columnName } }'
    )
    assert {"columnName": "content_hash"} in found["schemaGuide"]
