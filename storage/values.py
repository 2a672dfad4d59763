"""What a client may write, judged by the strictest supported database on every dialect.

PostgreSQL refuses NUL characters in text and jsonb, lone UTF-16 surrogates anywhere (they
cannot be encoded as UTF-8), strings longer than a VARCHAR(n) column and integers outside a
32-bit INTEGER column; JSON has no NaN or Infinity. SQLite would store all of these, and some
would then poison reads (a version of 2**40 is no GraphQL `Int`). So the services check every
client value here, the same way on every dialect, before anything is written: a refusal is
VALIDATION_FAILED with the path of the offending value, never a masked database error.

JSON values are not rewritten: the instance tier stores them as their own text, so they
read back, and hash, exactly as written on both tiers (see `checked_json`).
"""

from __future__ import annotations

import contextvars
import json
import math
import re
import unicodedata
from typing import Any

from storage.errors import DomainError, ErrorCode

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_REFUSED_TEXT = re.compile("[\x00\ud800-\udfff]")

# Bytes one JSON value may take (CHAMELEON_MAX_JSON_VALUE_BYTES). The server sets it for
# each request's task, which the services' checks run in; None (the CLI, tests of the
# services alone) leaves values bounded by the request body only.
max_json_bytes: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "max_json_bytes", default=None
)


def folded(text: str) -> str:
    """`text` for case-insensitive matching, computed in Python so it is the same on every
    dialect (SQLite's lower() and LIKE fold ASCII only; PostgreSQL's follow the database's
    locale): NFKC-normalised, case-folded (ß matches SS), normalised again."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def refused(path: tuple[str, ...], reason: str) -> DomainError:
    """VALIDATION_FAILED at `path`, the message prefixed with the path's last names."""
    where = ".".join(part for part in path if part != "input") or "input"
    return DomainError.single(ErrorCode.VALIDATION_FAILED, f"{where}: {reason}", path)


def shown(value: str) -> str:
    """A client string as messages quote it: escaped (a lone surrogate in a response would
    fail to encode) and cut to a readable length."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def path_part(text: str) -> str:
    """`text` as one element of an error path: itself, or escaped when it holds what no
    response could carry (a lone surrogate cannot be encoded as UTF-8)."""
    return text if _REFUSED_TEXT.search(text) is None else repr(text)


def check_key(key: str, path: tuple[str, ...], max_length: int | None) -> None:
    """A key of an object the client writes, refused at the object's `path` (a refused key
    cannot itself be part of a path a response carries)."""
    reason = text_problem(key, max_length)
    if reason is not None:
        raise refused(path, f"key {shown(key)}: {reason}")


def column_length(column: Any) -> int:
    """The declared length of a VARCHAR column (an ORM attribute or a table column), so the
    limit is read from the model and never copied."""
    length = getattr(getattr(column, "type", None), "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column!r} has no declared length")
    return length


def text_problem(value: str, max_length: int | None = None) -> str | None:
    """Why the text `value` cannot be stored (in a column of `max_length` characters), or None."""
    found = _REFUSED_TEXT.search(value)
    if found is not None and found.group() == "\x00":
        return "text must not contain NUL (\\u0000) characters"
    if found is not None:
        return "text must not contain lone surrogates (unpaired \\ud800-\\udfff)"
    if max_length is not None and len(value) > max_length:
        return f"at most {max_length} characters are stored, got {len(value)}"
    return None


def check_text(value: Any, path: tuple[str, ...], max_length: int | None = None) -> None:
    """Nothing for None or storable text; VALIDATION_FAILED otherwise."""
    if value is None:
        return
    if not isinstance(value, str):
        raise refused(path, f"expected text, got {type(value).__name__}")
    reason = text_problem(value, max_length)
    if reason is not None:
        raise refused(path, reason)


def checked_text(value: str | None, path: tuple[str, ...]) -> str | None:
    """`value` itself once `check_text` accepts it (for use inside an argument list)."""
    check_text(value, path)
    return value


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
    except (TypeError, ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        _raise_first_refused(value, path)
        raise refused(path, "not JSON") from None  # not reached: the walk finds it
    if "\\u0000" in text:  # may be a NUL, or a backslash followed by "u0000" as text
        _raise_first_refused(value, path)
    limit = max_json_bytes.get()
    if limit is not None and size > limit:
        raise refused(path, f"the value takes {size} bytes as JSON; at most {limit} are kept")
    return size


def checked_json(value: Any, path: tuple[str, ...]) -> Any:
    """`value` itself once every tier would store it, or VALIDATION_FAILED naming the first
    refused path.

    Numbers are not rewritten: the instance tier keeps JSON as its own text
    (`storage.types.JSONText`), so 100.0, -0.0, 1e16 and 2**64+1 read back, and hash,
    exactly as written on every dialect."""
    stored_size(value, path)
    return value


def _raise_first_refused(value: Any, path: tuple[str, ...]) -> None:
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        reason = _refusal(item)
        if reason is not None:
            raise refused(where, reason)
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                if not isinstance(key, str):
                    raise refused(where, "object keys must be strings")
                check_key(key, where, None)
                stack.append((child, (*where, key)))
        elif isinstance(item, list | tuple):
            for index in reversed(range(len(item))):
                stack.append((item[index], (*where, str(index))))


def _refusal(value: Any) -> str | None:
    """Why `value` itself (not its children) cannot be stored, or None."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a JSON number"
    if value is None or isinstance(value, bool | int | float | dict | list | tuple):
        return None
    return f"a {type(value).__name__} is not a JSON value"
