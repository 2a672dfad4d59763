"""GraphQL request parameters as clients send them: JSON read with a nesting limit, then checked.

HTTP bodies, GET query strings and WebSocket frames all arrive as JSON. Python's parser
recurses once per level, so a body nested ~1,000 deep raises `RecursionError` (not
`ValueError`) and used to escape as an HTTP 500; a value parsed just under that limit could
still exhaust the stack later, when resolvers, the database driver or the response encoder
walk it. No GraphQL request needs more than a few dozen levels: deeper input is refused here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 64


class NestedTooDeepError(ValueError):
    """The JSON nests arrays or objects deeper than `MAX_DEPTH` levels."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_DEPTH} levels")


def loads(text: str | bytes) -> Any:
    """The JSON value of `text`: `NestedTooDeepError` past `MAX_DEPTH`, `ValueError` if not JSON."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise NestedTooDeepError from None
    # Counting brackets is cheap; only a text with many of them needs the walk.
    if isinstance(text, str):
        brackets = text.count("[") + text.count("{")
    else:
        brackets = text.count(b"[") + text.count(b"{")
    if brackets > MAX_DEPTH and _too_deep(value):
        raise NestedTooDeepError
    return value


def _too_deep(value: Any) -> bool:
    """Walks without recursion (the point is not to need the stack), containers only."""
    if not isinstance(value, dict | list):
        return False
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                pending.append((child, depth + 1))
    return False


def problem(params: Mapping[str, Any]) -> str | None:
    """What is wrong with the parameters of one GraphQL request, or None.

    `variables` and `extensions` are objects or absent (null counts as absent); a `0`,
    `false` or `[]` is refused rather than read as "no variables", as the
    GraphQL-over-HTTP specification asks.
    """
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return "query: a GraphQL document (non-empty string) is required"
    for name in ("variables", "extensions"):
        if params.get(name) is not None and not isinstance(params[name], dict):
            return f"{name}: must be a JSON object (or null)"
    if params.get("operationName") is not None and not isinstance(params["operationName"], str):
        return "operationName: must be a string (or null)"
    return None
