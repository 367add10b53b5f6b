"""Call-side transitions: arrival (VIP, sticky), answer, RONA, abandon, overflow, end."""

from __future__ import annotations

from ccd import events as ev
from ccd.acd.commands import CancelOffer, Connect, Overflow
from ccd.acd.inputs import CallArrived, CallEnded, CallRestoredConnected, OfferAnswered
from ccd.acd.places import is_callback
from ccd.queues.core import agent_flow
from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent
from ccd.queues.core.calls import Call
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.policy import effective_priority
from ccd.queues.core.routing import become_available, detach, enqueue, offer, schedule_widen, take_back
from ccd.queues.core.state import EngineState, set_state


def arrived(st: EngineState, inp: CallArrived) -> None:
    q = st.queues.get(inp.queue)
    if q is None or inp.call_id in st.calls:
        return
    spec = q.spec
    now = st.now
    enqueued_at = inp.enqueued_at if inp.enqueued_at is not None else now
    st.seq += 1
    call = Call(inp.call_id, st.seq, q, inp.caller, effective_priority(spec, inp.caller, inp.priority), enqueued_at)
    call.sticky = sticky_agent(st, q, inp)
    st.calls[call.id] = call
    q.order.add(call.key)
    st.record(ev.CallQueued(ts=st.ts(), event_id=st.next_id(), call_id=call.id, queue=spec.name,
                            caller=call.caller, priority=call.priority,
                            sticky_agent=call.sticky.id if call.sticky is not None else None))
    if spec.max_wait is not None and not is_callback(call.id):  # a callback's place never overflows
        st.timers.push(enqueued_at + spec.max_wait, tm.MAX_WAIT, call, 0)
    schedule_widen(st, call, now)
    s = call.sticky
    if s is not None and s.state not in (ag.LOGGED_OUT, ag.PAUSED):
        if s.listed:
            offer(st, call, s)
            return
        until = enqueued_at + spec.sticky_wait
        if until > now:  # busy: hold the call for them (others are not offered it)
            call.status = cs.RESERVED
            call.sticky_until = until
            s.reserved.add(call.key)
            st.timers.push(until, tm.STICKY, call, until)
            return
    enqueue(st, call)


def sticky_agent(st: EngineState, q: QueueIndex, inp: CallArrived) -> Agent | None:
    spec = q.spec
    if not spec.sticky or inp.caller is None or inp.sticky_agent is None:
        return None
    below = spec.sticky_skip_below
    if below is not None and inp.sticky_rating is not None and inp.sticky_rating < below:
        return None
    a = st.agents.get(inp.sticky_agent)
    return a if a is not None and q.idx in a.member_of else None


def answered(st: EngineState, inp: OfferAnswered) -> None:
    call = st.calls.get(inp.call_id)
    a = st.agents.get(inp.agent_id)
    if call is None or a is None or call.status != cs.RINGING or call.agent is not a:
        return  # stale answer: the offer was already cancelled (CancelOffer was sent)
    q = call.queue
    q.order.remove(call.key)
    call.status = cs.CONNECTED
    call.answered_at = st.now
    a.misses = 0
    a.handled += 1
    st.out.append(Connect(call.id, a.id, st.now))
    st.record(ev.CallAnswered(ts=st.ts(), event_id=st.next_id(), call_id=call.id, agent_id=a.id,
                              queue=q.spec.name, wait_s=st.now - call.enqueued_at, sticky=call.sticky is a))
    set_state(st, a, ag.ON_CALL)


def offer_failed(st: EngineState, call_id: str, agent_id: str, reason: str) -> None:
    call = st.calls.get(call_id)
    a = st.agents.get(agent_id)
    if call is None or a is None or call.status != cs.RINGING or call.agent is not a:
        return
    q = call.queue
    a.misses += 1
    a.missed_total += 1
    st.record(ev.CallOfferFailed(ts=st.ts(), event_id=st.next_id(), call_id=call.id, agent_id=a.id,
                                 queue=q.spec.name, reason=reason, attempt=call.attempts))
    st.record(ev.AgentMissed(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, call_id=call.id,
                             queue=q.spec.name, consecutive=a.misses, actor=st.actor))
    a.call = None
    call.agent = None
    call.status = cs.NEW
    # Route the call before the agent is indexed again: other agents get it first, and
    # the same agent only through its own agent-driven pass if nobody else took it.
    enqueue(st, call)
    if 0 < q.spec.max_missed <= a.misses:
        agent_flow.leave(st, a, ag.PAUSED, ag.MISSED_REASON)
    elif q.spec.rona_rest > 0:  # a rest before this phone rings again (no wrap-up of a call)
        a.wrapup_until = st.now + q.spec.rona_rest
        set_state(st, a, ag.WRAP_UP, ag.MISSED_REASON)
        st.timers.push(a.wrapup_until, tm.WRAPUP, a, a.wrapup_until)
    else:
        become_available(st, a)


def abandoned(st: EngineState, call_id: str, callback: str | None = None) -> None:
    """The caller hung up while waiting or ringing, or left the line with a booked callback
    (``callback``: its id, recorded on the abandon, which then is not counted as one)."""
    call = st.calls.get(call_id)
    if call is None:
        return
    if call.status == cs.CONNECTED:  # hang-up raced the answer: it is a normal end
        end_connected(st, call, "caller")
        return
    position = call.queue.order.index(call.key) + 1
    finish_unanswered(st, call)
    st.record(ev.CallAbandoned(ts=st.ts(), event_id=st.next_id(), call_id=call.id, queue=call.queue.spec.name,
                               wait_s=st.now - call.enqueued_at, position=position, callback=callback))
    free_agent_of(st, call)


def overflow(st: EngineState, call: Call) -> None:
    q = call.queue
    finish_unanswered(st, call)
    st.out.append(Overflow(call.id, q.spec.name, q.spec.overflow_target, "max_wait"))
    st.record(ev.CallOverflow(ts=st.ts(), event_id=st.next_id(), call_id=call.id, queue=q.spec.name,
                              wait_s=st.now - call.enqueued_at, target=q.spec.overflow_target, reason="max_wait"))
    free_agent_of(st, call)


def finish_unanswered(st: EngineState, call: Call) -> None:
    """Remove an unanswered call for good; cancel its ringing offer if any."""
    if call.status == cs.RINGING and call.agent is not None:
        st.out.append(CancelOffer(call.id, call.agent.id))
        call.agent.call = None
    else:
        detach(call)
        call.agent = None
    call.queue.order.remove(call.key)
    del st.calls[call.id]
    call.status = cs.GONE


def free_agent_of(st: EngineState, call: Call) -> None:
    """After a ringing call went away the agent is free again (not a miss)."""
    a = call.agent
    call.agent = None
    if a is not None and a.state == ag.RINGING and a.call is None:
        become_available(st, a)


def ended(st: EngineState, inp: CallEnded) -> None:
    call = st.calls.get(inp.call_id)
    if call is None:
        return
    if call.status != cs.CONNECTED:
        abandoned(st, call.id)  # ended before anyone answered: an abandon
        return
    end_connected(st, call, inp.ended_by)


def end_connected(st: EngineState, call: Call, ended_by: str) -> None:
    a = call.agent
    del st.calls[call.id]
    call.status = cs.GONE
    answered_at = call.answered_at if call.answered_at is not None else st.now
    st.record(ev.CallEnded(ts=st.ts(), event_id=st.next_id(), call_id=call.id,
                           agent_id=a.id if a is not None else None, queue=call.queue.spec.name,
                           talk_s=st.now - answered_at, ended_by=ended_by))
    if a is None or a.call is not call:
        return
    a.call = None
    a.idle_since = st.now
    if a.state == ag.ON_CALL:
        agent_flow.after_call(st, a, call.queue, call.id)


def restored(st: EngineState, inp: CallRestoredConnected) -> None:
    q = st.queues.get(inp.queue)
    a = st.agents.get(inp.agent_id)
    if q is None or a is None or inp.call_id in st.calls:
        return
    st.seq += 1
    call = Call(inp.call_id, st.seq, q, inp.caller, 0, inp.answered_at)
    call.status = cs.CONNECTED
    call.agent = a
    call.answered_at = inp.answered_at
    st.calls[call.id] = call
    taken = take_back(st, a)
    a.call = call
    if a.state == ag.LOGGED_OUT:
        return  # AgentLoggedIn later puts them on_call
    if a.state == ag.PAUSED and a.reason is not None:
        a.after_call = ("pause", a.reason)
    a.unindex()
    a.wrapup_until = None
    a.wrapup_call = None
    if a.state != ag.ON_CALL:
        set_state(st, a, ag.ON_CALL)
    if taken is not None:
        enqueue(st, taken)
