"""Cursor pagination: arguments, opaque cursors and the page record every connection uses."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from resolvers.errors import ClientError

DEFAULT_PAGE_SIZE = 50
_CURSOR_PREFIX = "c1:"


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated `first`/`after`; hashable so it can key a loader."""

    first: int
    after: str | None


def page_args(first: int | None, after: str | None, max_page_size: int) -> PageArgs:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0:
        raise ClientError(f"first: must not be negative (got {size})")
    if size > max_page_size:
        raise ClientError(f"first: at most {max_page_size} items per page (got {size})")
    return PageArgs(size, decode_cursor(after) if after is not None else None)


def encode_cursor(item_id: Any) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{item_id}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    """The key a cursor carries (checked against the list's table when the page is read)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX) or len(text) == len(_CURSOR_PREFIX):
        raise ClientError(f"after: {cursor!r} is not a cursor returned by this API")
    return text.removeprefix(_CURSOR_PREFIX)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows of one parent, with what the connection needs besides the rows."""

    rows: list[Any]
    total: int
    has_next: bool
    has_previous: bool


EMPTY_PAGE = Page([], 0, False, False)
