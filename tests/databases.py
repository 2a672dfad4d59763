"""Fresh, migrated databases for tests: SQLite files always, PostgreSQL when configured.

Both tiers are migrated once per session into "golden" databases; each test gets copies
(a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL), so tests are isolated
even though the append-only triggers forbid cleaning tables by DELETE or TRUNCATE.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from migrations import runner

POSTGRES_ENV = "CHAMELEON_TEST_POSTGRES_URL"


@dataclass(frozen=True, slots=True)
class TierUrls:
    dialect: str
    template: str
    instance: str


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


class SqliteFactory:
    def __init__(self, root: Path) -> None:
        self.root = root
        golden = root / "golden"
        golden.mkdir(parents=True, exist_ok=True)
        self.golden = TierUrls(
            "sqlite",
            f"sqlite+aiosqlite:///{golden / 'templates.db'}",
            f"sqlite+aiosqlite:///{golden / 'instances.db'}",
        )
        runner.upgrade_all(self.golden.template, self.golden.instance)

    async def create(self, *, migrated: bool = True) -> TierUrls:
        target = self.root / uuid.uuid4().hex
        target.mkdir()
        if migrated:
            for name in ("templates.db", "instances.db"):
                shutil.copyfile(self.root / "golden" / name, target / name)
        return TierUrls(
            "sqlite",
            f"sqlite+aiosqlite:///{target / 'templates.db'}",
            f"sqlite+aiosqlite:///{target / 'instances.db'}",
        )

    async def drop(self, urls: TierUrls) -> None:
        shutil.rmtree(Path(make_url(urls.template).database or "").parent, ignore_errors=True)


class PostgresFactory:
    """Creates databases on the server named by CHAMELEON_TEST_POSTGRES_URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"chm_{uuid.uuid4().hex[:8]}"
        self.golden: TierUrls | None = None

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(_asyncpg_dsn(self.admin_url), timeout=10)

    async def setup(self) -> None:
        conn = await self._admin()
        try:
            for tier in ("tpl", "ins"):
                await conn.execute(f'CREATE DATABASE "{self.prefix}_{tier}_golden"')
        finally:
            await conn.close()
        self.golden = TierUrls(
            "postgresql",
            _with_database(self.admin_url, f"{self.prefix}_tpl_golden"),
            _with_database(self.admin_url, f"{self.prefix}_ins_golden"),
        )

    def migrate_golden(self) -> None:
        assert self.golden is not None
        runner.upgrade_all(self.golden.template, self.golden.instance)

    async def create(self, *, migrated: bool = True) -> TierUrls:
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        conn = await self._admin()
        try:
            for tier in ("tpl", "ins"):
                template = f'"{self.prefix}_{tier}_golden"' if migrated else "template0"
                await conn.execute(f'CREATE DATABASE "{name}_{tier}" TEMPLATE {template}')
        finally:
            await conn.close()
        return TierUrls(
            "postgresql",
            _with_database(self.admin_url, f"{name}_tpl"),
            _with_database(self.admin_url, f"{name}_ins"),
        )

    async def drop(self, urls: TierUrls) -> None:
        conn = await self._admin()
        try:
            for url in (urls.template, urls.instance):
                database = make_url(url).database
                await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()

    async def teardown(self) -> None:
        if self.golden is not None:
            await self.drop(self.golden)


def _admin_dsn(database: str | None = None) -> str:
    url = make_url(postgres_url() or "").set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def terminate_backends(urls: TierUrls) -> int:
    """What an operator (or a failover) does: every backend of the instance database ends."""
    database = make_url(urls.instance).database
    connection = await asyncpg.connect(_admin_dsn())
    try:
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await connection.close()
    return len(rows)


async def allow_connections(urls: TierUrls, allowed: bool) -> None:
    database = make_url(urls.instance).database
    connection = await asyncpg.connect(_admin_dsn())
    try:
        await connection.execute(
            f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
    finally:
        await connection.close()
