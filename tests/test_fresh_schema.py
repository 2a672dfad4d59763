"""An empty database created from the models at start-up (`migrations.fresh`) is the database
the revisions make, object for object, on SQLite and PostgreSQL: for the revisions that
exist when this runs, so a revision added later that the models or `migrations.objects` do
not follow fails here."""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from migrations import fresh, runner
from tests.databases import PostgresFactory, SqliteFactory, TierUrls
from tests.live_server import serve
from tests.processes import chameleon, free_port, running_server
from tests.raw_sql import RawConnection

Snapshot = dict[str, list[tuple[Any, ...]]]

_SPACE = re.compile(r"\s+")


def _squeeze(sql: object) -> object:
    return _SPACE.sub(" ", sql).strip() if isinstance(sql, str) else sql


def _elements(create_table: str) -> list[str]:
    """The column definitions and constraints of a CREATE TABLE, in no particular order."""
    body = create_table[create_table.index("(") + 1 : create_table.rindex(")")]
    elements, depth, start = [], 0, 0
    for at, char in enumerate(body):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            elements.append(body[start:at])
            start = at + 1
    elements.append(body[start:])
    return sorted(str(_squeeze(element)) for element in elements)


async def _sqlite_snapshot(raw: RawConnection) -> Snapshot:
    """Everything SQLite keeps about the schema, and every row. Column and constraint order
    are left out: a revision that adds a column appends it, the models place it where it
    reads best, and a batch rebuild reorders constraints (nothing reads columns by position:
    no statement of the project selects `*`). Automatic indexes (of UNIQUE constraints) are
    named by their position among the constraints, so they are compared by their columns."""
    master = await raw.fetch("SELECT type, name, tbl_name, sql FROM sqlite_master")
    snapshot: Snapshot = {"user_version": await raw.fetch("PRAGMA user_version")}
    objects = []
    for kind, name, table, sql in master:
        if kind == "table":
            objects.append((kind, name, table, _elements(sql)))
        elif sql is not None:
            objects.append((kind, name, table, _squeeze(sql)))
    snapshot["sqlite_master"] = sorted(objects, key=repr)

    async def index_columns(index: str) -> tuple[Any, ...]:
        # seqno, name, desc, coll, key: not cid, the column's position in its table
        return tuple(
            row[:1] + row[2:]
            for row in await raw.fetch(f"SELECT * FROM pragma_index_xinfo('{index}')")
        )

    for kind, name, _table, _sql in master:
        if kind == "table":
            snapshot[f"columns({name})"] = sorted(
                row[1:] for row in await raw.fetch(f"SELECT * FROM pragma_table_xinfo('{name}')")
            )
            snapshot[f"foreign_keys({name})"] = sorted(
                row[2:]
                for row in await raw.fetch(f"SELECT * FROM pragma_foreign_key_list('{name}')")
            )
            indexes = []
            for _seq, index, unique, origin, partial in await raw.fetch(
                f"SELECT * FROM pragma_index_list('{name}')"
            ):
                key = await index_columns(index) if index.startswith("sqlite_") else index
                indexes.append((key, unique, origin, partial))
            snapshot[f"indexes({name})"] = sorted(indexes, key=repr)
        if kind == "index" and not name.startswith("sqlite_"):
            snapshot[f"index_xinfo({name})"] = list(await index_columns(name))
        if kind in ("table", "view"):
            snapshot[f"rows({name})"] = sorted(await raw.fetch(f'SELECT * FROM "{name}"'), key=repr)
    return snapshot


_PG_CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, udt_name, character_maximum_length,
               numeric_precision, numeric_scale, datetime_precision, is_nullable,
               column_default, is_identity, identity_generation, is_generated,
               generation_expression, collation_name
          FROM information_schema.columns WHERE table_schema = current_schema()
         ORDER BY table_name, column_name""",
    "relations": """
        SELECT c.relname, c.relkind, c.relpersistence, obj_description(c.oid, 'pg_class')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = current_schema() ORDER BY c.relname""",
    "column_comments": """
        SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = current_schema() ORDER BY c.relname, a.attname""",
    "constraints": """
        SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid),
               c.condeferrable, c.condeferred
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = current_schema() ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
         WHERE schemaname = current_schema() ORDER BY tablename, indexname""",
    "triggers": """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
          FROM pg_trigger t WHERE NOT t.tgisinternal ORDER BY 1, 2""",
    "views": """
        SELECT viewname, pg_get_viewdef(viewname::regclass) FROM pg_views
         WHERE schemaname = current_schema() ORDER BY viewname""",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = current_schema() ORDER BY p.proname""",
    "types": """
        SELECT t.typname, t.typtype,
               array(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid
                      ORDER BY e.enumsortorder)
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd', 'c')
           AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)
         ORDER BY t.typname""",
    "sequences": """
        SELECT sequencename, data_type, start_value, increment_by, max_value, cycle
          FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename""",
}


async def _postgres_snapshot(raw: RawConnection) -> Snapshot:
    """The catalog's view of the schema, and every row; column order left out as on SQLite."""
    snapshot = {name: await raw.fetch(sql) for name, sql in _PG_CATALOG.items()}
    for (name,) in await raw.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    ):
        snapshot[f"rows({name})"] = sorted(await raw.fetch(f'SELECT * FROM "{name}"'), key=repr)
    return snapshot


async def _snapshot(urls: TierUrls, tier: str) -> Snapshot:
    async with RawConnection(urls, tier) as raw:
        if urls.dialect == "sqlite":
            return await _sqlite_snapshot(raw)
        return await _postgres_snapshot(raw)


def _url(urls: TierUrls, tier: str) -> str:
    return urls.template if tier == "template" else urls.instance


@pytest.mark.parametrize("tier", fresh.TIERS)
def test_heads_read_from_the_files_are_alembics(tier: str) -> None:
    assert fresh.head_revisions(tier) == runner.head_revisions(tier)


@pytest.mark.parametrize("tier", fresh.TIERS)
async def test_a_fresh_database_is_the_migrated_one(
    db_urls: TierUrls, empty_db_urls: TierUrls, tier: str
) -> None:
    """`db_urls` went through every revision (`runner.upgrade_all`); `empty_db_urls` is
    created here from the models."""
    assert await fresh.prepare_tier(tier, _url(empty_db_urls, tier)) is fresh.Outcome.CREATED
    migrated = await _snapshot(db_urls, tier)
    created = await _snapshot(empty_db_urls, tier)
    assert len(migrated) > 5
    assert created.keys() == migrated.keys()
    for name in migrated:
        assert created[name] == migrated[name], name
    # Alembic reads the stamp as its heads, so a later revision upgrades from there.
    assert await runner.current_revisions(tier, _url(empty_db_urls, tier)) == (
        runner.head_revisions(tier)
    )


@pytest.mark.parametrize("tier", fresh.TIERS)
async def test_a_current_database_is_left_alone(db_urls: TierUrls, tier: str) -> None:
    before = await _snapshot(db_urls, tier)
    assert await fresh.is_current(tier, _url(db_urls, tier))
    assert await fresh.prepare_tier(tier, _url(db_urls, tier)) is fresh.Outcome.CURRENT
    assert await _snapshot(db_urls, tier) == before


async def test_an_older_database_is_upgraded_by_alembic(empty_db_urls: TierUrls) -> None:
    url = empty_db_urls.instance
    runner.upgrade("instance", url, "0003")
    assert not await fresh.is_current("instance", url)
    assert await fresh.prepare_tier("instance", url) is fresh.Outcome.NEEDS_UPGRADE
    assert await fresh.is_current("instance", url)
    assert await runner.current_revisions("instance", url) == runner.head_revisions("instance")


async def test_a_half_made_database_is_not_taken_for_empty(empty_db_urls: TierUrls) -> None:
    """A table of the tier without a version table: not created over, left to Alembic
    (which refuses, as it did before this path existed)."""
    async with RawConnection(empty_db_urls, "template") as raw:
        await raw.execute('CREATE TABLE "Template_Workflows" (id INTEGER)')
    with pytest.raises(Exception, match="Template_Workflows"):
        await fresh.prepare_tier("template", empty_db_urls.template)


QUERY = {"query": "query Count { templates { totalCount } }", "operationName": "Count"}


async def test_serve_creates_an_empty_data_dir_then_starts_on_it(
    sqlite_factory: SqliteFactory,
) -> None:
    """`chameleon serve` on empty SQLite files (the embedded tiers) answers, and made what
    the revisions make (the factory's golden copy); started again on them, it answers
    without changing them."""
    urls = await sqlite_factory.create(migrated=False)
    try:
        for start in ("fresh", "again"):
            with running_server(urls) as server:
                async with httpx.AsyncClient() as http:
                    answer = await http.post(server.http_url, json=QUERY)
                    assert answer.json() == {"data": {"templates": {"totalCount": 0}}}, start
                    ready = await http.get(server.http_url.replace("/graphql", "/ready"))
                    assert ready.json() == {"status": "ready"}, start
            for tier in fresh.TIERS:
                migrated = await _snapshot(sqlite_factory.golden, tier)
                assert await _snapshot(urls, tier) == migrated, start
    finally:
        await sqlite_factory.drop(urls)


async def test_ready_names_a_tier_at_an_older_revision(empty_db_urls: TierUrls) -> None:
    runner.upgrade("template", empty_db_urls.template)
    runner.upgrade("instance", empty_db_urls.instance, "0003")
    settings = Settings(
        template_db_url=empty_db_urls.template, instance_db_url=empty_db_urls.instance
    )
    async with serve(create_app(settings)) as live, httpx.AsyncClient() as http:
        ready = await http.get(f"http://127.0.0.1:{live.port}/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "tiers": {"instance": "schema is not at the newest revision: run `chameleon migrate`"},
        }
    assert await fresh.prepare_tier("instance", empty_db_urls.instance) is (
        fresh.Outcome.NEEDS_UPGRADE
    )
    async with serve(create_app(settings)) as live, httpx.AsyncClient() as http:
        assert (await http.get(f"http://127.0.0.1:{live.port}/ready")).json() == {"status": "ready"}


@pytest.mark.postgres
async def test_serve_refuses_an_empty_server_database_until_migrated(
    postgres_factory: PostgresFactory, tmp_path: Path
) -> None:
    """Only the embedded tiers are made by `serve`; a PostgreSQL database is refused, with
    nothing written, until `chameleon migrate` (the fresh path there too) has run."""
    empty_db_urls = await postgres_factory.create(migrated=False)
    try:
        await _refused_then_migrated(empty_db_urls, tmp_path)
    finally:
        await postgres_factory.drop(empty_db_urls)


async def _refused_then_migrated(empty_db_urls: TierUrls, tmp_path: Path) -> None:
    refused = chameleon(empty_db_urls, tmp_path, "serve", "--port", str(free_port()))
    assert refused.returncode == 2
    assert "The template tier" in refused.stderr
    assert "is not at the newest schema" in refused.stderr
    async with RawConnection(empty_db_urls, "template") as raw:
        assert await raw.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []
    migrated = chameleon(empty_db_urls, tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    for tier in fresh.TIERS:
        assert await fresh.is_current(tier, _url(empty_db_urls, tier))
    with running_server(empty_db_urls) as server:
        async with httpx.AsyncClient() as http:
            answer = await http.post(server.http_url, json=QUERY)
        assert answer.json() == {"data": {"templates": {"totalCount": 0}}}


async def test_two_starts_on_one_empty_data_dir_create_it_once(
    sqlite_factory: SqliteFactory,
) -> None:
    """Two processes starting on the same empty SQLite file at once (threads here, each with
    its own connection): one creates the tier, the other waits for its lock and finds it
    current."""
    urls = await sqlite_factory.create(migrated=False)
    try:
        barrier = threading.Barrier(4)

        def start(tier: str) -> fresh.Outcome:
            barrier.wait()
            return asyncio.run(fresh.prepare_tier(tier, _url(urls, tier)))

        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = list(pool.map(start, ["template", "template", "instance", "instance"]))
        for tier_outcomes in (outcomes[:2], outcomes[2:]):
            assert sorted(o.value for o in tier_outcomes) == ["created", "current"]
        for tier in fresh.TIERS:
            assert await _snapshot(urls, tier) == await _snapshot(sqlite_factory.golden, tier)
    finally:
        await sqlite_factory.drop(urls)
