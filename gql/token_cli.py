"""`chameleon token create` mints an HS256 bearer token for the embedded case;
`chameleon token revoke` puts a token (any token with a `jti`) on the deny list (SPEC 8)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import typer

# An hour: long enough for a session at the terminal, short enough to leak harmlessly.
DEFAULT_TTL_S = 3_600


app = typer.Typer(
    help="Bearer tokens for callers (signed with CHAMELEON_AUTH_SECRET).",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain click help, as the main command's
)


def _ids(values: list[str], option: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError:
        raise typer.BadParameter(f"{option}: every value must be an id (a UUID)") from None


@app.command()
def create(
    admin: bool = typer.Option(False, "--admin", help="Everything, template writes included."),
    instance: list[str] = typer.Option(  # noqa: B008 (typer declares options this way)
        [], "--instance", help="Read and write this instance (repeat for several)."
    ),
    actor: str | None = typer.Option(
        None, "--actor", help="Act only as this actor, in its instance, on its roles."
    ),
    ttl: int = typer.Option(DEFAULT_TTL_S, "--ttl", min=1, help="Seconds until the token expires."),
    subject: str | None = typer.Option(
        None, "--subject", help="The token's `sub` (who it names in the audit trail)."
    ),
) -> None:
    """Mint a token and print only the token (for `Authorization: Bearer <token>`).

    Give exactly one of --admin, --instance ID... or --actor ID. The token is signed with
    CHAMELEON_AUTH_SECRET and carries CHAMELEON_AUTH_ISSUER / CHAMELEON_AUTH_AUDIENCE when
    they are set, so the server configured the same way accepts it."""
    kinds = sum((admin, bool(instance), actor is not None))
    if kinds != 1:
        raise typer.BadParameter("give exactly one of --admin, --instance ID... or --actor ID")
    from gql.auth import mint  # here, not at the top: `chameleon --help` stays light
    from gql.settings import Settings

    settings = Settings()
    if not settings.auth_secret:
        typer.echo("CHAMELEON_AUTH_SECRET is not set: there is no key to sign with.", err=True)
        raise typer.Exit(2)
    if admin:
        scopes, default_subject = ["admin"], "admin"
    elif instance:
        ids = _ids(instance, "--instance")
        scopes = [f"instance:{key}" for key in ids]
        default_subject = f"instance:{ids[0]}"
    else:
        (key,) = _ids([str(actor)], "--actor")
        scopes, default_subject = [f"actor:{key}"], f"actor:{key}"
    token = mint(
        settings.auth_secret,
        scopes,
        subject=subject or default_subject,
        ttl_s=ttl,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
    )
    typer.echo(token)


@app.command()
def revoke(
    token: str = typer.Argument(
        ...,
        metavar="TOKEN_OR_JTI",
        help="The token itself (its jti and expiry are read from it) or only its jti.",
    ),
) -> None:
    """Revoke a token: every server on these databases refuses it from now on (HTTP 401;
    an open WebSocket using it is closed with 4403 within CHAMELEON_AUTH_REVOCATION_REFRESH_S,
    at once on the PostgreSQL event bus).

    Writes to the instance tier of CHAMELEON_INSTANCE_DB_URL and prints the revoked jti. A
    token given whole is not checked (revoking a forged one harms nothing) and its row is
    purged once it has expired; a jti given alone is kept on the list."""
    jti, expires_at = _token_id(token.strip())
    from gql.settings import Settings

    revoked = asyncio.run(_revoke(Settings().instance_db_url, jti, expires_at))
    typer.echo(jti)
    if not revoked:
        typer.echo("(it was revoked already)", err=True)


def _token_id(value: str) -> tuple[str, datetime | None]:
    """The jti (and expiry) of a whole token, or the value itself taken as a jti."""
    if value.count(".") != 2:
        return value, None
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise typer.BadParameter("TOKEN_OR_JTI: not a readable JWT") from None
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise typer.BadParameter("TOKEN_OR_JTI: the token has no jti: it cannot be revoked")
    expires = claims.get("exp")
    expires_at = datetime.fromtimestamp(expires, UTC) if isinstance(expires, int | float) else None
    return jti, expires_at


async def _revoke(url: str, jti: str, expires_at: datetime | None) -> bool:
    from storage.engines import Tier
    from storage.errors import DomainError
    from storage.revocations import revoke as revoke_id

    tier = Tier.open("instance", url)
    try:
        return await revoke_id(tier, jti, expires_at=expires_at, by="cli")
    except DomainError as error:
        raise typer.BadParameter(f"TOKEN_OR_JTI: {error.problems[0].message}") from None
    finally:
        await tier.dispose()
