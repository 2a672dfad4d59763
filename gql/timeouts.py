"""The answer of an operation that ran out of time, the same over HTTP and WebSockets."""

from __future__ import annotations

from graphql import GraphQLError

TIMEOUT = "TIMEOUT"


def timeout_error(seconds: float) -> GraphQLError:
    """A GraphQL error with code TIMEOUT: the operation ran longer than `seconds` and was
    stopped (its statements interrupted)."""
    message = f"the operation took longer than {seconds:g} s and was stopped"
    return GraphQLError(message, extensions={"code": TIMEOUT})
