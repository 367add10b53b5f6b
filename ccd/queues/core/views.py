"""Read-only views of the engine's state (metrics, the API, the wallboard)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ccd.acd.places import is_callback
from ccd.queues.core import calls as cs
from ccd.queues.core.agents import Agent
from ccd.queues.core.calls import Call
from ccd.queues.core.state import EngineState
from ccd.snapshot import AgentView, CallView, EngineSnapshot, QueueView


def snapshot(st: EngineState, now: float, agents: Mapping[str, AgentView] | None = None) -> EngineSnapshot:
    """``agents``: :func:`agent_views` of this same state when the caller kept them."""
    queues: dict[str, QueueView] = {}
    for name, q in st.queues.items():
        queues[name] = QueueView(
            name=name,
            waiting=tuple(call_view(key.call, now) for key in q.order if not is_callback(key.call.id)),
            available_agents=sum(len(lst) for lst in q.avail),
            logged_in_agents=sum(q.logged_in),
        )
    return EngineSnapshot(now=now, queues=queues, agents=agent_views(st) if agents is None else agents)


def agent_views(st: EngineState) -> Mapping[str, AgentView]:
    """Every agent's view; unlike the queues' (waits), a function of the state alone."""
    return {aid: agent_view(a) for aid, a in st.agents.items()}


def call_view(call: Call, now: float) -> CallView:
    status: Literal["waiting", "reserved", "ringing"] = (
        "ringing" if call.status == cs.RINGING else "reserved" if call.status == cs.RESERVED else "waiting"
    )
    return CallView(
        call_id=call.id,
        caller=call.caller,
        priority=call.priority,
        wait_s=now - call.enqueued_at,
        status=status,
        sticky_agent=call.sticky.id if call.sticky is not None else None,
        offered_to=call.agent.id if call.agent is not None else None,
        attempts=call.attempts,
    )


def agent_view(a: Agent) -> AgentView:
    return AgentView(
        agent_id=a.id,
        name=a.spec.name,
        state=a.state,
        reason=a.reason,
        since=a.since,
        current_call=a.call.id if a.call is not None else None,
        consecutive_misses=a.misses,
        calls_handled=a.handled,
        missed_total=a.missed_total,
        device_in_use=a.in_use,
        pending=a.after_call[0] if a.after_call is not None else None,
    )
