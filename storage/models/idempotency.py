"""Tier 2: idempotency keys, each stored in the transaction of the change it answers for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import InstanceBase
from storage.types import UTCDateTime, utcnow

KEY_LENGTH = 200


class IdempotencyKeyRow(InstanceBase):
    """One key a client sent with a writing mutation, and the answer to replay to a retry.

    The key alone is the primary key: a key reused for another mutation, or with another
    input, must be found to be refused (CONFLICT), not stored beside the first."""

    __tablename__ = "Idempotency_Keys"
    __table_args__ = (
        {"comment": "Idempotency keys of instance-tier mutations, with the answer to replay."},
    )

    idempotency_key: Mapped[str] = mapped_column(
        String(KEY_LENGTH), primary_key=True, comment="The key the client sent (idempotencyKey)."
    )
    mutation: Mapped[str] = mapped_column(
        String(64), comment="The mutation the key was first used with (e.g. transitionUow)."
    )
    input_hash: Mapped[str] = mapped_column(
        String(64),
        comment="SHA-256 of the mutation's input without the key; a retry must send the same.",
    )
    payload: Mapped[str | None] = mapped_column(
        Text,
        nullable=True,
        comment="The service's answer as tagged JSON text, replayed to a retry (NULL only "
        "inside the transaction that claims the key).",
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        index=True,
        comment="When the change was written (UTC); the key replays until created_at plus "
        "CHAMELEON_IDEMPOTENCY_RETENTION_S.",
    )
