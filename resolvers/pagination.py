"""Cursor pagination: arguments, opaque cursors and the page record every connection uses.

Both Relay directions: `first`/`after` reads forwards from the oldest, `last`/`before`
backwards from the newest; a page is always in the list's own order (the last N of it for
`last`). `after` and `before` may be combined (the rows strictly between them); `first`
and `last` may not, because a slice "the first N of the last M" is never what a client
means and the Relay algorithm for it is easy to misread: it is refused with a clear error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resolvers.errors import ClientError

DEFAULT_PAGE_SIZE = 50
_CURSOR_PREFIX = "c1:"


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated page arguments; hashable so they can key a loader.

    `size` rows are taken from the start of the range after `after` (`backward` False) or
    from the end of the range before `before` (`backward` True)."""

    size: int
    after: str | None = None
    before: str | None = None
    backward: bool = False


Slice = tuple[int | None, str | None, int | None, str | None]
"""A connection field's `(first, after, last, before)` as the client gave them."""


def page_args(requested: Slice, max_page_size: int) -> PageArgs:
    first, after, last, before = requested
    if first is not None and last is not None:
        raise ClientError(
            "first, last: give one of them (first reads forwards, last reads backwards from "
            "the newest)"
        )
    # `before` alone reads backwards, like `last`; otherwise forwards from `after` or the start.
    backward = last is not None or (first is None and before is not None and after is None)
    name = "last" if backward else "first"
    given = last if backward else first
    size = DEFAULT_PAGE_SIZE if given is None else given
    if size < 0:
        raise ClientError(f"{name}: must not be negative (got {size})")
    if size > max_page_size:
        raise ClientError(f"{name}: at most {max_page_size} items per page (got {size})")
    return PageArgs(
        size,
        decode_cursor(after, "after") if after is not None else None,
        decode_cursor(before, "before") if before is not None else None,
        backward,
    )


def encode_cursor(item_id: Any) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{item_id}".encode()).decode()


def decode_cursor(cursor: str, argument: str = "after") -> str:
    """The key a cursor carries (checked against the list's table when the page is read)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX) or len(text) == len(_CURSOR_PREFIX):
        raise ClientError(f"{argument}: {cursor!r} is not a cursor returned by this API")
    return text.removeprefix(_CURSOR_PREFIX)


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows (1-based positions in the list's order) a page holds: `start < n <= end`."""

    start: int
    end: int


def window(args: PageArgs, total: int, after_pos: int, before_pos: int | None) -> Window:
    """The page of a list of `total` rows, `after_pos` rows at or before `after` (0 without
    it) and `before_pos` rows strictly before `before` (None without it)."""
    upper = total if before_pos is None else before_pos
    lower = after_pos
    if upper <= lower:
        return Window(lower, lower)
    if args.backward:
        return Window(max(lower, upper - args.size), upper)
    return Window(lower, min(upper, lower + args.size))


@dataclass(frozen=True, slots=True)
class Page:
    """One page of rows of one parent, with what the connection needs besides the rows."""

    rows: list[Any]
    total: int
    has_next: bool
    has_previous: bool


EMPTY_PAGE = Page([], 0, False, False)


def page_of_window(rows: list[Any], total: int, span: Window) -> Page:
    """A page whose rows fill `span`: items precede it when it starts past the first row,
    follow it when it ends before the last (whichever direction it was read in)."""
    return Page(rows, total, span.end < total, span.start > 0)


def slice_page(rows: Sequence[Any], keys: Sequence[str], args: PageArgs, what: str) -> Page:
    """A page of a list already in memory (`keys[i]` is the cursor key of `rows[i]`)."""
    after_pos = 0
    before_pos: int | None = None
    if args.after is not None:
        if args.after not in keys:
            raise ClientError(f"after: the item {args.after} is no longer in {what}")
        after_pos = keys.index(args.after) + 1
    if args.before is not None:
        if args.before not in keys:
            raise ClientError(f"before: the item {args.before} is no longer in {what}")
        before_pos = keys.index(args.before)
    span = window(args, len(rows), after_pos, before_pos)
    return page_of_window(list(rows[span.start : span.end]), len(rows), span)
