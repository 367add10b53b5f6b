"""Replay: the engine's output is a function of (state, input, now).

A busy hour (many calls over three queues, agents logging in and out, pausing, letting
calls ring out, callers hanging up, calls overflowing) is generated from a seeded random
source while it drives a first engine, and recorded as the inputs and clock it fed. The
recording is then replayed into a second engine with an id source of the same seed: every
step returns the same commands and the same events, ids included.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from dataclasses import dataclass, field

from ccd import events as ev
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
    Command,
    Connect,
    Input,
    Offer,
    OfferAnswered,
    OfferFailed,
    Overflow,
    QueueSpec,
    Record,
)

SEED = 20261130
HOUR = 3600.0
Step = tuple[float, Input | None]  # None: a timer tick


def floor() -> tuple[list[AgentSpec], list[QueueSpec]]:
    seniorities = ("senior", "regular", "trainee")
    agents = [AgentSpec(f"a{i}", f"A{i}", f"PJSIP/a{i}", seniorities[i % 3]) for i in range(12)]  # type: ignore[arg-type]
    ids = [a.id for a in agents]
    queues = [
        QueueSpec("sales", tuple(ids[:8]), widen_after=15.0, max_wait=240.0, overflow_target="sales-ovf",
                  wrapup=8.0, max_missed=2, vip_numbers=frozenset({"+100"})),
        QueueSpec("support", tuple(ids[4:]), policy="trainee_first", tie_break="fewest_calls", sticky_wait=15.0,
                  max_wait=300.0, rona_rest=20.0, max_missed=3, wrapup=5.0),
        QueueSpec("vip", tuple(ids[::2]), tie_break="round_robin", ring_timeout=10.0, wrapup=0.0, max_missed=0),
    ]
    return agents, queues


@dataclass
class BusyHour:
    """Drives an engine for an hour with seeded behaviour, recording what it fed."""

    engine: AcdEngine
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    todo: list[tuple[float, int, Input | None]] = field(default_factory=list)
    n: int = 0
    recorded: list[Step] = field(default_factory=list)
    outputs: list[list[Command]] = field(default_factory=list)
    connected: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    last_agent: dict[str, str] = field(default_factory=dict)  # caller -> agent (the shell's stickiness)
    caller_of: dict[str, str | None] = field(default_factory=dict)

    def at(self, t: float, inp: Input | None) -> None:
        self.n += 1
        heapq.heappush(self.todo, (t, self.n, inp))

    def plan(self) -> None:
        rng, t, k = self.rng, 0.0, 0
        for i in range(12):
            self.at(rng.uniform(0, 60), AgentLoggedIn(f"a{i}", actor="token:floor"))
        while (t := t + rng.expovariate(1 / 5.0)) < HOUR:  # ~720 calls
            k += 1
            queue = rng.choices(("sales", "support", "vip"), (5, 4, 1))[0]
            caller = rng.choice([None, "+100", *(f"+49{n:03d}" for n in range(60))])
            self.caller_of[f"c{k}"] = caller
            self.at(t, CallArrived(f"c{k}", queue, caller, priority=rng.choice((0, 0, 0, 1, 3))))
            self.at(t + rng.uniform(10, 400), CallAbandoned(f"c{k}"))  # patience (ignored once answered)
        for i in range(12):
            s = rng.uniform(60, 600)
            while s < HOUR:
                a = f"a{i}"
                r = rng.random()
                if r < 0.5:
                    self.at(s, AgentPaused(a, rng.choice(("lunch", "coaching", "break"))))
                    self.at(s + rng.uniform(30, 300), AgentUnpaused(a))
                elif r < 0.7:
                    self.at(s, AgentLoggedOut(a))
                    self.at(s + rng.uniform(60, 400), AgentLoggedIn(a))
                else:
                    self.at(s, AgentDeviceChanged(a, True))
                    self.at(s + rng.uniform(5, 90), AgentDeviceChanged(a, False))
                s += rng.uniform(300, 900)

    def react(self, now: float, cmds: list[Command]) -> None:
        rng = self.rng
        for c in cmds:
            if isinstance(c, Offer):
                r = rng.random()
                if r < 0.72:
                    self.at(now + rng.uniform(1, 8), OfferAnswered(c.call_id, c.agent_id))
                elif r < 0.87:
                    self.at(now + c.timeout, OfferFailed(c.call_id, c.agent_id, "no_answer"))
                elif r < 0.95:
                    self.at(now + 0.5, OfferFailed(c.call_id, c.agent_id, "busy"))
                # else: the executor never reports back (the engine's ring timer fires)
            elif isinstance(c, Connect):
                self.connected.add(c.call_id)
                self.at(now + rng.uniform(20, 400), CallEnded(c.call_id, rng.choice(("caller", "agent"))))
                caller = self.caller_of.get(c.call_id)
                if caller is not None:
                    self.last_agent[caller] = c.agent_id
            elif isinstance(c, Overflow):
                self.gone.add(c.call_id)

    def step(self, now: float, inp: Input | None) -> None:
        if isinstance(inp, CallAbandoned) and (inp.call_id in self.connected or inp.call_id in self.gone):
            return  # the caller was served or sent on: no hang-up while waiting
        if isinstance(inp, CallArrived) and inp.caller in self.last_agent:
            inp = CallArrived(inp.call_id, inp.queue, inp.caller, inp.priority,
                              sticky_agent=self.last_agent[inp.caller])
        cmds = self.engine.handle(inp, now) if inp is not None else self.engine.on_timer(now)
        self.recorded.append((now, inp))
        self.outputs.append(list(cmds))
        self.react(now, cmds)
        deadline = self.engine.next_deadline()
        if deadline is not None and (not self.todo or deadline < self.todo[0][0]):
            self.at(deadline, None)

    def run(self) -> None:
        self.plan()
        while self.todo:
            now, _, inp = heapq.heappop(self.todo)
            if now > HOUR + 900:
                break
            self.step(now, inp)


def replay(steps: list[Step]) -> list[list[Command]]:
    engine = AcdEngine(*floor(), ids=ev.EventIds(SEED))
    return [list(engine.handle(inp, now) if inp is not None else engine.on_timer(now)) for now, inp in steps]


def test_a_recorded_busy_hour_replays_to_identical_output() -> None:
    hour = BusyHour(AcdEngine(*floor(), ids=ev.EventIds(SEED)))
    hour.run()
    events = [c.event for out in hour.outputs for c in out if isinstance(c, Record)]
    seen = Counter(e.type for e in events)
    # The hour is busy enough to exercise every part of the engine.
    assert seen[ev.CALL_QUEUED] > 600
    for kind in (ev.CALL_ANSWERED, ev.CALL_ABANDONED, ev.CALL_OVERFLOW, ev.CALL_OFFER_FAILED, ev.AGENT_MISSED,
                 ev.AGENT_PAUSED, ev.AGENT_UNPAUSED, ev.AGENT_LOGOUT, ev.AGENT_WRAPUP_ENDED, ev.CALL_ENDED):
        assert seen[kind] > 0, kind
    assert any(isinstance(e, ev.CallOffered) and e.sticky for e in events)
    assert len({e.event_id for e in events}) == len(events)  # ids unique

    assert replay(hour.recorded) == hour.outputs  # same commands, same events, same ids
    assert replay(hour.recorded) == hour.outputs  # and again


def test_another_id_seed_changes_only_the_ids() -> None:
    hour = BusyHour(AcdEngine(*floor(), ids=ev.EventIds(SEED)))
    hour.run()
    other = AcdEngine(*floor(), ids=ev.EventIds(SEED + 2**60))  # seeds are 74-bit random in production
    for (now, inp), expected in zip(hour.recorded, hour.outputs, strict=True):
        got = other.handle(inp, now) if inp is not None else other.on_timer(now)
        strip = [(c.event.type, c.event.payload) if isinstance(c, Record) else c for c in got]
        assert strip == [(c.event.type, c.event.payload) if isinstance(c, Record) else c for c in expected]
        ids = {c.event.event_id for c in got if isinstance(c, Record)}
        assert not ids & {c.event.event_id for c in expected if isinstance(c, Record)}
