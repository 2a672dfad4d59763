"""The error half of every mutation payload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry

from schema.base import from_record
from schema.enums import ErrorCode
from storage.errors import Problem

P = TypeVar("P")
ERRORS = "Why the mutation was refused; empty when it succeeded."


@strawberry.type(description="An expected failure: what was wrong, where, and which rule.")
class UserError:
    code: ErrorCode = strawberry.field(description="The kind of failure, for programs.")
    message: str = strawberry.field(description="What was wrong, for people.")
    path: list[str] | None = strawberry.field(
        description='Where in the input, e.g. ["input", "uowId"]; null when not one place.'
    )
    rule: str | None = strawberry.field(
        description="The structural rule broken (R1, R2...), for RULE_VIOLATION."
    )

    @classmethod
    def of(cls, problem: Problem) -> UserError:
        return from_record(cls, problem, path=list(problem.path) or None)


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [UserError.of(problem) for problem in problems]


def answer(payload: Callable[..., P], result: str, outcome: tuple[Any, list[Problem]]) -> P:
    """The payload of a mutation's outcome: its result as field `result`, its problems as
    the payload's `errors`."""
    value, problems = outcome
    return payload(**{result: value}, errors=user_errors(problems))
