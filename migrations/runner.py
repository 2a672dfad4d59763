"""Run and inspect the tiers' Alembic migrations from Python (tests, benchmarks, and the
start-up path of `migrations.fresh` when a tier is at an older revision)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from migrations.env_common import version_table
from migrations.fresh import TIERS
from storage.engines import create_tier_engine

__all__ = ["TIERS", "alembic_config", "current_revisions", "head_revisions", "upgrade"]
_HERE = Path(__file__).resolve().parent


def alembic_config(tier: str, url: str) -> Config:
    """An Alembic config for one tier, independent of the working directory."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
    config = Config()
    config.set_main_option("script_location", str(_HERE / tier))
    config.attributes["url"] = url
    return config


def upgrade(tier: str, url: str, revision: str = "head") -> None:
    """Upgrade one tier; a no-op when it is already at `revision`.

    Alembic's env.py runs its own event loop, so when called from inside a running loop
    (tests, the server) the work moves to a helper thread and this call blocks until done.
    """
    _outside_event_loop(command.upgrade, alembic_config(tier, url), revision)


def _outside_event_loop(fn: Callable[..., None], *args: object) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()


def head_revisions(tier: str) -> set[str]:
    script = ScriptDirectory.from_config(alembic_config(tier, "sqlite://"))
    return set(script.get_heads())


async def revisions_on(engine: AsyncEngine, tier: str) -> set[str]:
    """The revisions a tier's database is at, read through an open engine."""

    def read(connection: Connection) -> set[str]:
        context = MigrationContext.configure(
            connection, opts={"version_table": version_table(tier)}
        )
        return set(context.get_current_heads())

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def current_revisions(tier: str, url: str) -> set[str]:
    engine = create_tier_engine(url)
    try:
        return await revisions_on(engine, tier)
    finally:
        await engine.dispose()


def upgrade_all(template_url: str, instance_url: str) -> None:
    upgrade("template", template_url)
    upgrade("instance", instance_url)
