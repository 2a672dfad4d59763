"""Revoked tokens as every server process sees them: an in-memory set, kept current.

Checking a token against the database on every request would add a statement to each one;
instead each process holds the revoked ids (`storage.revocations`) in a set that is
refreshed from the table every `refresh_s` seconds and, on the PostgreSQL event bus, the
moment a revocation commits anywhere (its transaction NOTIFYs the ids). A revocation made by
this process is in its set before the mutation answers. So every process refuses a revoked
token within `refresh_s` at worst (a bus that lost its connection, SQLite, the command
line), and at once on the PostgreSQL bus.

Open WebSocket connections watch their token's id: when it is revoked they are told, and
close themselves with 4403 (`gql.ws_protocols`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from storage.engines import Tier
from storage.revocations import REVOCATION_CHANNEL, purge_expired, revoked_ids

log = logging.getLogger("chameleon.auth")
# Expired rows are deleted every this many refreshes (any process may; it is idempotent).
PURGE_EVERY = 300
STOP_WAIT_S = 5.0  # a refresh still running when the server stops gets this long


class Revocations:
    """The revoked token ids of one server process, and the connections watching them."""

    def __init__(self, tier: Tier, refresh_s: float) -> None:
        self.tier = tier
        self.refresh_s = refresh_s
        self._ids: set[str] = set()
        self._watchers: dict[str, set[Callable[[], None]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def __contains__(self, jti: object) -> bool:
        return jti in self._ids

    async def start(self, bus: Any) -> None:
        """Reads the list once (a token revoked before the start is refused at once), then
        keeps it current; `bus` tells of revocations as they commit when it can."""
        await self.refresh()
        listen = getattr(bus, "listen", None)
        if listen is not None:
            await listen(REVOCATION_CHANNEL, self.revoked)
        self._task = asyncio.create_task(self._refresh_forever(), name="token-revocations")

    async def stop(self) -> None:
        """Ends the refresh between two reads: cancelling it inside one could leave its
        pooled connection to the garbage collector (cancelled only if it hangs)."""
        if self._task is not None:
            self._stopping.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_S)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    def revoked(self, jti: str) -> None:
        """`jti` is revoked from now on: the connections watching it are told."""
        if jti in self._ids:
            return
        self._ids.add(jti)
        for watcher in list(self._watchers.pop(jti, ())):
            try:
                watcher()
            except Exception:  # one connection's trouble must not spare the others
                log.exception("a connection could not be told its token was revoked")

    def watch(self, jti: str, on_revoked: Callable[[], None]) -> Callable[[], None]:
        """Calls `on_revoked` once when `jti` is revoked; answers the function that stops
        watching (a closed connection)."""
        watchers = self._watchers.setdefault(jti, set())
        watchers.add(on_revoked)

        def unwatch() -> None:
            remaining = self._watchers.get(jti)
            if remaining is not None:
                remaining.discard(on_revoked)
                if not remaining:
                    del self._watchers[jti]

        return unwatch

    async def refresh(self) -> None:
        for jti in await revoked_ids(self.tier) - self._ids:
            self.revoked(jti)

    async def _refresh_forever(self) -> None:
        rounds = 0
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.refresh_s)
                return  # stopped
            except TimeoutError:
                pass
            rounds += 1
            try:
                await self.refresh()
                if rounds % PURGE_EVERY == 0:
                    await purge_expired(self.tier)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again next round
                log.warning("could not read the revoked tokens (%s)", type(error).__name__)
