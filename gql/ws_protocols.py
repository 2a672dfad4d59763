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
invalid token closes the connection with 4401 before anything can start, a revoked one with
4403; a token revoked or expiring while the connection is open closes it with 4403.

Queries and mutations sent over graphql-transport-ws run under the operation timeout as they
do over HTTP (`Bounded`): each runs on a context of its own, so a timeout interrupts only its
statements, and is answered with a TIMEOUT error; the connection stays open. Subscriptions
are long-lived and not bounded. (The legacy graphql-ws protocol runs subscriptions only:
Strawberry refuses a query or mutation there with "queries are not allowed".)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ErrorMessage, OperationMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from gql import params
from gql.auth import AuthError, RevokedTokenError
from gql.timeouts import timeout_error
from resolvers.context import RequestContext
from storage.ids import new_id

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

    No or an invalid token closes the connection with 4401, a revoked one with 4403; a token
    that expires or is revoked while the connection is open closes it with 4403 at that
    moment (its subscriptions end with it).
    """

    view: Any
    context: Any
    websocket: Any
    _expiry: asyncio.Task[None] | None = None
    _unwatch: Callable[[], None] | None = None
    _revocation: asyncio.Task[None] | None = None

    async def admitted(self, payload: Any) -> bool:
        try:
            admission = await self.view.admit(self.context, payload)
        except AuthError as error:
            code = FORBIDDEN if isinstance(error, RevokedTokenError) else UNAUTHORIZED
            await self.refused(str(error))
            await self.websocket.close(code=code, reason=_reason(str(error)))
            return False
        if admission.expires_at is not None and self._expiry is None:
            self._expiry = asyncio.create_task(self._expire(admission.expires_at))
        revocations = self.view.revocations()
        if admission.jti is not None and revocations is not None and self._unwatch is None:
            self._unwatch = revocations.watch(admission.jti, self._revoked)
            if admission.jti in revocations:  # revoked while the caller was being read
                self._revoked()
        return True

    def _revoked(self) -> None:
        """Told by `gql.revocation` (on the event loop) that the token was revoked."""
        self._revocation = asyncio.create_task(self._close_revoked())

    async def _close_revoked(self) -> None:
        with contextlib.suppress(Exception):  # the connection may be closing already
            await self.websocket.close(code=FORBIDDEN, reason="token revoked")

    async def refused(self, reason: str) -> None:
        """Tells the client why before the close (the legacy protocol's way)."""

    async def _expire(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        with contextlib.suppress(Exception):  # the connection may be closing already
            await self.websocket.close(code=FORBIDDEN, reason="token expired")

    def stop_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None


@functools.lru_cache(maxsize=512)
def is_subscription(query: str, operation_name: str | None, max_tokens: int) -> bool:
    """True when the document's chosen operation is a subscription. A document that does not
    parse, or names no operation it holds, is not: Strawberry answers its error."""
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


class Bounded:
    """Queries and mutations over the socket under the operation timeout (see the module)."""

    view: Any
    context: Any
    schema: Any
    root_value: Any

    def single_result(self, query: Any, operation_name: Any) -> bool:
        if not isinstance(query, str):
            return False
        name = operation_name if isinstance(operation_name, str) else None
        return not is_subscription(query, name, self.view.max_tokens)

    async def bounded(self, query: str, variables: Any, operation_name: str | None) -> list[Any]:
        """The results of one query or mutation, or one TIMEOUT error once it ran out of
        time (its statements interrupted); run on a context of its own, ended after."""
        context = operation_context(self.context)
        try:
            async with asyncio.timeout(self.view.operation_timeout_s):
                source = await self.schema.stream(
                    query,
                    variable_values=variables,
                    context_value=context,
                    root_value=self.root_value,
                    operation_name=operation_name,
                )
                if isinstance(source, PreExecutionError | ExecutionResult):
                    return [source]
                async with aclosing(source):
                    return [result async for result in source]
        except TimeoutError:
            await context.interrupt()
            error = timeout_error(self.view.operation_timeout_s)
            return [ExecutionResult(data=None, errors=[error])]
        except asyncio.CancelledError:  # stopped by the client
            await context.interrupt()
            raise
        finally:
            await context.end()


def operation_context(connection: RequestContext) -> RequestContext:
    """A context for one operation of a connection: its caller and services, with readers
    and loaders of its own (a timeout interrupts only this operation's statements)."""
    return replace(
        connection,
        request_id=new_id().hex[:16],
        extras={},
        _readers={},
        _loaders={},
        _ended=False,
    )


def _reason(message: str) -> str:
    """A close reason fits in 123 bytes."""
    return message.encode()[:120].decode(errors="ignore")


class TransportWSHandler(Admitting, Bounded, BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws: every unusable frame closes the connection with 4400."""

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        if not self.single_result(operation.query, operation.operation_name):
            await super().run_operation(operation)
            return
        try:
            results = await self.bounded(
                operation.query, operation.variables, operation.operation_name
            )
            await self._send_result_stream(operation, _replay(results))
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return

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


async def _replay(results: list[Any]) -> Any:
    """`results` as the stream Strawberry's sender reads."""
    for result in results:
        yield result
