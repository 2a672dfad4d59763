"""Bearer tokens (SPEC 8): JWTs verified with PyJWT, turned into the request's `Caller`.

Auth is on as soon as a secret, a JWKS, an issuer or an audience is configured; then every
request needs a valid token (HTTP: the `Authorization` header; WebSocket: the
`connection_init` payload's `Authorization`). HS256 tokens are checked with
`CHAMELEON_AUTH_SECRET` (the embedded case, minted by `chameleon token create`); RS256 and
ES256 tokens with the key of their `kid` in `CHAMELEON_AUTH_JWKS` (a file or a URL, for an
identity provider). No other algorithm is accepted, `none` included: the algorithm a token
names only picks which of the configured keys checks it.

The `scope` claim (a space-separated string or a list) grants `admin`, `instance:<id>` (one
or more) or `actor:<id>`; `sub` names the caller in the audit trail and the rate limit. A
token with a `jti` (every token `chameleon token create` mints; an identity provider's when
it sets one) can be revoked: its id is then refused by every server process
(`gql.revocation`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import select
from starlette.requests import HTTPConnection

from gql.revocation import Revocations
from gql.settings import Settings
from storage.access import ANONYMOUS, Caller, CallerKind
from storage.engines import Tier
from storage.models import ActorRow

HS256 = "HS256"
ASYMMETRIC = ("RS256", "ES256")


class AuthError(Exception):
    """The request carries no usable token; the message says why (safe to show)."""


class RevokedTokenError(AuthError):
    """The token is valid but was revoked (a WebSocket is closed with 4403, not 4401)."""


@dataclass(frozen=True, slots=True)
class Admission:
    """A verified caller and when its token stops being valid (epoch seconds)."""

    caller: Caller
    expires_at: float | None
    jti: str | None = None


def auth_enabled(settings: Settings) -> bool:
    return any(
        value is not None
        for value in (
            settings.auth_secret,
            settings.auth_jwks,
            settings.auth_issuer,
            settings.auth_audience,
        )
    )


class Authenticator:
    """Verifies tokens against the configured keys; built once in the app factory."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = auth_enabled(settings)
        self._secret = settings.auth_secret
        self._issuer = settings.auth_issuer
        self._audience = settings.auth_audience
        self._jwks_client: jwt.PyJWKClient | None = None
        self._jwks: jwt.PyJWKSet | None = None
        # Set by the app's lifespan once the revoked ids are read (`gql.revocation`).
        self.revocations: Revocations | None = None
        source = settings.auth_jwks
        if source is not None and source.startswith(("http://", "https://")):
            self._jwks_client = jwt.PyJWKClient(source, cache_keys=True, timeout=10)
        elif source is not None:
            self._jwks = jwt.PyJWKSet.from_json(Path(source).read_text(encoding="utf-8"))

    async def admit_header(self, header: str | None, instance: Tier) -> Admission:
        """The caller of an HTTP request (anonymous while auth is off)."""
        if not self.enabled:
            return Admission(ANONYMOUS, None)
        return await self.admit(bearer(header), instance)

    async def admit_payload(self, payload: Any, instance: Tier) -> Admission:
        """The caller of a WebSocket connection, from its `connection_init` payload."""
        if not self.enabled:
            return Admission(ANONYMOUS, None)
        header = payload.get("Authorization") if isinstance(payload, dict) else None
        return await self.admit(bearer(header if isinstance(header, str) else None), instance)

    async def admit(self, token: str, instance: Tier) -> Admission:
        claims = await self.verify(token)
        jti = claims.get("jti")
        jti = jti if isinstance(jti, str) else None
        if jti is not None and self.revocations is not None and jti in self.revocations:
            raise RevokedTokenError("the bearer token has been revoked")
        caller = await caller_of(claims, instance)
        expires = claims.get("exp")
        expires_at = float(expires) if isinstance(expires, int | float) else None
        return Admission(caller, expires_at, jti)

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or AuthError: signature, algorithm, expiry, issuer and
        audience checked."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JWT") from None
        key: Any
        if algorithm == HS256 and self._secret is not None:
            key = self._secret
        elif algorithm in ASYMMETRIC and (self._jwks is not None or self._jwks_client):
            key = await self._public_key(token)
        else:
            raise AuthError(f"tokens signed with {algorithm!r} are not accepted here")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self._issuer,
                audience=self._audience,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_iss": self._issuer is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the bearer token has expired") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"the bearer token is refused: {error}") from None
        return claims

    async def _public_key(self, token: str) -> Any:
        try:
            if self._jwks_client is not None:
                # PyJWKClient fetches with urllib (blocking): off the event loop.
                signing = await asyncio.to_thread(self._jwks_client.get_signing_key_from_jwt, token)
                return signing.key
            assert self._jwks is not None
            kid = jwt.get_unverified_header(token).get("kid")
            return self._jwks[str(kid)].key
        except (jwt.PyJWTError, KeyError):
            raise AuthError("the bearer token's key (kid) is not in the configured JWKS") from None


def bearer(header: str | None) -> str:
    if not header:
        raise AuthError("a bearer token is required (Authorization: Bearer <token>)")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def scopes_of(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list) and all(isinstance(item, str) for item in scope):
        return list(scope)
    raise AuthError("the bearer token has no scope (admin, instance:<id> or actor:<id>)")


async def caller_of(claims: dict[str, Any], instance: Tier) -> Caller:
    """The caller a verified token describes; an actor's instance is read (and remembered)."""
    subject = str(claims["sub"])
    scopes = scopes_of(claims)
    if "admin" in scopes:
        return Caller(CallerKind.ADMIN, None, None, subject)
    instances: set[uuid.UUID] = set()
    actors: set[uuid.UUID] = set()
    for scope in scopes:
        kind, _, value = scope.partition(":")
        target = {"instance": instances, "actor": actors}.get(kind)
        if target is None:
            continue  # scopes of other services sharing the identity provider
        try:
            target.add(uuid.UUID(value))
        except ValueError:
            raise AuthError(f"scope {scope!r}: not a valid id") from None
    if len(actors) > 1 or (actors and instances):
        raise AuthError("a token is bound to one actor, and then to nothing else")
    if actors:
        (actor_id,) = actors
        owner = await actor_instance(instance, actor_id)
        reach = frozenset() if owner is None else frozenset({owner})
        return Caller(CallerKind.ACTOR, reach, actor_id, subject)
    if instances:
        return Caller(CallerKind.INSTANCE, frozenset(instances), None, subject)
    raise AuthError("the bearer token has no scope (admin, instance:<id> or actor:<id>)")


async def actor_instance(tier: Tier, actor_id: uuid.UUID) -> uuid.UUID | None:
    known = tier.known_ids
    owner = None if known is None else known.owner("actorId", actor_id)
    if owner is None:
        async with tier.sessions() as session:
            owner = await session.scalar(
                select(ActorRow.instance_id).where(ActorRow.actor_id == actor_id)
            )
        if owner is not None and known is not None:
            known.remember_owner("actorId", actor_id, owner)
    return owner


def caller_key(connection: HTTPConnection, caller: Caller | None = None) -> str:
    """The rate-limit key of a request: its token's subject, else its client address.

    `caller` defaults to the one this module put on the request (`request.state.caller`)."""
    if caller is None:
        caller = getattr(connection.state, "caller", None)
    if caller is not None and caller.subject is not None:
        return f"sub:{caller.subject}"
    client = connection.client
    return f"addr:{client.host if client is not None else 'unknown'}"


def mint(
    secret: str,
    scopes: Sequence[str],
    *,
    subject: str,
    ttl_s: int,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """An HS256 token for the embedded case (`chameleon token create`, which holds the
    default lifetime), with a `jti` of its own so that it can be revoked
    (`chameleon token revoke`, `revokeToken`)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "scope": " ".join(scopes), "iat": now}
    claims["jti"] = uuid.uuid4().hex
    claims["exp"] = now + ttl_s
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=HS256)
