"""Routing core: engine state, the ordered-index decisions and the offer mechanics.

Decisions come in two directions and both only touch ordered indexes:
  * call-driven  (a call starts waiting):  best available agent in the call's open tiers;
  * agent-driven (an agent becomes free):  best call across the agent's queues.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccd import events as ev
from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent, AgentState, Membership
from ccd.queues.core.calls import Call
from ccd.queues.core.commands import CancelOffer, Command, Offer, Record
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.policy import next_widen_step, tier_open
from ccd.queues.core.specs import AgentSpec, QueueSpec

RING_GRACE = 5.0  # seconds past ring_timeout before the engine gives up on the executor
SYSTEM_ACTOR = "ccd"  # the actor of agent events no person asked for (RONA, wrap-up, ...)


class RoutingCore:
    def __init__(self, agents: Sequence[AgentSpec], queues: Sequence[QueueSpec]) -> None:
        self._agents: dict[str, Agent] = {}
        for spec in agents:
            if spec.id in self._agents:
                raise ValueError(f"duplicate agent id {spec.id!r}")
            self._agents[spec.id] = Agent(spec, len(self._agents))
        self._queues: dict[str, QueueIndex] = {}
        for qspec in queues:
            if qspec.name in self._queues:
                raise ValueError(f"duplicate queue {qspec.name!r}")
            q = self._queues[qspec.name] = QueueIndex(qspec, len(self._queues))
            for pos, agent_id in enumerate(qspec.members):
                a = self._agents.get(agent_id)
                if a is None or q.idx in a.member_of:
                    continue  # unknown ids are the config checker's business, not a crash
                a.member_of.add(q.idx)
                a.memberships.append(Membership(q, q.tier_of.get(a.spec.seniority), pos))
        self._calls: dict[str, Call] = {}
        self._seq = 0
        self._timers = tm.TimerHeap()
        self._now = 0.0
        self._ts_of, self._ts = 0.0, ev.utc(0.0)
        self._out: list[Command] = []
        self._actor = SYSTEM_ACTOR  # who asked for the input being handled (agent events)

    def _rec(self, type_: str, **fields: Any) -> None:
        if type_.startswith("call.") and cs.is_callback(fields.get("call_id")):
            return  # a callback's place in line: its own callback.* events record it
        if self._ts_of != self._now:  # one datetime per step: a step records several events
            self._ts_of, self._ts = self._now, ev.utc(self._now)
        if type_.startswith("agent."):
            fields["actor"] = self._actor
        self._out.append(Record(ev.event_at(type_, self._ts, **fields)))

    def _set_state(self, a: Agent, state: AgentState, reason: str | None = None) -> None:
        previous = a.state
        a.state = state
        a.reason = reason
        a.since = self._now
        self._rec(ev.AGENT_STATE, agent_id=a.id, state=state, previous=previous, reason=reason)

    def _schedule_widen(self, call: Call, now: float) -> None:
        q = call.queue
        step = next_widen_step(call.enqueued_at, q.spec.widen_after, now, len(q.tiers))
        if step is not None:
            at = call.enqueued_at + step * q.spec.widen_after
            self._timers.push(at, tm.WIDEN, call, step)

    def _pick_agent(self, call: Call) -> Agent | None:
        """Best available agent for a general waiting call: first open tier with someone."""
        q = call.queue
        w = q.spec.widen_after
        rank = 0
        for t, lst in enumerate(q.avail):
            if not q.logged_in[t]:
                continue  # nobody logged in: the tier is skipped, it does not delay widening
            if not tier_open(rank, call.enqueued_at, w, self._now):
                return None
            if lst:
                return lst[0][3]
            rank += 1
        return None

    def _pick_call(self, a: Agent) -> Call | None:
        """Best call for a newly free agent: highest priority, then longest wait."""
        best = a.reserved[0] if a.reserved else None
        now = self._now
        for m in a.memberships:
            q = m.queue
            if m.tier is None or not q.prios:
                continue
            w = q.spec.widen_after
            rank = q.rank(m.tier) if w > 0 else 0
            for prio in q.prios:
                if best is not None and -prio > best[0]:
                    break  # this queue has nothing better than what we hold
                # Within a priority the oldest call has the widest tiers: only it can qualify.
                head = q.waiting[prio][0]
                if tier_open(rank, head[1], w, now):
                    if best is None or head < best:
                        best = head
                    break
        return best[3] if best is not None else None

    def _route_call(self, call: Call) -> None:
        a = self._pick_agent(call)
        if a is not None:
            self._offer(call, a)

    def _route_agent(self, a: Agent) -> None:
        call = self._pick_call(a)
        if call is not None:
            self._offer(call, a)

    def _enqueue(self, call: Call) -> None:
        """Put a call (new or taken back from an offer) in general waiting and route it."""
        call.status = cs.WAITING
        call.queue.add_waiting(call.key)
        self._route_call(call)

    def _detach(self, call: Call) -> None:
        """Take the call out of the waiting index it sits in."""
        if call.status == cs.WAITING:
            call.queue.remove_waiting(call.key)
        elif call.status == cs.RESERVED and call.sticky is not None:
            call.sticky.reserved.remove(call.key)

    def _offer(self, call: Call, a: Agent) -> None:
        self._detach(call)
        q = call.queue
        call.status = cs.RINGING
        call.agent = a
        call.attempts += 1
        a.call = call
        a.unindex()
        if q.spec.tie_break == "round_robin":
            q.rr_counter += 1
            for m in a.memberships:
                if m.queue is q:
                    m.rr_stamp = q.rr_counter
        self._out.append(
            Offer(
                call_id=call.id,
                agent_id=a.id,
                endpoint=a.spec.endpoint,
                timeout=q.spec.ring_timeout,
                caller=call.caller,
                queue=q.spec.name,
                attempt=call.attempts,
            )
        )
        self._rec(
            ev.CALL_OFFERED,
            call_id=call.id,
            agent_id=a.id,
            queue=q.spec.name,
            attempt=call.attempts,
            sticky=call.sticky is a,
        )
        self._set_state(a, ag.RINGING)
        self._timers.push(self._now + q.spec.ring_timeout + RING_GRACE, tm.RING, call, call.attempts)

    def _take_back(self, a: Agent) -> Call | None:
        """Cancel the agent's ringing offer; the caller must re-enqueue the returned call."""
        call = a.call
        if a.state != ag.RINGING or call is None:
            return None
        self._out.append(CancelOffer(call.id, a.id))
        a.call = None
        call.agent = None
        call.status = cs.NEW
        return call

    def _become_available(self, a: Agent) -> None:
        if a.state != ag.AVAILABLE:
            self._set_state(a, ag.AVAILABLE)
        if not a.in_use:
            a.index()
            self._route_agent(a)

    def _release_reserved(self, a: Agent) -> None:
        """The sticky agent paused or left: their reserved calls fall back to the policy."""
        while a.reserved:
            call = a.reserved[0][3]
            a.reserved.remove(call.key)
            call.status = cs.NEW
            self._enqueue(call)
