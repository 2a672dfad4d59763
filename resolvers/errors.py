"""Errors a client caused (bad ids, cursors, page sizes): shown as they are, never masked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from graphql import GraphQLError


class ClientError(GraphQLError):
    """A GraphQL error whose message is safe and useful to show; carries a code extension."""

    def __init__(
        self, message: str, code: str = "BAD_USER_INPUT", argument_path: Sequence[str] = ()
    ) -> None:
        extensions: dict[str, object] = {"code": code}
        if argument_path:
            # Where in the arguments the offending value is (GraphQL's own `path` is the
            # response field's).
            extensions["argumentPath"] = list(argument_path)
        super().__init__(message, extensions=extensions)


def parse_uuid(value: str, argument: str) -> uuid.UUID:
    """The UUID of an `ID` argument, or a clear error naming the argument and the value."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ClientError(f"{argument}: {value!r} is not a valid id (expected a UUID)") from None


def not_found(kind: str, key: object) -> ClientError:
    return ClientError(f"no {kind} with id {key}", code="NOT_FOUND")


def optional_uuid(value: str | None, argument: str) -> uuid.UUID | None:
    return None if value is None else parse_uuid(value, argument)
