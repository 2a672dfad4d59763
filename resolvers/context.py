"""The per-request context: lazily opened read connections per tier, loaders, caller."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Executable, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader

from resolvers.owners import UnitOwners
from storage.access import Caller, CallerKind
from storage.engines import Tier, Tiers
from storage.enums import LogType
from storage.ids import new_id
from storage.telemetry.buffer import TelemetryEntry
from storage.telemetry.events import Event

__all__ = ["Caller", "CallerKind", "RequestContext"]

K = TypeVar("K")
T = TypeVar("T")
V = TypeVar("V")


class TierReader:
    """One read connection to one tier, opened on first use and shared by the request's loaders.

    Loaders of different fields dispatch concurrently; a connection runs one statement at a
    time, so statements queue on a lock (SQLite would serialise them anyway).
    """

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        # The task whose statement is running: a loader's batch runs in a task of its own,
        # which cancelling the request does not reach (see `interrupt`).
        self._running: asyncio.Task[Any] | None = None
        self._ended = False

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Result[Any]:
        async with self._lock:
            return await self._first_retried(lambda c: c.execute(statement, parameters))

    async def _first_retried(self, run: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`run` on this request's connection; the first statement of a new connection is
        retried once on another when the server had closed it (pooled connections are only
        pinged after sitting idle, see `storage.engines`): nothing was read on it yet."""
        fresh = self._connection is None
        if self._connection is None:
            self._connection = await self._connect()
        self._running = asyncio.current_task()
        try:
            try:
                return await run(self._connection)
            except DBAPIError as error:
                if not (fresh and error.connection_invalidated):
                    raise
                await self._connection.close()
                self._connection = await self._connect()
                return await run(self._connection)
        finally:
            self._running = None

    def _check_open(self) -> None:
        if self._ended:
            # A field graphql-core left running after its request was answered (a sibling
            # failed): opening a connection now would leave it to the garbage collector.
            raise RuntimeError("the request has ended")

    async def _connect(self) -> AsyncConnection:
        """A new connection that is closed, not lost, when the field that asked for it is
        cancelled while it opens (graphql-core cancels the siblings of a failed field)."""
        self._check_open()
        opening = asyncio.ensure_future(self.tier.engine.connect())
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_opened)
            raise

    async def run_sync(self, body: Callable[[Connection], T]) -> T:
        """Run synchronous Core (a storage read shared with the write path) on this
        request's connection."""
        async with self._lock:
            return await self._first_retried(lambda c: c.run_sync(body))

    async def interrupt(self) -> None:
        """Stops the statement running on this connection (its operation timed out).

        The task awaiting it is cancelled: on PostgreSQL asyncpg then asks the server to
        cancel the statement. SQLite runs it on aiosqlite's thread, which a cancelled task
        does not stop, so SQLite is asked to interrupt it first (`sqlite3_interrupt`, made
        to be called from another thread)."""
        running, connection = self._running, self._connection
        if running is None or running is asyncio.current_task():
            return
        if connection is not None and self.tier.dialect == "sqlite":
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is not None:
                await driver.interrupt()
        running.cancel()

    @property
    def busy(self) -> bool:
        """True while a statement runs on this connection."""
        return self._running is not None

    @property
    def opened(self) -> bool:
        return self._connection is not None

    async def close(self, *, end: bool = False) -> None:
        """Close the connection; with `end`, none is opened again (the request is over)."""
        await asyncio.shield(self.closing(end=end))

    def closing(self, *, end: bool = False) -> asyncio.Future[None]:
        """Starts closing the connection at once, in a task of its own: a caller cancelled
        while it waits (a timeout, a stop) leaves the close running, so the connection goes
        back to the pool, not to the garbage collector with its transaction open."""
        self._ended = self._ended or end
        if self._connection is None and not self._lock.locked():
            idle: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            idle.set_result(None)  # nothing open, nothing opening: no task to start
            return idle
        return _kept(self._close())

    async def _close(self) -> None:
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is None:
                return
            try:
                await connection.close()
            except (DBAPIError, OSError):
                # The server ended this connection (a failover, an operator): the pool
                # throws it away, and the next read opens a new one.
                with contextlib.suppress(DBAPIError, OSError):
                    await connection.invalidate()


def _close_opened(opening: asyncio.Future[AsyncConnection]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        _kept(opening.result().close())


def _kept(closing: Awaitable[None]) -> asyncio.Future[None]:
    """`closing` as a task kept from the collector until it is done (whoever awaited it
    may be gone by then); its failure is retrieved, so an abandoned one logs nothing."""
    task = asyncio.ensure_future(closing)
    _CLOSING.add(task)
    task.add_done_callback(_forget_closed)
    return task


def _forget_closed(task: asyncio.Future[None]) -> None:
    _CLOSING.discard(task)
    if not task.cancelled():
        task.exception()


_CLOSING: set[asyncio.Future[None]] = set()  # closes in flight, kept from the collector


def _mark_ended(reader: TierReader) -> None:
    """Marks a reader made after its request ended (it has no connection to close)."""
    reader._ended = True


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose pending results survive the cancellation of one of their callers.

    Fields that ask for the same key await the same cached future. When a field fails,
    graphql-core cancels the sibling fields still running; awaiting the shared future
    directly cancelled it, so every other field waiting for it (in a branch that did not
    fail) got a `CancelledError` that escaped the whole request as an HTTP 500, and a batch
    whose futures were all cancelled was itself cancelled halfway through its statement,
    which broke the request's shared connection. So each caller awaits a future of its
    own, settled from the shared one (a lighter `asyncio.shield`: a few µs per load).
    """

    def load(self, key: K) -> Awaitable[V]:
        shared = super().load(key)
        if not isinstance(shared, asyncio.Future) or shared.done():
            return shared  # awaiting a finished future never suspends: nothing to cancel
        own: asyncio.Future[V] = shared.get_loop().create_future()
        shared.add_done_callback(functools.partial(_settle, own))
        return own


def _settle(own: asyncio.Future[Any], shared: asyncio.Future[Any]) -> None:
    """Hands the shared result to one caller, unless that caller was cancelled meanwhile."""
    if shared.cancelled():
        own.cancel()
        return
    error = shared.exception()  # read even for a cancelled caller: marks it retrieved
    if own.cancelled():
        return
    if error is None:
        own.set_result(shared.result())
    else:
        own.set_exception(error)


class EventSource(Protocol):
    """What resolvers need of the event bus (implemented in `gql.events`)."""

    async def publish(self, event: Event) -> None: ...

    def subscribe(
        self,
        instance_id: uuid.UUID,
        *,
        uow_id: uuid.UUID | None = None,
        log_types: Iterable[LogType] | None = None,
        transitions_only: bool = False,
    ) -> AbstractAsyncContextManager[Any]: ...


class RevocationSink(Protocol):
    """What the revokeToken mutation needs of the process's revoked tokens
    (`gql.revocation.Revocations`)."""

    def revoked(self, jti: str) -> None: ...


class TelemetrySink(Protocol):
    """What resolvers need of the telemetry buffer (`storage.telemetry.TelemetryBuffer`)."""

    def record(self, entry: TelemetryEntry) -> bool: ...


@dataclass
class RequestContext:
    """Built once per request (HTTP) or connection (WebSocket) in the app's context factory."""

    tiers: Tiers
    events: EventSource
    telemetry: TelemetrySink
    request_id: str = field(default_factory=lambda: new_id().hex[:16])
    # Resolved once by `gql.auth` (the HTTP header, or the WebSocket's `connection_init`);
    # every loader filters by it and every write is checked against it (`storage.scopes`).
    caller: Caller = field(default_factory=Caller)
    # The `connection_init` payload of a WebSocket connection (Strawberry sets it).
    connection_params: dict[str, Any] | None = None
    max_page_size: int = 500
    # Who the caller is for the rate limit (`gql.auth.caller_key`).
    caller_key: str = "local"
    # How long an idempotency key replays its first answer (CHAMELEON_IDEMPOTENCY_RETENTION_S).
    idempotency_retention_s: float = 86_400.0
    extras: dict[str, Any] = field(default_factory=dict)
    # Shared by the process's WebSocket connections (subscriptions check their unit).
    unit_owners: UnitOwners | None = None
    # The process's revoked tokens (None while auth is off): a revocation is applied to this
    # process's connections before the mutation answers.
    revocations: RevocationSink | None = None
    _readers: dict[str, TierReader] = field(default_factory=dict)
    _loaders: dict[Any, DataLoader[Any, Any]] = field(default_factory=dict)
    _ended: bool = False

    def reader(self, tier_name: str) -> TierReader:
        reader = self._readers.get(tier_name)
        if reader is None:
            tier = self.tiers.template if tier_name == "template" else self.tiers.instance
            reader = self._readers[tier_name] = TierReader(tier)
            if self._ended:
                _mark_ended(reader)
        return reader

    def loader(self, key: Any, load_fn: Callable[[list[K]], Any]) -> DataLoader[K, V]:
        """The request's loader for `key`, created with `load_fn` on first use."""
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = SharedLoader(load_fn=load_fn)
        return loader

    async def forget_reads(self) -> None:
        """Drop cached loads and read snapshots: the next read sees the newest committed state.

        Called after every write (so a payload shows the change) and before each
        subscription event (a WebSocket context lives as long as its connection).
        """
        self._loaders.clear()
        await self.close()

    async def interrupt(self) -> None:
        """Stops the statements this request's readers are running (a timeout)."""
        for reader in self._readers.values():
            await reader.interrupt()

    async def end(self) -> None:
        """Close for good, at the end of an HTTP request: a read started later fails instead
        of opening a connection nobody closes."""
        self._ended = True
        await self._close_readers(end=True)

    async def close(self) -> None:
        await self._close_readers(end=False)

    async def _close_readers(self, *, end: bool) -> None:
        """Every reader starts closing before anything is awaited, so a cancelled caller
        stops none of them."""
        closing = [reader.closing(end=end) for reader in self._readers.values()]
        if closing:
            await asyncio.shield(asyncio.gather(*closing))
