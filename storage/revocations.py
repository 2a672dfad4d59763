"""The deny list of revoked bearer tokens (SPEC 8): written here, read by `gql.revocation`.

A revocation is one row in the instance tier's `Revoked_Tokens`; on PostgreSQL the same
transaction NOTIFYs `REVOCATION_CHANNEL` with the token id, so every server process listening
on the event bus hears of it when it commits (and the others read the table on a short
interval either way). Nothing here knows about tokens beyond their id and expiry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, text
from sqlalchemy.exc import IntegrityError

from storage.engines import Tier
from storage.errors import DomainError, ErrorCode
from storage.models.revocation import JTI_LENGTH, RevokedTokenRow
from storage.types import utcnow

REVOCATION_CHANNEL = "chameleon_revocations"
_PATH = ("input", "jti")


def checked_jti(value: str) -> str:
    """The token id as given, or VALIDATION_FAILED naming `jti` (nothing is written)."""
    if not value or value != value.strip():
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            "jti: a token id is required, without surrounding spaces",
            _PATH,
        )
    if not value.isprintable():
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, "jti: only printable characters", _PATH
        )
    if len(value) > JTI_LENGTH:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, f"jti: longer than {JTI_LENGTH} characters", _PATH
        )
    return value


async def revoke(
    tier: Tier, jti: str, *, expires_at: datetime | None = None, by: str | None = None
) -> bool:
    """Puts `jti` on the deny list; False when it was there already (nothing changes)."""
    jti = checked_jti(jti)
    try:
        async with tier.writing() as session:
            if await session.get(RevokedTokenRow, jti) is not None:
                return False
            session.add(
                RevokedTokenRow(jti=jti, revoked_at=utcnow(), expires_at=expires_at, revoked_by=by)
            )
            await session.flush()
            if tier.dialect == "postgresql":
                # Delivered to the listeners when (and only if) the row commits.
                await session.execute(
                    text("SELECT pg_notify(:channel, :jti)"),
                    {"channel": REVOCATION_CHANNEL, "jti": jti},
                )
    except IntegrityError:  # revoked by another caller at the same moment
        return False
    return True


async def revoked_ids(tier: Tier) -> set[str]:
    """The ids of revoked tokens that have not expired yet (or whose expiry is unknown)."""
    table = RevokedTokenRow.__table__
    query = select(table.c.jti).where(
        or_(table.c.expires_at.is_(None), table.c.expires_at > utcnow())
    )
    async with tier.engine.connect() as connection:
        return set((await connection.execute(query)).scalars())


async def purge_expired(tier: Tier) -> int:
    """Deletes the rows of tokens that have expired (they are refused as expired anyway)."""
    async with tier.writing() as session:
        done = await session.execute(
            delete(RevokedTokenRow).where(RevokedTokenRow.expires_at <= utcnow())
        )
    return int(getattr(done, "rowcount", 0) or 0)
