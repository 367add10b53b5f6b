"""Ordered indexes the engine decides from, so no decision scans all agents or all calls.

Per queue: one SortedList of *available* agents per tier (ordered by the queue's tie-break
key), one SortedList of general waiting calls per priority class, and one list of every
unanswered call in service order (positions and snapshots).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, TypeVar, cast

from sortedcontainers import SortedList  # type: ignore[import-untyped]

from ccd.queues.core.keys import AgentKey, CallKey
from ccd.queues.core.policy import tier_order
from ccd.queues.core.specs import QueueSpec

__all__ = ["AgentKey", "CallKey", "QueueIndex", "SortedSeq", "sorted_seq"]

T = TypeVar("T")


class SortedSeq(Protocol[T]):
    """The slice of sortedcontainers.SortedList the engine uses, typed."""

    def add(self, value: T, /) -> None: ...
    def remove(self, value: T, /) -> None: ...
    def index(self, value: T, /) -> int: ...
    def __getitem__(self, index: int, /) -> T: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[T]: ...


def sorted_seq() -> SortedSeq[Any]:
    return cast("SortedSeq[Any]", SortedList())


class QueueIndex:
    """Runtime state of one queue: its spec, tier layout and ordered indexes."""

    __slots__ = (
        "avail",
        "idx",
        "logged_in",
        "order",
        "prios",
        "ranks",
        "rr_counter",
        "spec",
        "tier_of",
        "tiers",
        "waiting",
    )

    def __init__(self, spec: QueueSpec, idx: int) -> None:
        self.spec = spec
        self.idx = idx
        self.tiers = tier_order(spec)
        self.tier_of: dict[str, int] = {}
        for t, seniorities in enumerate(self.tiers):
            for s in seniorities:
                self.tier_of.setdefault(s, t)
        self.avail: list[SortedSeq[AgentKey]] = [sorted_seq() for _ in self.tiers]
        self.logged_in: list[int] = [0 for _ in self.tiers]  # members logged in, per tier
        self.ranks: list[int] = [0 for _ in self.tiers]  # see rank()
        self.waiting: dict[int, SortedSeq[CallKey]] = {}  # priority -> general waiting calls
        self.prios: list[int] = []  # priorities with waiting calls, highest first
        self.order: SortedSeq[CallKey] = sorted_seq()  # every unanswered call
        self.rr_counter = 0

    def rank(self, tier: int) -> int:
        """How many non-empty tiers come before ``tier`` (empty tiers are skipped)."""
        return self.ranks[tier]

    def login(self, tier: int) -> None:
        self.logged_in[tier] += 1
        if self.logged_in[tier] == 1:
            self._rerank()

    def logout(self, tier: int) -> bool:
        """One member of ``tier`` logged out; True when the tier is now empty."""
        self.logged_in[tier] -= 1
        if self.logged_in[tier]:
            return False
        self._rerank()
        return True

    def _rerank(self) -> None:
        # Only on a tier turning empty / non-empty, so decisions read ranks in O(1).
        rank = 0
        for t, n in enumerate(self.logged_in):
            self.ranks[t] = rank
            if n:
                rank += 1

    def add_waiting(self, key: CallKey) -> None:
        prio = -key.neg_priority
        lst = self.waiting.get(prio)
        if lst is None:
            lst = self.waiting[prio] = sorted_seq()
        if not lst:
            self.prios.append(prio)
            self.prios.sort(reverse=True)
        lst.add(key)

    def remove_waiting(self, key: CallKey) -> None:
        prio = -key.neg_priority
        lst = self.waiting[prio]
        lst.remove(key)
        if not lst:
            self.prios.remove(prio)

    def has_waiting(self) -> bool:
        return bool(self.prios)
