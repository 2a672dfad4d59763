"""Revoked bearer tokens: the deny list every server process keeps in memory (issue 13).

One row per revoked token id (`jti`); `expires_at` (the token's own expiry, when known) is
indexed so rows can be purged once the token would be refused anyway. The schema guide is
recreated so SQLite's copy describes the new columns.

Revision ID: 0005_revoked_tokens
Revises: 0004_reliability_json_text
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from migrations import ddl
from storage.models import InstanceBase

revision: str = "0005_revoked_tokens"
down_revision: str | Sequence[str] | None = "0004_reliability_json_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "Revoked_Tokens",
        sa.Column("jti", sa.String(length=200), nullable=False, comment="The token's `jti` claim."),
        sa.Column(
            "revoked_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the token was revoked (UTC).",
        ),
        sa.Column(
            "expires_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="When the token expires anyway (its `exp`, UTC): the row may be purged "
            "after it. NULL when revoked by id alone (the expiry is unknown): kept.",
        ),
        sa.Column(
            "revoked_by",
            sa.String(length=200),
            nullable=True,
            comment="Who revoked it: the caller's token subject, or `cli` for the command line.",
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_Revoked_Tokens")),
        comment="Revoked bearer tokens (their jti), refused until they expire.",
    )
    op.create_index(
        op.f("ix_Revoked_Tokens_expires_at"), "Revoked_Tokens", ["expires_at"], unique=False
    )
    ddl.create_schema_guide(InstanceBase.metadata)


def downgrade() -> None:
    op.drop_index(op.f("ix_Revoked_Tokens_expires_at"), table_name="Revoked_Tokens")
    op.drop_table("Revoked_Tokens")
    ddl.create_schema_guide(InstanceBase.metadata)
