"""Events of an agent's day. ``actor`` says who asked (``token:<name>``, ``endpoint:<chan>``,
or ``ccd`` for what ccd did on its own: RONA auto-pause, wrap-up end, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.events import names as n
from ccd.events.base import DomainEvent, absent

SYSTEM_ACTOR = "ccd"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogin(DomainEvent):
    type: str = field(default=n.AGENT_LOGIN, init=False)
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogout(DomainEvent):
    type: str = field(default=n.AGENT_LOGOUT, init=False)
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPaused(DomainEvent):
    type: str = field(default=n.AGENT_PAUSED, init=False)
    reason: str | None = None
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentUnpaused(DomainEvent):
    type: str = field(default=n.AGENT_UNPAUSED, init=False)
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged(DomainEvent):
    type: str = field(default=n.AGENT_STATE, init=False)
    state: str
    previous: str | None = None
    reason: str | None = None
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWrapupEnded(DomainEvent):
    """Recorded with the call the wrap-up followed: the store adds it to that call's handle
    time (AHT) and to the agent's busy time (occupancy)."""

    type: str = field(default=n.AGENT_WRAPUP_ENDED, init=False)
    wrapup_s: float
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentMissed(DomainEvent):
    type: str = field(default=n.AGENT_MISSED, init=False)
    consecutive: int
    actor: str = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentControl(DomainEvent):
    """Audit of an agent action a person requested through the API or the console."""

    type: str = field(default=n.AGENT_CONTROL, init=False)
    actor: str
    role: str
    action: str
    reason: str | None = None
    via: str = "api"  # api | console


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFeatureRefused(DomainEvent):
    """Audit of an agent feature code (``*72<id>*<reason>``, ...) ccd refused. ``call_id`` is
    the channel that dialled it; ``agent_id`` the agent it was meant for when that agent exists
    (``target`` keeps what was dialled either way)."""

    type: str = field(default=n.AGENT_FEATURE_REFUSED, init=False)
    actor: str  # endpoint:<the calling phone>
    feature: str  # login | logout | pause | unpause (as the dialplan named it)
    reason: str  # why refused: not_shared_phone | unknown_agent | unknown_phone | bad_reason | ...
    target: str | None = None  # the agent id dialled, else the phone's own agent
    pause_reason: str | None = absent()  # the reason dialled with the code, if any
