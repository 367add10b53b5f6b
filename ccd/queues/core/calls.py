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

# A booked callback holds its place in line as a call with this id prefix (ccd.callbacks): it
# is routed like a caller, but it is no inbound call (its call.* events are not recorded, it
# never overflows and it is not counted as waiting; docs/kpis.md#callbacks).
CALLBACK_PREFIX: Final = "callback:"


def is_callback(call_id: str | None) -> bool:
    return call_id is not None and call_id.startswith(CALLBACK_PREFIX)


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
