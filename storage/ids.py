"""Random UUIDs (version 4) without a system call each.

`uuid.uuid4()` reads 16 bytes with `os.urandom`, a system call that releases the GIL: on
the SQLite writer thread, every release let the event loop's thread take the GIL, and the
writer then waited for it to give it back, with every other write queued behind it. Here
each thread draws its bytes from the same kernel source 4 KiB at a time, so ids stay as
unpredictable as `uuid4`'s.
"""

from __future__ import annotations

import os
import threading
import uuid

_POOL_BYTES = 4096


class _Pool(threading.local):
    def __init__(self) -> None:
        self.data = b""
        self.offset = 0


_pool = _Pool()


def _forget_after_fork() -> None:
    # A forked child must not hand out the ids its parent's pool still holds.
    _pool.data, _pool.offset = b"", 0


os.register_at_fork(after_in_child=_forget_after_fork)


def new_id() -> uuid.UUID:
    """A random (version 4) UUID, as `uuid.uuid4()` makes, from a per-thread pool of
    `os.urandom` bytes."""
    pool = _pool
    if pool.offset + 16 > len(pool.data):
        pool.data, pool.offset = os.urandom(_POOL_BYTES), 0
    chunk = pool.data[pool.offset : pool.offset + 16]
    pool.offset += 16
    return uuid.UUID(bytes=chunk, version=4)
