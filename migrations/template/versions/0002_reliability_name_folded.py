"""Template names case-folded in Python, so `nameContains` matches alike on every database.

SQLite's lower() and LIKE fold ASCII only and PostgreSQL's follow the database's locale, so
`templates(filter: {nameContains})` found "Überweisung" by "über" on one and not the other
(issue 12). The folded name (`storage.values.folded`) is stored beside the name and the
filter compares folded text with folded text. Existing rows are filled here; new rows get it
from the column default. A plain ADD COLUMN: no table rebuild on SQLite.

Revision ID: 0002_reliability_name_folded
Revises: 0001
Create Date: 2026-11-30
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types
from migrations import ddl
from storage.models import TemplateBase

revision: str = "0002_reliability_name_folded"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = "The name case-folded (NFKC), for case-insensitive search alike on every database."


def _folded(text: str) -> str:
    """This revision's own copy of `storage.values.folded`, as it was when written."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def upgrade() -> None:
    op.add_column(
        "Template_Workflows", sa.Column("name_folded", sa.Text(), nullable=True, comment=COMMENT)
    )
    table = sa.table(
        "Template_Workflows",
        sa.column("workflow_id", storage.types.UUIDType()),
        sa.column("name", sa.String()),
        sa.column("name_folded", sa.Text()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.workflow_id, table.c.name)).all()
    for workflow_id, name in rows:
        bind.execute(
            table.update()
            .where(table.c.workflow_id == workflow_id)
            .values(name_folded=_folded(name))
        )
    ddl.create_schema_guide(TemplateBase.metadata)


def downgrade() -> None:
    with op.batch_alter_table("Template_Workflows") as batch:
        batch.drop_column("name_folded")
    ddl.create_schema_guide(TemplateBase.metadata)
