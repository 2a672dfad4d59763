"""Every entry point, for every caller kind, on its own and on another instance, over real HTTP and
WebSockets with auth on (SPEC 8, issue 13).

The entry points come from the schema: a Query, Mutation or Subscription field without a
rule below fails `test_every_entry_point_has_a_rule`, so a new field cannot be forgotten.
Expected outcomes: `ok` (let through: no NOT_FOUND or FORBIDDEN; the service may still
refuse for its own reasons), `not_found` (exactly what an unknown id gets), `forbidden`,
and 401 for a request without a token. A refused write leaves both instances unchanged.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import websockets
from graphql import GraphQLObjectType, get_named_type

from gql.auth import mint
from gql.token_cli import DEFAULT_TTL_S
from schema.assemble import build_schema
from tests.auth_world import (
    EXAMPLE_YAML,
    Side,
    World,
    build_world,
    client_of,
    fingerprint,
    hold_units,
    secured_server,
    token,
    unknown_id,
)
from tests.client import GraphQLClient
from tests.databases import TierUrls

KINDS = ("none", "admin", "instance", "actor")
OK, NOT_FOUND, FORBIDDEN, UNAUTHORIZED = "ok", "not_found", "forbidden", "unauthorized"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def bearer(kind: str, world: World) -> str | None:
    if kind == "admin":
        return token("admin", subject="root")
    if kind == "instance":
        return token(f"instance:{world.own.instance_id}", subject="ops-A")
    if kind == "actor":
        return token(f"actor:{world.own.actor}", subject="worker-A")
    return None


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- mutations ---------------------------------------------------------------------------

Build = Callable[[World, Side], dict[str, Any]]


@dataclass(frozen=True)
class MutationRule:
    """The input a probe sends for a target instance, and what an instance-scoped and an
    actor-bound caller (of instance A) get: (own instance, other instance)."""

    build: Build
    instance: tuple[str, str] = (OK, NOT_FOUND)
    actor: tuple[str, str] = (OK, NOT_FOUND)
    # Let through and run without any error (createTemplate's probe is a template the
    # rules refuse: enough to show the caller was let through to them).
    clean: bool = True


ADMIN_ONLY = {"instance": (FORBIDDEN, FORBIDDEN), "actor": (FORBIDDEN, FORBIDDEN)}
ADMINISTER = {"actor": (FORBIDDEN, NOT_FOUND)}

# In the order the probes run: submit and reportFailure release the units they act on.
MUTATIONS: dict[str, MutationRule] = {
    "importTemplate": MutationRule(
        lambda w, s: {
            "yaml": EXAMPLE_YAML.replace("Receipt_Audit", unique("Imported"), 1),
        },
        **ADMIN_ONLY,
    ),
    "createTemplate": MutationRule(
        lambda w, s: {
            "name": unique("Created"),
            "roles": [
                {"name": "Start", "roleType": "ALPHA"},
                {"name": "End", "roleType": "OMEGA"},
            ],
            "interactions": [{"name": "Queue"}],
            "components": [
                {"name": "Out", "role": "Start", "interaction": "Queue", "direction": "OUTBOUND"},
                {"name": "In", "role": "End", "interaction": "Queue", "direction": "INBOUND"},
            ],
        },
        **ADMIN_ONLY,
        clean=False,
    ),
    "instantiate": MutationRule(
        lambda w, s: {"templateName": "Receipt_Audit", "name": unique("Instance")}, **ADMIN_ONLY
    ),
    # A fresh id each time: revoking it refuses no caller of the matrix.
    "revokeToken": MutationRule(lambda w, s: {"jti": unique("probe")}, **ADMIN_ONLY),
    "setInstanceStatus": MutationRule(
        lambda w, s: {"instanceId": s.instance_id, "status": "ACTIVE"}, **ADMINISTER
    ),
    "registerActor": MutationRule(
        lambda w, s: {
            "instanceId": s.instance_id,
            "name": unique("Actor"),
            "identityKey": unique("key"),
            "type": "HUMAN",
        },
        **ADMINISTER,
    ),
    "assignRole": MutationRule(
        lambda w, s: {"actorId": s.other_actor, "roleId": s.roles["Settlement"]}, **ADMINISTER
    ),
    "revokeAssignment": MutationRule(lambda w, s: {"assignmentId": s.assignment_id}, **ADMINISTER),
    "putRoleMemory": MutationRule(
        lambda w, s: {
            "roleId": s.roles["Line_Splitter"],
            "actorId": s.actor,
            "key": "tip",
            "value": {"n": 1},
        }
    ),
    "startWork": MutationRule(lambda w, s: {"instanceId": s.instance_id, "actorId": s.actor}),
    "transitionUow": MutationRule(
        lambda w, s: {"uowId": s.held[0], "actorId": s.actor, "attributes": {"amount": 5}}
    ),
    "transitionUows": MutationRule(
        lambda w, s: {
            "items": [{"uowId": s.held[0], "actorId": s.actor, "attributes": {"amount": 6}}]
        }
    ),
    "heartbeat": MutationRule(lambda w, s: {"uowId": s.held[0], "actorId": s.actor}),
    "verifyUowState": MutationRule(lambda w, s: {"uowId": s.held[0]}),
    "recordTelemetry": MutationRule(
        lambda w, s: {
            "instanceId": s.instance_id,
            "uowId": s.held[0],
            "actorId": s.actor,
            "logType": "TELEMETRY",
            "details": {"probe": True},
        }
    ),
    "checkout": MutationRule(lambda w, s: {"roleId": s.roles["Line_Splitter"], "actorId": s.actor}),
    "decompose": MutationRule(
        lambda w, s: {"parentId": s.held[0], "actorId": s.actor, "children": [{"line": 1}]}
    ),
    "submit": MutationRule(
        lambda w, s: {"uowId": s.held[0], "actorId": s.actor, "attributes": {"amount": 7}}
    ),
    "reportFailure": MutationRule(
        lambda w, s: {"uowId": s.held[1], "actorId": s.actor, "error": {"why": "probe"}}
    ),
    # Last: they change the templates the probes above instantiate. Retiring twice is
    # harmless; the parent goes first, then its child has no one referring to it.
    "retireTemplate": MutationRule(
        lambda w, s: {"templateId": w.template_ids["Expense_Review"]}, **ADMIN_ONLY
    ),
    "deleteTemplate": MutationRule(
        lambda w, s: {
            "templateId": w.template_ids["Expense_Review" if s is w.own else "Receipt_Audit"]
        },
        **ADMIN_ONLY,
    ),
}


def _input_type(name: str) -> str:
    schema = build_schema([])._schema
    argument = schema.mutation_type.fields[name].args["input"]  # type: ignore[union-attr]
    return str(argument.type)


def _errors_of(payload: Any) -> list[dict[str, Any]]:
    errors = list(payload["errors"])
    for result in payload.get("results") or []:
        errors += result["errors"]
    return errors


async def _mutate(client: GraphQLClient, name: str, values: dict[str, Any]) -> Any:
    extra = " results { errors { code message path } }" if name == "transitionUows" else ""
    document = (
        f"mutation Probe($input: {_input_type(name)}) "
        f"{{ {name}(input: $input) {{ errors {{ code message path }}{extra} }} }}"
    )
    response = await client.post(document, {"input": values})
    if response.status_code == 401:
        return UNAUTHORIZED, response.json()
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload = body["data"][name]
    codes = {error["code"] for error in _errors_of(payload)}
    if "NOT_FOUND" in codes:
        return NOT_FOUND, payload
    if "FORBIDDEN" in codes:
        return FORBIDDEN, payload
    return OK, payload


def expected_mutation(name: str, kind: str, target: str) -> str:
    if kind == "none":
        return UNAUTHORIZED
    if kind == "admin":
        return OK
    pair = getattr(MUTATIONS[name], kind)
    return str(pair[0] if target == "own" else pair[1])


# --- queries -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryRule:
    """A document and its variables for a target instance; `scoped`: the answer depends on
    the instance (refused for the other one), else every authenticated caller reads it."""

    document: str
    variables: Callable[[World, Side], dict[str, Any]]
    scoped: bool
    # Admin only: any other caller is refused with FORBIDDEN (the template audit).
    admin: bool = False


QUERIES: dict[str, QueryRule] = {
    "templates": QueryRule(
        "query Q { templates { totalCount edges { node { id name } } } }",
        lambda w, s: {},
        scoped=False,
    ),
    "template": QueryRule(
        "query Q($id: ID!) { template(id: $id) { id roles { name } } }",
        lambda w, s: {"id": w.template_ids["Expense_Review"]},
        scoped=False,
    ),
    "templateByName": QueryRule(
        'query Q { templateByName(name: "Receipt_Audit") { id } }', lambda w, s: {}, False
    ),
    "instances": QueryRule(
        "query Q { instances { totalCount edges { node { id } } } }", lambda w, s: {}, True
    ),
    "instance": QueryRule(
        "query Q($id: ID!) { instance(id: $id) { id actors { id } uows { totalCount } } }",
        lambda w, s: {"id": s.instance_id},
        scoped=True,
    ),
    "uow": QueryRule(
        "query Q($id: ID!) { uow(id: $id) { id instance { id } lockedBy { id } } }",
        lambda w, s: {"id": s.held[0]},
        scoped=True,
    ),
    "uows": QueryRule(
        "query Q($id: ID!) { uows(instanceId: $id) { totalCount edges { node { id } } } }",
        lambda w, s: {"id": s.instance_id},
        scoped=True,
    ),
    "actor": QueryRule(
        "query Q($id: ID!) { actor(id: $id) { id instance { id } assignments { id } } }",
        lambda w, s: {"id": s.actor},
        scoped=True,
    ),
    "node": QueryRule(
        "query Q($id: ID!) { node(id: $id) { __typename id ... on UnitOfWork { status } } }",
        lambda w, s: {"id": s.held[0]},
        scoped=True,
    ),
    "templateVersions": QueryRule(
        'query Q { templateVersions(name: "Receipt_Audit") { id version } }',
        lambda w, s: {},
        scoped=False,
    ),
    "templateDiff": QueryRule(
        "query Q($a: ID!, $b: ID!) { templateDiff(fromId: $a, toId: $b) { identical } }",
        lambda w, s: {"a": w.template_ids["Expense_Review"], "b": w.template_ids["Receipt_Audit"]},
        scoped=False,
    ),
    "templateAudit": QueryRule(
        "query Q { templateAudit(first: 5) { totalCount edges { node { caller action } } } }",
        lambda w, s: {},
        scoped=False,
        admin=True,
    ),
    "schemaGuide": QueryRule(
        'query Q { schemaGuide(tier: INSTANCE, table: "UnitsOfWork") { columnName } }',
        lambda w, s: {},
        scoped=False,
    ),
}

SUBSCRIPTIONS = {
    "telemetry": "subscription S($i: ID!, $u: ID) { telemetry(instanceId: $i, uowId: $u) "
    "{ logType instanceId } }",
    "uowTransitions": "subscription S($i: ID!, $u: ID) { uowTransitions(instanceId: $i, "
    "uowId: $u) { newStatus } }",
}


def _masked(value: Any, ids: dict[str, str]) -> str:
    text = json.dumps(value, sort_keys=True)
    for real, placeholder in ids.items():
        text = text.replace(real, placeholder)
    return text


def test_every_entry_point_has_a_rule() -> None:
    schema = build_schema([])._schema
    roots = {"Query": QUERIES, "Mutation": MUTATIONS, "Subscription": SUBSCRIPTIONS}
    for root, rules in roots.items():
        fields = set(schema.get_type(root).fields)  # type: ignore[union-attr]
        assert fields == set(rules), f"{root}: fields without a rule {fields - set(rules)}"


def test_no_path_leads_from_a_template_to_an_instance() -> None:
    """The tiers are air-gapped: nothing reachable from a template is instance data (so no
    nested path from a template reaches another instance's rows)."""
    schema = build_schema([])._schema
    instance_types = {"Instance", "UnitOfWork", "Actor", "LocalWorkflow", "LocalRole"}
    seen: set[str] = set()
    todo = ["TemplateWorkflow"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        kind = schema.get_type(name)
        if isinstance(kind, GraphQLObjectType):
            for field in kind.fields.values():
                todo.append(get_named_type(field.type).name)
    assert not seen & instance_types, seen & instance_types


@pytest.mark.parametrize("kind", KINDS)
async def test_the_matrix(db_urls: TierUrls, kind: str) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as admin:
        world = await build_world(admin)
        for side in (world.own, world.other):
            await hold_units(admin, side, 1)
        async with client_of(server, bearer(kind, world)) as caller:
            mismatches: list[str] = []
            await _queries(caller, kind, world, mismatches)
            await _subscriptions(server.ws_url, admin, kind, world, mismatches)
            await _mutations(caller, admin, kind, world, mismatches)
            assert not mismatches, "\n".join(mismatches)


async def _queries(client: GraphQLClient, kind: str, world: World, out: list[str]) -> None:
    for name, rule in QUERIES.items():
        for target, side in (("own", world.own), ("other", world.other)):
            response = await client.post(rule.document, rule.variables(world, side))
            if kind == "none":
                if response.status_code != 401 or not response.json().get("errors"):
                    out.append(f"query {name} without a token: {response.status_code}")
                continue
            body = response.json()
            if rule.admin and kind != "admin":
                codes = [error["extensions"]["code"] for error in body.get("errors", [])]
                if body.get("data") is not None or codes != ["FORBIDDEN"]:
                    out.append(f"query {name} as {kind}: not refused {body}")
                continue
            if not rule.scoped or kind == "admin" or target == "own":
                if "errors" in body or body["data"] is None:
                    out.append(f"query {name} as {kind} on {target}: refused {body}")
                elif name == "instances":
                    seen = {e["node"]["id"] for e in body["data"]["instances"]["edges"]}
                    want = {world.own.instance_id}
                    if kind == "admin":
                        want.add(world.other.instance_id)
                    if not want <= seen or (kind != "admin" and world.other.instance_id in seen):
                        out.append(f"instances as {kind}: saw {seen}")
                continue
            # The other instance, for a scoped caller: exactly what an unknown id gets.
            variables = rule.variables(world, side)
            unknown = {key: unknown_id() for key in variables}
            missing = (await client.post(rule.document, unknown)).json()
            ids = dict.fromkeys([*variables.values(), *unknown.values()], "<id>")
            if name == "instances":
                seen = {e["node"]["id"] for e in body["data"]["instances"]["edges"]}
                if world.other.instance_id in seen:
                    out.append(f"instances as {kind}: the other instance is listed")
            elif _masked(body, ids) != _masked(missing, ids):
                out.append(f"query {name} as {kind} on other: {body} differs from {missing}")
            if name == "uows" and body["data"]["uows"]["totalCount"] != 0:
                out.append(f"uows as {kind}: other instance's units listed")


async def _subscriptions(
    ws_url: str, admin: GraphQLClient, kind: str, world: World, out: list[str]
) -> None:
    for name, document in SUBSCRIPTIONS.items():
        for target, side in (("own", world.own), ("other", world.other)):
            outcome = await _subscribe(ws_url, admin, kind, world, name, document, side)
            if kind == "none":
                want = "closed 4401"
            elif kind == "admin" or target == "own":
                want = "event"
            else:
                want = "not_found"
            if outcome != want:
                out.append(f"subscription {name} as {kind} on {target}: {outcome}, not {want}")


async def _subscribe(
    ws_url: str,
    admin: GraphQLClient,
    kind: str,
    world: World,
    name: str,
    document: str,
    side: Side,
) -> str:
    bearer_token = bearer(kind, world)
    init: dict[str, Any] = (
        {} if bearer_token is None else {"Authorization": f"Bearer {bearer_token}"}
    )
    async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        try:
            ack = json.loads(await ws.recv())
        except websockets.ConnectionClosed as closed:
            return f"closed {closed.rcvd.code if closed.rcvd else None}"
        assert ack["type"] == "connection_ack", ack
        variables = {"i": side.instance_id, "u": side.held[0]}
        payload = {"query": document, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        reply = await _first_after(ws, admin, side, name)
        if reply["type"] == "next" and reply["payload"].get("data"):
            return "event"
        errors = reply["payload"] if reply["type"] == "error" else reply["payload"]["errors"]
        # Refused exactly like an unknown instance.
        unknown = {"i": unknown_id(), "u": side.held[0]}
        await ws.send(
            json.dumps(
                {
                    "id": "2",
                    "type": "subscribe",
                    "payload": {"query": document, "variables": unknown},
                }
            )
        )
        missing = await _reply(ws, "2")
        missing_errors = (
            missing["payload"] if missing["type"] == "error" else missing["payload"]["errors"]
        )
        ids = {side.instance_id: "<id>", unknown["i"]: "<id>"}
        if _masked(errors, ids) != _masked(missing_errors, ids):
            return f"refused unlike an unknown id: {errors} vs {missing_errors}"
        codes = {e.get("extensions", {}).get("code") for e in errors}
        return "not_found" if codes == {"NOT_FOUND"} else f"errors {errors}"


async def _reply(ws: Any, operation: str) -> dict[str, Any]:
    """The next `next` or `error` message of `operation` (others, like `complete`, skipped)."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if message.get("id") == operation and message["type"] in ("next", "error"):
            return message


async def _first_after(ws: Any, admin: GraphQLClient, side: Side, name: str) -> dict[str, Any]:
    """The first message of the subscription once the admin caused an event it should see."""
    receive = asyncio.ensure_future(ws.recv())
    done, _ = await asyncio.wait({receive}, timeout=0.3)
    if not done:  # subscribed: cause an event
        await admin.data(
            """mutation($input: TransitionUowInput!) {
              transitionUow(input: $input) { errors { code message } } }""",
            {"input": {"uowId": side.held[0], "actorId": side.actor, "attributes": {"t": 1}}},
        )
    message: dict[str, Any] = json.loads(await asyncio.wait_for(receive, 10))
    return message


async def _mutations(
    client: GraphQLClient, admin: GraphQLClient, kind: str, world: World, out: list[str]
) -> None:
    for side in (world.own, world.other):
        await hold_units(admin, side, 2)
    for name, rule in MUTATIONS.items():
        for target, side in (("own", world.own), ("other", world.other)):
            before = [await fingerprint(admin, s) for s in (world.own, world.other)]
            outcome, payload = await _mutate(client, name, rule.build(world, side))
            want = expected_mutation(name, kind, target)
            if outcome != want:
                out.append(
                    f"mutation {name} as {kind} on {target}: {outcome} {payload}, not {want}"
                )
            if outcome == OK and rule.clean and _errors_of(payload):
                out.append(f"mutation {name} as {kind} on {target}: {payload['errors']}")
            if outcome != OK:
                after = [await fingerprint(admin, s) for s in (world.own, world.other)]
                if after != before:
                    out.append(f"mutation {name} as {kind} on {target}: refused, yet wrote")
            if outcome == NOT_FOUND:
                await _like_unknown_ids(client, name, rule.build(world, side), payload, out)


async def _like_unknown_ids(
    client: GraphQLClient, name: str, values: dict[str, Any], payload: Any, out: list[str]
) -> None:
    """The same input with every id replaced by an unknown one is refused the same way."""
    text = json.dumps(values)
    ids = {found: unknown_id() for found in UUID.findall(text)}
    for real, fresh in ids.items():
        text = text.replace(real, fresh)
    _, missing = await _mutate(client, name, json.loads(text))
    placeholders = dict.fromkeys([*ids, *ids.values()], "<id>")
    if _masked(payload, placeholders) != _masked(missing, placeholders):
        out.append(f"mutation {name}: refused {payload}, unlike unknown ids {missing}")


def test_mint_names_the_configured_issuer() -> None:
    """Guards the helper the matrix relies on: tokens carry iss and aud."""
    import jwt

    claims = jwt.decode(
        mint("k" * 40, ["admin"], subject="s", ttl_s=DEFAULT_TTL_S, issuer="i", audience="a"),
        "k" * 40,
        algorithms=["HS256"],
        audience="a",
        issuer="i",
    )
    assert claims["scope"] == "admin"
    assert claims["sub"] == "s"
