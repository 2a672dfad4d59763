"""Idempotency keys: one row per key a writing mutation was sent with, and its answer.

The row is written in the transaction of the change it answers for, so a retry after a
lost connection finds either both or neither. `created_at` is indexed for the sweep of
expired keys. The schema guide is recreated so SQLite's copy describes the new columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from migrations import ddl
from storage.models import InstanceBase

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATED_AT = (
    "When the change was written (UTC); the key replays until created_at plus "
    "CHAMELEON_IDEMPOTENCY_RETENTION_S."
)


def upgrade() -> None:
    op.create_table(
        "Idempotency_Keys",
        sa.Column(
            "idempotency_key",
            sa.String(length=200),
            nullable=False,
            comment="The key the client sent (idempotencyKey).",
        ),
        sa.Column(
            "mutation",
            sa.String(length=64),
            nullable=False,
            comment="The mutation the key was first used with (e.g. transitionUow).",
        ),
        sa.Column(
            "input_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the mutation's input without the key; a retry must send the same.",
        ),
        sa.Column(
            "payload",
            sa.Text(),
            nullable=True,
            comment="The service's answer as tagged JSON text, replayed to a retry (NULL only "
            "inside the transaction that claims the key).",
        ),
        sa.Column(
            "created_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment=CREATED_AT,
        ),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_Idempotency_Keys")),
        comment="Idempotency keys of instance-tier mutations, with the answer to replay.",
    )
    op.create_index(
        op.f("ix_Idempotency_Keys_created_at"), "Idempotency_Keys", ["created_at"], unique=False
    )
    ddl.create_schema_guide(InstanceBase.metadata)


def downgrade() -> None:
    op.drop_index(op.f("ix_Idempotency_Keys_created_at"), table_name="Idempotency_Keys")
    op.drop_table("Idempotency_Keys")
    ddl.create_schema_guide(InstanceBase.metadata)
