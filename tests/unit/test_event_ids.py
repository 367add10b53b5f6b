"""Event ids: UUIDv7 layout, unique, ordered by time, and a forked child does not repeat them."""

from __future__ import annotations

import os
import uuid

from ccd.events import new_event_id


def test_ids_are_uuid7_unique_and_time_ordered() -> None:
    ids = [new_event_id() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # same millisecond: the counter keeps them in order too
    u = uuid.UUID(ids[0])
    assert u.version == 7 and u.variant == uuid.RFC_4122


def test_a_forked_child_draws_a_new_seed() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id, leave at once
        os.write(write, new_event_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    mine = new_event_id()
    assert len(child) == 32 and child[12:] != mine[12:]  # random parts differ, not only the time
