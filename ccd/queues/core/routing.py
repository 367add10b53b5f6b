"""Routing transitions: the ordered-index decisions and the offer mechanics.

Decisions come in two directions and both only touch ordered indexes:
  * call-driven  (a call starts waiting):  best available agent in the call's open tiers;
  * agent-driven (an agent becomes free):  best call across the agent's queues.
"""

from __future__ import annotations

from ccd import events as ev
from ccd.acd.commands import CancelOffer, Offer
from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent
from ccd.queues.core.calls import Call
from ccd.queues.core.keys import CallKey
from ccd.queues.core.policy import next_widen_step, tier_open
from ccd.queues.core.state import RING_GRACE, EngineState, set_state


def schedule_widen(st: EngineState, call: Call, now: float) -> None:
    q = call.queue
    step = next_widen_step(call.enqueued_at, q.spec.widen_after, now, len(q.tiers))
    if step is not None:
        at = call.enqueued_at + step * q.spec.widen_after
        st.timers.push(at, tm.WIDEN, call, step)


def pick_agent(st: EngineState, call: Call) -> Agent | None:
    """Best available agent for a general waiting call: first open tier with someone."""
    q = call.queue
    w = q.spec.widen_after
    rank = 0
    for t, lst in enumerate(q.avail):
        if not q.logged_in[t]:
            continue  # nobody logged in: the tier is skipped, it does not delay widening
        if not tier_open(rank, call.enqueued_at, w, st.now):
            return None
        if lst:
            return lst[0].agent
        rank += 1
    return None


def pick_call(st: EngineState, a: Agent) -> Call | None:
    """Best call for a newly free agent: highest priority, then longest wait."""
    best: CallKey | None = a.reserved[0] if a.reserved else None
    now = st.now
    for m in a.memberships:
        q = m.queue
        if m.tier is None or not q.prios:
            continue
        w = q.spec.widen_after
        rank = q.rank(m.tier) if w > 0 else 0
        for prio in q.prios:
            if best is not None and -prio > best.neg_priority:
                break  # this queue has nothing better than what we hold
            # Within a priority the oldest call has the widest tiers: only it can qualify.
            head = q.waiting[prio][0]
            if tier_open(rank, head.enqueued_at, w, now):
                if best is None or head < best:
                    best = head
                break
    return best.call if best is not None else None


def route_call(st: EngineState, call: Call) -> None:
    a = pick_agent(st, call)
    if a is not None:
        offer(st, call, a)


def route_agent(st: EngineState, a: Agent) -> None:
    call = pick_call(st, a)
    if call is not None:
        offer(st, call, a)


def enqueue(st: EngineState, call: Call) -> None:
    """Put a call (new or taken back from an offer) in general waiting and route it."""
    call.status = cs.WAITING
    call.queue.add_waiting(call.key)
    route_call(st, call)


def detach(call: Call) -> None:
    """Take the call out of the waiting index it sits in."""
    if call.status == cs.WAITING:
        call.queue.remove_waiting(call.key)
    elif call.status == cs.RESERVED and call.sticky is not None:
        call.sticky.reserved.remove(call.key)


def offer(st: EngineState, call: Call, a: Agent) -> None:
    detach(call)
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
    st.out.append(
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
    st.record(ev.CallOffered(ts=st.ts(), event_id=st.next_id(), call_id=call.id, agent_id=a.id,
                             queue=q.spec.name, attempt=call.attempts, sticky=call.sticky is a))
    set_state(st, a, ag.RINGING)
    st.timers.push(st.now + q.spec.ring_timeout + RING_GRACE, tm.RING, call, call.attempts)


def take_back(st: EngineState, a: Agent) -> Call | None:
    """Cancel the agent's ringing offer; the caller must re-enqueue the returned call."""
    call = a.call
    if a.state != ag.RINGING or call is None:
        return None
    st.out.append(CancelOffer(call.id, a.id))
    a.call = None
    call.agent = None
    call.status = cs.NEW
    return call


def become_available(st: EngineState, a: Agent) -> None:
    if a.state != ag.AVAILABLE:
        set_state(st, a, ag.AVAILABLE)
    if not a.in_use:
        a.index()
        route_agent(st, a)


def release_reserved(st: EngineState, a: Agent) -> None:
    """The sticky agent paused or left: their reserved calls fall back to the policy."""
    while a.reserved:
        call = a.reserved[0].call
        a.reserved.remove(call.key)
        call.status = cs.NEW
        enqueue(st, call)
