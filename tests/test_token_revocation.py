"""Token revocation (issue 13): a revoked token is refused on HTTP (401) and at a WebSocket's
`connection_init` (4403), an open connection whose token is revoked is closed with 4403 (by
the mutation, by `chameleon token revoke`, and from another server process on PostgreSQL),
identity-provider tokens with a `jti` are revoked the same way, and bad ids write nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import websockets
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gql.app import create_app
from gql.settings import Settings
from storage.engines import Tier
from storage.models import RevokedTokenRow
from storage.revocations import purge_expired, revoke, revoked_ids
from tests.auth_world import (
    AUDIENCE,
    ISSUER,
    SECRET,
    auth_settings,
    client_of,
    token,
)
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.live_server import LiveServer, serve
from tests.processes import chameleon, running_server

QUERY = "query Q { instances { totalCount } }"
REVOKE = """mutation R($input: RevokeTokenInput!) {
  revokeToken(input: $input) { revoked errors { code message path } } }"""
POSTGRES_ONLY = pytest.mark.parametrize(
    "db_factory", [p for p in BACKENDS if p.id == "postgresql"], indirect=True
)


def jti_of(bearer: str) -> str:
    return str(jwt.decode(bearer, options={"verify_signature": False})["jti"])


@pytest.fixture
async def live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    settings = auth_settings(db_urls).model_copy(update={"auth_revocation_refresh_s": 0.2})
    async with serve(create_app(settings)) as server:
        yield server


async def revoke_by_mutation(server: Any, jti: str) -> dict[str, Any]:
    async with client_of(server, token("admin", subject="root")) as admin:
        data = await admin.data(REVOKE, {"input": {"jti": jti}})
    return dict(data["revokeToken"])


async def init(url: str, bearer: str, protocol: str = "graphql-transport-ws") -> Any:
    ws = await websockets.connect(url, subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}})
    )
    return ws


async def closed_with(ws: Any) -> int | None:
    """Reads (and drops) messages until the server closes the connection; its close code.
    The token lives 600 s: a close within the wait is the revocation's, not the expiry's."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 30)
    except websockets.ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


async def open_socket(url: str, bearer: str) -> Any:
    """A connection past `connection_init` (from the ack on, it watches its token)."""
    ws = await init(url, bearer)
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    return ws


async def test_a_revoked_token_is_refused_on_http_and_at_connection_init(
    live: LiveServer,
) -> None:
    victim = token("admin", subject="leaked")
    async with client_of(live, victim) as client:
        assert (await client.post(QUERY)).status_code == 200
        assert await revoke_by_mutation(live, jti_of(victim)) == {"revoked": True, "errors": []}
        refused = await client.post(QUERY)
        assert refused.status_code == 401
        assert "revoked" in refused.json()["errors"][0]["message"]
        assert "data" not in refused.json()
    ws = await init(live.ws_url, victim)
    assert await closed_with(ws) == 4403
    legacy = await init(live.ws_url, victim, "graphql-ws")
    message = json.loads(await asyncio.wait_for(legacy.recv(), 30))
    assert message["type"] == "connection_error"
    assert "revoked" in message["payload"]["message"]
    assert await closed_with(legacy) == 4403
    # Revoking it again answers the same; another token of the same caller is untouched.
    assert await revoke_by_mutation(live, jti_of(victim)) == {"revoked": True, "errors": []}
    async with client_of(live, token("admin", subject="leaked")) as fresh:
        assert (await fresh.post(QUERY)).status_code == 200


async def test_an_open_socket_is_closed_when_its_token_is_revoked(live: LiveServer) -> None:
    victim = token("admin", subject="watcher")
    transport = await open_socket(live.ws_url, victim)
    legacy = await init(live.ws_url, victim, "graphql-ws")
    assert json.loads(await legacy.recv())["type"] == "connection_ack"
    bystander = await open_socket(live.ws_url, token("admin", subject="bystander"))
    await revoke_by_mutation(live, jti_of(victim))
    assert await closed_with(transport) == 4403
    assert await closed_with(legacy) == 4403
    # The other connection stays open and usable.
    await bystander.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": QUERY}}))
    answer = json.loads(await asyncio.wait_for(bystander.recv(), 30))
    assert answer["type"] == "next"
    assert answer["payload"]["data"]["instances"]["totalCount"] == 0
    await bystander.close()


async def test_the_command_line_revokes_an_open_socket_s_token(
    db_urls: TierUrls, live: LiveServer, tmp_path: Path
) -> None:
    victim = token("admin", subject="cli-victim")
    ws = await open_socket(live.ws_url, victim)
    done = await asyncio.to_thread(chameleon, db_urls, tmp_path, "token", "revoke", victim)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [jti_of(victim)]
    assert await closed_with(ws) == 4403
    async with client_of(live, victim) as client:
        assert (await client.post(QUERY)).status_code == 401
    # By id alone, and again: the same id, told it was revoked already.
    again = await asyncio.to_thread(chameleon, db_urls, tmp_path, "token", "revoke", jti_of(victim))
    assert again.returncode == 0
    assert again.stdout.split() == [jti_of(victim)]
    assert "already" in again.stderr
    tier = Tier.open("instance", db_urls.instance)
    try:
        async with tier.sessions() as session:
            row = await session.get(RevokedTokenRow, jti_of(victim))
        assert row is not None
        assert row.revoked_by == "cli"
        expires = jwt.decode(victim, options={"verify_signature": False})["exp"]
        assert row.expires_at == datetime.fromtimestamp(expires, UTC)
    finally:
        await tier.dispose()


def test_token_revoke_help_and_bad_input(db_urls: TierUrls, tmp_path: Path) -> None:
    helped = chameleon(db_urls, tmp_path, "token", "revoke", "--help")
    assert helped.returncode == 0
    assert "TOKEN_OR_JTI" in helped.stdout
    assert "4403" in helped.stdout
    no_jti = jwt.encode({"sub": "x", "exp": 2_000_000_000}, SECRET, "HS256")
    refused = chameleon(db_urls, tmp_path, "token", "revoke", no_jti)
    assert refused.returncode == 2
    assert "no jti" in refused.stderr


@given(jti=st.one_of(st.just(""), st.text(min_size=1, max_size=260)))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_revoke_token_names_a_bad_id_and_writes_nothing(
    live: LiveServer, db_urls: TierUrls, jti: str
) -> None:
    async with client_of(live, token("admin")) as admin:
        response = await admin.post(REVOKE, {"input": {"jti": jti}})
    payload = response.json()["data"]["revokeToken"]
    tier = Tier.open("instance", db_urls.instance)
    try:
        good = bool(jti) and jti == jti.strip() and len(jti) <= 200 and jti.isprintable()
        stored = jti in await revoked_ids(tier)
    finally:
        await tier.dispose()
    if good:
        assert payload == {"revoked": True, "errors": []}
        assert stored
    else:
        (error,) = payload["errors"]
        assert payload["revoked"] is None
        assert error["code"] == "VALIDATION_FAILED"
        assert error["path"] == ["input", "jti"]
        assert "jti" in error["message"]
        assert not stored


async def test_identity_provider_tokens_with_a_jti_are_revocable(
    db_urls: TierUrls, tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(jwt.algorithms.get_default_algorithms()["ES256"].to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public | {"kid": "e1", "alg": "ES256", "use": "sig"}]}))
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        auth_jwks=str(jwks),
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
    )
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "scope": "admin"}
    admin = jwt.encode(claims | {"sub": "idp-admin", "jti": "a-1"}, key, "ES256", {"kid": "e1"})
    user = jwt.encode(claims | {"sub": "idp-user", "jti": "u-1"}, key, "ES256", {"kid": "e1"})
    async with serve(create_app(settings)) as server:
        async with client_of(server, admin) as client:
            assert (await client.data(REVOKE, {"input": {"jti": "u-1"}}))["revokeToken"] == {
                "revoked": True,
                "errors": [],
            }
        async with client_of(server, user) as client:
            assert (await client.post(QUERY)).status_code == 401


async def test_expired_rows_are_purged(db_urls: TierUrls) -> None:
    tier = Tier.open("instance", db_urls.instance)
    try:
        past = datetime.now(UTC) - timedelta(minutes=1)
        future = datetime.now(UTC) + timedelta(hours=1)
        assert await revoke(tier, "gone", expires_at=past)
        assert await revoke(tier, "kept", expires_at=future)
        assert await revoke(tier, "forever")
        assert not await revoke(tier, "kept")
        assert await revoked_ids(tier) == {"kept", "forever"}
        assert await purge_expired(tier) == 1
        async with tier.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(RevokedTokenRow))
        assert count == 2
    finally:
        await tier.dispose()


@POSTGRES_ONLY
async def test_a_second_server_process_hears_of_the_revocation(db_urls: TierUrls) -> None:
    """Two `chameleon serve` processes on the PostgreSQL bus; the table is read only every
    10 minutes, so the second process can only learn of the revocation by the bus."""
    env = {
        "event_bus": "postgres",
        "auth_secret": SECRET,
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_revocation_refresh_s": "600",
    }
    victim = token("admin", subject="two-processes")
    with running_server(db_urls, **env) as one, running_server(db_urls, **env) as two:
        ws = await open_socket(two.ws_url, victim)
        assert await revoke_by_mutation(one, jti_of(victim)) == {"revoked": True, "errors": []}
        assert await closed_with(ws) == 4403
        async with client_of(two, victim) as client:
            assert (await client.post(QUERY)).status_code == 401
