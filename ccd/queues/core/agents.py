"""Runtime state of one agent as the engine sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from ccd.queues.core.index import sorted_seq
from ccd.queues.core.policy import agent_key
from ccd.queues.core.specs import AgentSpec
from ccd.snapshot import AgentState as AgentState  # declared with the read model that shows them

if TYPE_CHECKING:
    from ccd.queues.core.calls import Call
    from ccd.queues.core.index import AgentKey, CallKey, QueueIndex, SortedSeq


LOGGED_OUT: Final = "logged_out"
AVAILABLE: Final = "available"
RINGING: Final = "ringing"
ON_CALL: Final = "on_call"
WRAP_UP: Final = "wrap_up"
PAUSED: Final = "paused"

MISSED_REASON: Final = "missed"  # pause reason set by RONA auto-pause

# What to do when the current call ends (the agent asked to pause / log out while talking).
AfterCall = tuple[Literal["pause", "logout"], str]


class Membership:
    """One agent in one queue: its tier there and, while available, its key in that tier."""

    __slots__ = ("key", "pos", "queue", "rr_stamp", "tier")

    def __init__(self, queue: QueueIndex, tier: int | None, pos: int) -> None:
        self.queue = queue
        self.tier = tier  # None: the seniority is in none of the queue's tiers
        self.pos = pos  # position in QueueSpec.members (round-robin order)
        self.rr_stamp = 0  # queue's offer counter at this agent's last offer from it
        self.key: AgentKey | None = None  # entry in queue.avail[tier] while listed


class Agent:
    __slots__ = (
        "after_call",
        "after_call_by",
        "call",
        "handled",
        "id",
        "idle_since",
        "idx",
        "in_use",
        "listed",
        "member_of",
        "memberships",
        "missed_total",
        "misses",
        "reason",
        "reserved",
        "since",
        "spec",
        "state",
        "wrapup_call",
        "wrapup_until",
    )

    def __init__(self, spec: AgentSpec, idx: int) -> None:
        self.spec = spec
        self.id = spec.id
        self.idx = idx
        self.state: AgentState = LOGGED_OUT
        self.reason: str | None = None  # pause reason
        self.since: float | None = None  # when the current state began
        self.idle_since = 0.0  # last call end / login / unpause: the longest-idle key
        self.call: Call | None = None  # the call offered to or connected with this agent
        self.misses = 0  # consecutive
        self.missed_total = 0
        self.handled = 0
        self.in_use = False  # device busy with a non-queue call
        self.wrapup_until: float | None = None
        self.wrapup_call: tuple[str, str] | None = None  # (call id, queue) the wrap-up follows
        self.after_call: AfterCall | None = None
        self.after_call_by: str | None = None  # who asked for it (the agent events' actor)
        self.memberships: list[Membership] = []
        self.member_of: set[int] = set()  # queue indexes
        self.listed = False  # currently in the available indexes of its queues
        # Calls waiting for this agent as their sticky agent, best first.
        self.reserved: SortedSeq[CallKey] = sorted_seq()

    def index(self) -> None:
        """Enter the available indexes of every queue tier this agent belongs to."""
        if self.listed:
            return
        for m in self.memberships:
            if m.tier is not None:
                m.key = agent_key(self, m)
                m.queue.avail[m.tier].add(m.key)
        self.listed = True

    def unindex(self) -> None:
        if not self.listed:
            return
        for m in self.memberships:
            if m.key is not None and m.tier is not None:
                m.queue.avail[m.tier].remove(m.key)
                m.key = None
        self.listed = False
