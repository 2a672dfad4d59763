"""Async engines and session factories for the two tiers."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.telemetry.known_ids import KnownIds

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
DEFAULT_LOCK_WAIT_MS = 10_000
T = TypeVar("T")
# Called when an engine is created, so that metrics can watch every engine a tier opens.
EngineWatcher = Callable[[Engine], None]


def _sqlite_pragmas(lock_wait_ms: int) -> Callable[[Any, Any], None]:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in (*SQLITE_PRAGMAS, f"PRAGMA busy_timeout={int(lock_wait_ms)}"):
            cursor.execute(pragma)
        cursor.close()

    return apply


def ensure_sqlite_dir(url: str) -> None:
    """Create the parent directory of a SQLite file URL so a fresh machine just works."""
    if is_sqlite_file(url):
        Path(str(make_url(url).database)).parent.mkdir(parents=True, exist_ok=True)


def is_sqlite_file(url: str | URL) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


class SQLiteWriter:
    """One thread with a synchronous connection to a SQLite file, for write transactions.

    Through aiosqlite every statement is a round trip between the event loop and a worker
    thread, and a writer holding SQLite's single write lock waits for the loop between its
    statements. Here a whole transaction runs in one hop, so the lock is held only while
    SQLite works. Created on first use; readers keep the async engine (WAL lets them run
    beside the writer).
    """

    def __init__(self, url: str, lock_wait_ms: int, echo: bool) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine = create_engine(sync_url, echo=echo, pool_size=1, max_overflow=0)
        event.listen(self.engine, "connect", _sqlite_pragmas(lock_wait_ms))
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def run(self, body: Callable[[Connection], T]) -> T:
        # The caller's context travels along: per-request statement counting relies on it.
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, context.run, self._transaction, body)

    def _transaction(self, body: Callable[[Connection], T]) -> T:
        with self.engine.begin() as connection:
            return body(connection)

    async def dispose(self) -> None:
        # Connections belong to the writer thread: close them there.
        await asyncio.get_running_loop().run_in_executor(self._thread, self.engine.dispose)
        self._thread.shutdown(wait=True)


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
    lock_wait_ms: int = DEFAULT_LOCK_WAIT_MS
    watchers: list[EngineWatcher] = field(default_factory=list)
    # Facts about ids the telemetry checks may reuse; the server sets it in its lifespan.
    known_ids: KnownIds | None = None
    _writer: SQLiteWriter | None = None

    async def write(self, body: Callable[[Connection], T]) -> T:
        """Run `body` (synchronous Core on a Connection) in one write transaction, committed
        when it returns and rolled back when it raises.

        On a SQLite file it runs on the tier's writer thread (see SQLiteWriter), where a
        cancelled caller cannot stop it; elsewhere on a pooled async connection through
        SQLAlchemy's greenlet bridge, where cancelling rolls it back."""
        if is_sqlite_file(self.engine.url):
            async with self.write_lock:
                running = asyncio.ensure_future(self._sqlite_writer().run(body))
                try:
                    return await asyncio.shield(running)
                except asyncio.CancelledError:
                    # A thread cannot be stopped: the body finishes (and may commit) there.
                    # Hold the lock until it has, so that this process's writers never
                    # overlap.
                    await asyncio.wait([running])
                    if not running.cancelled():
                        running.exception()  # retrieved: the caller is gone
                    raise
        async with self.engine.begin() as connection:
            return await connection.run_sync(body)

    def _sqlite_writer(self) -> SQLiteWriter:
        if self._writer is None:
            url = self.engine.url.render_as_string(hide_password=False)
            self._writer = SQLiteWriter(url, self.lock_wait_ms, self.engine.echo)
            for watch in self.watchers:
                watch(self._writer.engine)
        return self._writer

    def watch_engines(self, watch: EngineWatcher) -> None:
        """Call `watch` with every synchronous engine of this tier, now and when created."""
        self.watchers.append(watch)
        watch(self.engine.sync_engine)
        if self._writer is not None:
            watch(self._writer.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._writer is not None:
            await self._writer.dispose()
            self._writer = None

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """An ORM session in a write transaction, committed on success, rolled back on error
        (imports, instantiation, actors; the high-rate writers use `write`).

        SQLite has one writer at a time and makes waiting writers sleep and poll; queueing
        this process's writers (these and `write`'s) on one lock instead keeps throughput up
        under concurrency (other processes are still handled by the busy timeout)."""
        if self.engine.dialect.name == "sqlite":
            async with self.write_lock, self.sessions.begin() as session:
                yield session
        else:
            async with self.sessions.begin() as session:
                yield session

    @classmethod
    def open(cls, name: str, url: str, *, echo: bool = False, **engine_options: Any) -> Tier:
        engine = create_tier_engine(url, echo=echo, **engine_options)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        lock_wait_ms = engine_options.get("lock_wait_ms", DEFAULT_LOCK_WAIT_MS)
        return cls(name, engine, sessions, lock_wait_ms=lock_wait_ms)

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
        await self.template.dispose()
        await self.instance.dispose()
