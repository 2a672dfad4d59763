"""What a console needs from the API (issue 15), over the real app on both databases:
newest-first pagination, `Instance.stats`, `uows` filters and `node(id)`."""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from resolvers.nodes import NODE_TYPES
from resolvers.pagination import encode_cursor
from storage.enums import UowStatus
from tests.client import GraphQLClient
from tests.hypothesis_settings import examples_sharing_fixtures
from tests.scenario import TRANSITION, Scenario, build_scenario, mutate
from tests.statements import count_statements

# One app and database per test on purpose: the examples add to the same instance.
EXAMPLES = examples_sharing_fixtures(40)
SERIAL = itertools.count()


async def transition(client: GraphQLClient, uow_id: str, **fields: Any) -> dict[str, Any]:
    return await mutate(client, TRANSITION, {"input": {"uowId": uow_id, **fields}})


async def move(client: GraphQLClient, uow_id: str, n: int) -> None:
    """One more history entry and STATE_TRANSITION log for the unit (ACTIVE <-> PENDING)."""
    await transition(client, uow_id, toStatus="ACTIVE" if n % 2 == 0 else "PENDING")


# --- newest-first pagination -------------------------------------------------------------

HISTORY = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  uow(id: $id) { history(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
INSTANCE_LOGS = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  instance(id: $id) { logs(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
UOW_LOGS = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  uow(id: $id) { logs(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
LISTS = {"history": HISTORY, "instanceLogs": INSTANCE_LOGS, "uowLogs": UOW_LOGS}


async def page(client: GraphQLClient, query: str, parent: str, **args: Any) -> dict[str, Any]:
    data = await client.data(query, {"id": parent, **args})
    (root,) = data.values()
    (connection,) = root.values()
    return connection


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


MOVES = 23


@pytest.fixture
async def moved(live_client: GraphQLClient) -> Scenario:
    """One unit of work with 24 history entries (and as many transition logs), written
    over real HTTP."""
    scenario = await build_scenario(live_client, uows=1, steps=0)
    for n in range(MOVES):
        await move(live_client, scenario.uow_ids[0], n)
    return scenario


def parent_of(name: str, scenario: Scenario) -> str:
    return scenario.instance_id if name == "instanceLogs" else scenario.uow_ids[0]


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_last_is_the_newest_in_order(
    live_client: GraphQLClient, moved: Scenario, name: str
) -> None:
    query, parent = LISTS[name], parent_of(name, moved)
    everything = await page(live_client, query, parent, first=500)
    assert everything["totalCount"] >= 24
    newest = await page(live_client, query, parent, last=10)
    assert ids(newest) == ids(everything)[-10:]
    assert newest["totalCount"] == everything["totalCount"]
    assert newest["pageInfo"]["hasPreviousPage"] is True
    assert newest["pageInfo"]["hasNextPage"] is False
    assert newest["pageInfo"]["startCursor"] == newest["edges"][0]["cursor"]
    # Backwards from a cursor: the 3 before the newest page, still oldest first.
    before = await page(
        live_client, query, parent, last=3, before=newest["pageInfo"]["startCursor"]
    )
    assert ids(before) == ids(everything)[-13:-10]
    assert before["pageInfo"]["hasNextPage"] is True
    # Both cursors: the rows strictly between them.
    between = await page(
        live_client,
        query,
        parent,
        after=everything["edges"][2]["cursor"],
        before=everything["edges"][7]["cursor"],
        last=50,
    )
    assert ids(between) == ids(everything)[3:7]
    assert between["pageInfo"]["hasPreviousPage"]
    assert between["pageInfo"]["hasNextPage"]
    # More than there is: the whole list, nothing precedes it.
    whole = await page(live_client, query, parent, last=500)
    assert ids(whole) == ids(everything)
    assert whole["pageInfo"]["hasPreviousPage"] is False
    none = await page(live_client, query, parent, last=0)
    assert none["edges"] == []
    assert none["totalCount"] == everything["totalCount"]


@pytest.mark.parametrize("name", sorted(LISTS))
async def test_walking_either_way_while_rows_arrive_skips_and_repeats_nothing(
    live_client: GraphQLClient, moved: Scenario, name: str
) -> None:
    query, parent = LISTS[name], parent_of(name, moved)
    uow_id = moved.uow_ids[0]
    at_start = ids(await page(live_client, query, parent, first=500))
    counter = itertools.count(MOVES)  # the fixture's moves left it ACTIVE: PENDING next

    # Backwards from the newest to the first, a new transition between every two pages.
    seen_back: list[str] = []
    current = await page(live_client, query, parent, last=5)
    pages = 0
    while True:
        seen_back = ids(current) + seen_back
        pages += 1
        if not current["pageInfo"]["hasPreviousPage"]:
            break
        await move(live_client, uow_id, next(counter))
        current = await page(
            live_client, query, parent, last=5, before=current["pageInfo"]["startCursor"]
        )
    assert seen_back == at_start  # rows written meanwhile are newer than every cursor
    assert pages >= len(at_start) // 5

    # Forwards from the first to the end, a new transition between every two pages.
    seen_forward: list[str] = []
    current = await page(live_client, query, parent, first=5)
    while True:
        seen_forward += ids(current)
        if not current["pageInfo"]["hasNextPage"]:
            break
        await move(live_client, uow_id, next(counter))
        current = await page(
            live_client, query, parent, first=5, after=current["pageInfo"]["endCursor"]
        )
    at_end = ids(await page(live_client, query, parent, first=500))
    assert len(set(seen_forward)) == len(seen_forward)
    assert seen_forward == at_end  # every row, the ones written during the walk included
    assert at_end[: len(at_start)] == at_start


async def test_page_arguments_are_checked(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=1, steps=1)
    uow_id = scenario.uow_ids[0]
    both = await client.errors(HISTORY, {"id": uow_id, "first": 2, "last": 2})
    assert "first, last: give one of them" in both[0]["message"]
    negative = await client.errors(HISTORY, {"id": uow_id, "last": -1})
    assert "last: must not be negative" in negative[0]["message"]
    too_many = await client.errors(HISTORY, {"id": uow_id, "last": 100_000})
    assert "last: at most" in too_many[0]["message"]
    unknown = await client.errors(HISTORY, {"id": uow_id, "before": encode_cursor(uuid.uuid4())})
    assert "before: unknown cursor" in unknown[0]["message"]
    garbage = await client.errors(HISTORY, {"id": uow_id, "before": "not-a-cursor"})
    assert "before:" in garbage[0]["message"]
    assert "not a cursor" in garbage[0]["message"]


async def test_the_inbox_pages_backwards_too(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=5, steps=0)
    role = scenario.role("Expense_Review", "Line_Splitter")
    query = """query($id: ID!, $first: Int, $last: Int, $before: String) {
      node(id: $id) { ... on LocalRole {
        inbox(first: $first, last: $last, before: $before) {
          totalCount edges { cursor node { id } }
          pageInfo { hasPreviousPage hasNextPage } } } } }"""
    every = (await client.data(query, {"id": role, "first": 50}))["node"]["inbox"]
    newest = (await client.data(query, {"id": role, "last": 2}))["node"]["inbox"]
    assert every["totalCount"] == 5
    assert ids(newest) == ids(every)[-2:]
    assert newest["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}
    back = (
        await client.data(query, {"id": role, "last": 2, "before": newest["edges"][0]["cursor"]})
    )["node"]["inbox"]
    assert ids(back) == ids(every)[1:3]


# --- Instance.stats --------------------------------------------------------------------------

STATS = """query($id: ID!) { instance(id: $id) { stats {
  total byStatus { status count }
  byInteraction { interactionId name count waiting interaction { id name } }
  oldestWaitingSince oldestWaitingSeconds } } }"""
EVERY_UOW = """query($id: ID!) { uows(instanceId: $id, first: 500) { edges { node {
  id status updatedAt createdAt currentInteraction { id name } } } } }"""


async def test_stats_match_the_units_counted_one_by_one_in_one_statement(
    app: Starlette, client: GraphQLClient
) -> None:
    scenario = await build_scenario(client, uows=7, steps=1)  # all ACTIVE
    workflow = scenario.workflows["Expense_Review"]
    other = next(i["id"] for i in workflow["interactions"] if i["name"] != "Intake_Queue")
    for n, uow_id in enumerate(scenario.uow_ids[:4]):
        fields: dict[str, Any] = {"toStatus": "PENDING"}
        if n % 2:
            fields["toInteractionId"] = other
        await transition(client, uow_id, **fields)
    await transition(client, scenario.uow_ids[4], toStatus="COMPLETED")

    with count_statements(app) as plain:
        await client.data(
            "query($id: ID!) { instance(id: $id) { id } }", {"id": scenario.instance_id}
        )
    with count_statements(app) as statements:
        stats = (await client.data(STATS, {"id": scenario.instance_id}))["instance"]["stats"]
    # The instance, the stats, the interactions behind `interaction`: stats is one statement.
    assert len(statements) == len(plain) + 1 + 1, statements

    units = [
        e["node"]
        for e in (await client.data(EVERY_UOW, {"id": scenario.instance_id}))["uows"]["edges"]
    ]
    by_status = Counter(u["status"] for u in units)
    assert stats["total"] == len(units) == 7
    assert {s["status"]: s["count"] for s in stats["byStatus"]} == by_status
    assert [s["status"] for s in stats["byStatus"]] == sorted(by_status)
    per_interaction = Counter(u["currentInteraction"]["id"] for u in units)
    waiting = Counter(u["currentInteraction"]["id"] for u in units if u["status"] == "PENDING")
    assert {i["interactionId"]: i["count"] for i in stats["byInteraction"]} == per_interaction
    assert {i["interactionId"]: i["waiting"] for i in stats["byInteraction"]} == {
        key: waiting.get(key, 0) for key in per_interaction
    }
    names = {u["currentInteraction"]["id"]: u["currentInteraction"]["name"] for u in units}
    assert all(i["name"] == names[i["interactionId"]] for i in stats["byInteraction"])
    assert all(i["interaction"]["id"] == i["interactionId"] for i in stats["byInteraction"])
    oldest = min(datetime.fromisoformat(u["updatedAt"]) for u in units if u["status"] == "PENDING")
    assert datetime.fromisoformat(stats["oldestWaitingSince"]) == oldest
    assert 0 <= stats["oldestWaitingSeconds"] < timedelta(hours=1).total_seconds()


async def test_stats_of_many_instances_are_one_statement(
    app: Starlette, client: GraphQLClient
) -> None:
    await build_scenario(client, uows=2, steps=1)
    query = "{ instances { edges { node { id stats { total oldestWaitingSeconds } } } } }"
    with count_statements(app) as plain:
        await client.data("{ instances { edges { node { id } } } }")
    with count_statements(app) as statements:
        data = await client.data(query)
    assert len(statements) == len(plain) + 1, statements
    (instance,) = data["instances"]["edges"]
    assert instance["node"]["stats"] == {"total": 2, "oldestWaitingSeconds": None}


# --- uows filters ----------------------------------------------------------------------------

FILTERED = """query($id: ID!, $statuses: [UowStatus!], $after: DateTime, $before: DateTime,
                  $attributes: [AttributeEquals!]) {
  uows(instanceId: $id, statuses: $statuses, createdAfter: $after, createdBefore: $before,
       attributes: $attributes, first: 500) { totalCount edges { node { id } } }
  instance(id: $id) {
    uows(statuses: $statuses, createdAfter: $after, createdBefore: $before,
         attributes: $attributes, first: 500) { totalCount edges { node { id } } } } }"""


async def filtered(client: GraphQLClient, instance_id: str, **args: Any) -> list[str]:
    """The units both `uows` fields find (they must agree)."""
    body = json.dumps({"query": FILTERED, "variables": {"id": instance_id, **args}})
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    payload = response.json()
    assert "errors" not in payload, payload["errors"]
    root = ids(payload["data"]["uows"])
    assert ids(payload["data"]["instance"]["uows"]) == root
    assert payload["data"]["uows"]["totalCount"] == len(root)
    return root


@pytest.fixture
async def mixed(client: GraphQLClient) -> tuple[Scenario, list[dict[str, Any]]]:
    """Nine units in five statuses; returns them as listed (oldest first)."""
    scenario = await build_scenario(client, uows=9, steps=0)
    targets = ["ACTIVE", "PENDING", "ACTIVE", "COMPLETED", "PAUSED", "ACTIVE", None, "FAILED"]
    for uow_id, status in zip(scenario.uow_ids, targets, strict=False):
        if status not in (None, "ACTIVE"):  # through ACTIVE: no PENDING -> PENDING
            await transition(client, uow_id, toStatus="ACTIVE")
        if status is not None:
            await transition(client, uow_id, toStatus=status)
    units = (await client.data(EVERY_UOW, {"id": scenario.instance_id}))["uows"]["edges"]
    return scenario, [e["node"] for e in units]


@EXAMPLES
@given(statuses=st.sets(st.sampled_from([s.value for s in UowStatus])))
async def test_statuses_filter_is_any_of_the_set(
    client: GraphQLClient, mixed: tuple[Scenario, list[dict[str, Any]]], statuses: set[str]
) -> None:
    scenario, units = mixed
    found = await filtered(client, scenario.instance_id, statuses=sorted(statuses))
    assert found == [u["id"] for u in units if u["status"] in statuses]


async def test_created_range_is_after_inclusive_before_exclusive(
    client: GraphQLClient, mixed: tuple[Scenario, list[dict[str, Any]]]
) -> None:
    scenario, units = mixed
    created = [u["createdAt"] for u in units]
    middle = created[4]
    at = datetime.fromisoformat
    assert await filtered(client, scenario.instance_id, after=middle) == [
        u["id"] for u in units if at(u["createdAt"]) >= at(middle)
    ]
    assert await filtered(client, scenario.instance_id, before=middle) == [
        u["id"] for u in units if at(u["createdAt"]) < at(middle)
    ]
    assert await filtered(client, scenario.instance_id, after=created[2], before=created[6]) == [
        u["id"] for u in units[2:6]
    ]
    both = await filtered(
        client, scenario.instance_id, statuses=["ACTIVE"], after=created[1], before=created[6]
    )
    assert both == [u["id"] for u in units[1:6] if u["status"] == "ACTIVE"]
    errors = await client.errors(
        FILTERED, {"id": scenario.instance_id, "after": "2026-01-01T00:00:00"}
    )
    assert "createdAfter: give a time zone" in errors[0]["message"]


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5)
NUMBERS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda x: not x.is_integer() or abs(x) < 2**63
    ),
    st.sampled_from([100.0, -0.0, 1e16, 0.1, 2**53 + 1, 1e-7, 5e-324, -(2**63)]),
)
STORABLE_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, st.sampled_from(["é😀", "100.0", "ß"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


def another_spelling(value: Any) -> Any:
    """The same JSON value written differently: object keys reversed, whole numbers that
    a double holds exactly written as floats (100 -> 100.0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return float(value)
    if isinstance(value, list):
        return [another_spelling(v) for v in value]
    if isinstance(value, dict):
        return {k: another_spelling(value[k]) for k in reversed(list(value))}
    return value


def normalised(value: Any) -> Any:
    """The oracle, apart from the code under test: JSON equality with 1 == 1.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def same_json(a: Any, b: Any) -> bool:
    def typed(v: Any) -> Any:  # True == 1 in Python; not in JSON
        if isinstance(v, bool):
            return ("bool", v)
        if isinstance(v, list):
            return [typed(x) for x in v]
        if isinstance(v, dict):
            return {k: typed(x) for k, x in v.items()}
        return v

    return bool(typed(normalised(a)) == typed(normalised(b)))


@pytest.fixture
async def pair(client: GraphQLClient) -> Scenario:
    return await build_scenario(client, uows=2, steps=0)


@EXAMPLES
@given(value=STORABLE_JSON, other=STORABLE_JSON)
async def test_attribute_equality_is_json_equality_on_every_database(
    client: GraphQLClient, pair: Scenario, value: Any, other: Any
) -> None:
    key = f"probe_{next(SERIAL)}"
    first, second = pair.uow_ids
    await transition(client, first, attributes={key: value})
    await transition(client, second, attributes={key: other})
    expected = [first] + ([second] if same_json(value, other) else [])
    for asked in (value, another_spelling(value)):
        attributes = [{"key": key, "value": asked}]
        assert sorted(await filtered(client, pair.instance_id, attributes=attributes)) == sorted(
            expected
        ), (value, other, asked)


@pytest.mark.parametrize(
    ("stored", "asked"),
    [
        (True, 1),
        (1, True),
        (False, 0),
        ("1", 1),
        (1, 1.5),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": [1]}, {"a": 1}),
        ("é", "e\u0301"),
        (None, "null"),
        (0, None),
    ],
)
async def test_attribute_equality_tells_apart_what_json_tells_apart(
    client: GraphQLClient, pair: Scenario, stored: Any, asked: Any
) -> None:
    uow_id = pair.uow_ids[0]
    await transition(client, uow_id, attributes={"x": stored})
    assert await filtered(client, pair.instance_id, attributes=[{"key": "x", "value": asked}]) == []
    assert await filtered(client, pair.instance_id, attributes=[{"key": "x", "value": stored}]) == [
        uow_id
    ]


async def test_attribute_filters_see_current_versions_only_and_combine(
    client: GraphQLClient, pair: Scenario
) -> None:
    first, second = pair.uow_ids
    await transition(client, first, attributes={"x": 1, "y": "a"})
    await transition(client, first, attributes={"x": 2})
    await transition(client, second, attributes={"x": 1, "y": "a"})
    instance = pair.instance_id

    def attrs(**values: Any) -> list[dict[str, Any]]:
        return [{"key": k, "value": v} for k, v in values.items()]

    assert await filtered(client, instance, attributes=attrs(x=1)) == [second]
    assert await filtered(client, instance, attributes=attrs(x=2.0)) == [first]
    assert sorted(await filtered(client, instance, attributes=attrs(y="a"))) == sorted(pair.uow_ids)
    assert await filtered(client, instance, attributes=attrs(x=2, y="a")) == [first]
    assert await filtered(client, instance, attributes=attrs(missing=None)) == []
    assert await filtered(client, instance, attributes=[]) == await filtered(client, instance)
    # `amount` was written at genesis (version 1) and never changed.
    assert await filtered(client, instance, attributes=attrs(amount=10)) == [second]


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"key": "x", "value": "a\x00b"}, ["attributes", "0", "value"]),
        ({"key": "x", "value": {"k": "\ud800"}}, ["attributes", "0", "value", "k"]),
        ({"key": "", "value": 1}, ["attributes", "0", "key"]),
        ({"key": "k" * 201, "value": 1}, ["attributes", "0", "key"]),
    ],
)
async def test_unstorable_attribute_filters_are_refused_with_a_path(
    client: GraphQLClient, pair: Scenario, entry: dict[str, Any], path: list[str] | None
) -> None:
    body = json.dumps(
        {"query": FILTERED, "variables": {"id": pair.instance_id, "attributes": [entry]}}
    )
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] == "VALIDATION_FAILED", errors
    if path is not None:
        assert errors[0]["extensions"]["argumentPath"] == path


# --- node(id) --------------------------------------------------------------------------------

EVERYTHING = """query($id: ID!) {
  instance(id: $id) { id
    actors { id assignments { id } }
    workflows { id roles { id memory { id } } interactions { id } components { id }
                guardians { id } }
    uows(first: 1) { edges { node { id attributes { id } history(first: 1) { edges { node { id } } }
                                  logs(first: 1) { edges { node { id } } } } } } }
  templates(first: 1) { edges { node { id roles { id } interactions { id } components { id }
                                       guardians { id } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on UnitOfWork { status } ... on InteractionLog { logType }
  ... on TemplateWorkflow { name } } }"""


async def test_node_finds_every_type_by_its_id(app: Starlette, client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=1, steps=1)
    await mutate(
        client,
        """mutation($input: PutRoleMemoryInput!) { putRoleMemory(input: $input) {
             memory { id } errors { code message } } }""",
        {
            "input": {
                "roleId": scenario.role("Expense_Review", "Line_Splitter"),
                "key": "tip",
                "value": "be kind",
            }
        },
    )
    data = await client.data(EVERYTHING, {"id": scenario.instance_id})
    instance, template = data["instance"], data["templates"]["edges"][0]["node"]
    workflow, uow = instance["workflows"][0], instance["uows"]["edges"][0]["node"]
    role = next(r for w in instance["workflows"] for r in w["roles"] if r["memory"])
    actor = instance["actors"][0]
    expected = {
        "Instance": instance["id"],
        "Actor": actor["id"],
        "RoleAssignment": actor["assignments"][0]["id"],
        "LocalWorkflow": workflow["id"],
        "LocalRole": role["id"],
        "RoleMemory": role["memory"][0]["id"],
        "LocalInteraction": workflow["interactions"][0]["id"],
        "LocalComponent": workflow["components"][0]["id"],
        "LocalGuardian": next(g["id"] for w in instance["workflows"] for g in w["guardians"]),
        "UnitOfWork": uow["id"],
        "UowAttribute": uow["attributes"][0]["id"],
        "UowHistoryEntry": uow["history"]["edges"][0]["node"]["id"],
        "InteractionLog": uow["logs"]["edges"][0]["node"]["id"],
        "TemplateWorkflow": template["id"],
        "TemplateRole": template["roles"][0]["id"],
        "TemplateInteraction": template["interactions"][0]["id"],
        "TemplateComponent": template["components"][0]["id"],
        "TemplateGuardian": template["guardians"][0]["id"],
    }
    implementing = await client.data('{ __type(name: "Node") { possibleTypes { name } } }')
    assert {t["name"] for t in implementing["__type"]["possibleTypes"]} == set(expected)
    assert set(expected) == {name for types in NODE_TYPES.values() for name in types} | {
        "InteractionLog"
    }
    for type_name, object_id in expected.items():
        node = (await client.data(NODE, {"id": object_id}))["node"]
        assert node["__typename"] == type_name, node
        assert node["id"] == object_id, node
    uow_node = (await client.data(NODE, {"id": uow["id"]}))["node"]
    assert uow_node["status"] == "ACTIVE"

    # Every one of them in one request: at most a lookup per tier, one for logs and one
    # per table that answered, whatever the number of ids.
    aliases = " ".join(
        f'n{n}: node(id: "{object_id}") {{ id }}' for n, object_id in enumerate(expected.values())
    )
    with count_statements(app) as statements:
        together = await client.data("{" + aliases + "}")
    assert [node["id"] for node in together.values()] == list(expected.values())
    assert len(statements) <= 2 + 1 + len(expected), statements


@pytest.mark.parametrize("unknown", [str(uuid.uuid4()), "999999999", "0", str(2**70)])
async def test_node_of_an_unknown_id_is_null(client: GraphQLClient, unknown: str) -> None:
    await build_scenario(client, uows=1, steps=0)
    assert (await client.data(NODE, {"id": unknown})) == {"node": None}


async def test_node_of_something_that_is_no_id_is_an_error(client: GraphQLClient) -> None:
    errors = await client.errors(NODE, {"id": "not an id"})
    assert "is not an id of this API" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
