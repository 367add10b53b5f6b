"""The engine's whole state, in one explicit object the transition modules work on.

Transitions (``routing``, ``agent_flow``, ``call_flow``, ``deadlines``) are functions of
(state, input, now): they update the state and append commands to ``out``. Nothing else
holds engine state, so a step's output is a function of the state, the input and the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ccd import events as ev
from ccd.acd.commands import Command, Record
from ccd.acd.places import is_callback
from ccd.queues.core import agent_states
from ccd.queues.core.agents import Agent, AgentState, Membership
from ccd.queues.core.calls import Call
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.specs import AgentSpec, QueueSpec
from ccd.queues.core.timers import TimerHeap

RING_GRACE = 5.0  # seconds past ring_timeout before the engine gives up on the executor
SYSTEM_ACTOR = ev.SYSTEM_ACTOR  # the actor of agent events no person asked for (RONA, wrap-up, ...)


class EngineState:
    __slots__ = ("_ts", "_ts_of", "actor", "agents", "calls", "ids", "now", "out", "queues", "seq", "timers")

    def __init__(self, agents: Sequence[AgentSpec], queues: Sequence[QueueSpec], ids: ev.EventIds) -> None:
        self.agents: dict[str, Agent] = {}
        for spec in agents:
            if spec.id in self.agents:
                raise ValueError(f"duplicate agent id {spec.id!r}")
            self.agents[spec.id] = Agent(spec, len(self.agents))
        self.queues: dict[str, QueueIndex] = {}
        for qspec in queues:
            if qspec.name in self.queues:
                raise ValueError(f"duplicate queue {qspec.name!r}")
            q = self.queues[qspec.name] = QueueIndex(qspec, len(self.queues))
            for pos, agent_id in enumerate(qspec.members):
                a = self.agents.get(agent_id)
                if a is None or q.idx in a.member_of:
                    continue  # unknown ids are the config checker's business, not a crash
                a.member_of.add(q.idx)
                a.memberships.append(Membership(q, q.tier_of.get(a.spec.seniority), pos))
        self.calls: dict[str, Call] = {}
        self.seq = 0  # arrival order of calls (ties on enqueued_at)
        self.timers = TimerHeap()
        self.now = 0.0
        self.ids = ids
        self._ts_of, self._ts = 0.0, ev.utc(0.0)
        self.out: list[Command] = []
        self.actor = SYSTEM_ACTOR  # who asked for the input being handled (agent events)

    def ts(self) -> datetime:
        """The step's time as a datetime: one per step, a step records several events."""
        if self._ts_of != self.now:
            self._ts_of, self._ts = self.now, ev.utc(self.now)
        return self._ts

    def next_id(self) -> str:
        return self.ids.at_ms(int(self.now * 1000))

    def record(self, event: ev.DomainEvent) -> None:
        if event.type.startswith("call.") and is_callback(event.call_id):
            return  # a callback's place in line: its own callback.* events record it
        self.out.append(Record(event))


def set_state(st: EngineState, a: Agent, state: AgentState, reason: str | None = None) -> None:
    """The one place an agent's state changes: checked against the table, recorded."""
    previous = a.state
    agent_states.check(a.id, previous, state)
    a.state = state
    a.reason = reason
    a.since = st.now
    st.record(ev.AgentStateChanged(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, state=state,
                                   previous=previous, reason=reason, actor=st.actor))
