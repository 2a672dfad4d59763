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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, OperationMessage

from gql import params

WITH_ID = {"subscribe", "complete", "start", "stop"}


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


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws: every unusable frame closes the connection with 4400."""

    async def handle_message(self, message: Message) -> None:
        problem = frame_problem(message, start="subscribe")
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "connection_init" and message.get("payload", {}) is None:
            message = cast("Message", {"type": "connection_init"})  # null means "no payload"
        await super().handle_message(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """graphql-ws: unusable frames are ignored; a bad `start` gets an `error` for its id."""

    async def handle_message(self, message: OperationMessage) -> None:
        problem = frame_problem(message, start="start")
        if problem is None:
            await super().handle_message(message)
        elif isinstance(message, dict) and isinstance(operation := message.get("id"), str):
            await self.send_message(
                ErrorMessage(type="error", id=operation, payload={"message": problem})
            )
