"""Client JSON kept as its own text: the instance tier's JSON columns become TEXT.

A column declared JSON has NUMERIC affinity on SQLite (a stored `100.0` reads back as the
integer 100, `2**64+1` as a rounded float) and JSONB rewrites numbers on PostgreSQL (-0.0,
1e16), so values came back changed and their state hash did not verify (issue 12). TEXT
holding the JSON text (`storage.types.JSONText`) keeps them exactly on both dialects.

PostgreSQL converts in place (`jsonb::text`, valid JSON with the same values). SQLite
rebuilds each table (batch mode), with foreign-key enforcement off while a referenced table
(Local_Actors) is swapped. Its copy would write REAL values with 15 significant digits, so
they are read exactly beforehand and written back as Python's shortest exact repr. The
rebuild drops the append-only triggers; they are created again.

Revision ID: 0004_reliability_json_text
Revises: 0003
Create Date: 2026-11-30
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import ddl

revision: str = "0004_reliability_json_text"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (primary key, JSON columns with (nullable, comment)) as of this revision.
COLUMNS: dict[str, tuple[str, dict[str, tuple[bool, str]]]] = {
    "Local_Actors": (
        "actor_id",
        {"capabilities": (True, "What the actor can do (free-form JSON).")},
    ),
    "Local_Guardians": (
        "guardian_id",
        {
            "attributes": (
                True,
                "Guardian settings copied from the template config (criteria, interaction_policy).",
            )
        },
    ),
    "Local_Role_Attributes": ("memory_id", {"value": (False, "Remembered value (JSON).")}),
    "UOW_Attributes": ("attribute_id", {"value": (True, "Attribute value (JSON).")}),
    "Interaction_Logs": (
        "log_id",
        {
            "event_details": (True, "Structured details of the event."),
            "error_metadata": (True, "Error context, for ERROR entries."),
        },
    ),
    "UnitsOfWorkHistory": (
        "history_id",
        {"transition_metadata": (True, "Extra facts about the change.")},
    ),
}


def _json_type() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, (_, columns) in COLUMNS.items():
            for column, (nullable, comment) in columns.items():
                op.alter_column(
                    table,
                    column,
                    type_=sa.Text(),
                    existing_type=_json_type(),
                    existing_nullable=nullable,
                    existing_comment=comment,
                    postgresql_using=f'"{column}"::text',
                )
        return
    _rebuild_sqlite(to_text=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, (_, columns) in COLUMNS.items():
            for column, (nullable, comment) in columns.items():
                op.alter_column(
                    table,
                    column,
                    type_=_json_type(),
                    existing_type=sa.Text(),
                    existing_nullable=nullable,
                    existing_comment=comment,
                    postgresql_using=f'"{column}"::jsonb',
                )
        return
    _rebuild_sqlite(to_text=False)


def _rebuild_sqlite(*, to_text: bool) -> None:
    bind = op.get_bind()
    exact = _real_values(bind) if to_text else {}
    ddl.drop_append_only_triggers()
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        for table, (_, columns) in COLUMNS.items():
            # resolve_fks=False: reflect the table alone, not every table it refers to.
            with op.batch_alter_table(
                table, recreate="always", reflect_kwargs={"resolve_fks": False}
            ) as batch:
                for column, (nullable, comment) in columns.items():
                    batch.alter_column(
                        column,
                        type_=sa.Text() if to_text else _json_type(),
                        existing_type=_json_type() if to_text else sa.Text(),
                        existing_nullable=nullable,
                        existing_comment=comment,
                    )
        for (table, column, key), rows in exact.items():
            for value, row_key in rows:
                bind.exec_driver_sql(
                    f'UPDATE "{table}" SET "{column}" = ? WHERE "{key}" = ?', (value, row_key)
                )
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")
    ddl.create_append_only_triggers()


def _real_values(bind: Any) -> dict[tuple[str, str, str], list[tuple[str, Any]]]:
    """(table, column, key) -> [(exact JSON text, row key)] of the values SQLite's affinity
    stored as REAL: read as Python floats now, before the copy rounds them."""
    found: dict[tuple[str, str, str], list[tuple[str, Any]]] = {}
    for table, (key, columns) in COLUMNS.items():
        for column in columns:
            rows = bind.exec_driver_sql(
                f'SELECT "{column}", "{key}" FROM "{table}" WHERE typeof("{column}") = \'real\''
            ).fetchall()
            # The text storage.types.JSONText writes, frozen here as this revision's own.
            found[(table, column, key)] = [
                (json.dumps(value, allow_nan=False), row_key) for value, row_key in rows
            ]
    return found
