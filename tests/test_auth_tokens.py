"""Bearer tokens (SPEC 8): what is refused on HTTP and WebSocket, JWKS keys, expiry while
connected, `chameleon token create`, actors kept to their instance (with and without
tokens), and the caller recorded beside every change."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from gql.app import create_app
from gql.settings import Settings
from tests.auth_world import (
    AUDIENCE,
    ISSUER,
    SECRET,
    Side,
    build_world,
    client_of,
    hold_units,
    secured_server,
    token,
)
from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.hypothesis_settings import examples_sharing_fixtures
from tests.live_server import serve

QUERY = "query Q { instances { totalCount } }"


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "s", "scope": "admin", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600} | extra


def _unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token, built by hand (PyJWT refuses to decode them, as it should)."""
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = jwt.utils.base64url_encode(json.dumps(claims).encode())
    return f"{header.decode()}.{body.decode()}."


BAD_TOKENS = {
    "missing": None,
    "not a JWT": "forged",
    "forged signature": jwt.encode(_claims(), "another-secret-of-enough-length!!", "HS256"),
    "expired": jwt.encode(_claims(exp=int(time.time()) - 60), SECRET, "HS256"),
    "wrong audience": jwt.encode(_claims(aud="someone-else"), SECRET, "HS256"),
    "wrong issuer": jwt.encode(_claims(iss="https://evil.example"), SECRET, "HS256"),
    "alg none": _unsigned(_claims()),
    "no scope": jwt.encode(_claims(scope="read write"), SECRET, "HS256"),
    "no expiry": jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, SECRET, "HS256"),
    "bad scope id": jwt.encode(_claims(scope="instance:nope"), SECRET, "HS256"),
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_refused_on_http_with_a_graphql_error_body(db_urls: TierUrls, name: str) -> None:
    async with secured_server(db_urls) as server, client_of(server, BAD_TOKENS[name]) as client:
        response = await client.post(QUERY)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["message"]
        # A mutation is refused the same way, before anything runs.
        write = await client.post(
            'mutation M { importTemplate(input: {yaml: "x"}) { errors { code } } }'
        )
        assert write.status_code == 401


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_refused_on_websockets(db_urls: TierUrls, name: str) -> None:
    bad = BAD_TOKENS[name]
    init = {} if bad is None else {"Authorization": f"Bearer {bad}"}
    async with secured_server(db_urls) as server:
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401
        async with websockets.connect(server.ws_url, subprotocols=["graphql-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert message["type"] == "connection_error"
            assert message["payload"]["message"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401


async def test_a_valid_token_is_served(db_urls: TierUrls) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as client:
        assert await client.data(QUERY) == {"instances": {"totalCount": 0}}
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            init = {"Authorization": f"Bearer {token('admin')}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"


async def test_a_token_that_expires_while_connected_closes_the_socket_with_4403(
    db_urls: TierUrls,
) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as admin:
        world = await build_world(admin)
        short = token(f"instance:{world.own.instance_id}", ttl_s=2)
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {short}"}}
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            document = "subscription S($i: ID!) { telemetry(instanceId: $i) { logType } }"
            payload = {"query": document, "variables": {"i": world.own.instance_id}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            code = await _closed_with(ws)
            assert code == 4403


async def _closed_with(ws: Any) -> int | None:
    """Reads (and drops) messages until the server closes the connection; its close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 15)
    except websockets.ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


def _jwks(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A JWKS file with an RSA and an EC key, and their private halves by kid."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    keys = []
    for kid, private, algorithm in (("r1", rsa_key, "RS256"), ("e1", ec_key, "ES256")):
        public = json.loads(
            jwt.algorithms.get_default_algorithms()[algorithm].to_jwk(private.public_key())
        )
        keys.append(public | {"kid": kid, "alg": algorithm, "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": keys}))
    return path, {"r1": rsa_key, "e1": ec_key}


@contextlib.contextmanager
def _served(directory: Path) -> Iterator[str]:
    """`directory` over HTTP on a free local port (an identity provider's JWKS endpoint)."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("source", ["file", "url"])
@pytest.mark.parametrize(("kid", "algorithm"), [("r1", "RS256"), ("e1", "ES256")])
async def test_identity_provider_tokens_checked_against_the_jwks(
    db_urls: TierUrls, tmp_path: Path, kid: str, algorithm: str, source: str
) -> None:
    path, private = _jwks(tmp_path)
    with _served(tmp_path) as base:
        jwks = str(path) if source == "file" else f"{base}/{path.name}"
        await _check_jwks(db_urls, jwks, private, kid, algorithm)


async def _check_jwks(
    db_urls: TierUrls, jwks: str, private: dict[str, Any], kid: str, algorithm: str
) -> None:
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        auth_jwks=jwks,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
    )
    good = jwt.encode(_claims(), private[kid], algorithm, headers={"kid": kid})
    unknown_kid = jwt.encode(_claims(), private[kid], algorithm, headers={"kid": "zz"})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(), other_key, "RS256", headers={"kid": "r1"})
    # No secret is configured: an HS256 token is refused whatever it is signed with.
    hs256 = jwt.encode(_claims(), SECRET, "HS256")
    async with serve(create_app(settings)) as server:
        async with client_of(server, good) as client:
            assert await client.data(QUERY) == {"instances": {"totalCount": 0}}
        for bad in (unknown_kid, forged, hs256, _unsigned(_claims())):
            async with client_of(server, bad) as client:
                assert (await client.post(QUERY)).status_code == 401


def _token_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gql", "token", "create", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_token_create_prints_only_the_token() -> None:
    instance_id = str(uuid.uuid4())
    env = {"CHAMELEON_AUTH_SECRET": SECRET, "CHAMELEON_AUTH_AUDIENCE": AUDIENCE}
    done = _token_command(env, "--instance", instance_id, "--ttl", "60")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    claims = jwt.decode(line, SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["scope"] == f"instance:{instance_id}"
    assert 55 <= claims["exp"] - claims["iat"] <= 60
    assert _token_command(env, "--admin", "--actor", instance_id).returncode != 0
    no_secret = {k: v for k, v in os.environ.items() if k != "CHAMELEON_AUTH_SECRET"}
    refused = subprocess.run(
        [sys.executable, "-m", "gql", "token", "create", "--admin"],
        env=no_secret,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "CHAMELEON_AUTH_SECRET" in refused.stderr
    assert refused.stdout == ""


# --- actors stay in their instance ---------------------------------------------------------

VERBS = {
    "startWork": (
        "StartWorkInput",
        lambda own, other: {"instanceId": own.instance_id, "actorId": other.actor},
    ),
    "transitionUow": (
        "TransitionUowInput",
        lambda own, other: {"uowId": own.held[0], "actorId": other.actor, "attributes": {"x": 1}},
    ),
    "transitionUows": (
        "TransitionUowsInput",
        lambda own, other: {
            "items": [{"uowId": own.held[0], "actorId": other.actor, "attributes": {"x": 1}}]
        },
    ),
    "decompose": (
        "DecomposeInput",
        lambda own, other: {
            "parentId": own.held[0],
            "actorId": other.actor,
            "children": [{"line": 1}],
        },
    ),
    "heartbeat": (
        "HeartbeatInput",
        lambda own, other: {"uowId": own.held[0], "actorId": other.actor},
    ),
    "checkout": (
        "CheckoutInput",
        lambda own, other: {"roleId": own.roles["Line_Splitter"], "actorId": other.actor},
    ),
    "submit": ("SubmitInput", lambda own, other: {"uowId": own.held[0], "actorId": other.actor}),
    "reportFailure": (
        "ReportFailureInput",
        lambda own, other: {"uowId": own.held[0], "actorId": other.actor, "error": {"e": 1}},
    ),
    "recordTelemetry": (
        "RecordTelemetryInput",
        lambda own, other: {
            "instanceId": own.instance_id,
            "actorId": other.actor,
            "logType": "TELEMETRY",
        },
    ),
    "putRoleMemory": (
        "PutRoleMemoryInput",
        lambda own, other: {
            "roleId": own.roles["Line_Splitter"],
            "actorId": other.actor,
            "key": "k",
            "value": 1,
        },
    ),
    "assignRole": (
        "AssignRoleInput",
        lambda own, other: {"roleId": own.roles["Settlement"], "actorId": other.actor},
    ),
}


async def _verb(client: GraphQLClient, name: str, values: dict[str, Any]) -> list[Any]:
    input_type, _ = VERBS[name]
    extra = " results { errors { code path } }" if name == "transitionUows" else ""
    data = await client.data(
        f"mutation M($input: {input_type}!) "
        f"{{ {name}(input: $input) {{ errors {{ code path message }}{extra} }} }}",
        {"input": values},
    )
    payload = data[name]
    return list(payload["errors"]) + [
        error for result in payload.get("results") or [] for error in result["errors"]
    ]


async def _state(admin: GraphQLClient, side: Side) -> Any:
    query = """query($id: ID!) { instance(id: $id) {
      uows(first: 500) { edges { node { id version status lockedBy { id } } } }
      logs(first: 1, logTypes: [STATE_TRANSITION, INTERACTION]) { totalCount }
      actors { assignments { id status } } } }"""
    return await admin.data(query, {"id": side.instance_id})


async def test_cross_instance_actor_refused_without_tokens(live_client: GraphQLClient) -> None:
    """Auth off: the anonymous caller may do anything, except act in instance A as an actor
    of instance B (FORBIDDEN, checked by the service for every verb)."""
    world = await build_world(live_client)
    await hold_units(live_client, world.own, 1)
    before = await _state(live_client, world.own)
    for name, (_, build) in VERBS.items():
        errors = await _verb(live_client, name, build(world.own, world.other))
        assert [error["code"] for error in errors] == ["FORBIDDEN"], (name, errors)
        assert errors[0]["path"][-1] in ("actorId", "roleId"), (name, errors)
        assert (await _state(live_client, world.own)) == before, f"{name} wrote"


async def test_an_actor_token_cannot_act_as_another_actor_of_its_instance(
    db_urls: TierUrls,
) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as admin:
        world = await build_world(admin)
        await hold_units(admin, world.own, 1)
        helper = Side(world.own.name, actors={f"{world.own.name}_worker": world.own.other_actor})
        async with client_of(server, token(f"actor:{world.own.actor}")) as actor:
            before = await _state(admin, world.own)
            for name, (_, build) in VERBS.items():
                errors = await _verb(actor, name, build(world.own, helper))
                assert [error["code"] for error in errors] == ["FORBIDDEN"], (name, errors)
                assert (await _state(admin, world.own)) == before, f"{name} wrote"


# --- audit ---------------------------------------------------------------------------------


async def test_the_caller_is_recorded_beside_each_change(db_urls: TierUrls) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as admin:
        world = await build_world(admin)
        await hold_units(admin, world.own, 1)
        scoped = token(f"instance:{world.own.instance_id}", subject="ops@example.com")
        async with client_of(server, scoped) as ops:
            moved = await ops.data(
                """mutation($input: TransitionUowInput!) { transitionUow(input: $input) {
                  historyEntry { transitionMetadata } errors { code } } }""",
                {
                    "input": {
                        "uowId": world.own.held[0],
                        "actorId": world.own.actor,
                        "attributes": {"amount": 3},
                        "metadata": {"caller": "forged", "ticket": 7},
                    }
                },
            )
            entry = moved["transitionUow"]["historyEntry"]
            assert entry["transitionMetadata"] == {"caller": "ops@example.com", "ticket": 7}
            await ops.data(
                """mutation($input: RegisterActorInput!) {
                  registerActor(input: $input) { errors { code } } }""",
                {
                    "input": {
                        "instanceId": world.own.instance_id,
                        "name": "Newcomer",
                        "identityKey": "new",
                        "type": "HUMAN",
                    }
                },
            )
            logs = await ops.data(
                """query($id: ID!) { instance(id: $id) {
                  logs(first: 500, logTypes: [INTERACTION, STATE_TRANSITION]) {
                    edges { node { logType eventDetails } } } } }""",
                {"id": world.own.instance_id},
            )
            details = [e["node"]["eventDetails"] for e in logs["instance"]["logs"]["edges"]]
            assert {"mutation": "registerActor", "caller": "ops@example.com"}.items() <= next(
                d for d in details if d.get("mutation") == "registerActor"
            ).items()
            assert any(d.get("caller") == "ops@example.com" and "to" in d for d in details)
            recorded = await ops.data(
                """mutation($input: RecordTelemetryInput!) {
                  recordTelemetry(input: $input) { accepted errors { code } } }""",
                {
                    "input": {
                        "instanceId": world.own.instance_id,
                        "logType": "TELEMETRY",
                        "details": {"tokens": 12},
                    }
                },
            )
            assert recorded["recordTelemetry"] == {"accepted": True, "errors": []}
            assert await _flushed_telemetry(ops, world.own) == {
                "tokens": 12,
                "caller": "ops@example.com",
            }
            # The hash covers attributes only: the recorded caller leaves the unit intact.
            verified = await ops.data(
                """mutation($input: VerifyUowStateInput!) {
                  verifyUowState(input: $input) { intact errors { code } } }""",
                {"input": {"uowId": world.own.held[0]}},
            )
            assert verified["verifyUowState"] == {"intact": True, "errors": []}


async def _flushed_telemetry(client: GraphQLClient, side: Side) -> Any:
    """The details of the instance's first TELEMETRY entry, once the buffer has flushed it."""
    query = """query($id: ID!) { instance(id: $id) {
      logs(first: 1, logTypes: [TELEMETRY]) { edges { node { eventDetails } } } } }"""
    for _ in range(200):
        edges = (await client.data(query, {"id": side.instance_id}))["instance"]["logs"]["edges"]
        if edges:
            return edges[0]["node"]["eventDetails"]
        await asyncio.sleep(0.05)
    raise AssertionError("the telemetry entry was never flushed")


# --- whatever a client sends as a token ------------------------------------------------------

SCOPES = st.one_of(
    st.text(max_size=40),
    st.lists(st.text(max_size=20), max_size=4),
    st.integers(),
    st.none(),
    st.lists(st.sampled_from(["admin", "instance:", "actor:", "instance:x"]), max_size=3).map(
        " ".join
    ),
)


@examples_sharing_fixtures(40)
@given(header=st.text(max_size=200), scope=SCOPES, subject=st.text(max_size=30))
async def test_any_header_or_claims_answer_200_or_401(
    app_with_auth: httpx.AsyncClient, header: str, scope: Any, subject: str
) -> None:
    for value in (header, "Bearer " + jwt.encode(_claims(scope=scope, sub=subject), SECRET)):
        try:
            response = await app_with_auth.post(
                "/graphql", json={"query": QUERY}, headers={"Authorization": value}
            )
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            continue  # a header httpx itself refuses to send
        assert response.status_code in (200, 401), response.text
        assert response.json().get("errors") or response.status_code == 200


@pytest.fixture
async def app_with_auth(db_urls: TierUrls) -> Any:
    application = create_app(
        Settings(
            template_db_url=db_urls.template,
            instance_db_url=db_urls.instance,
            auth_secret=SECRET,
            auth_issuer=ISSUER,
            auth_audience=AUDIENCE,
        )
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_queries_over_a_websocket_read_as_the_connection_caller(db_urls: TierUrls) -> None:
    async with secured_server(db_urls) as server, client_of(server, token("admin")) as admin:
        world = await build_world(admin)
        scoped = token(f"instance:{world.own.instance_id}")
        async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
            init = {"Authorization": f"Bearer {scoped}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            document = "query Q { instances { edges { node { id } } } }"
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}})
            )
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            edges = answer["payload"]["data"]["instances"]["edges"]
            assert [edge["node"]["id"] for edge in edges] == [world.own.instance_id]
