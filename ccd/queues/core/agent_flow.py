"""Agent-side transitions: login/logout, pause/unpause, device state, wrap-up."""

from __future__ import annotations

from typing import Literal

from ccd import events as ev
from ccd.queues.core import agents as ag
from ccd.queues.core import timers as tm
from ccd.queues.core.agents import Agent, Membership
from ccd.queues.core.index import QueueIndex
from ccd.queues.core.routing import RoutingCore


class AgentFlow(RoutingCore):
    def _agent_login(self, agent_id: str) -> None:
        a = self._agents.get(agent_id)
        if a is None:
            return
        if a.after_call is not None and a.after_call[0] == "logout":
            a.after_call = None  # logged back in before the pending logout took effect
            return
        if a.state != ag.LOGGED_OUT:
            return
        self._rec(ev.AGENT_LOGIN, agent_id=a.id)
        for m in a.memberships:
            if m.tier is not None:
                m.queue.login(m.tier)
        a.idle_since = self._now
        a.misses = 0
        if a.call is not None:  # restored connected call seen before the login
            self._set_state(a, ag.ON_CALL)
        else:
            self._become_available(a)

    def _agent_logout(self, agent_id: str) -> None:
        a = self._agents.get(agent_id)
        if a is None or a.state == ag.LOGGED_OUT:
            return
        if a.state == ag.ON_CALL:
            a.after_call, a.after_call_by = ("logout", ""), self._actor
            return
        self._leave(a, ag.LOGGED_OUT, None)

    def _agent_pause(self, agent_id: str, reason: str) -> None:
        a = self._agents.get(agent_id)
        if a is None or a.state == ag.LOGGED_OUT:
            return
        if a.state == ag.ON_CALL:
            a.after_call = ("pause", reason)  # takes effect when the call ends, no wrap-up
            a.after_call_by = self._actor
            return
        self._leave(a, ag.PAUSED, reason)

    def _leave(self, a: Agent, state: Literal["paused", "logged_out"], reason: str | None) -> None:
        """Agent stops taking calls now (pause / logout / auto-pause)."""
        taken = self._take_back(a)
        a.unindex()
        if a.state == ag.WRAP_UP and a.wrapup_call is not None:  # part of that call's handling
            self._record_wrapup_end(a)
        a.wrapup_until = None
        a.wrapup_call = None
        a.after_call = None
        emptied: list[Membership] = []
        if state == ag.PAUSED:
            self._rec(ev.AGENT_PAUSED, agent_id=a.id, reason=reason)
        else:
            self._rec(ev.AGENT_LOGOUT, agent_id=a.id)
            for m in a.memberships:
                if m.tier is not None:
                    if m.queue.logout(m.tier):
                        emptied.append(m)
        self._set_state(a, state, reason)
        if taken is not None:
            self._enqueue(taken)
        self._release_reserved(a)
        for m in emptied:
            self._tier_emptied(m.queue, m.tier)

    def _tier_emptied(self, q: QueueIndex, tier: int | None) -> None:
        """A tier lost its last logged-in agent: later tiers move up one widening step, so
        their available agents may now qualify for calls that were waiting."""
        if tier is None or q.spec.widen_after <= 0:
            return
        for t in range(tier + 1, len(q.tiers)):
            for key in list(q.avail[t]):
                if not q.has_waiting():
                    return
                a = key[3]
                if a.listed:
                    self._route_agent(a)

    def _agent_unpause(self, agent_id: str) -> None:
        a = self._agents.get(agent_id)
        if a is None:
            return
        if a.after_call is not None and a.after_call[0] == "pause":
            a.after_call = None
            return
        if a.state != ag.PAUSED:
            return
        self._rec(ev.AGENT_UNPAUSED, agent_id=a.id)
        a.idle_since = self._now
        a.misses = 0
        self._become_available(a)

    def _agent_device(self, agent_id: str, in_use: bool) -> None:
        a = self._agents.get(agent_id)
        if a is None or a.in_use == in_use:
            return
        a.in_use = in_use
        if a.state != ag.AVAILABLE:
            return
        if in_use:
            a.unindex()
        else:
            a.index()
            self._route_agent(a)

    def _wrapup_ended(self, a: Agent) -> None:
        if a.wrapup_call is not None:  # not after the rest that follows a ring-no-answer
            self._record_wrapup_end(a)
        a.wrapup_until = None
        a.wrapup_call = None
        self._become_available(a)

    def _record_wrapup_end(self, a: Agent) -> None:
        """The wrap-up is recorded with its call, so the store adds it to that call's handle
        time (AHT) and to the agent's busy time (occupancy)."""
        started = a.since if a.since is not None else self._now
        call_id, queue = a.wrapup_call if a.wrapup_call is not None else (None, None)
        self._rec(ev.AGENT_WRAPUP_ENDED, agent_id=a.id, call_id=call_id, queue=queue,
                  wrapup_s=self._now - started)

    def _after_call(self, a: Agent, q: QueueIndex, call_id: str) -> None:
        pending, a.after_call = a.after_call, None
        by, a.after_call_by = a.after_call_by, None
        if pending is not None:
            kind, reason = pending
            actor, self._actor = self._actor, by or self._actor  # who asked, during the call
            self._leave(a, ag.PAUSED if kind == "pause" else ag.LOGGED_OUT, reason or None)
            self._actor = actor
        elif q.spec.wrapup > 0:
            a.wrapup_until = self._now + q.spec.wrapup
            a.wrapup_call = (call_id, q.spec.name)
            self._set_state(a, ag.WRAP_UP)
            self._timers.push(a.wrapup_until, tm.WRAPUP, a, a.wrapup_until)
        else:
            self._become_available(a)
