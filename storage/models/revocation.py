"""Tier 2: the deny list of revoked bearer tokens, by their `jti` (SPEC 8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import InstanceBase
from storage.types import UTCDateTime, utcnow

JTI_LENGTH = 200


class RevokedTokenRow(InstanceBase):
    """One revoked token id. Every server process keeps the ids in memory (`gql.revocation`),
    refreshed from this table and told of new rows by the event bus; a row can go once its
    token has expired (an expired token is refused anyway)."""

    __tablename__ = "Revoked_Tokens"
    __table_args__ = ({"comment": "Revoked bearer tokens (their jti), refused until they expire."},)

    jti: Mapped[str] = mapped_column(
        String(JTI_LENGTH), primary_key=True, comment="The token's `jti` claim."
    )
    revoked_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, comment="When the token was revoked (UTC)."
    )
    expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        nullable=True,
        index=True,
        comment="When the token expires anyway (its `exp`, UTC): the row may be purged after "
        "it. NULL when revoked by id alone (the expiry is unknown): kept.",
    )
    revoked_by: Mapped[str | None] = mapped_column(
        String(JTI_LENGTH),
        nullable=True,
        comment="Who revoked it: the caller's token subject, or `cli` for the command line.",
    )
