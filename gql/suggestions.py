"""Error messages without "Did you mean ...?": suggestions name fields, arguments, types and
enum values, which is the schema that turning introspection off is meant to hide.

graphql-core adds suggestions in validation (unknown fields, arguments, types) and in
variable coercion (unknown input fields, enum values); Strawberry's own switch removes them
from unknown-field errors only. This extension strips them from every error of the result,
once per operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return SUGGESTION.sub("", message)


class HideSuggestions(SchemaExtension):
    """Runs after the result is known; the messages are edited in place (validation errors
    come from a cache and stripping is idempotent)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            if "Did you mean" in error.message:
                error.message = without_suggestions(error.message)
