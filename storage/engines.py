"""Async engines and session factories for the two tiers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
)


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def ensure_sqlite_dir(url: str) -> None:
    """Create the parent directory of a SQLite file URL so a fresh machine just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_tier_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine with the dialect's settings of SPEC 3.1 applied on every connection."""
    ensure_sqlite_dir(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


@dataclass(slots=True)
class Tier:
    """One database: its engine and the factory for its sessions."""

    name: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def open(cls, name: str, url: str, *, echo: bool = False) -> Tier:
        engine = create_tier_engine(url, echo=echo)
        return cls(name, engine, async_sessionmaker(engine, expire_on_commit=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@dataclass(slots=True)
class Tiers:
    """Both tiers, opened together and disposed together."""

    template: Tier
    instance: Tier

    @classmethod
    def open(cls, template_url: str, instance_url: str, *, echo: bool = False) -> Tiers:
        return cls(
            Tier.open("template", template_url, echo=echo),
            Tier.open("instance", instance_url, echo=echo),
        )

    async def dispose(self) -> None:
        await self.template.engine.dispose()
        await self.instance.engine.dispose()
