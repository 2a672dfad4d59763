"""Async engines and session factories for the two tiers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
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
)
DEFAULT_LOCK_WAIT_MS = 10_000


def _sqlite_pragmas(lock_wait_ms: int) -> Callable[[Any, Any], None]:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={int(lock_wait_ms)}"):
            cursor.execute(pragma)
        cursor.close()

    return apply


def ensure_sqlite_dir(url: str) -> None:
    """Create the parent directory of a SQLite file URL so a fresh machine just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_tier_engine(
    url: str, *, echo: bool = False, lock_wait_ms: int = DEFAULT_LOCK_WAIT_MS
) -> AsyncEngine:
    """An engine with the dialect's settings of SPEC 3.1 applied on every connection.

    `lock_wait_ms` bounds how long a statement waits for another writer's lock (SQLite's
    busy timeout; PostgreSQL's lock_timeout when set below the default).
    """
    ensure_sqlite_dir(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(lock_wait_ms))
        return engine
    connect_args: dict[str, Any] = {}
    if lock_wait_ms != DEFAULT_LOCK_WAIT_MS:
        connect_args = {"server_settings": {"lock_timeout": str(int(lock_wait_ms))}}
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args=connect_args,
    )


@dataclass(slots=True)
class Tier:
    """One database: its engine and the factory for its sessions."""

    name: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction, committed on success, rolled back on error.

        SQLite has one writer at a time and makes waiting writers sleep and poll; queueing
        this process's writers on a lock instead keeps throughput up under concurrency
        (other processes are still handled by the busy timeout)."""
        if self.engine.dialect.name == "sqlite":
            async with self.write_lock, self.sessions.begin() as session:
                yield session
        else:
            async with self.sessions.begin() as session:
                yield session

    @classmethod
    def open(cls, name: str, url: str, *, echo: bool = False, **engine_options: Any) -> Tier:
        engine = create_tier_engine(url, echo=echo, **engine_options)
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
