"""Timer transitions: fire the due entries of the state's timer heap, each at its own
deadline, and say when the next live one is due."""

from __future__ import annotations

from ccd.acd.commands import CancelOffer
from ccd.queues.core import agent_flow, call_flow
from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent
from ccd.queues.core.calls import Call
from ccd.queues.core.keys import TimerEntry
from ccd.queues.core.routing import detach, route_call, schedule_widen
from ccd.queues.core.state import EngineState


def _service_order(call: Call) -> tuple[int, float, int]:
    return (-call.priority, call.enqueued_at, call.seq)


def live(st: EngineState, entry: TimerEntry) -> bool:
    ref, kind, token = entry.ref, entry.kind, entry.token
    if isinstance(ref, Agent):
        return ref.state == ag.WRAP_UP and ref.wrapup_until == token
    if st.calls.get(ref.id) is not ref or ref.status == cs.CONNECTED:
        return False
    if kind == tm.STICKY:
        return ref.status == cs.RESERVED and ref.sticky_until == token
    if kind == tm.RING:
        return ref.status == cs.RINGING and ref.attempts == token
    return True  # MAX_WAIT, WIDEN: any unanswered call


def next_deadline(st: EngineState) -> float | None:
    timers = st.timers
    while (top := timers.peek()) is not None:
        if live(st, top):
            return top.at
        timers.pop()  # stale entry: drop it so the shell does not wake for nothing
    return None


def run(st: EngineState, until: float) -> None:
    """Fire due timers in deadline order, each at its own deadline (never before the
    engine's last time): a late ``on_timer`` then decides exactly as a punctual one.

    Calls that become routable at the same instant (tier widening, sticky expiry) are
    routed together in service order, so a higher-priority call that widens at the
    same moment is not passed over by one that happened to be scheduled first.
    """
    timers = st.timers
    while (top := timers.peek()) is not None and top.at <= until:
        at = top.at
        st.now = max(st.now, at)
        released: list[Call] = []
        while (top := timers.peek()) is not None and top.at == at:
            entry = timers.pop()
            if not live(st, entry):
                continue
            kind, ref = entry.kind, entry.ref
            if isinstance(ref, Agent):
                agent_flow.wrapup_ended(st, ref)
            elif kind == tm.MAX_WAIT:
                call_flow.overflow(st, ref)
            elif kind == tm.WIDEN:
                schedule_widen(st, ref, st.now)
                if ref.status == cs.WAITING:
                    released.append(ref)
            elif kind == tm.STICKY:  # sticky agent still busy: fall back to the policy
                detach(ref)
                ref.status = cs.WAITING
                ref.queue.add_waiting(ref.key)
                released.append(ref)
            elif kind == tm.RING and ref.agent is not None:
                # The executor never reported back: stop the leg, count it as a miss.
                st.out.append(CancelOffer(ref.id, ref.agent.id))
                call_flow.offer_failed(st, ref.id, ref.agent.id, "no_answer")
        released.sort(key=_service_order)
        for call in released:
            if call.status == cs.WAITING:
                route_call(st, call)
