"""What a telemetry entry may carry, checked when it is recorded rather than when it is
flushed: by then the client has been told "accepted", and one unstorable value would fail
its whole batch.

Its values follow the rules every client value follows (`storage.values`: no NUL
characters, lone surrogates, NaN or Infinity, on every dialect), so an entry means the same
wherever it is written. Clients may record TELEMETRY, INTERACTION and ERROR
entries; the other log types are the engine's own record and cannot be forged.
"""

from __future__ import annotations

from storage.enums import LogType
from storage.errors import DomainError, ErrorCode
from storage.values import stored_size

__all__ = ["CLIENT_LOG_TYPES", "check_client_log_type", "stored_size"]

CLIENT_LOG_TYPES = frozenset({LogType.TELEMETRY, LogType.INTERACTION, LogType.ERROR})


def check_client_log_type(log_type: LogType, path: tuple[str, ...]) -> None:
    """VALIDATION_FAILED unless a client may record entries of `log_type`."""
    if log_type not in CLIENT_LOG_TYPES:
        allowed = ", ".join(sorted(t.value for t in CLIENT_LOG_TYPES))
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"{path[-1]}: {log_type.value} entries are written by the engine only; "
            f"clients may record {allowed}",
            path,
        )
