"""What a telemetry entry may carry, checked when it is recorded rather than when it is
flushed: by then the client has been told "accepted", and one unstorable value would fail
its whole batch.

PostgreSQL's jsonb refuses NUL characters and lone UTF-16 surrogates, and JSON has no NaN or
Infinity. Such values are refused on every dialect (SQLite would store them), so an entry
means the same wherever it is written. Clients may record TELEMETRY, INTERACTION and ERROR
entries; the other log types are the engine's own record and cannot be forged.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from storage.enums import LogType
from storage.errors import DomainError, ErrorCode

CLIENT_LOG_TYPES = frozenset({LogType.TELEMETRY, LogType.INTERACTION, LogType.ERROR})
_REFUSED_TEXT = re.compile("[\x00\ud800-\udfff]")


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


def stored_size(value: Any, path: tuple[str, ...]) -> int:
    """Bytes of `value` as stored JSON; VALIDATION_FAILED naming the first path whose value
    no database tier would store.

    The common case is one C-speed `json.dumps`; the walk only runs to find the path of a
    value that dumps or encodes badly, or that may hold a NUL character."""
    if value is None:
        return 0
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        _raise_first_refused(value, path)
        raise DomainError.single(  # not reached: the walk finds what dumps refused
            ErrorCode.VALIDATION_FAILED, f"{'.'.join(path)}: not JSON", path
        ) from None
    if "\\u0000" in text:  # may be a NUL, or a backslash followed by "u0000" as text
        _raise_first_refused(value, path)
    return size


def _raise_first_refused(value: Any, path: tuple[str, ...]) -> None:
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        reason = _refusal(item)
        if reason is not None:
            raise DomainError.single(
                ErrorCode.VALIDATION_FAILED, f"{'.'.join(where)}: {reason}", where
            )
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                if not isinstance(key, str):
                    raise DomainError.single(
                        ErrorCode.VALIDATION_FAILED,
                        f"{'.'.join(where)}: object keys must be strings",
                        where,
                    )
                key_reason = _refusal(key)
                if key_reason is not None:
                    raise DomainError.single(
                        ErrorCode.VALIDATION_FAILED,
                        f"{'.'.join(where)}: key {key!r}: {key_reason}",
                        where,
                    )
                stack.append((child, (*where, key)))
        elif isinstance(item, list | tuple):
            for index in reversed(range(len(item))):
                stack.append((item[index], (*where, str(index))))


def _refusal(value: Any) -> str | None:
    """Why `value` itself (not its children) cannot be stored, or None."""
    if isinstance(value, str):
        found = _REFUSED_TEXT.search(value)
        if found is None:
            return None
        if found.group() == "\x00":
            return "a string must not contain NUL (\\u0000) characters"
        return "a string must not contain lone surrogates (unpaired \\ud800-\\udfff)"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a JSON number"
    if value is None or isinstance(value, bool | int | float | dict | list | tuple):
        return None
    return f"a {type(value).__name__} is not a JSON value"
