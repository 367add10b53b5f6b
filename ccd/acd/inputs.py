"""Inputs the shell feeds into the ACD engine: facts observed on Asterisk or from the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class CallArrived:
    call_id: str
    queue: str
    caller: str | None  # normalised number; None = anonymous (never sticky)
    priority: int = 0
    enqueued_at: float | None = None  # original enqueue time when restored; None = now
    sticky_agent: str | None = None  # last agent for this caller+queue, looked up by the shell
    sticky_rating: int | None = None  # rating the caller gave that agent last time


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """Caller hung up while waiting or while an offer rang, or left the line with a booked
    callback (``callback``: its id; recorded on the abandon, which then is not counted as one)."""

    call_id: str
    callback: str | None = None


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferFailed:
    call_id: str
    agent_id: str
    reason: Literal["no_answer", "busy", "failed"]


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A connected call ended; the agent goes to wrap-up."""

    call_id: str
    ended_by: Literal["caller", "agent", "system"]


@dataclass(frozen=True, slots=True)
class CallRestoredConnected:
    """Resync after a restart: the call is already bridged to the agent."""

    call_id: str
    queue: str
    agent_id: str
    caller: str | None
    answered_at: float


# ``actor`` on agent actions: who asked (``token:<name>``, ``endpoint:<channel>``); every
# agent.* event recorded while handling the input carries it (None: ccd itself, "ccd").


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    agent_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    agent_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AgentPaused:
    agent_id: str
    reason: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AgentUnpaused:
    agent_id: str
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class AgentDeviceChanged:
    """The agent's device is busy (or free again) with a call that is not a queue call."""

    agent_id: str
    in_use: bool


Input = (
    CallArrived
    | CallAbandoned
    | OfferAnswered
    | OfferFailed
    | CallEnded
    | CallRestoredConnected
    | AgentLoggedIn
    | AgentLoggedOut
    | AgentPaused
    | AgentUnpaused
    | AgentDeviceChanged
)
