"""Database objects the models cannot express: append-only triggers and the AI schema guide.

Called from revisions, so each revision decides when they are (re)created. A revision that
changes an append-only table on SQLite must call `create_append_only_triggers` again after its
batch operations (batch mode rebuilds the table and silently drops its triggers); one that adds
columns must call `create_schema_guide` again so SQLite's guide picks up their descriptions.
The statements themselves are in `migrations.objects`, shared with the fresh data-dir path.
"""

from __future__ import annotations

from collections.abc import Iterable

from alembic import op
from sqlalchemy import MetaData

from migrations import objects
from migrations.objects import APPEND_ONLY_KEYS, PG_REFUSE_FUNCTION, TEMPLATE_APPEND_ONLY_KEYS

__all__ = [
    "APPEND_ONLY_KEYS",
    "PG_REFUSE_FUNCTION",
    "TEMPLATE_APPEND_ONLY_KEYS",
    "create_append_only_triggers",
    "create_schema_guide",
    "drop_append_only_triggers",
    "drop_schema_guide",
]


def _dialect() -> str:
    return op.get_bind().dialect.name


def _execute(statements: Iterable[str]) -> None:
    for statement in statements:
        op.execute(statement)


def create_append_only_triggers(tables: Iterable[str] = APPEND_ONLY_KEYS) -> None:
    """Make the database itself refuse UPDATE, DELETE, replace-by-insert and TRUNCATE."""
    _execute(objects.append_only_triggers(_dialect(), tables))


def drop_append_only_triggers(tables: Iterable[str] = APPEND_ONLY_KEYS) -> None:
    _execute(objects.drop_append_only_triggers(_dialect(), tables))


def create_schema_guide(metadata: MetaData) -> None:
    """The `v_ai_schema_guide` view (see `migrations.objects.schema_guide`)."""
    _execute(objects.schema_guide(_dialect(), metadata))


def drop_schema_guide() -> None:
    op.execute(objects.DROP_SCHEMA_GUIDE)
