"""The ACD engine: pure state machine from inputs (+ the clock as an argument) to commands.

One step = ``handle(inp, now)`` or ``on_timer(now)``. Every step first fires the timers that
are due by ``now`` (each at its own deadline, in order), applies the input at ``now``, then
fires timers that became due meanwhile, so a waiting call with an eligible available agent
is always offered before the step returns.
"""

from __future__ import annotations

from typing import Literal

from ccd.queues.core import agents as ag
from ccd.queues.core import calls as cs
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent
from ccd.queues.core.call_flow import CallFlow
from ccd.queues.core.calls import Call
from ccd.queues.core.commands import CancelOffer, Command
from ccd.queues.core.inputs import (
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallArrived,
    CallEnded,
    CallRestoredConnected,
    Input,
    OfferAnswered,
    OfferFailed,
)
from ccd.queues.core.routing import RING_GRACE, SYSTEM_ACTOR
from ccd.queues.core.snapshot import AgentView, CallView, EngineSnapshot, QueueView

__all__ = ["RING_GRACE", "AcdEngine"]


def _service_order(call: Call) -> tuple[int, float, int]:
    return (-call.priority, call.enqueued_at, call.seq)


class AcdEngine(CallFlow):
    """Construct with the agent and queue specs; feed inputs and timer ticks; perform the
    returned commands in order. See the module docstrings for the two routing directions."""

    # ------------------------------------------------------------------ public API

    def handle(self, inp: Input, now: float) -> list[Command]:
        self._begin(now)
        if isinstance(inp, AgentLoggedIn | AgentLoggedOut | AgentPaused | AgentUnpaused) and inp.actor:
            self._actor = inp.actor
        match inp:
            case CallArrived():
                self._call_arrived(inp)
            case CallAbandoned():
                self._call_abandoned(inp.call_id, inp.callback)
            case OfferAnswered():
                self._offer_answered(inp)
            case OfferFailed():
                self._offer_failed(inp.call_id, inp.agent_id, inp.reason)
            case CallEnded():
                self._call_ended(inp)
            case CallRestoredConnected():
                self._call_restored(inp)
            case AgentLoggedIn():
                self._agent_login(inp.agent_id)
            case AgentLoggedOut():
                self._agent_logout(inp.agent_id)
            case AgentPaused():
                self._agent_pause(inp.agent_id, inp.reason)
            case AgentUnpaused():
                self._agent_unpause(inp.agent_id)
            case AgentDeviceChanged():
                self._agent_device(inp.agent_id, inp.in_use)
        self._actor = SYSTEM_ACTOR  # timer work is ccd's own
        self._run_timers(now)
        return self._out

    def on_timer(self, now: float) -> list[Command]:
        self._begin(now)
        return self._out

    def next_deadline(self) -> float | None:
        """When ``on_timer`` next has work; None when nothing is scheduled."""
        timers = self._timers
        while (top := timers.peek()) is not None:
            if self._timer_live(top):
                return top[0]
            timers.pop()  # stale entry: drop it so the shell does not wake for nothing
        return None

    def snapshot(self, now: float) -> EngineSnapshot:
        queues: dict[str, QueueView] = {}
        for name, q in self._queues.items():
            waiting = tuple(self._call_view(key[3], now) for key in q.order if not cs.is_callback(key[3].id))
            queues[name] = QueueView(
                name=name,
                waiting=waiting,
                available_agents=sum(len(lst) for lst in q.avail),
                logged_in_agents=sum(q.logged_in),
            )
        agents = {aid: self._agent_view(a) for aid, a in self._agents.items()}
        return EngineSnapshot(now=now, queues=queues, agents=agents)

    # ------------------------------------------------------------------ step plumbing

    def _begin(self, now: float) -> None:
        self._out = []
        self._actor = SYSTEM_ACTOR
        self._run_timers(now)
        self._now = now

    def _timer_live(self, entry: tm.Entry) -> bool:
        _, _, kind, ref, token = entry
        if isinstance(ref, Agent):
            return ref.state == ag.WRAP_UP and ref.wrapup_until == token
        if self._calls.get(ref.id) is not ref or ref.status == cs.CONNECTED:
            return False
        if kind == tm.STICKY:
            return ref.status == cs.RESERVED and ref.sticky_until == token
        if kind == tm.RING:
            return ref.status == cs.RINGING and ref.attempts == token
        return True  # MAX_WAIT, WIDEN: any unanswered call

    def _run_timers(self, until: float) -> None:
        """Fire due timers in deadline order, each at its own deadline (never before the
        engine's last time): a late ``on_timer`` then decides exactly as a punctual one.

        Calls that become routable at the same instant (tier widening, sticky expiry) are
        routed together in service order, so a higher-priority call that widens at the
        same moment is not passed over by one that happened to be scheduled first.
        """
        timers = self._timers
        while (top := timers.peek()) is not None and top[0] <= until:
            at = top[0]
            self._now = max(self._now, at)
            released: list[Call] = []
            while (top := timers.peek()) is not None and top[0] == at:
                entry = timers.pop()
                if not self._timer_live(entry):
                    continue
                _, _, kind, ref, _ = entry
                if isinstance(ref, Agent):
                    self._wrapup_ended(ref)
                elif kind == tm.MAX_WAIT:
                    self._overflow(ref)
                elif kind == tm.WIDEN:
                    self._schedule_widen(ref, self._now)
                    if ref.status == cs.WAITING:
                        released.append(ref)
                elif kind == tm.STICKY:  # sticky agent still busy: fall back to the policy
                    self._detach(ref)
                    ref.status = cs.WAITING
                    ref.queue.add_waiting(ref.key)
                    released.append(ref)
                elif kind == tm.RING and ref.agent is not None:
                    # The executor never reported back: stop the leg, count it as a miss.
                    self._out.append(CancelOffer(ref.id, ref.agent.id))
                    self._offer_failed(ref.id, ref.agent.id, "no_answer")
            released.sort(key=_service_order)
            for call in released:
                if call.status == cs.WAITING:
                    self._route_call(call)

    # ------------------------------------------------------------------ views

    def _call_view(self, call: Call, now: float) -> CallView:
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

    @staticmethod
    def _agent_view(a: Agent) -> AgentView:
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
