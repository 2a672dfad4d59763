"""Ids drawn from the per-thread pool are valid version-4 UUIDs, all different, also
across a fork."""

from __future__ import annotations

import os

from storage.ids import new_id


def test_ids_are_random_version_4_uuids() -> None:
    ids = [new_id() for _ in range(5_000)]  # several refills of the pool
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {"specified in RFC 4122"}


def test_a_forked_child_does_not_reuse_the_parents_pool() -> None:
    new_id()  # the pool now holds bytes the child could reuse
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (runs in the child)
        os.write(write, new_id().bytes)
        os._exit(0)
    os.waitpid(child, 0)
    from_child = os.read(read, 16)
    os.close(read)
    os.close(write)
    assert from_child != new_id().bytes
