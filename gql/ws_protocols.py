"""Strawberry's two WebSocket protocol handlers, hardened against frames they choke on.

Strawberry indexes every frame as a dict: a frame like `[]`, `1` or `"x"`, an `id` that
is not a string or a `payload` of the wrong type raised a TypeError that dropped the
connection without a close code. A frame nested deeper than `gql.params.MAX_DEPTH` is
handed over as an `Unreadable` (see `GraphQLWebSockets.decode_json`). And
graphql-transport-ws allows `connection_init` with `"payload": null`, which Strawberry
refused with 4400.

graphql-transport-ws closes the connection with 4400 and a reason for any such frame, as
its protocol asks for invalid messages. The legacy graphql-ws protocol has no such close
code and Strawberry ignores frames that are not JSON there: frames it cannot use are
ignored the same way, and a `start` with an invalid payload is answered with `error`.

Both check the caller at `connection_init` (`Admitting`, with `gql.auth`): a missing or
invalid token closes the connection with 4401 before anything can start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, OperationMessage

from gql import params
from gql.auth import AuthError

WITH_ID = {"subscribe", "complete", "start", "stop"}
UNAUTHORIZED = 4401
FORBIDDEN = 4403


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A frame that was not decoded, and why (shown as the close reason)."""

    reason: str


def frame_problem(message: Any, *, start: str) -> str | None:
    """What makes `message` unusable, or None. `start` names the protocol's subscribe type."""
    if isinstance(message, Unreadable):
        return message.reason
    if not isinstance(message, dict):
        return "WebSocket message must be a JSON object"
    if message.get("type") in WITH_ID and not isinstance(message.get("id"), str):
        return "id: must be a string"
    if message.get("type") == start:
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "payload: must be a JSON object"
        return params.problem(payload)
    return None


class Admitting:
    """The caller of a connection, checked at `connection_init` before anything can start.

    No or an invalid token closes the connection with 4401; a token that expires while the
    connection is open closes it with 4403 at that moment (its subscriptions end with it).
    """

    view: Any
    context: Any
    websocket: Any
    _expiry: asyncio.Task[None] | None = None

    async def admitted(self, payload: Any) -> bool:
        try:
            expires_at = await self.view.admit(self.context, payload)
        except AuthError as error:
            await self.refused(str(error))
            await self.websocket.close(code=UNAUTHORIZED, reason=_reason(str(error)))
            return False
        if expires_at is not None and self._expiry is None:
            self._expiry = asyncio.create_task(self._expire(expires_at))
        return True

    async def refused(self, reason: str) -> None:
        """Tells the client why before the close (the legacy protocol's way)."""

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        with contextlib.suppress(Exception):  # the connection may be closing already
            await self.websocket.close(code=FORBIDDEN, reason="token expired")

    def stop_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()


def _reason(message: str) -> str:
    """A close reason fits in 123 bytes."""
    return message.encode()[:120].decode(errors="ignore")


class TransportWSHandler(Admitting, BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws: every unusable frame closes the connection with 4400."""

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self.stop_expiry()

    async def handle_message(self, message: Message) -> None:
        problem = frame_problem(message, start="subscribe")
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "connection_init" and message.get("payload", {}) is None:
            message = cast("Message", {"type": "connection_init"})  # null means "no payload"
        if (
            message["type"] == "connection_init"
            and not self.connection_init_received
            and not await self.admitted(message.get("payload"))
        ):
            return
        await super().handle_message(message)


class LegacyWSHandler(Admitting, BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws: unusable frames are ignored; a bad `start` gets an `error` for its id."""

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self.stop_expiry()

    async def refused(self, reason: str) -> None:
        await self.send_message(
            cast("OperationMessage", {"type": "connection_error", "payload": {"message": reason}})
        )

    async def handle_message(self, message: OperationMessage) -> None:
        problem = frame_problem(message, start="start")
        if problem is None:
            if message.get("type") == "connection_init" and not await self.admitted(
                message.get("payload")
            ):
                return
            await super().handle_message(message)
        elif isinstance(message, dict) and isinstance(operation := message.get("id"), str):
            await self.send_message(
                ErrorMessage(type="error", id=operation, payload={"message": problem})
            )
