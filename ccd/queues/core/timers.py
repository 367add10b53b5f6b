"""The engine's one timer heap. Entries are invalidated lazily: each carries a token that
must still match the call/agent when it fires, so nothing is ever removed from the middle."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from ccd.queues.core.keys import TimerEntry

if TYPE_CHECKING:
    from ccd.queues.core.agents import Agent
    from ccd.queues.core.calls import Call

MAX_WAIT: Final = 0  # call: overflow
WIDEN: Final = 1  # call: next tier opens (token: step number)
STICKY: Final = 2  # call: sticky reservation ends (token: sticky_until)
RING: Final = 3  # call: executor never reported the offer (token: attempt)
WRAPUP: Final = 4  # agent: wrap-up ends (token: wrapup_until)

Entry = TimerEntry


class TimerHeap:
    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[TimerEntry] = []
        self._seq = 0

    def push(self, at: float, kind: int, ref: Call | Agent, token: float) -> None:
        self._seq += 1
        heapq.heappush(self._heap, TimerEntry(at, self._seq, kind, ref, token))

    def peek(self) -> TimerEntry | None:
        return self._heap[0] if self._heap else None

    def pop(self) -> TimerEntry:
        return heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
