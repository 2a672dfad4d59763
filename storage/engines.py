"""Async engines and session factories for the two tiers."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from storage.json_equality import register_sqlite_functions
from storage.reads.json_sql import SQLITE_CURSOR_FUNCTION, sqlite_cursor
from storage.sqlite_writer import SQLiteWriter

if TYPE_CHECKING:
    from storage.telemetry.known_ids import KnownIds

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
DEFAULT_LOCK_WAIT_MS = 10_000
SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
T = TypeVar("T")
# Called when an engine is created, so that metrics can watch every engine a tier opens.
EngineWatcher = Callable[[Engine], None]


def _sqlite_pragmas(lock_wait_ms: int) -> Callable[[Any, Any], None]:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # The busy timeout first. Switching a new file to WAL needs the file to itself, and
        # SQLite answers "database is locked" at once, without its busy handler, when
        # another process is creating or switching it at that moment (two servers started
        # together on an empty data dir): that pragma is retried until the lock wait ends.
        deadline = time.monotonic() + lock_wait_ms / 1000
        for pragma in (f"PRAGMA busy_timeout={int(lock_wait_ms)}", *SQLITE_PRAGMAS):
            while True:
                try:
                    cursor.execute(pragma)
                    break
                except sqlite3.OperationalError as error:
                    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary code
                    busy = code in SQLITE_BUSY_CODES
                    if not busy or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
        cursor.close()
        register_sqlite_functions(dbapi_connection)
        # The compiled read path builds pagination cursors in SQL (storage.reads.json_sql).
        dbapi_connection.create_function(
            SQLITE_CURSOR_FUNCTION, 1, sqlite_cursor, deterministic=True
        )

    return apply


def ensure_sqlite_dir(url: str) -> None:
    """Create the parent directory of a SQLite file URL so a fresh machine just works."""
    if is_sqlite_file(url):
        Path(str(make_url(url).database)).parent.mkdir(parents=True, exist_ok=True)


def is_sqlite_file(url: str | URL) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def create_sqlite_file_engine(url: str, *, lock_wait_ms: int = DEFAULT_LOCK_WAIT_MS) -> Engine:
    """A synchronous engine on a SQLite file (any driver named in `url` is replaced by the
    standard library's), with the pragmas of `create_tier_engine`, for start-up work that
    needs no event loop (no statement crosses to aiosqlite's thread and back)."""
    ensure_sqlite_dir(url)
    engine = create_engine(make_url(url).set(drivername="sqlite+pysqlite"), poolclass=NullPool)
    event.listen(engine, "connect", _sqlite_pragmas(lock_wait_ms))
    return engine


def create_tier_engine(
    url: str,
    *,
    echo: bool = False,
    lock_wait_ms: int = DEFAULT_LOCK_WAIT_MS,
    statement_timeout_ms: int | None = None,
) -> AsyncEngine:
    """An engine with the dialect's settings of SPEC 3.1 applied on every connection.

    `lock_wait_ms` bounds how long a statement waits for another writer's lock (SQLite's
    busy timeout; PostgreSQL's lock_timeout when set below the default).
    `statement_timeout_ms` is PostgreSQL's statement_timeout: the server cancels a statement
    running longer, whatever happened to the client that sent it (the server's operation
    timeout; SQLite has no such setting).
    """
    ensure_sqlite_dir(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(lock_wait_ms))
        return engine
    server_settings: dict[str, str] = {}
    if lock_wait_ms != DEFAULT_LOCK_WAIT_MS:
        server_settings["lock_timeout"] = str(int(lock_wait_ms))
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(int(statement_timeout_ms))
    connect_args: dict[str, Any] = {"server_settings": server_settings} if server_settings else {}
    engine = create_async_engine(
        url, echo=echo, pool_size=10, max_overflow=20, connect_args=connect_args
    )
    _ping_when_idle(engine.sync_engine)
    return engine


# A pooled connection unused for this long is pinged before it is handed out again.
IDLE_PING_S = 0.25


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, for connections that sat idle only.

    SQLAlchemy's pre-ping costs three round trips on asyncpg (BEGIN, `;`, ROLLBACK) before
    every checkout: a third of a transition's round trips. A connection the server killed
    (a restart, `pg_terminate_backend`) is one that sat idle meanwhile, so only those are
    pinged; a busy pool hands its connections out without one. A failed ping makes the pool
    throw the connection away and take another (SQLAlchemy's disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def used(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return  # new (just connected) or just used
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer a ping")


@dataclass(slots=True)
class Tier:
    """One database: its engine and the factory for its sessions."""

    name: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    lock_wait_ms: int = DEFAULT_LOCK_WAIT_MS
    watchers: list[EngineWatcher] = field(default_factory=list)
    # What services may keep per database because it never changes once written (the
    # engine's workflow graphs): it lives and dies with the tier, never at module level.
    memo: dict[str, Any] = field(default_factory=dict)
    # Facts about ids the telemetry checks may reuse; the server sets it in its lifespan.
    known_ids: KnownIds | None = None
    _writer: SQLiteWriter | None = None

    async def write(self, body: Callable[[Connection], T]) -> T:
        """Run `body` (synchronous Core on a Connection) in one write transaction, committed
        when it returns and rolled back when it raises.

        On a SQLite file it runs on the tier's writer thread, committed together with the
        bodies queued beside it (see `storage.sqlite_writer`); a cancelled caller cannot stop
        a body that has started. Elsewhere it runs on a pooled async connection through
        SQLAlchemy's greenlet bridge, where cancelling rolls it back."""
        if is_sqlite_file(self.engine.url):
            return await self._sqlite_writer().run(body)
        retry = True
        while True:
            async with self.engine.connect() as connection:
                try:
                    await connection.begin()
                    result = await connection.run_sync(body)
                except exc.DBAPIError as error:
                    # A pooled connection the server closed (restart, terminated backend)
                    # fails before anything is committed: once, on a fresh connection, the
                    # body runs again. A failure of COMMIT itself is never retried.
                    if retry and error.connection_invalidated:
                        retry = False
                        continue
                    raise
                await connection.commit()
                return result

    def _sqlite_writer(self) -> SQLiteWriter:
        if self._writer is None:
            url = self.engine.url.render_as_string(hide_password=False)
            self._writer = SQLiteWriter(url, _sqlite_pragmas(self.lock_wait_ms), self.engine.echo)
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

        SQLite has one writer at a time and makes waiting writers sleep and poll: these
        writers queue on one lock, and the writer thread of `write` is paused while one of
        them writes (other processes are still handled by the busy timeout)."""
        if is_sqlite_file(self.engine.url):
            async with (
                self.write_lock,
                self._sqlite_writer().paused(),
                self.sessions.begin() as session,
            ):
                yield session
        elif self.engine.dialect.name == "sqlite":
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
    def open(
        cls,
        template_url: str,
        instance_url: str,
        *,
        echo: bool = False,
        statement_timeout_ms: int | None = None,
    ) -> Tiers:
        options: dict[str, Any] = {"echo": echo}
        if statement_timeout_ms is not None:
            options["statement_timeout_ms"] = statement_timeout_ms
        return cls(
            Tier.open("template", template_url, **options),
            Tier.open("instance", instance_url, **options),
        )

    async def dispose(self) -> None:
        await self.template.dispose()
        await self.instance.dispose()
