"""Event ids: UUIDv7-style, time-ordered, from a source that is handed in.

A core is given an :class:`EventIds` and stamps each event with ``ids(ts)``: the id is a
function of the event's own time (the core's ``now``), the source's seed and how many ids
it has given, so replaying the same inputs with the same clock and seed gives the same ids.
The shell seeds its sources from the operating system (:meth:`EventIds.fresh`).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Final

_RAND_BITS: Final = 74  # UUIDv7's rand_a (12 bits) and rand_b (62 bits)
_RAND_MASK: Final = (1 << _RAND_BITS) - 1


class EventIds:
    """Time-ordered ids: inserts into the event log's unique index stay near its right edge
    instead of touching random pages (the store's hot path).

    The random part is the seed plus a counter, not fresh randomness per id: unique within
    one source by construction, across processes by the 74-bit seed, and without a system
    call on the routing engine's hot path (every decision records events)."""

    __slots__ = ("_count", "_seed")

    def __init__(self, seed: int) -> None:
        self._seed = seed & _RAND_MASK
        self._count = 0

    @classmethod
    def fresh(cls) -> EventIds:
        """A source with a random seed: what a shell injects into a core in production."""
        return cls(int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS))

    def at_ms(self, ms: int) -> str:
        rand = (self._seed + self._count) & _RAND_MASK
        self._count += 1
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
        return f"{value:032x}"

    def __call__(self, ts: datetime) -> str:
        """The next id for an event stamped ``ts``."""
        return self.at_ms(int(ts.timestamp() * 1000))


_process_ids = EventIds.fresh()


def _reseed() -> None:
    global _process_ids
    _process_ids = EventIds.fresh()


os.register_at_fork(after_in_child=_reseed)  # a forked child must not repeat its parent's ids


def new_event_id() -> str:
    """An id from the process's own source, stamped with the wall clock: for shells that
    record an event outside any core (API audit rows, CLI)."""
    return _process_ids.at_ms(time.time_ns() // 1_000_000)
