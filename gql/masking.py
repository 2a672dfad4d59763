"""Errors are logged once, here: the client's in one line, the unexpected in full, masked.

Strawberry logs every error with its traceback at ERROR level, a bad cursor as loudly as
a broken database, and this extension logged the unexpected ones a second time. Now
Strawberry's error log is silenced (`quiet_strawberry_error_log`, called by the app
factory) and this extension, which knows the request id and which errors are the
client's, logs each error once:

- a client error (validation, bad variables, a refused id or cursor...): one INFO line;
- an unexpected error: ERROR with its traceback and an error id; the client gets only
  "Internal error (request id ...)" with `extensions.requestId` and `extensions.errorId`,
  so a report from a client leads to the one log entry.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

log = logging.getLogger("chameleon.errors")

# What the client got wrong: errors raised on purpose, and the request errors Strawberry
# raises before execution (answered by the transports with their own status or close code).
CLIENT_CAUSES = (
    GraphQLError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
    MissingQueryError,
)


def is_expected(error: GraphQLError) -> bool:
    """Validation errors and errors resolvers raised on purpose (GraphQLError) stay visible."""
    original = error.original_error
    return original is None or isinstance(original, CLIENT_CAUSES)


class _Drop(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def quiet_strawberry_error_log() -> None:
    """Silences Strawberry's per-error log (`strawberry.execution`): the extension below
    logs each error once, at the level it deserves. Idempotent."""
    logger = logging.getLogger("strawberry.execution")
    if not any(isinstance(f, _Drop) for f in logger.filters):
        logger.addFilter(_Drop())


class MaskUnexpectedErrors(SchemaExtension):
    """Runs once per operation (not per field), after the result is known."""

    def on_operation(self) -> Iterator[None]:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        try:
            yield
        except CLIENT_CAUSES:
            raise
        except Exception as error:  # raised by an extension hook: Strawberry would show it
            raise _masked(request_id, error, None) from None
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [reported(request_id, found) for found in result.errors]


def reported(request_id: str, error: GraphQLError) -> GraphQLError:
    """`error` logged once, as the client sees it: kept when expected, else masked."""
    if is_expected(error):
        log.info("request %s: %s", request_id, _one_line(error))
        return error
    return _masked(request_id, error.original_error, error)


def _masked(request_id: str, cause: Any, error: GraphQLError | None) -> GraphQLError:
    """Logs `cause` in full under a new error id; the error the client sees instead."""
    error_id = uuid.uuid4().hex[:12]
    path = error.path if error is not None else None
    log.error(
        "request %s: unexpected error %s%s", request_id, error_id, _where(path), exc_info=cause
    )
    return GraphQLError(
        f"Internal error (request id {request_id})",
        nodes=error.nodes if error is not None else None,
        path=path,
        extensions={"code": "INTERNAL_ERROR", "requestId": request_id, "errorId": error_id},
    )


def _one_line(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    message = " ".join(error.message.split())
    return f"client error{f' {code}' if code else ''}{_where(error.path)}: {message}"


def _where(path: list[str | int] | None) -> str:
    return f" at {'.'.join(map(str, path))}" if path else ""
