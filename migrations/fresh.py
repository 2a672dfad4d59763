"""Bring a tier to the newest schema at start-up without loading Alembic when it can.

A tier already at the newest revision is recognised by reading its version table directly;
an empty database is created from the models (`metadata.create_all`, the objects of
`migrations.objects`, the version table stamped at the heads) instead of replaying every
revision, which on SQLite rebuilds tables. Only a database at an older revision (or a
half-made one) goes through Alembic's upgrade. `tests/test_fresh_schema.py` proves that a
database created here is identical to one the revisions migrate, on SQLite and PostgreSQL,
for whatever revisions exist when it runs.

The heads are read from the revision files' `revision` / `down_revision` assignments (the
test compares them with Alembic's own `ScriptDirectory`): loading Alembic and its script
directory costs more than the whole fresh-database path.
"""

from __future__ import annotations

import ast
import enum
from functools import cache
from pathlib import Path

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from migrations import objects
from storage.engines import create_sqlite_file_engine, create_tier_engine, is_sqlite_file
from storage.models import InstanceBase, TemplateBase

TIERS = ("template", "instance")
_HERE = Path(__file__).resolve().parent


class Outcome(enum.Enum):
    CURRENT = "current"  # at the newest revision already
    CREATED = "created"  # was empty, created from the models
    NEEDS_UPGRADE = "needs upgrade"  # an older revision (or unknown state): Alembic's job


def version_table(tier: str) -> str:
    return f"alembic_version_{tier}"


def _revisions_file(path: Path) -> tuple[str, tuple[str, ...]]:
    """A revision file's id and the ids it revises."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            values[target.id] = ast.literal_eval(value)
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        raise ValueError(f"{path}: no `revision = '...'` assignment")
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, (tuple, list)) and all(isinstance(each, str) for each in down):
        return revision, tuple(down)
    raise ValueError(f"{path}: `down_revision` is not a revision id or a sequence of them")


@cache
def head_revisions(tier: str) -> frozenset[str]:
    """The tier's head revisions, from its revision files."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (_HERE / tier / "versions").glob("*.py"):
        if path.name.startswith("__"):
            continue
        revision, downs = _revisions_file(path)
        revisions.add(revision)
        revised.update(downs)
    return frozenset(revisions - revised)


def _version_table(tier: str) -> Table:
    """Alembic's version table, as Alembic defines it (`DefaultImpl.version_table_impl`)."""
    name = version_table(tier)
    return Table(
        name,
        MetaData(),
        Column("version_num", String(32), nullable=False),
        PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )


def stored_revisions(connection: Connection, tier: str) -> frozenset[str] | None:
    """The revisions the database is at; None when it has no version table."""
    table = _version_table(tier)
    if not inspect(connection).has_table(table.name):
        return None
    return frozenset(connection.scalars(select(table.c.version_num)))


def is_empty(connection: Connection, tier: str, metadata: MetaData) -> bool:
    """No table of the tier's models and no version table of the tier."""
    return not set(inspect(connection).get_table_names()) & {*metadata.tables, version_table(tier)}


def create(connection: Connection, tier: str, metadata: MetaData) -> None:
    """Create an empty tier at the newest revision: what running every revision makes."""
    dialect = connection.dialect.name
    metadata.create_all(connection, checkfirst=False)  # `prepare` found none of them
    statements = objects.schema_guide(dialect, metadata)
    keys = {**objects.APPEND_ONLY_KEYS, **objects.TEMPLATE_APPEND_ONLY_KEYS}
    append_only = [name for name in keys if name in metadata.tables]
    if append_only:
        statements += objects.append_only_triggers(dialect, append_only)
    for statement in statements:
        connection.exec_driver_sql(statement)
    table = _version_table(tier)
    table.create(connection)
    connection.execute(
        table.insert(), [{"version_num": head} for head in sorted(head_revisions(tier))]
    )


def prepare(connection: Connection, tier: str, metadata: MetaData) -> Outcome:
    """Make an empty tier, or say whether it is current (see the module's docstring).

    On SQLite the creation holds the write lock from the emptiness check to the commit
    (`BEGIN IMMEDIATE`: the driver would otherwise run each DDL statement on its own), so a
    second process starting on the same data dir waits and then finds the tier current, and
    a creation cut short leaves nothing behind. PostgreSQL's DDL is transactional as it is.
    """
    if stored_revisions(connection, tier) == head_revisions(tier):
        return Outcome.CURRENT
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    stored = stored_revisions(connection, tier)
    if stored == head_revisions(tier):
        return Outcome.CURRENT
    if stored is None and is_empty(connection, tier, metadata):
        create(connection, tier, metadata)
        return Outcome.CREATED
    return Outcome.NEEDS_UPGRADE


def _metadata(tier: str) -> MetaData:
    return {"template": TemplateBase, "instance": InstanceBase}[tier].metadata


async def prepare_tier(tier: str, url: str) -> Outcome:
    """Bring one tier to the newest schema: created from the models when empty, through
    Alembic (loaded only then) when at an older revision.

    A SQLite file is prepared synchronously through the standard library's driver (this
    blocks the event loop: it is for start-up and the command line)."""
    if is_sqlite_file(url):
        engine = create_sqlite_file_engine(url)
        try:
            with engine.begin() as connection:
                outcome = prepare(connection, tier, _metadata(tier))
        finally:
            engine.dispose()
    else:
        async_engine = create_tier_engine(url)
        try:
            async with async_engine.begin() as async_connection:
                outcome = await async_connection.run_sync(prepare, tier, _metadata(tier))
        finally:
            await async_engine.dispose()
    if outcome is Outcome.NEEDS_UPGRADE:
        from migrations import runner

        runner.upgrade(tier, url)
    return outcome


async def revisions_on(engine: AsyncEngine, tier: str) -> frozenset[str] | None:
    """The revisions a tier's database is at, read through an open engine (no version
    table: None)."""
    async with engine.connect() as connection:
        return await connection.run_sync(stored_revisions, tier)


async def is_current(tier: str, url: str) -> bool:
    """Whether the tier's database is at the newest revision (read without Alembic)."""
    engine = create_tier_engine(url)
    try:
        return await revisions_on(engine, tier) == head_revisions(tier)
    finally:
        await engine.dispose()
