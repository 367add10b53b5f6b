"""What the executor knows about each call's channels and bridges (shell-side bookkeeping,
not decisions): which channel is the caller, which is the ringing or answered agent leg, and
which bridge holds them. Rebuilt from Asterisk on resync."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

HOLD_PREFIX = "ccd-hold-"
CALL_BRIDGE_PREFIX = "ccd-call-"
AGENT_LEG_PREFIX = "ccd-ag-"

# Channel variables kept on the caller channel so a restarted ccd can rebuild the queue.
VAR_ENQUEUED_AT = "CCD_ENQUEUED_AT"  # epoch seconds with microseconds, ccd's enqueue time
VAR_QUEUE_SEQ = "CCD_QUEUE_SEQ"  # arrival order, breaks ties between equal enqueue times
VAR_AGENT = "CCD_AGENT_ID"
VAR_ANSWERED_AT = "CCD_ANSWERED_AT"  # epoch seconds of the answer: talk time survives a restart
RESTORE_VARIABLES = (VAR_AGENT, VAR_ANSWERED_AT, VAR_ENQUEUED_AT, VAR_QUEUE_SEQ)

# Q.850 causes of an agent leg that never answered.
BUSY_CAUSES = {17}
NO_ANSWER_CAUSES = {0, 16, 18, 19, 21, 31}


def failure_reason(cause: int) -> Literal["no_answer", "busy", "failed"]:
    """Why an agent leg that hung up before answering failed, from its Q.850 cause."""
    if cause in BUSY_CAUSES:
        return "busy"
    return "no_answer" if cause in NO_ANSWER_CAUSES else "failed"


def hold_bridge_id(queue: str) -> str:
    return f"{HOLD_PREFIX}{queue}"


def call_bridge_id(call_id: str) -> str:
    return f"{CALL_BRIDGE_PREFIX}{call_id}"


def agent_leg_id(call_id: str, attempt: int) -> str:
    return f"{AGENT_LEG_PREFIX}{call_id}-{attempt}"


@dataclass
class AgentLeg:
    channel_id: str
    agent_id: str
    answered: bool = False


@dataclass
class CallLegs:
    call_id: str  # = the caller channel's id
    queue: str
    caller_number: str | None
    connected_agent: str | None = None
    bridge_id: str | None = None  # the call's mixing bridge, created on first offer
    legs: dict[str, AgentLeg] = field(default_factory=dict)  # by agent leg channel id
    in_survey: bool = False
    ended: bool = False
    parked: asyncio.Task[None] | None = None  # the move into the holding bridge

    def leg_of(self, agent_id: str) -> AgentLeg | None:
        for leg in self.legs.values():
            if leg.agent_id == agent_id:
                return leg
        return None


def as_float(value: str | None) -> float | None:
    """A number kept on a channel (variable or Stasis argument); None if absent or garbled."""
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and number > 0 and number == number else None


ENTRY_SKEW_S = 5.0  # a dialplan entry time older than this is a clock apart from ours


def entry_time(args: list[str], now: float) -> float:
    """When a caller entered the queue: the dialplan's sub-second time from the Stasis
    arguments (the wait starts there, not when ccd got round to the StasisStart, which a busy
    machine delays by a tenth of a second or more), unless it is missing, in the future or too
    old to be the same clock's; then now."""
    entered = as_float(args[3]) if len(args) > 3 else None
    if entered is None or not now - ENTRY_SKEW_S <= entered <= now:
        return now
    return entered


def queue_order(variables: Mapping[str, str], args: list[str], now: float) -> tuple[float, float]:
    """(enqueue time, arrival number) of a caller found on resync: what ccd kept on the
    channel, else the dialplan's sub-second time from the Stasis arguments (a kill -9 right
    after the caller entered), else now."""
    kept = as_float(variables.get(VAR_ENQUEUED_AT))
    if kept is not None:
        seq = as_float(variables.get(VAR_QUEUE_SEQ))
        return kept, seq if seq is not None else float("inf")
    entered = as_float(args[3]) if len(args) > 3 else None
    return (entered if entered is not None else now), float("inf")
