"""Retired templates: a nullable `retired_at` on Template_Workflows (no new instances from
a retired blueprint; the instances made before keep their own copies). The schema guide is
recreated so SQLite's copy describes the new column.

Revision ID: 0003_templates_retired_at
Revises: 0002_reliability_name_folded
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from migrations import ddl
from storage.models import TemplateBase

revision: str = "0003_templates_retired_at"
down_revision: str | Sequence[str] | None = "0002_reliability_name_folded"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETIRED_AT = (
    "When the blueprint was retired (UTC): no new instances from it; "
    "NULL while it may be instantiated."
)


def upgrade() -> None:
    op.add_column(
        "Template_Workflows",
        sa.Column(
            "retired_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=True,
            comment=RETIRED_AT,
        ),
    )
    ddl.create_schema_guide(TemplateBase.metadata)


def downgrade() -> None:
    ddl.drop_schema_guide()
    with op.batch_alter_table("Template_Workflows") as batch:
        batch.drop_column("retired_at")
    ddl.create_schema_guide(TemplateBase.metadata)
