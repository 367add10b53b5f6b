"""ACD engine, property tests: random configurations driven by random input sequences and
time steps. An independent model, fed only by the inputs and the returned commands, checks:

* an agent never holds two offers, a call never rings twice at once;
* no offer to an ineligible agent (not available, device in use, not a member, tier closed,
  or a more preferred tier had someone eligible);
* FIFO within a priority within a queue, among calls eligible to the same agent;
* after any step, no waiting call has an eligible available agent;
* every call ends in exactly one terminal outcome, and nothing refers to it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccd.events import EventIds
from ccd.queues import (
    AcdEngine,
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentSpec,
    AgentUnpaused,
    CallAbandoned,
    CallArrived,
    CallEnded,
    CallRestoredConnected,
    CancelOffer,
    Command,
    Connect,
    EngineSnapshot,
    Input,
    Offer,
    OfferAnswered,
    OfferFailed,
    Overflow,
    QueueSpec,
    Record,
)

SENIORITIES = ("senior", "regular", "trainee")
TERMINAL = ("call.abandoned", "call.overflow", "call.ended")
AGENT_IDS = [f"a{n}" for n in range(6)]


@st.composite
def configs(draw: st.DrawFn) -> tuple[list[AgentSpec], list[QueueSpec]]:
    n_agents = draw(st.integers(2, 6))  # few agents: collisions are the point
    agents = [AgentSpec(f"a{n}", f"A{n}", f"PJSIP/a{n}", draw(st.sampled_from(SENIORITIES))) for n in range(n_agents)]
    ids = [a.id for a in agents]
    queues = []
    for n in range(draw(st.integers(1, 3))):
        members = draw(st.lists(st.sampled_from([*ids, "ghost"]), min_size=1, max_size=6))
        tiers = draw(
            st.none()
            | st.permutations(SENIORITIES).flatmap(
                lambda p: st.sampled_from([((p[0],), (p[1],), (p[2],)), ((p[0], p[1]), (p[2],)), ((p[0],), (p[1],))])
            )
        )
        queues.append(
            QueueSpec(
                name=f"q{n}",
                members=tuple(members),
                policy=draw(st.sampled_from(["seniority_first", "trainee_first"])),
                tiers=tiers,
                widen_after=draw(st.sampled_from([0.0, 4.0, 10.0])),
                tie_break=draw(st.sampled_from(["longest_idle", "fewest_calls", "round_robin"])),
                sticky=draw(st.booleans()),
                sticky_wait=draw(st.sampled_from([0.0, 5.0, 20.0])),
                sticky_skip_below=draw(st.sampled_from([None, 3])),
                ring_timeout=draw(st.sampled_from([5.0, 15.0])),
                max_missed=draw(st.sampled_from([0, 1, 2, 3])),
                wrapup=draw(st.sampled_from([0.0, 3.0, 10.0])),
                max_wait=draw(st.sampled_from([None, None, 15.0, 40.0])),
                overflow_target=draw(st.sampled_from([None, "vm,s,1"])),
                vip_numbers=frozenset({"+9"}),
                vip_priority=draw(st.sampled_from([5, 10])),
            )
        )
    return agents, queues


@dataclass
class CallInfo:
    queue: str
    priority: int
    enqueued_at: float
    order: int
    sticky: str | None
    attempts: int = 0


@dataclass
class Model:
    """What an observer of inputs and commands knows, plus the checks."""

    agents: dict[str, AgentSpec]
    queues: dict[str, QueueSpec]
    engine: AcdEngine
    now: float = 0.0
    state: dict[str, str] = field(default_factory=dict)
    in_use: dict[str, bool] = field(default_factory=dict)
    offer_of_agent: dict[str, str] = field(default_factory=dict)
    offer_of_call: dict[str, str] = field(default_factory=dict)
    connected: dict[str, str] = field(default_factory=dict)
    calls: dict[str, CallInfo] = field(default_factory=dict)  # live calls
    terminal: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    counter: int = 0

    # ---------------------------------------------------------------- policy reference

    def tiers(self, q: QueueSpec) -> list[tuple[str, ...]]:
        if q.tiers is not None:
            return [t for t in q.tiers if t]
        order = list(SENIORITIES) if q.policy == "seniority_first" else list(SENIORITIES[::-1])
        return [(s,) for s in order]

    def tier(self, q: QueueSpec, agent_id: str) -> int | None:
        seniority = self.agents[agent_id].seniority
        for n, t in enumerate(self.tiers(q)):
            if seniority in t:
                return n
        return None

    def members(self, q: QueueSpec) -> set[str]:
        return {m for m in q.members if m in self.agents}

    def eligible(self, q: QueueSpec, agent_id: str, enqueued_at: float, now: float) -> bool:
        """Is the agent's tier open for a call of this queue (ignoring availability)?"""
        t = self.tier(q, agent_id)
        if agent_id not in self.members(q) or t is None:
            return False
        occupied = {self.tier(q, m) for m in self.members(q) if self.state.get(m, "logged_out") != "logged_out"}
        rank = sum(1 for n in range(t) if n in occupied)
        return rank == 0 or q.widen_after <= 0 or enqueued_at + rank * q.widen_after <= now

    def free(self, agent_id: str) -> bool:
        return (
            self.state.get(agent_id) == "available"
            and not self.in_use.get(agent_id, False)
            and agent_id not in self.offer_of_agent
        )

    # ---------------------------------------------------------------- driving

    def step(self, inp: Input | None, now: float) -> None:
        if inp is not None and (d := self.engine.next_deadline()) is not None and d <= now:
            self.step(None, now)  # due timers first, so the model knows where the input starts
        before = self.engine.snapshot(self.now)
        self.now = now
        cmds = self.engine.handle(inp, now) if inp is not None else self.engine.on_timer(now)
        if isinstance(inp, AgentDeviceChanged) and inp.agent_id in self.agents:
            self.in_use[inp.agent_id] = inp.in_use
        if isinstance(inp, CallRestoredConnected) and self._restore_accepted(inp):
            self.counter += 1
            self.calls[inp.call_id] = CallInfo(inp.queue, 0, inp.answered_at, self.counter, None)
            self.connected[inp.call_id] = inp.agent_id
            self.seen.add(inp.call_id)
        self._replay(inp, cmds, before)
        self._check_after(self.engine.snapshot(now))
        deadline = self.engine.next_deadline()
        assert deadline is None or deadline > now

    def _restore_accepted(self, inp: CallRestoredConnected) -> bool:
        return inp.queue in self.queues and inp.agent_id in self.agents and inp.call_id not in self.seen

    def _replay(self, inp: Input | None, cmds: list[Command], before: EngineSnapshot) -> None:
        pre_waiting = {c.call_id for q in before.queues.values() for c in q.waiting if c.status == "waiting"}
        touched: set[str] = set()  # calls offered earlier in this step
        if isinstance(inp, CallArrived) and inp.queue in self.queues and inp.call_id not in self.seen:
            self.counter += 1
            self.seen.add(inp.call_id)
            q = self.queues[inp.queue]
            prio = inp.priority
            if inp.caller in q.vip_numbers:
                prio = max(prio, q.vip_priority)
            enq = inp.enqueued_at if inp.enqueued_at is not None else self.now
            self.calls[inp.call_id] = CallInfo(inp.queue, prio, enq, self.counter, None)
        for cmd in cmds:
            if isinstance(cmd, Offer):
                info = self.calls[cmd.call_id]  # live
                assert cmd.agent_id not in self.offer_of_agent, "agent holds two offers"
                assert cmd.call_id not in self.offer_of_call, "call rings twice"
                assert cmd.call_id not in self.connected
                assert self.free(cmd.agent_id), f"offer to {self.state.get(cmd.agent_id)} agent"
                assert cmd.agent_id in self.members(self.queues[info.queue])
                info.attempts += 1
                assert cmd.attempt == info.attempts
                self.offer_of_agent[cmd.agent_id] = cmd.call_id
                self.offer_of_call[cmd.call_id] = cmd.agent_id
            elif isinstance(cmd, CancelOffer):
                assert self.offer_of_call.get(cmd.call_id) == cmd.agent_id
                self._drop_offer(cmd.call_id)
            elif isinstance(cmd, Connect):
                assert isinstance(inp, OfferAnswered) and inp.call_id == cmd.call_id
                assert self.offer_of_call.get(cmd.call_id) == cmd.agent_id
                self._drop_offer(cmd.call_id)
                self.connected[cmd.call_id] = cmd.agent_id
            elif isinstance(cmd, Overflow):
                assert cmd.call_id in self.calls and cmd.call_id not in self.connected
                assert cmd.call_id not in self.offer_of_call
            elif isinstance(cmd, Record):
                self._record(cmd, inp, pre_waiting, touched)

    def _drop_offer(self, call_id: str) -> None:
        agent_id = self.offer_of_call.pop(call_id)
        del self.offer_of_agent[agent_id]

    def _record(self, cmd: Record, inp: Input | None, pre_waiting: set[str], touched: set[str]) -> None:
        e = cmd.event
        at = e.ts.timestamp()
        p: dict[str, Any] = dict(e.payload)
        if e.type == "agent.state":
            assert e.agent_id is not None
            assert p["previous"] == self.state.get(e.agent_id, "logged_out")
            self.state[e.agent_id] = p["state"]
        elif e.type == "call.queued":
            assert e.call_id in self.calls
            self.calls[e.call_id].sticky = p["sticky_agent"]
            assert p["priority"] == self.calls[e.call_id].priority
        elif e.type == "call.offered":
            assert e.call_id is not None and e.agent_id is not None
            self._check_offer(e.call_id, e.agent_id, bool(p["sticky"]), at, pre_waiting, touched)
            touched.add(e.call_id)
        elif e.type == "call.offer_failed":
            assert e.call_id is not None
            if e.call_id in self.offer_of_call:  # executor report (a timeout cancelled first)
                assert isinstance(inp, OfferFailed)
                self._drop_offer(e.call_id)
        elif e.type in TERMINAL:
            assert e.call_id is not None and e.call_id in self.calls, "outcome for dead call"
            assert e.call_id not in self.offer_of_call, "terminal outcome while ringing"
            self.terminal[e.call_id] = self.terminal.get(e.call_id, 0) + 1
            del self.calls[e.call_id]
            self.connected.pop(e.call_id, None)

    def _check_offer(
        self,
        call_id: str,
        agent_id: str,
        sticky: bool,
        at: float,
        pre_waiting: set[str],
        touched: set[str],
    ) -> None:
        info = self.calls[call_id]
        q = self.queues[info.queue]
        if sticky:
            assert info.sticky == agent_id
            return
        assert self.eligible(q, agent_id, info.enqueued_at, at), "tier not open"
        mine = self.tier(q, agent_id)
        assert mine is not None
        for rival in self.members(q) - {agent_id}:
            t = self.tier(q, rival)
            if t is not None and t < mine and self.free(rival):
                assert not self.eligible(q, rival, info.enqueued_at, at), "preferred tier skipped"
        # FIFO within a priority, and priority first, across every queue the agent serves:
        # no better call that waited (untouched) through this step may have been eligible.
        key = (-info.priority, info.enqueued_at, info.order)
        for other_id, other in self.calls.items():
            if (
                other_id != call_id
                and other_id in pre_waiting
                and other_id not in touched
                and (-other.priority, other.enqueued_at, other.order) < key
            ):
                other_q = self.queues[other.queue]
                assert not self.eligible(other_q, agent_id, other.enqueued_at, at), "FIFO broken"

    def _check_after(self, snap: EngineSnapshot) -> None:
        for agent_id, view in snap.agents.items():
            assert view.state == self.state.get(agent_id, "logged_out")
            # An agent rings exactly when it holds an offer: nobody is left stuck "ringing".
            assert (view.state == "ringing") == (agent_id in self.offer_of_agent)
            if agent_id in self.offer_of_agent:
                assert view.current_call == self.offer_of_agent[agent_id]
        for name, qv in snap.queues.items():
            q = self.queues[name]
            for c in qv.waiting:
                assert c.call_id in self.calls and c.call_id not in self.connected
                assert (c.status == "ringing") == (c.call_id in self.offer_of_call)
                if c.status == "reserved":  # held only for a logged-in, unpaused, busy agent
                    assert c.sticky_agent is not None and not self.free(c.sticky_agent)
                    assert self.state[c.sticky_agent] not in ("logged_out", "paused")
                if c.status != "waiting":
                    continue
                info = self.calls[c.call_id]
                for agent_id in self.members(q):
                    if self.free(agent_id):
                        assert not self.eligible(q, agent_id, info.enqueued_at, self.now), (
                            f"{c.call_id} waits while {agent_id} is free"
                        )
        unanswered = {c.call_id for qv in snap.queues.values() for c in qv.waiting}
        assert unanswered == set(self.calls) - set(self.connected)

    def drain(self) -> None:
        """End every live call; then each call must have exactly one terminal outcome."""
        for call_id in list(self.calls):
            if call_id in self.calls:
                end = call_id in self.connected
                inp: Input = CallEnded(call_id, "caller") if end else CallAbandoned(call_id)
                self.step(inp, self.now)
        assert not self.calls
        assert self.terminal == {c: 1 for c in self.seen}
        assert not self.offer_of_agent


OP_KINDS = (
    "arrive arrive arrive answer answer answer fail fail end end end abandon "
    "login login login pause unpause unpause logout device tick tick restore junk"
).split()


def draw_input(data: st.DataObject, m: Model) -> Input | None:
    kind = data.draw(st.sampled_from(OP_KINDS), label="kind")
    agent = data.draw(st.sampled_from(sorted(m.agents)), label="agent")
    if kind == "arrive":
        return CallArrived(
            call_id=f"c{len(m.seen) + len(m.terminal)}-{data.draw(st.integers(0, 9))}",
            queue=data.draw(st.sampled_from(sorted(m.queues)), label="queue"),
            caller=data.draw(st.sampled_from([None, "+1", "+2", "+9"]), label="caller"),
            priority=data.draw(st.sampled_from([0, 0, 5])),
            enqueued_at=data.draw(st.sampled_from([None, None, None, m.now - 3, m.now - 30])),
            sticky_agent=data.draw(st.sampled_from([None, agent, "ghost"])),
            sticky_rating=data.draw(st.sampled_from([None, 1, 5])),
        )
    if kind in ("answer", "fail") and m.offer_of_call:
        call_id = data.draw(st.sampled_from(sorted(m.offer_of_call)))
        agent_id = m.offer_of_call[call_id]
        if kind == "answer":
            return OfferAnswered(call_id, agent_id)
        return OfferFailed(call_id, agent_id, data.draw(st.sampled_from(["no_answer", "busy"])))
    if kind == "end" and m.connected:
        call_id = data.draw(st.sampled_from(sorted(m.connected)))
        return CallEnded(call_id, data.draw(st.sampled_from(["caller", "agent"])))
    if kind == "abandon" and m.calls:
        return CallAbandoned(data.draw(st.sampled_from(sorted(m.calls))))
    if kind == "login":
        return AgentLoggedIn(agent)
    if kind == "logout":
        return AgentLoggedOut(agent)
    if kind == "pause":
        return AgentPaused(agent, data.draw(st.sampled_from(["lunch", "missed"])))
    if kind == "unpause":
        return AgentUnpaused(agent)
    if kind == "device":
        return AgentDeviceChanged(agent, data.draw(st.booleans()))
    if kind == "restore":
        call_id = f"r{len(m.seen)}"
        queue = data.draw(st.sampled_from(sorted(m.queues)))
        return CallRestoredConnected(call_id, queue, agent, "+1", m.now - 5)
    if kind == "junk":  # stale or unknown references, as Asterisk races produce
        call_id = data.draw(st.sampled_from(sorted(m.seen | {"zz"})))
        junk: list[Input] = [
            OfferAnswered(call_id, agent),
            OfferFailed(call_id, agent, "failed"),
            CallEnded(call_id, "system"),
            CallAbandoned(call_id),
            AgentPaused("zz", "x"),
        ]
        return data.draw(st.sampled_from(junk))
    return None  # tick


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cfg=configs(), data=st.data())
def test_random_sequences_keep_invariants(cfg: tuple[list[AgentSpec], list[QueueSpec]], data: st.DataObject) -> None:
    agents, queues = cfg
    m = Model({a.id: a for a in agents}, {q.name: q for q in queues}, AcdEngine(agents, queues, ids=EventIds(0)))
    m.now = 1000.0
    # Start with part of the floor logged in, so free agents and waiting calls meet early.
    for agent_id in data.draw(st.lists(st.sampled_from(sorted(m.agents)), unique=True), label="on shift"):
        m.step(AgentLoggedIn(agent_id), m.now)
    for _ in range(data.draw(st.integers(1, 80), label="steps")):
        inp = draw_input(data, m)
        if inp is None and data.draw(st.booleans(), label="to deadline"):
            deadline = m.engine.next_deadline()
            now = deadline if deadline is not None else m.now + 1
        else:
            now = m.now + data.draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 7.0, 25.0]), label="dt")
        if isinstance(inp, CallArrived) and inp.enqueued_at is not None:
            inp = CallArrived(
                inp.call_id,
                inp.queue,
                inp.caller,
                inp.priority,
                now - (m.now - inp.enqueued_at),
                inp.sticky_agent,
                inp.sticky_rating,
            )
        m.step(inp, now)
    m.drain()


def test_model_catches_a_broken_engine() -> None:
    """The checker itself must fail when an offer goes to an ineligible agent."""
    agents = [AgentSpec("a0", "A0", "PJSIP/a0", "senior")]
    queues = [QueueSpec("q0", ("a0",))]
    m = Model({"a0": agents[0]}, {"q0": queues[0]}, AcdEngine(agents, queues, ids=EventIds(0)))
    m.step(CallArrived("c1", "q0", None), 1.0)
    bogus: list[Command] = [Offer("c1", "a0", "PJSIP/a0", 15, None, "q0", 1)]
    try:
        m._replay(None, bogus, m.engine.snapshot(1.0))
    except AssertionError:
        return
    raise AssertionError("model accepted an offer to a logged-out agent")
