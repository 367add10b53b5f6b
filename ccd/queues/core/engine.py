"""The ACD engine: pure state machine from inputs (+ the clock as an argument) to commands.

One step = ``handle(inp, now)`` or ``on_timer(now)``. Every step first fires the timers that
are due by ``now`` (each at its own deadline, in order), applies the input at ``now``, then
fires timers that became due meanwhile, so a waiting call with an eligible available agent
is always offered before the step returns.

The engine is a thin facade: its state is one :class:`~ccd.queues.core.state.EngineState`
and each input is handed to a transition function (``call_flow``, ``agent_flow``,
``deadlines``). Event ids come from the injected :class:`~ccd.events.EventIds`, so the
output is a function of (state, input, now).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ccd import events as ev
from ccd.acd.commands import Command
from ccd.acd.inputs import (
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
from ccd.queues.core import agent_flow, call_flow, deadlines, views
from ccd.queues.core.specs import AgentSpec, QueueSpec
from ccd.queues.core.state import RING_GRACE, SYSTEM_ACTOR, EngineState
from ccd.snapshot import AgentView, EngineSnapshot

__all__ = ["RING_GRACE", "AcdEngine"]


class AcdEngine:
    """Construct with the agent and queue specs (and the event id source the shell owns);
    feed inputs and timer ticks; perform the returned commands in order."""

    def __init__(self, agents: Sequence[AgentSpec], queues: Sequence[QueueSpec], *, ids: ev.EventIds) -> None:
        # The shell seeds ``ids`` (EventIds.fresh()); a replay injects the same seed again.
        self.state = EngineState(agents, queues, ids)
        # Agent views change only in a step: kept between steps, since the wallboard, metrics
        # and API take a snapshot per domain event (several per step) and per request.
        self._steps = 0
        self._agent_views: tuple[int, Mapping[str, AgentView]] | None = None

    def handle(self, inp: Input, now: float) -> list[Command]:
        st = self._begin(now)
        if isinstance(inp, AgentLoggedIn | AgentLoggedOut | AgentPaused | AgentUnpaused) and inp.actor:
            st.actor = inp.actor
        match inp:
            case CallArrived():
                call_flow.arrived(st, inp)
            case CallAbandoned():
                call_flow.abandoned(st, inp.call_id, inp.callback)
            case OfferAnswered():
                call_flow.answered(st, inp)
            case OfferFailed():
                call_flow.offer_failed(st, inp.call_id, inp.agent_id, inp.reason)
            case CallEnded():
                call_flow.ended(st, inp)
            case CallRestoredConnected():
                call_flow.restored(st, inp)
            case AgentLoggedIn():
                agent_flow.login(st, inp.agent_id)
            case AgentLoggedOut():
                agent_flow.logout(st, inp.agent_id)
            case AgentPaused():
                agent_flow.pause(st, inp.agent_id, inp.reason)
            case AgentUnpaused():
                agent_flow.unpause(st, inp.agent_id)
            case AgentDeviceChanged():
                agent_flow.device(st, inp.agent_id, inp.in_use)
        st.actor = SYSTEM_ACTOR  # timer work is ccd's own
        deadlines.run(st, now)
        return st.out

    def on_timer(self, now: float) -> list[Command]:
        return self._begin(now).out

    def next_deadline(self) -> float | None:
        """When ``on_timer`` next has work; None when nothing is scheduled."""
        return deadlines.next_deadline(self.state)

    def snapshot(self, now: float) -> EngineSnapshot:
        kept = self._agent_views
        if kept is None or kept[0] != self._steps:
            kept = self._agent_views = (self._steps, views.agent_views(self.state))
        return views.snapshot(self.state, now, kept[1])

    def _begin(self, now: float) -> EngineState:
        self._steps += 1  # every change of the state starts here
        st = self.state
        st.out = []
        st.actor = SYSTEM_ACTOR
        deadlines.run(st, now)
        st.now = now
        return st
