"""Shared body of both tiers' Alembic env.py: async engine, per-tier version table."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from migrations.fresh import version_table
from storage.engines import create_tier_engine
from storage.settings import DatabaseSettings

__all__ = ["configure", "configure_options", "resolve_url", "run", "version_table"]


def resolve_url(tier: str) -> str:
    """The URL given by the caller (`chameleon migrate`, tests), alembic.ini, or the
    CHAMELEON_ environment (the server's defaults)."""
    config = context.config
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return str(url)
    return DatabaseSettings().url(tier)


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # The guide is a view created by the revisions, not a model table.
    return not (type_ == "table" and name == "v_ai_schema_guide")


def configure_options(tier: str, metadata: MetaData) -> dict[str, Any]:
    """Options shared by migration runs and the models-versus-database comparison test."""
    return {
        "target_metadata": metadata,
        "version_table": version_table(tier),
        "compare_type": True,
        "include_object": _include_object,
        "user_module_prefix": "storage.types.",
    }


def configure(connection: Connection, tier: str, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
        **configure_options(tier, metadata),
    )


def run(tier: str, metadata: MetaData) -> None:
    """Entry point of a tier's env.py."""
    if context.is_offline_mode():
        context.configure(
            url=resolve_url(tier),
            target_metadata=metadata,
            version_table=version_table(tier),
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        configure(connection, tier, metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_tier_engine(resolve_url(tier))
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())
