"""Client values through the real API on every backend (issue 12): what the strictest
database would refuse is refused everywhere, as VALIDATION_FAILED with a path and nothing
written; everything else is accepted and reads back (and hashes) as it was written."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.runtime.hashing import state_hash
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES as EXAMPLES_DIR
from tests.hypothesis_settings import examples_sharing_fixtures
from tests.json_values import (
    JSON_VALUES,
    KEYS,
    as_sent,
    assert_refused,
    call,
    exactly,
    storable,
    storable_text,
)
from tests.scenario import Scenario, build_scenario

# The app and its databases are shared by the examples of one test on purpose: each
# example checks that a refused input left them as they were.
EXAMPLES = examples_sharing_fixtures(60)
TRANSITION = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { version } errors { code message path } } }"""
UOW = """query($id: ID!) { uow(id: $id) { version contentHash attributes { key value } } }"""
VERIFY = """mutation($id: ID!) { verifyUowState(input: {uowId: $id}) { intact errors { code } } }"""


@pytest.fixture
async def scenario(client: GraphQLClient) -> Scenario:
    return await build_scenario(client, uows=1, steps=1)


SERIAL = itertools.count()


@EXAMPLES
@given(key=KEYS, value=JSON_VALUES)
async def test_attributes_are_stored_alike_or_refused_with_a_path(
    client: GraphQLClient, scenario: Scenario, key: str, value: Any
) -> None:
    uow_id = scenario.uow_ids[0]
    before = (await client.data(UOW, {"id": uow_id}))["uow"]
    attributes = {key: value, "example_n": next(SERIAL)}  # always a change
    payload = await call(client, TRANSITION, {"input": {"uowId": uow_id, "attributes": attributes}})
    after = (await client.data(UOW, {"id": uow_id}))["uow"]
    key, value = as_sent(key), as_sent(value)
    if key and storable_text(key, 200) and storable(value):
        assert payload["errors"] == []
        current = {a["key"]: a["value"] for a in after["attributes"]}
        assert exactly(current[key]) == exactly(value)
        # The hash of what reads back, computed here: the same on every dialect.
        assert after["contentHash"] == state_hash(current)
        assert (await call(client, VERIFY, {"id": uow_id}))["intact"] is True
    else:
        assert_refused(payload, "input", "attributes")
        assert after == before


EXACT = [100.0, -0.0, 1.0, 1e16, 1e20, 2**63 - 1, -(2**63), 2**64, 2**64 + 1, -(2**70) - 3, 1e19]
EXACT += [1.5, 1e-7, 5e-324, 1.5e300, 0.30000000000000004, "100.0", [100.0, -0.0, 1e16]]
EXACT += [{"amount": 100.0, "z": 1, "a": [None, True, "é😀"]}, "\\u0000 as text", "ß\u212a"]


@pytest.mark.parametrize("value", EXACT)
async def test_numbers_read_back_and_hash_alike_on_every_tier(
    client: GraphQLClient, scenario: Scenario, value: Any
) -> None:
    uow_id = scenario.uow_ids[0]
    variables = {"input": {"uowId": uow_id, "attributes": {"x": value}}}
    assert (await call(client, TRANSITION, variables))["errors"] == []
    uow = (await client.data(UOW, {"id": uow_id}))["uow"]
    current = {a["key"]: a["value"] for a in uow["attributes"]}
    assert exactly(current["x"]) == exactly(value)
    assert uow["contentHash"] == state_hash(current)
    assert (await call(client, VERIFY, {"id": uow_id}))["intact"] is True
    assert (await client.data(UOW, {"id": uow_id}))["uow"]["version"] == uow["version"]


@pytest.mark.parametrize("value", [math.nan, -math.inf, math.inf, "\x00", "\ud800"])
async def test_numbers_beyond_every_tier_are_refused(
    client: GraphQLClient, scenario: Scenario, value: Any
) -> None:
    uow_id = scenario.uow_ids[0]
    variables = {"input": {"uowId": uow_id, "attributes": {"x": [1, {"y": value}]}}}
    payload = await call(client, TRANSITION, variables)
    assert_refused(payload, "input", "attributes", "x", "1", "y")


REGISTER = """mutation($i: RegisterActorInput!) {
  registerActor(input: $i) { actor { name identityKey capabilities } errors { code path } } }"""
MEMORY = """mutation($i: PutRoleMemoryInput!) {
  putRoleMemory(input: $i) { memory { key value } errors { code path } } }"""
COUNTS = """query($id: ID!) { instance(id: $id) {
  actors { name } workflows { roles { memory { key } } } } }"""
LENGTHS = st.integers(195, 205) | st.integers(315, 325) | st.just(10_000)
NAMES = st.builds(lambda n, extra: "n" * n + extra, LENGTHS, st.sampled_from(["", "\x00", "é"]))


@EXAMPLES
@given(
    name=NAMES,
    identity=NAMES,
    capabilities=JSON_VALUES,
    key=KEYS,
    value=JSON_VALUES.filter(lambda v: v is not None),
)
async def test_actor_fields_and_memory_are_stored_or_refused_with_a_path(
    client: GraphQLClient,
    scenario: Scenario,
    name: str,
    identity: str,
    capabilities: Any,
    key: str,
    value: Any,
) -> None:
    before = await client.data(COUNTS, {"id": scenario.instance_id})
    # Unique, so no example conflicts with an earlier one; the oracle judges these strings.
    name, identity = f"{next(SERIAL)}{name}", f"{next(SERIAL)}{identity}"
    actor = await call(
        client,
        REGISTER,
        {
            "i": {
                "instanceId": scenario.instance_id,
                "name": name,
                "identityKey": identity,
                "type": "AI_AGENT",
                "capabilities": capabilities,
            }
        },
    )
    ok = storable_text(name, 200) and storable_text(identity, 320)
    if ok and storable(as_sent(capabilities)):
        assert actor["errors"] == []
        assert exactly(actor["actor"]["capabilities"]) == exactly(as_sent(capabilities))
    else:
        assert_refused(actor, "input")
    role = scenario.role("Expense_Review", "Line_Checker")
    memory = await call(client, MEMORY, {"i": {"roleId": role, "key": key, "value": value}})
    key, value = as_sent(key), as_sent(value)
    if key.strip() and storable_text(key, 200) and storable(value):
        assert memory["errors"] == []
        assert exactly(memory["memory"]["value"]) == exactly(value)
    else:
        assert_refused(memory, "input")
    after = await client.data(COUNTS, {"id": scenario.instance_id})
    grew = len(after["instance"]["actors"]) - len(before["instance"]["actors"])
    assert grew == (1 if actor["errors"] == [] else 0)
    if memory["errors"]:
        assert after["instance"]["workflows"] == before["instance"]["workflows"]


INSTANTIATE = """mutation($input: InstantiateInput!) {
  instantiate(input: $input) {
    instance { actors { name roles { name } } } errors { code message path } } }"""
IMPORT = """mutation($yaml: String!) {
  importTemplate(input: {yaml: $yaml}) { template { version } errors { code message path } } }"""
TEMPLATES = "{ templates { totalCount } instances { totalCount } }"


async def test_one_role_named_twice_is_assigned_once(
    client: GraphQLClient, scenario: Scenario
) -> None:
    actor = {
        "name": "Ada",
        "identityKey": "ada",
        "type": "HUMAN",
        "roles": ["Line_Splitter", "Expense_Review.Line_Splitter"],
    }
    variables = {"input": {"templateName": "Expense_Review", "name": "Twice", "actors": [actor]}}
    payload = await call(client, INSTANTIATE, variables)
    assert payload["errors"] == []
    assert payload["instance"]["actors"] == [{"name": "Ada", "roles": [{"name": "Line_Splitter"}]}]


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("name", "i" * 201, ["input", "name"]),
        ("name", "a\x00b", ["input", "name"]),
        ("description", "\ud800", ["input", "description"]),
        ("templateName", "Expense\x00Review", ["input", "templateName"]),
        (
            "actors",
            [{"name": "n" * 201, "identityKey": "k", "type": "HUMAN"}],
            ["input", "actors", "0", "name"],
        ),
        (
            "actors",
            [{"name": "n", "identityKey": "k" * 321, "type": "HUMAN"}],
            ["input", "actors", "0", "identityKey"],
        ),
        (
            "actors",
            [{"name": "n", "identityKey": "k", "type": "HUMAN", "capabilities": [math.nan]}],
            ["input", "actors", "0", "capabilities", "0"],
        ),
    ],
)
async def test_instantiate_refuses_what_a_tier_would_refuse(
    client: GraphQLClient, scenario: Scenario, field: str, value: Any, path: list[str]
) -> None:
    before = await client.data(TEMPLATES)
    variables = {"input": {"templateName": "Expense_Review", "name": "New", field: value}}
    payload = await call(client, INSTANTIATE, variables)
    assert_refused(payload, *path)
    assert await client.data(TEMPLATES) == before


TEMPLATE = (EXAMPLES_DIR / "receipt_audit.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("version: 1", "version: 2147483648", ["workflow", "version"]),
        ("version: 1", "version: 1099511627776", ["workflow", "version"]),
        ("name: Receipt_Audit", "name: " + "E" * 300, ["workflow", "name"]),
        ("name: Receipt_Audit", 'name: "Expense\\0Review"', ["workflow", "name"]),
        (
            "stale_token_limit_seconds: 600",
            "stale_token_limit_seconds: 1000000000000000",
            ["workflow", "interactions", "To_Match", "stale_token_limit_seconds"],
        ),
    ],
)
async def test_templates_beyond_their_columns_are_refused(
    client: GraphQLClient, old: str, new: str, path: list[str]
) -> None:
    assert old in TEMPLATE
    payload = await call(client, IMPORT, {"yaml": TEMPLATE.replace(old, new, 1)})
    assert_refused(payload, *path)
    assert (await client.data(TEMPLATES))["templates"]["totalCount"] == 0


async def test_a_version_at_the_limit_is_accepted_and_reads_back(client: GraphQLClient) -> None:
    at_limit = TEMPLATE.replace("version: 1", "version: 2147483647", 1)
    payload = await call(client, IMPORT, {"yaml": at_limit})
    assert payload["errors"] == []
    assert payload["template"]["version"] == 2**31 - 1


CREATE = """mutation($input: TemplateInput!) {
  createTemplate(input: $input) { template { name } errors { code message path } } }"""


async def test_typed_templates_follow_the_same_rules(client: GraphQLClient) -> None:
    typed = {"name": "T" * 300, "roles": [{"name": "R\x00", "roleType": "ALPHA"}]}
    payload = await call(client, CREATE, {"input": typed})
    paths = {tuple(e["path"]) for e in payload["errors"] if e["code"] == "VALIDATION_FAILED"}
    assert {("workflow", "name"), ("workflow", "roles", "'R\\x00'", "name")} <= paths
    assert (await client.data(TEMPLATES))["templates"]["totalCount"] == 0


async def test_aliases_of_one_large_string_are_bounded_in_characters(
    client: GraphQLClient,
) -> None:
    big = "x" * 400_000
    aliases = ", ".join("*big" for _ in range(460))
    yaml = f'anchor: &big "{big}"\nworkflow: {{name: W, description: [{aliases}]}}\n'
    assert len(yaml) < 1_000_000
    payload = await call(client, IMPORT, {"yaml": yaml})
    assert_refused(payload, "yaml")
    assert "characters of text" in payload["errors"][0]["message"]


@pytest.mark.parametrize(("first", "then"), [(-0.0, False), (0, False), (1, True), (1, 1.0)])
async def test_a_memory_value_python_calls_equal_is_still_written(
    client: GraphQLClient, scenario: Scenario, first: Any, then: Any
) -> None:
    """`-0.0` then `false` under one key reads back `false`: the ORM's change detection
    once took Python's `-0.0 == False` for no change and kept `-0.0`."""
    role = scenario.role("Expense_Review", "Line_Checker")
    key = f"equal-{next(SERIAL)}"
    for value in (first, then):
        memory = await call(client, MEMORY, {"i": {"roleId": role, "key": key, "value": value}})
        assert memory["errors"] == []
        assert exactly(memory["memory"]["value"]) == exactly(value)
