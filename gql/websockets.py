"""GraphQL over WebSockets (graphql-transport-ws and legacy graphql-ws), served by Strawberry."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry import Schema
from strawberry.asgi import GraphQL

from gql import params
from gql.auth import Admission
from gql.revocation import Revocations
from gql.ws_protocols import LegacyWSHandler, TransportWSHandler, Unreadable
from resolvers.context import RequestContext
from resolvers.owners import UnitOwners

GOING_AWAY = 1001
# The contexts made for the WebSocket connection the current task serves (see __call__).
_connection_contexts: ContextVar[list[RequestContext] | None] = ContextVar(
    "connection_contexts", default=None
)


class GraphQLWebSockets(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view for the WebSocket transports, with our context and a clean stop.

    On shutdown every open connection is closed with 1001 (going away) once its
    subscriptions have completed, so clients reconnect elsewhere instead of hanging.
    Frames Strawberry would choke on are handled by `gql.ws_protocols`.
    """

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        schema: Schema,
        make_context: Callable[[Request | WebSocket], Awaitable[RequestContext]],
        admit: Callable[[RequestContext, Any], Awaitable[Admission]],
        revocations: Callable[[], Revocations | None] = lambda: None,
        operation_timeout_s: float = 30.0,
        max_tokens: int = 5_000,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=100,
        )
        self._make_context = make_context
        # Called with the `connection_init` payload (see `gql.ws_protocols`): sets the
        # connection's caller and answers its token's expiry and id, or raises `AuthError`.
        self.admit = admit
        # The process's revoked tokens (None while auth is off), watched by connections.
        self.revocations = revocations
        # Queries and mutations over the socket are bounded as over HTTP.
        self.operation_timeout_s = operation_timeout_s
        self.max_tokens = max_tokens
        self._open: set[Send] = set()
        self._frames: dict[tuple[int, Any, Any], tuple[Any, str | bytes]] = {}
        self._unit_owners: UnitOwners | None = None

    async def get_context(self, request: Any, response: Any = None) -> RequestContext:
        context = await self._make_context(request)
        # One reader of units' owners for every connection (see `resolvers.owners`), made
        # again when the app's lifespan opened new tiers.
        tier = context.tiers.instance
        if self._unit_owners is None or self._unit_owners.tier is not tier:
            self._unit_owners = UnitOwners(tier)
        context.unit_owners = self._unit_owners
        opened = _connection_contexts.get()
        if opened is not None:
            opened.append(context)
        return context

    def decode_json(self, data: str | bytes) -> object:
        """Frames are read with the nesting limit; a deeper one is handed on as `Unreadable`
        (a `RecursionError` escaping here used to drop the connection without a close code).
        Text that is not JSON still raises, for Strawberry's own handling."""
        try:
            return params.loads(data)
        except params.NestedTooDeepError as error:
            return Unreadable(f"WebSocket message is {error}")

    def encode_json(self, data: object) -> str | bytes:
        """Encode each shared result once: subscribers of one shared subscription receive the
        same `data` object, and most clients use the same operation id, so their frames are
        identical. The cache holds the data objects it keys on, so an id is never reused
        while its entry lives."""
        payload = data.get("payload") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(payload, dict) or set(payload) != {"data"}:
            return super().encode_json(data)
        key = (id(payload["data"]), data.get("id"), data.get("type"))
        cached = self._frames.get(key)
        if cached is not None and cached[0] is payload["data"]:
            return cached[1]
        frame = super().encode_json(data)
        self._frames[key] = (payload["data"], frame)
        if len(self._frames) > 64:
            self._frames.pop(next(iter(self._frames)))
        return frame

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        # Remember the connection's `send` (not wrapped: every frame passes through it).
        self._open.add(send)
        opened: list[RequestContext] = []
        token = _connection_contexts.set(opened)
        try:
            await super().__call__(scope, receive, send)
        finally:
            _connection_contexts.reset(token)
            self._open.discard(send)
            # A query or mutation over the socket opens read connections on the context;
            # without this they stayed checked out of the pool until garbage collection.
            for context in opened:
                await context.close()

    async def close_all(self) -> None:
        for send in list(self._open):
            # A connection Strawberry closed a moment ago refuses a second close: fine.
            with contextlib.suppress(Exception):
                await send(
                    {"type": "websocket.close", "code": GOING_AWAY, "reason": "server stopping"}
                )
