"""Runtime state of one queued call as the engine sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from ccd.queues.core.keys import CallKey

if TYPE_CHECKING:
    from ccd.queues.core.agents import Agent
    from ccd.queues.core.index import QueueIndex

CallStatus = Literal["new", "waiting", "reserved", "ringing", "connected", "gone"]

NEW: Final = "new"  # created or taken back from an offer, not yet placed
WAITING: Final = "waiting"  # in the queue's general waiting index
RESERVED: Final = "reserved"  # held for its sticky agent until sticky_until
RINGING: Final = "ringing"  # offered to ``agent``
CONNECTED: Final = "connected"  # bridged with ``agent``
GONE: Final = "gone"  # terminal outcome recorded

class Call:
    __slots__ = (
        "agent",
        "answered_at",
        "attempts",
        "caller",
        "enqueued_at",
        "id",
        "key",
        "priority",
        "queue",
        "seq",
        "status",
        "sticky",
        "sticky_until",
    )

    def __init__(
        self,
        call_id: str,
        seq: int,
        queue: QueueIndex,
        caller: str | None,
        priority: int,
        enqueued_at: float,
    ) -> None:
        self.id = call_id
        self.seq = seq
        self.queue = queue
        self.caller = caller
        self.priority = priority
        self.enqueued_at = enqueued_at
        self.key = CallKey(-priority, enqueued_at, seq, self)
        self.status: CallStatus = NEW
        self.agent: Agent | None = None
        self.sticky: Agent | None = None  # the caller's sticky agent, when stickiness applies
        self.sticky_until: float | None = None
        self.attempts = 0
        self.answered_at: float | None = None
