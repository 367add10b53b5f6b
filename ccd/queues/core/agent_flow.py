"""Agent-side transitions: login/logout, pause/unpause, device state, wrap-up."""

from __future__ import annotations

from typing import Literal

from ccd import events as ev
from ccd.queues.core import agents as ag
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent, Membership
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.routing import become_available, enqueue, release_reserved, route_agent, take_back
from ccd.queues.core.state import EngineState, set_state


def login(st: EngineState, agent_id: str) -> None:
    a = st.agents.get(agent_id)
    if a is None:
        return
    if a.after_call is not None and a.after_call[0] == "logout":
        a.after_call = None  # logged back in before the pending logout took effect
        return
    if a.state != ag.LOGGED_OUT:
        return
    st.record(ev.AgentLogin(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, actor=st.actor))
    for m in a.memberships:
        if m.tier is not None:
            m.queue.login(m.tier)
    a.idle_since = st.now
    a.misses = 0
    if a.call is not None:  # restored connected call seen before the login
        set_state(st, a, ag.ON_CALL)
    else:
        become_available(st, a)


def logout(st: EngineState, agent_id: str) -> None:
    a = st.agents.get(agent_id)
    if a is None or a.state == ag.LOGGED_OUT:
        return
    if a.state == ag.ON_CALL:
        a.after_call, a.after_call_by = ("logout", ""), st.actor
        return
    leave(st, a, ag.LOGGED_OUT, None)


def pause(st: EngineState, agent_id: str, reason: str) -> None:
    a = st.agents.get(agent_id)
    if a is None or a.state == ag.LOGGED_OUT:
        return
    if a.state == ag.ON_CALL:
        a.after_call = ("pause", reason)  # takes effect when the call ends, no wrap-up
        a.after_call_by = st.actor
        return
    leave(st, a, ag.PAUSED, reason)


def leave(st: EngineState, a: Agent, state: Literal["paused", "logged_out"], reason: str | None) -> None:
    """Agent stops taking calls now (pause / logout / auto-pause)."""
    taken = take_back(st, a)
    a.unindex()
    if a.state == ag.WRAP_UP and a.wrapup_call is not None:  # part of that call's handling
        record_wrapup_end(st, a)
    a.wrapup_until = None
    a.wrapup_call = None
    a.after_call = None
    emptied: list[Membership] = []
    if state == ag.PAUSED:
        st.record(ev.AgentPaused(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, reason=reason, actor=st.actor))
    else:
        st.record(ev.AgentLogout(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, actor=st.actor))
        for m in a.memberships:
            if m.tier is not None:
                if m.queue.logout(m.tier):
                    emptied.append(m)
    set_state(st, a, state, reason)
    if taken is not None:
        enqueue(st, taken)
    release_reserved(st, a)
    for m in emptied:
        tier_emptied(st, m.queue, m.tier)


def tier_emptied(st: EngineState, q: QueueIndex, tier: int | None) -> None:
    """A tier lost its last logged-in agent: later tiers move up one widening step, so
    their available agents may now qualify for calls that were waiting."""
    if tier is None or q.spec.widen_after <= 0:
        return
    for t in range(tier + 1, len(q.tiers)):
        for key in list(q.avail[t]):
            if not q.has_waiting():
                return
            a = key.agent
            if a.listed:
                route_agent(st, a)


def unpause(st: EngineState, agent_id: str) -> None:
    a = st.agents.get(agent_id)
    if a is None:
        return
    if a.after_call is not None and a.after_call[0] == "pause":
        a.after_call = None
        return
    if a.state != ag.PAUSED:
        return
    st.record(ev.AgentUnpaused(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, actor=st.actor))
    a.idle_since = st.now
    a.misses = 0
    become_available(st, a)


def device(st: EngineState, agent_id: str, in_use: bool) -> None:
    a = st.agents.get(agent_id)
    if a is None or a.in_use == in_use:
        return
    a.in_use = in_use
    if a.state != ag.AVAILABLE:
        return
    if in_use:
        a.unindex()
    else:
        a.index()
        route_agent(st, a)


def wrapup_ended(st: EngineState, a: Agent) -> None:
    if a.wrapup_call is not None:  # not after the rest that follows a ring-no-answer
        record_wrapup_end(st, a)
    a.wrapup_until = None
    a.wrapup_call = None
    become_available(st, a)


def record_wrapup_end(st: EngineState, a: Agent) -> None:
    """The wrap-up is recorded with its call, so the store adds it to that call's handle
    time (AHT) and to the agent's busy time (occupancy)."""
    started = a.since if a.since is not None else st.now
    call_id, queue = a.wrapup_call if a.wrapup_call is not None else (None, None)
    st.record(ev.AgentWrapupEnded(ts=st.ts(), event_id=st.next_id(), agent_id=a.id, call_id=call_id,
                                  queue=queue, wrapup_s=st.now - started, actor=st.actor))


def after_call(st: EngineState, a: Agent, q: QueueIndex, call_id: str) -> None:
    pending, a.after_call = a.after_call, None
    by, a.after_call_by = a.after_call_by, None
    if pending is not None:
        kind, reason = pending
        actor, st.actor = st.actor, by or st.actor  # who asked, during the call
        leave(st, a, ag.PAUSED if kind == "pause" else ag.LOGGED_OUT, reason or None)
        st.actor = actor
    elif q.spec.wrapup > 0:
        a.wrapup_until = st.now + q.spec.wrapup
        a.wrapup_call = (call_id, q.spec.name)
        set_state(st, a, ag.WRAP_UP)
        st.timers.push(a.wrapup_until, tm.WRAPUP, a, a.wrapup_until)
    else:
        become_available(st, a)
