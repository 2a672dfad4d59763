"""A document with several operations needs an `operationName`, as the GraphQL spec requires.

Strawberry fills a missing `operationName` with the first operation's name, so
`query A {...} query B {...}` silently ran `A`. This extension refuses it right after
parsing, as the error Strawberry raises for an unknown operation name: a 400 over HTTP
(`gql.http`), a 4400 close over graphql-transport-ws, an `error` over graphql-ws.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError


class AmbiguousOperationError(CannotGetOperationTypeError):
    """Raised as a `CannotGetOperationTypeError` so that every transport already handles it."""

    def __init__(self, count: int) -> None:
        super().__init__(None)
        self.count = count

    def as_http_error_reason(self) -> str:
        # Short: it is also a WebSocket close reason (at most 123 bytes).
        return f"operationName: required, the document has {self.count} operations"


class RequireOperationName(SchemaExtension):
    """Runs once per operation, on the parsed (usually cached) document."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        # Strawberry keeps the name the client sent only here (`operation_name` falls back
        # to the first operation's); tests/test_hostile_input.py fails if that changes.
        if context._provided_operation_name is not None or context.graphql_document is None:
            return
        definitions = context.graphql_document.definitions
        count = sum(isinstance(d, OperationDefinitionNode) for d in definitions)
        if count > 1:
            raise AmbiguousOperationError(count)
