"""Template_Audit: every template write with its caller, append-only (issue 13).

One row per import, retirement or deletion, written in the transaction of the write. The
database refuses UPDATE and DELETE on it (triggers, as on the instance tier's logs). The
schema guide is recreated so SQLite's copy describes the new columns.

Revision ID: 0004_template_audit
Revises: 0003_templates_retired_at
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from migrations import ddl
from storage.models import TemplateBase

revision: str = "0004_template_audit"
down_revision: str | Sequence[str] | None = "0003_templates_retired_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "Template_Audit",
        sa.Column(
            "audit_id",
            sa.Integer(),
            autoincrement=True,
            nullable=False,
            comment="Order of the writes (1, 2, ...).",
        ),
        sa.Column(
            "at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the write was made, in its transaction (UTC).",
        ),
        sa.Column(
            "caller",
            sa.String(length=200),
            nullable=False,
            comment="Who wrote: the token's subject, `anonymous` while auth is off, `cli` "
            "for the command line.",
        ),
        sa.Column(
            "action",
            sa.String(length=32),
            nullable=False,
            comment="What was done: import, retire or delete.",
        ),
        sa.Column(
            "template_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="The template written (its id may no longer exist after delete).",
        ),
        sa.Column(
            "template_name",
            sa.String(length=200),
            nullable=False,
            comment="The template's name when it was written.",
        ),
        sa.Column(
            "template_version",
            sa.Integer(),
            nullable=False,
            comment="The template's version when it was written.",
        ),
        sa.Column(
            "outcome", sa.Text(), nullable=False, comment="What the write did, in a sentence."
        ),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_Template_Audit")),
        comment="Every template write with its caller; append-only.",
    )
    op.create_index(
        op.f("ix_Template_Audit_template_name"), "Template_Audit", ["template_name"], unique=False
    )
    ddl.create_append_only_triggers(ddl.TEMPLATE_APPEND_ONLY_KEYS)
    ddl.create_schema_guide(TemplateBase.metadata)


def downgrade() -> None:
    # Dropping the table drops its triggers (the refusing function stays: other tables of a
    # database shared with the instance tier may use it).
    op.drop_index(op.f("ix_Template_Audit_template_name"), table_name="Template_Audit")
    op.drop_table("Template_Audit")
    ddl.create_schema_guide(TemplateBase.metadata)
