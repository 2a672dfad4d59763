"""Column helpers shared by the model modules of both tiers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import mapped_column

from storage.types import JSONText, JSONType, UTCDateTime, UUIDType, utcnow


def text_column(comment: str) -> Any:
    return mapped_column(Text, nullable=True, comment=comment)


def name_column(comment: str) -> Any:
    return mapped_column(String(200), comment=comment)


def ai_context_column() -> Any:
    return mapped_column(
        JSONType, nullable=True, comment="Free-form guidance for AI agents (string or mapping)."
    )


def json_column(comment: str, *, nullable: bool = True, sort_order: int = 0) -> Any:
    """Instance-tier JSON a client (or a copied blueprint) wrote, kept as exact text."""
    return mapped_column(JSONText(), nullable=nullable, comment=comment, sort_order=sort_order)


def created_at_column(comment: str = "When the row was written (UTC).") -> Any:
    return mapped_column(UTCDateTime(), default=utcnow, comment=comment)


def fk_column(
    target: str,
    comment: str,
    *,
    nullable: bool = False,
    ondelete: str | None = None,
    sort_order: int = 0,
) -> Any:
    """A UUID foreign key, always indexed (SPEC 3.3: indexes on every foreign key)."""
    return mapped_column(
        UUIDType(),
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
        index=True,
        comment=comment,
        sort_order=sort_order,
    )
