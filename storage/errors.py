"""Domain errors: expected failures carried as data, mapped to payload errors by the API."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class ErrorCode(enum.Enum):
    """Why an operation was refused; the GraphQL `ErrorCode` enum mirrors it."""

    NOT_FOUND = "NOT_FOUND"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    RULE_VIOLATION = "RULE_VIOLATION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    STALE_STATE = "STALE_STATE"
    INSTANCE_NOT_ACTIVE = "INSTANCE_NOT_ACTIVE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    BACKPRESSURE = "BACKPRESSURE"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: a code, a sentence, where, and which rule."""

    code: ErrorCode
    message: str
    path: tuple[str, ...] = ()
    rule: str | None = None


@dataclass(slots=True)
class DomainError(Exception):
    """Raised by services for expected failures; nothing has been written when it escapes."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        Exception.__init__(self, "; ".join(p.message for p in self.problems))

    @classmethod
    def single(
        cls,
        code: ErrorCode,
        message: str,
        path: Iterable[str] = (),
        rule: str | None = None,
    ) -> DomainError:
        return cls((Problem(code, message, tuple(path), rule),))
