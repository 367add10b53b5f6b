"""Read-only views of the ACD engine's state (the engine builds them): what metrics, the API,
supervision and the console read of the live floor. Shared, so that those features depend on
this read model and never on the queues feature itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AgentState = Literal["logged_out", "available", "ringing", "on_call", "wrap_up", "paused"]



@dataclass(frozen=True, slots=True)
class CallView:
    call_id: str
    caller: str | None
    priority: int
    wait_s: float
    status: Literal["waiting", "reserved", "ringing"]
    sticky_agent: str | None  # the caller's sticky agent (reserved for them when "reserved")
    offered_to: str | None  # the ringing agent
    attempts: int


@dataclass(frozen=True, slots=True)
class QueueView:
    name: str
    waiting: tuple[CallView, ...]  # every unanswered call, in service order
    available_agents: int
    logged_in_agents: int

    @property
    def longest_wait_s(self) -> float:
        return max((c.wait_s for c in self.waiting), default=0.0)


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: str
    name: str
    state: AgentState
    reason: str | None  # pause reason
    since: float | None
    current_call: str | None
    consecutive_misses: int
    calls_handled: int
    missed_total: int
    device_in_use: bool
    pending: str | None  # "pause" / "logout" requested during a call, applied when it ends


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    now: float
    queues: Mapping[str, QueueView]
    agents: Mapping[str, AgentView]
