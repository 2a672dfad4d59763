"""The error half of every mutation payload."""

from __future__ import annotations

import strawberry

from schema.enums import ErrorCode
from storage.errors import Problem


@strawberry.type(description="An expected failure: what was wrong, where, and which rule.")
class UserError:
    code: ErrorCode
    message: str
    path: list[str] | None
    rule: str | None

    @classmethod
    def of(cls, problem: Problem) -> UserError:
        return cls(
            code=problem.code,
            message=problem.message,
            path=list(problem.path) or None,
            rule=problem.rule,
        )


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [UserError.of(problem) for problem in problems]
