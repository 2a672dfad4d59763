"""Migrations create both tiers, agree with the models and keep the database-only objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Connection

from migrations import runner
from migrations.ddl import APPEND_ONLY_KEYS
from migrations.env_common import configure_options
from storage.engines import Tier
from storage.models import InstanceBase, InteractionLogRow, TemplateBase
from tests.databases import TierUrls
from tests.raw_sql import RawConnection

METADATA = {"template": TemplateBase.metadata, "instance": InstanceBase.metadata}


async def _table_names(url: str) -> set[str]:
    tier = Tier.open("probe", url)
    try:
        async with tier.engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await tier.dispose()


async def trigger_names(urls: TierUrls) -> set[str]:
    async with RawConnection(urls) as raw:
        if urls.dialect == "sqlite":
            rows = await raw.fetch("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            rows = await raw.fetch("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    return {row[0] for row in rows}


def expected_triggers(dialect: str) -> set[str]:
    suffixes = ("no_update", "no_delete", "no_replace")
    if dialect == "postgresql":
        suffixes = ("append_only", "no_truncate")
    return {f"trg_{table}_{suffix}" for table in APPEND_ONLY_KEYS for suffix in suffixes}


async def test_migrate_creates_each_tier_in_its_own_database(empty_db_urls: TierUrls) -> None:
    runner.upgrade_all(empty_db_urls.template, empty_db_urls.instance)
    template_tables = await _table_names(empty_db_urls.template)
    instance_tables = await _table_names(empty_db_urls.instance)
    assert set(TemplateBase.metadata.tables) <= template_tables
    assert set(InstanceBase.metadata.tables) <= instance_tables
    assert not template_tables & set(InstanceBase.metadata.tables)
    assert not instance_tables & set(TemplateBase.metadata.tables)
    assert await runner.current_revisions("template", empty_db_urls.template) == (
        runner.head_revisions("template")
    )
    assert await runner.current_revisions("instance", empty_db_urls.instance) == (
        runner.head_revisions("instance")
    )


async def test_migrating_twice_is_a_no_op(db_urls: TierUrls) -> None:
    before = await runner.current_revisions("instance", db_urls.instance)
    runner.upgrade_all(db_urls.template, db_urls.instance)
    assert await runner.current_revisions("instance", db_urls.instance) == before
    assert await trigger_names(db_urls) == expected_triggers(db_urls.dialect)


@pytest.mark.parametrize("tier", ["template", "instance"])
async def test_models_and_migrations_agree(db_urls: TierUrls, tier: str) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts=configure_options(tier, METADATA[tier])
        )
        return compare_metadata(context, METADATA[tier])

    opened = Tier.open(tier, db_urls.template if tier == "template" else db_urls.instance)
    try:
        async with opened.engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await opened.dispose()


async def test_triggers_exist_after_every_revision(empty_db_urls: TierUrls) -> None:
    """Batch mode on SQLite rebuilds tables and silently drops triggers: check every step."""
    script = ScriptDirectory.from_config(runner.alembic_config("instance", empty_db_urls.instance))
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "the instance tier has no revisions"
    for revision in revisions:
        runner.upgrade("instance", empty_db_urls.instance, revision.revision)
        assert await trigger_names(empty_db_urls) == expected_triggers(empty_db_urls.dialect), (
            f"after revision {revision.revision}"
        )


def test_tiers_share_no_table_and_no_foreign_key() -> None:
    template, instance = TemplateBase.metadata, InstanceBase.metadata
    assert template is not instance
    assert not set(template.tables) & set(instance.tables)
    for metadata, other in ((template, instance), (instance, template)):
        for table in metadata.tables.values():
            for fk in table.foreign_keys:
                assert fk.column.table.name in metadata.tables, fk
                assert fk.column.table.name not in other.tables, fk


def test_every_table_and_column_has_a_comment() -> None:
    for metadata in METADATA.values():
        assert isinstance(metadata, MetaData)
        for table in metadata.tables.values():
            assert table.comment, table.name
            missing = [c.name for c in table.columns if not c.comment]
            assert missing == [], f"{table.name}: {missing}"


def test_cli_migrate_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {**os.environ, "CHAMELEON_DATA_DIR": str(tmp_path / "data")}
    env.pop("CHAMELEON_TEMPLATE_DB_URL", None)
    env.pop("CHAMELEON_INSTANCE_DB_URL", None)
    command = [sys.executable, "-m", "gql", "migrate"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "data" / "templates.db").exists()
    assert (tmp_path / "data" / "instances.db").exists()
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    assert "newest schema" in second.stdout


def test_cli_help_lists_migrate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gql", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "migrate" in result.stdout


# Values as the JSON-column revisions stored them, and what each must read back as.
LEGACY_JSON = {
    "0.30000000000000004": 0.30000000000000004,  # REAL under SQLite's NUMERIC affinity
    "123456789.125": 123456789.125,
    "100": 100,
    '{"a": [1.5, "é", null], "b": {"c": true}}': {"a": [1.5, "é", None], "b": {"c": True}},
    '"text"': "text",
}


async def test_json_text_revision_keeps_the_stored_values(empty_db_urls: TierUrls) -> None:
    """Revision 0004 turns the JSON columns into text; what was stored reads back unchanged
    (SQLite's copy of a REAL would keep 15 digits), and the append-only rules still hold."""
    runner.upgrade("instance", empty_db_urls.instance, "0003")
    instance_id = "6d2f1d8e-0000-4000-8000-000000000001"
    async with RawConnection(empty_db_urls) as raw:
        cast = "::jsonb" if raw.dialect == "postgresql" else ""
        await raw.execute(
            'INSERT INTO "Instance_Context" (instance_id, name, status, deployment_date) '
            f"VALUES ('{instance_id}', 'legacy', 'ACTIVE', '2026-11-30 00:00:00')"
        )
        for n, text in enumerate(LEGACY_JSON, start=1):
            quoted = text.replace("'", "''")
            await raw.execute(
                'INSERT INTO "Interaction_Logs" (log_id, instance_id, timestamp, log_type, '
                f"event_details) VALUES ({n}, '{instance_id}', '2026-11-30 00:00:00', "
                f"'TELEMETRY', '{quoted}'{cast})"
            )
    runner.upgrade("instance", empty_db_urls.instance)
    tier = Tier.open("instance", empty_db_urls.instance)
    try:
        async with tier.engine.connect() as conn:
            rows = await conn.execute(
                select(InteractionLogRow.log_id, InteractionLogRow.event_details).order_by(
                    InteractionLogRow.log_id
                )
            )
            stored = [details for _, details in rows]
    finally:
        await tier.dispose()
    expected = list(LEGACY_JSON.values())
    assert [json.dumps(v) for v in stored] == [json.dumps(v) for v in expected]
    assert await trigger_names(empty_db_urls) == expected_triggers(empty_db_urls.dialect)
    async with RawConnection(empty_db_urls) as raw:
        with pytest.raises(raw.refusal):
            await raw.execute("UPDATE \"Interaction_Logs\" SET event_details = '1'")


async def test_name_folded_revision_fills_existing_templates(empty_db_urls: TierUrls) -> None:
    runner.upgrade("template", empty_db_urls.template, "0001")
    async with RawConnection(empty_db_urls, "template") as raw:
        await raw.execute(
            'INSERT INTO "Template_Workflows" (workflow_id, name, version, created_at) VALUES '
            "('6d2f1d8e-0000-4000-8000-000000000002', 'Straße_ΣΟΦΙΑ', 1, '2026-11-30 00:00:00')"
        )
    runner.upgrade("template", empty_db_urls.template)
    async with RawConnection(empty_db_urls, "template") as raw:
        rows = await raw.fetch('SELECT name_folded FROM "Template_Workflows"')
    assert rows == [("strasse_σοφια",)]
