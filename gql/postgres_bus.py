"""The event bus over PostgreSQL LISTEN/NOTIFY, which survives losing its connections.

`publish` never raises and never waits for the database: an event goes into a bounded
outbox, and one sender task NOTIFYs the outbox in order. When a connection breaks (the
server restarts, an operator terminates backends, the network drops), the sender counts the
failure, keeps the unsent event at the head of the outbox and reconnects with exponential
backoff; it LISTENs again before it sends anything, so events queued while the bus was down
go out in order once it is back. Past the outbox's bound the oldest are dropped and
counted. A writer whose change committed is therefore never told it failed because the bus
could not announce it (the change is committed; the announcement is best effort, counted).

Notifications sent by other processes while this one was not listening are lost: LISTEN
has no replay. Subscribers that must not miss anything read the log after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from gql.fanout import Fanout
from storage.engines import Tier
from storage.enums import LogType
from storage.models import InteractionLogRow, UowHistoryRow
from storage.telemetry.events import INLINE_LIMIT, Event

log = logging.getLogger("chameleon.events")
CHANNEL = "chameleon_events"
NOTIFY_LIMIT = INLINE_LIMIT  # bytes; PostgreSQL refuses payloads of 8000 bytes or more


class PostgresBus(Fanout):
    """Delivery through LISTEN/NOTIFY on the instance tier's PostgreSQL database."""

    def __init__(
        self,
        tier: Tier,
        queue_size: int,
        *,
        outbox_size: int = 10_000,
        retry_min_s: float = 0.1,
        retry_max_s: float = 5.0,
        ping_interval_s: float = 5.0,
        statement_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(queue_size)
        self.tier = tier
        url = make_url(tier.engine.url.render_as_string(hide_password=False))
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.outbox_size = outbox_size
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.ping_interval_s = ping_interval_s
        self.statement_timeout_s = statement_timeout_s
        self.health.connected = False
        self._listener: asyncpg.Connection | None = None
        self._publisher: asyncpg.Connection | None = None
        self._outbox: deque[Event] = deque()
        self._pending = asyncio.Event()  # the outbox has something, or the bus should stop
        self._lost = asyncio.Event()  # a connection closed under us
        self._stopping = False
        # Notifications are handled one at a time, in arrival order, even when one of them
        # must be read back from the database first.
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        # Channels of other notifications (token revocations), listened to again after
        # every reconnect.
        self._channels: dict[str, Callable[[str], None]] = {}

    @property
    def waiting(self) -> int:
        """Events published but not yet sent."""
        return len(self._outbox)

    async def start(self) -> None:
        """Connects once (a server must not start on an unreachable bus), then runs."""
        await self._connect()
        self._worker = asyncio.create_task(self._deliver_in_order(), name="event-bus-inbox")
        self._sender = asyncio.create_task(self._send_forever(), name="event-bus-sender")

    async def stop(self, timeout_s: float = 2.0) -> None:
        """Subscriptions complete; what is queued gets `timeout_s` to be sent; then close."""
        self.close_all()
        self._stopping = True
        self._pending.set()
        if self._sender is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._sender), timeout_s)
        for task in (self._sender, self._worker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._outbox:
            log.warning("event bus stopped with %d events unsent", len(self._outbox))
        await self._disconnect()

    async def listen(self, channel: str, heard: Callable[[str], None]) -> None:
        """Calls `heard` with the payload of every notification on `channel` (sent by any
        process; a transaction's NOTIFY arrives when it commits)."""
        self._channels[channel] = heard
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.add_listener(channel, _payload_to(heard))

    async def publish(self, event: Event) -> None:
        """Queue `event` for the sender; never raises, never waits for the database."""
        if len(self._outbox) >= self.outbox_size:
            self._outbox.popleft()
            self.health.dropped += 1
            if self.health.dropped % 1_000 == 1:
                log.warning("event bus outbox full: %d events dropped", self.health.dropped)
        self._outbox.append(event)
        self._pending.set()

    # --- connections ---------------------------------------------------------------------

    async def _connect(self) -> None:
        self._lost.clear()
        timeout = self.statement_timeout_s
        self._listener = await asyncpg.connect(self._dsn, timeout=timeout)
        self._listener.add_termination_listener(self._closed_under_us)
        await self._listener.add_listener(CHANNEL, self._heard)
        for channel, heard in self._channels.items():
            await self._listener.add_listener(channel, _payload_to(heard))
        self._publisher = await asyncpg.connect(self._dsn, timeout=timeout)
        self._publisher.add_termination_listener(self._closed_under_us)
        self.health.connected = True
        self.health.problem = None

    async def _disconnect(self) -> None:
        self.health.connected = False
        listener, publisher = self._listener, self._publisher
        self._listener = self._publisher = None
        for connection in (listener, publisher):
            if connection is not None and not connection.is_closed():
                connection.remove_termination_listener(self._closed_under_us)
                try:
                    await asyncio.wait_for(connection.close(), 1.0)
                except Exception:  # a broken connection may not close politely: drop it
                    connection.terminate()

    def _closed_under_us(self, connection: Any) -> None:
        self._lost.set()
        self._pending.set()

    # --- sending -------------------------------------------------------------------------

    async def _send_forever(self) -> None:
        """Send the outbox; on a broken connection reconnect with exponential backoff."""
        delay = self.retry_min_s
        while not self._stopping:
            try:
                if not self.health.connected:
                    await self._connect()
                    self.health.reconnects += 1
                    delay = self.retry_min_s
                    log.warning("event bus reconnected; %d events to send", len(self._outbox))
                await self._send_outbox()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # whatever broke, the cure is a new connection
                if self.health.connected:
                    log.warning("event bus connection lost (%s); reconnecting", error)
                self.health.problem = f"reconnecting after {type(error).__name__}"
                await self._disconnect()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)

    async def _send_outbox(self) -> None:
        """Returns when stopping with an empty outbox; raises when a connection broke."""
        while True:
            if self._lost.is_set():
                raise ConnectionError("a bus connection was closed")
            if not self._outbox:
                if self._stopping:
                    return
                self._pending.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._pending.wait(), self.ping_interval_s)
                if not self._pending.is_set():
                    await self._ping()
                continue
            await self._send(self._outbox[0])
            self._outbox.popleft()

    async def _ping(self) -> None:
        """A quiet listener would not notice a dead connection; a query does."""
        assert self._listener is not None
        await self._listener.execute("SELECT 1", timeout=self.statement_timeout_s)

    async def _send(self, event: Event) -> None:
        payload = event.encode()
        if len(payload.encode()) > NOTIFY_LIMIT:
            if event.log_id is None:
                self.health.publish_failures += 1
                log.error(
                    "event of %s too large for NOTIFY and not stored: dropped", event.log_type
                )
                return
            payload = json.dumps({"ref": event.log_id})
        assert self._publisher is not None
        publisher = self._publisher
        try:
            await publisher.execute(
                "SELECT pg_notify($1, $2)", CHANNEL, payload, timeout=self.statement_timeout_s
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.health.publish_failures += 1
            if isinstance(error, TimeoutError) or publisher.is_closed() or self._lost.is_set():
                raise  # the connection broke or hangs: the event stays queued for the next one
            # The server answered and refused this payload: sending it again would fail again.
            log.exception("event refused by the database: dropped")

    # --- receiving -----------------------------------------------------------------------

    def _heard(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._inbox.put_nowait(payload)

    async def _deliver_in_order(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                raw = json.loads(payload)
                if "ref" in raw:
                    await self._read_back(int(raw["ref"]))
                else:
                    self.deliver(Event.decode(payload))
            except Exception:  # one bad notification must not stop the bus
                log.exception("could not deliver an event")

    async def _read_back(self, log_id: int) -> None:
        """Rebuild a large event from its stored log row (and its history entry).

        The history entry is attached only to a STATE_TRANSITION row (which only the engine
        writes) and only when it is that unit's: a client's own details cannot name another
        unit's history and have it delivered as theirs."""
        async with self.tier.sessions() as session:
            row = await session.get(InteractionLogRow, log_id)
            if row is None:
                log.warning("event %s announced but not found", log_id)
                return
            history = None
            history_id = (row.event_details or {}).get("history_id")
            if row.log_type == LogType.STATE_TRANSITION and history_id is not None:
                history = await session.get(UowHistoryRow, uuid.UUID(str(history_id)))
                if history is not None and (
                    history.uow_id != row.uow_id or history.instance_id != row.instance_id
                ):
                    log.error("log %s names history of another unit: not attached", log_id)
                    history = None
        self.deliver(Event.of_log(row, history))


def _payload_to(heard: Callable[[str], None]) -> Callable[[Any, int, str, str], None]:
    """An asyncpg listener that hands the payload on."""

    def listener(connection: Any, pid: int, channel: str, payload: str) -> None:
        heard(payload)

    return listener
