"""Call-side transitions: arrival (VIP, sticky), answer, RONA, abandon, overflow, end."""

from __future__ import annotations

from ccd import events as ev
from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agent_flow import AgentFlow
from ccd.queues.core.agents import Agent
from ccd.queues.core.calls import Call
from ccd.queues.core.commands import CancelOffer, Connect, Overflow
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.inputs import CallArrived, CallEnded, CallRestoredConnected, OfferAnswered
from ccd.queues.core.policy import effective_priority


class CallFlow(AgentFlow):
    def _call_arrived(self, inp: CallArrived) -> None:
        q = self._queues.get(inp.queue)
        if q is None or inp.call_id in self._calls:
            return
        spec = q.spec
        now = self._now
        enqueued_at = inp.enqueued_at if inp.enqueued_at is not None else now
        self._seq += 1
        call = Call(
            inp.call_id,
            self._seq,
            q,
            inp.caller,
            effective_priority(spec, inp.caller, inp.priority),
            enqueued_at,
        )
        call.sticky = self._sticky_agent(q, inp)
        self._calls[call.id] = call
        q.order.add(call.key)
        self._rec(
            ev.CALL_QUEUED,
            call_id=call.id,
            queue=spec.name,
            caller=call.caller,
            priority=call.priority,
            sticky_agent=call.sticky.id if call.sticky is not None else None,
        )
        if spec.max_wait is not None and not cs.is_callback(call.id):
            self._timers.push(enqueued_at + spec.max_wait, tm.MAX_WAIT, call, 0)
        self._schedule_widen(call, now)
        s = call.sticky
        if s is not None and s.state not in (ag.LOGGED_OUT, ag.PAUSED):
            if s.listed:
                self._offer(call, s)
                return
            until = enqueued_at + spec.sticky_wait
            if until > now:  # busy: hold the call for them (others are not offered it)
                call.status = cs.RESERVED
                call.sticky_until = until
                s.reserved.add(call.key)
                self._timers.push(until, tm.STICKY, call, until)
                return
        self._enqueue(call)

    def _sticky_agent(self, q: QueueIndex, inp: CallArrived) -> Agent | None:
        spec = q.spec
        if not spec.sticky or inp.caller is None or inp.sticky_agent is None:
            return None
        below = spec.sticky_skip_below
        if below is not None and inp.sticky_rating is not None and inp.sticky_rating < below:
            return None
        a = self._agents.get(inp.sticky_agent)
        return a if a is not None and q.idx in a.member_of else None

    def _offer_answered(self, inp: OfferAnswered) -> None:
        call = self._calls.get(inp.call_id)
        a = self._agents.get(inp.agent_id)
        if call is None or a is None or call.status != cs.RINGING or call.agent is not a:
            return  # stale answer: the offer was already cancelled (CancelOffer was sent)
        q = call.queue
        q.order.remove(call.key)
        call.status = cs.CONNECTED
        call.answered_at = self._now
        a.misses = 0
        a.handled += 1
        self._out.append(Connect(call.id, a.id, self._now))
        self._rec(
            ev.CALL_ANSWERED,
            call_id=call.id,
            agent_id=a.id,
            queue=q.spec.name,
            wait_s=self._now - call.enqueued_at,
            sticky=call.sticky is a,
        )
        self._set_state(a, ag.ON_CALL)

    def _offer_failed(self, call_id: str, agent_id: str, reason: str) -> None:
        call = self._calls.get(call_id)
        a = self._agents.get(agent_id)
        if call is None or a is None or call.status != cs.RINGING or call.agent is not a:
            return
        q = call.queue
        a.misses += 1
        a.missed_total += 1
        self._rec(
            ev.CALL_OFFER_FAILED,
            call_id=call.id,
            agent_id=a.id,
            queue=q.spec.name,
            reason=reason,
            attempt=call.attempts,
        )
        self._rec(
            ev.AGENT_MISSED,
            agent_id=a.id,
            call_id=call.id,
            queue=q.spec.name,
            consecutive=a.misses,
        )
        a.call = None
        call.agent = None
        call.status = cs.NEW
        # Route the call before the agent is indexed again: other agents get it first, and
        # the same agent only through its own agent-driven pass if nobody else took it.
        self._enqueue(call)
        if 0 < q.spec.max_missed <= a.misses:
            self._leave(a, ag.PAUSED, ag.MISSED_REASON)
        elif q.spec.rona_rest > 0:  # a rest before this phone rings again (no wrap-up of a call)
            a.wrapup_until = self._now + q.spec.rona_rest
            self._set_state(a, ag.WRAP_UP, ag.MISSED_REASON)
            self._timers.push(a.wrapup_until, tm.WRAPUP, a, a.wrapup_until)
        else:
            self._become_available(a)

    def _call_abandoned(self, call_id: str, callback: str | None = None) -> None:
        call = self._calls.get(call_id)
        if call is None:
            return
        if call.status == cs.CONNECTED:  # hang-up raced the answer: it is a normal end
            self._end_connected(call, "caller")
            return
        position = call.queue.order.index(call.key) + 1
        self._finish_unanswered(call)
        self._rec(
            ev.CALL_ABANDONED,
            call_id=call.id,
            queue=call.queue.spec.name,
            wait_s=self._now - call.enqueued_at,
            position=position,
            **({"callback": callback} if callback is not None else {}),
        )
        self._free_agent_of(call)

    def _overflow(self, call: Call) -> None:
        q = call.queue
        self._finish_unanswered(call)
        self._out.append(Overflow(call.id, q.spec.name, q.spec.overflow_target, "max_wait"))
        self._rec(
            ev.CALL_OVERFLOW,
            call_id=call.id,
            queue=q.spec.name,
            wait_s=self._now - call.enqueued_at,
            target=q.spec.overflow_target,
            reason="max_wait",
        )
        self._free_agent_of(call)

    def _finish_unanswered(self, call: Call) -> None:
        """Remove an unanswered call for good; cancel its ringing offer if any."""
        if call.status == cs.RINGING and call.agent is not None:
            self._out.append(CancelOffer(call.id, call.agent.id))
            call.agent.call = None
        else:
            self._detach(call)
            call.agent = None
        call.queue.order.remove(call.key)
        del self._calls[call.id]
        call.status = cs.GONE

    def _free_agent_of(self, call: Call) -> None:
        """After a ringing call went away the agent is free again (not a miss)."""
        a = call.agent
        call.agent = None
        if a is not None and a.state == ag.RINGING and a.call is None:
            self._become_available(a)

    def _call_ended(self, inp: CallEnded) -> None:
        call = self._calls.get(inp.call_id)
        if call is None:
            return
        if call.status != cs.CONNECTED:
            self._call_abandoned(call.id)  # ended before anyone answered: an abandon
            return
        self._end_connected(call, inp.ended_by)

    def _end_connected(self, call: Call, ended_by: str) -> None:
        a = call.agent
        del self._calls[call.id]
        call.status = cs.GONE
        answered_at = call.answered_at if call.answered_at is not None else self._now
        self._rec(
            ev.CALL_ENDED,
            call_id=call.id,
            agent_id=a.id if a is not None else None,
            queue=call.queue.spec.name,
            talk_s=self._now - answered_at,
            ended_by=ended_by,
        )
        if a is None or a.call is not call:
            return
        a.call = None
        a.idle_since = self._now
        if a.state == ag.ON_CALL:
            self._after_call(a, call.queue, call.id)

    def _call_restored(self, inp: CallRestoredConnected) -> None:
        q = self._queues.get(inp.queue)
        a = self._agents.get(inp.agent_id)
        if q is None or a is None or inp.call_id in self._calls:
            return
        self._seq += 1
        call = Call(inp.call_id, self._seq, q, inp.caller, 0, inp.answered_at)
        call.status = cs.CONNECTED
        call.agent = a
        call.answered_at = inp.answered_at
        self._calls[call.id] = call
        taken = self._take_back(a)
        a.call = call
        if a.state == ag.LOGGED_OUT:
            return  # AgentLoggedIn later puts them on_call
        if a.state == ag.PAUSED and a.reason is not None:
            a.after_call = ("pause", a.reason)
        a.unindex()
        a.wrapup_until = None
        a.wrapup_call = None
        if a.state != ag.ON_CALL:
            self._set_state(a, ag.ON_CALL)
        if taken is not None:
            self._enqueue(taken)
