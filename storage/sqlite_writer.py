"""Group commit for a SQLite file: one thread applies this process's write transactions.

Through aiosqlite every statement is a round trip between the event loop and a worker
thread, and a writer holding SQLite's single write lock waits for the loop between its
statements. Here a whole body runs in one hop. Writers that arrive while a transaction
is running queue up; the thread then applies up to `MAX_BATCH` of them in one transaction,
each inside its own SAVEPOINT, so a body that raises (a stale version, a refused move)
is rolled back alone and answered alone, and one commit (one WAL write, one wake-up of the
event loop) serves them all. Every caller is answered only after the commit that holds
its change.

ORM writers (imports, instantiation, actors) keep their own connection: `paused()` stops
the thread between two batches while they write, so that the two never contend for the
lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import make_url

T = TypeVar("T")
MAX_BATCH = 64


@dataclass(slots=True)
class _Job:
    body: Callable[[Connection], Any]
    context: contextvars.Context
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Pause:
    loop: asyncio.AbstractEventLoop
    reached: asyncio.Future[None]
    release: threading.Event


_STOP = object()
Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]


def _begin_immediate(connection: Connection) -> None:
    # pysqlite's own transaction handling is off (see `_autocommit_driver`): SQLAlchemy's
    # begin() opens the transaction, taking the write lock at once, and SAVEPOINTs work.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


class SQLiteWriter:
    def __init__(self, url: str, on_connect: Callable[[Any, Any], None], echo: bool) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self.engine = create_engine(sync_url, echo=echo, pool_size=1, max_overflow=0)
        event.listen(self.engine, "connect", on_connect)
        event.listen(self.engine, "connect", _autocommit_driver)
        event.listen(self.engine, "begin", _begin_immediate)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._connection: Connection | None = None
        self._thread = threading.Thread(target=self._serve, name="sqlite-writer", daemon=True)
        self._thread.start()

    async def run(self, body: Callable[[Connection], T]) -> T:
        """`body` applied and committed on the writer thread; its result or its exception.

        A caller cancelled before its body started writes nothing; once started, the body
        runs to its commit (a thread cannot be stopped), and the answer is dropped."""
        loop = asyncio.get_running_loop()
        # The caller's context travels along: per-request statement counting relies on it.
        job = _Job(body, contextvars.copy_context(), loop, loop.create_future())
        self._jobs.put(job)
        result: T = await job.future
        return result

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Hold the writer thread between two transactions for the duration of the block."""
        loop = asyncio.get_running_loop()
        pause = _Pause(loop, loop.create_future(), threading.Event())
        self._jobs.put(pause)
        try:
            await asyncio.shield(pause.reached)
            yield
        finally:
            pause.release.set()

    async def dispose(self) -> None:
        self._jobs.put(_STOP)
        await asyncio.to_thread(self._thread.join)
        self.engine.dispose()

    # --- the writer thread ---------------------------------------------------------------

    def _serve(self) -> None:
        item = self._jobs.get()
        while item is not _STOP:
            if isinstance(item, _Pause):
                _settle_soon(item.loop, [(item.reached, None, None)])
                item.release.wait()
                item = self._jobs.get()
                continue
            batch = [item]
            item = None
            while len(batch) < MAX_BATCH:
                try:
                    queued = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if not isinstance(queued, _Job):
                    item = queued  # a pause or the stop: after this batch
                    break
                batch.append(queued)
            self._apply(batch)
            if item is None:
                item = self._jobs.get()
        if self._connection is not None:
            self._connection.close()
        self.engine.dispose()

    def _apply(self, batch: list[_Job]) -> None:
        jobs = [job for job in batch if not job.future.cancelled()]
        if not jobs:
            return
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            if self._connection is None:
                # Kept for the thread's life: no pool checkout and reset per transaction.
                self._connection = self.engine.connect()
            with self._connection.begin():
                for job in jobs:
                    outcomes.append(self._one(self._connection, job, savepoint=len(jobs) > 1))
        except Exception as failed:  # the commit (or BEGIN) failed: nothing was written
            outcomes = [(job, None, failed) for job in jobs]
            if self._connection is not None and self._connection.invalidated:
                self._connection.close()
                self._connection = None
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for job, result, problem in outcomes:
            by_loop.setdefault(job.loop, []).append((job.future, result, problem))
        for loop, settled in by_loop.items():
            _settle_soon(loop, settled)

    @staticmethod
    def _one(
        connection: Connection, job: _Job, *, savepoint: bool
    ) -> tuple[_Job, Any, BaseException | None]:
        if not savepoint:
            # Alone in its transaction: an error rolls the whole transaction back.
            return job, job.context.run(job.body, connection), None
        # The savepoint goes straight to the driver: through Core, SAVEPOINT and RELEASE
        # cost more Python than a small body's own statements. Bodies may open savepoints
        # of their own (`begin_nested`) inside this one.
        cursor = connection.connection.cursor()
        try:
            cursor.execute("SAVEPOINT writer_job")
            try:
                result = job.context.run(job.body, connection)
            except Exception as error:
                cursor.execute("ROLLBACK TO SAVEPOINT writer_job")
                cursor.execute("RELEASE SAVEPOINT writer_job")
                return job, None, error
            cursor.execute("RELEASE SAVEPOINT writer_job")
            return job, result, None
        finally:
            cursor.close()


def _settle_soon(loop: asyncio.AbstractEventLoop, outcomes: list[Outcome]) -> None:
    """Answer the callers on their event loop, in one wake-up per batch."""

    def settle() -> None:
        for future, result, error in outcomes:
            if future.done():
                continue  # the caller was cancelled meanwhile
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle)
