"""Unexpected errors are logged in full and reach clients only as "Internal error" + request id."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

log = logging.getLogger("chameleon.errors")


def is_expected(error: GraphQLError) -> bool:
    """Validation errors and errors resolvers raised on purpose (GraphQLError) stay visible."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class MaskUnexpectedErrors(SchemaExtension):
    """Runs once per operation (not per field), after the result is known."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        masked = []
        for error in errors:
            if is_expected(error):
                masked.append(error)
                continue
            log.error(
                "request %s: unexpected error at %s",
                request_id,
                error.path,
                exc_info=error.original_error,
            )
            masked.append(
                GraphQLError(
                    f"Internal error (request id {request_id})",
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": "INTERNAL_ERROR", "requestId": request_id},
                )
            )
        result.errors = masked  # type: ignore[union-attr]
