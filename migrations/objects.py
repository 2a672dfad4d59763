"""The SQL of the database objects the models cannot express (append-only triggers, the AI
schema guide), as statements for a dialect: without Alembic, so that the server's fresh
data-dir path (`migrations.fresh`) creates them exactly as the revisions do (`migrations.ddl`
runs these same statements through `op.execute`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import MetaData

# Each append-only table with the key columns that identify an existing row.
APPEND_ONLY_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "UOW_Attributes": (("attribute_id",), ("uow_id", "key", "version")),
    "Interaction_Logs": (("log_id",),),
    "UnitsOfWorkHistory": (("history_id",),),
}

# The template tier's append-only table (its revisions name it explicitly).
TEMPLATE_APPEND_ONLY_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Template_Audit": (("audit_id",),),
}

PG_REFUSE_FUNCTION = "chameleon_refuse_append_only_change"


def append_only_triggers(dialect: str, tables: Iterable[str] = APPEND_ONLY_KEYS) -> list[str]:
    """Statements making the database itself refuse UPDATE, DELETE, replace-by-insert and
    TRUNCATE on `tables`."""
    if dialect == "postgresql":
        statements = [
            f"""
            CREATE OR REPLACE FUNCTION {PG_REFUSE_FUNCTION}() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        ]
        for table in tables:
            statements.append(
                f'CREATE TRIGGER "trg_{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}"'
                f" FOR EACH ROW EXECUTE FUNCTION {PG_REFUSE_FUNCTION}()"
            )
            statements.append(
                f'CREATE TRIGGER "trg_{table}_no_truncate" BEFORE TRUNCATE ON "{table}"'
                f" FOR EACH STATEMENT EXECUTE FUNCTION {PG_REFUSE_FUNCTION}()"
            )
        return statements
    statements = []
    for table in tables:
        for verb in ("UPDATE", "DELETE"):
            statements.append(
                f'CREATE TRIGGER "trg_{table}_no_{verb.lower()}" BEFORE {verb} ON "{table}"'
                f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers (unless a
        # connection enables recursive_triggers), so refuse any insert that would collide.
        collides = " OR ".join(
            "(" + " AND ".join(f'"{c}" = NEW."{c}"' for c in key) + ")"
            for key in {**APPEND_ONLY_KEYS, **TEMPLATE_APPEND_ONLY_KEYS}[table]
        )
        statements.append(
            f'CREATE TRIGGER "trg_{table}_no_replace" BEFORE INSERT ON "{table}"'
            f' WHEN EXISTS (SELECT 1 FROM "{table}" WHERE {collides})'
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: existing row refused'); END"
        )
    return statements


def drop_append_only_triggers(dialect: str, tables: Iterable[str] = APPEND_ONLY_KEYS) -> list[str]:
    if dialect == "postgresql":
        statements = []
        for table in tables:
            statements.append(f'DROP TRIGGER IF EXISTS "trg_{table}_append_only" ON "{table}"')
            statements.append(f'DROP TRIGGER IF EXISTS "trg_{table}_no_truncate" ON "{table}"')
        statements.append(f"DROP FUNCTION IF EXISTS {PG_REFUSE_FUNCTION}()")
        return statements
    return [
        f'DROP TRIGGER IF EXISTS "trg_{table}_{suffix}"'
        for table in tables
        for suffix in ("no_update", "no_delete", "no_replace")
    ]


_PG_GUIDE = """
CREATE VIEW v_ai_schema_guide AS
SELECT c.relname::text AS table_name,
       a.attname::text AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       EXISTS (SELECT 1 FROM pg_constraint pk
               WHERE pk.conrelid = c.oid AND pk.contype = 'p'
                 AND a.attnum = ANY (pk.conkey)) AS is_primary_key,
       (SELECT rc.relname || '.' || ra.attname
          FROM pg_constraint fk
          JOIN pg_class rc ON rc.oid = fk.confrelid
          JOIN pg_attribute ra ON ra.attrelid = fk.confrelid
                              AND ra.attnum = fk.confkey[array_position(fk.conkey, a.attnum)]
         WHERE fk.conrelid = c.oid AND fk.contype = 'f' AND a.attnum = ANY (fk.conkey)
         LIMIT 1) AS foreign_key_target,
       col_description(c.oid, a.attnum) AS description
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE n.nspname = current_schema()
   AND c.relkind IN ('r', 'p')
   AND a.attnum > 0 AND NOT a.attisdropped
   AND c.relname NOT LIKE 'alembic%'
"""

DROP_SCHEMA_GUIDE = "DROP VIEW IF EXISTS v_ai_schema_guide"


def _sql_literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def schema_guide(dialect: str, metadata: MetaData) -> list[str]:
    """The `v_ai_schema_guide` view: live catalog columns joined with their descriptions.

    PostgreSQL keeps column comments, so its view reads everything from the catalog. SQLite
    drops them, so its view reads columns, types and keys live from `pragma_table_info` and
    joins the descriptions taken from the model metadata when the statement is built.
    """
    if dialect == "postgresql":
        return [DROP_SCHEMA_GUIDE, _PG_GUIDE]
    rows = ",\n".join(
        f"({_sql_literal(table.name)}, {_sql_literal(column.name)}, {_sql_literal(column.comment)})"
        for table in metadata.sorted_tables
        for column in table.columns
    )
    return [
        DROP_SCHEMA_GUIDE,
        f"""
        CREATE VIEW v_ai_schema_guide AS
        WITH descriptions(table_name, column_name, description) AS (VALUES {rows})
        SELECT m.name AS table_name,
               p.name AS column_name,
               p.type AS data_type,
               p.pk > 0 AS is_primary_key,
               (SELECT f."table" || '.' || f."to" FROM pragma_foreign_key_list(m.name) AS f
                 WHERE f."from" = p.name LIMIT 1) AS foreign_key_target,
               d.description AS description
          FROM sqlite_master AS m
          JOIN pragma_table_info(m.name) AS p
          LEFT JOIN descriptions AS d ON d.table_name = m.name AND d.column_name = p.name
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE 'alembic%'
        """,
    ]
