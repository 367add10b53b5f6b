"""Routing decision latency of the pure ACD engine at contact-center scale.

Builds 10,000 agents in 500 queues (each agent in 3 queues, mixed policies, tie-breaks and
tier widening), puts every agent on a call and 5,000 more calls in the queues, then times
single ``handle()`` steps that make a routing decision:

* ``CallArrived``   - call-driven: look for an available agent in the call's open tiers;
* ``CallEnded``     - the agent becomes free (no wrap-up): agent-driven, best call across
                      its queues, then ``Offer``;
* ``OfferFailed``   - RONA: re-route the call, then the agent's own agent-driven pass;
* ``AgentUnpaused`` - agent-driven again.

The queue stays at ~5,000 waiting calls throughout. Prints one JSON line last, e.g.
{"bench": "routing", "agents": 10000, "queues": 500, "waiting": 5000,
 "decision_p50_us": ..., "decision_p99_us": ...}
Usage: python bench/routing.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccd.events import EventIds
from ccd.queues import (  # path set up above so the bench runs from a checkout
    AcdEngine,
    AgentLoggedIn,
    AgentPaused,
    AgentSpec,
    AgentUnpaused,
    CallArrived,
    CallEnded,
    CallRestoredConnected,
    CancelOffer,
    Command,
    Offer,
    OfferAnswered,
    OfferFailed,
    QueueSpec,
)

AGENTS = 10_000
QUEUES = 500
WAITING = 5_000
QUEUES_PER_AGENT = 3


def build(rng: random.Random) -> tuple[list[AgentSpec], list[QueueSpec]]:
    seniorities = ("senior", "regular", "regular", "trainee")
    agents = [
        AgentSpec(f"ag{n}", f"Agent {n}", f"PJSIP/ag{n}", rng.choice(seniorities))  # type: ignore[arg-type]
        for n in range(AGENTS)
    ]
    members: list[list[str]] = [[] for _ in range(QUEUES)]
    for a in agents:
        for q in rng.sample(range(QUEUES), QUEUES_PER_AGENT):
            members[q].append(a.id)
    ties = ("longest_idle", "fewest_calls", "round_robin")
    queues = [
        QueueSpec(
            name=f"q{n}",
            members=tuple(members[n]),
            policy="trainee_first" if n % 5 == 0 else "seniority_first",
            widen_after=10.0 if n % 2 else 0.0,
            tie_break=ties[n % 3],  # type: ignore[arg-type]
            wrapup=0.0,  # CallEnded frees the agent at once: one decision per step
            vip_numbers=frozenset({"+1999"}),
        )
        for n in range(QUEUES)
    ]
    return agents, queues


def offers(cmds: list[Command]) -> list[Offer]:
    return [c for c in cmds if isinstance(c, Offer)]


class Bench:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        agents, queues = build(rng)
        self.engine = AcdEngine(agents, queues, ids=EventIds.fresh())
        self.queue_names = [q.name for q in queues]
        self.queue_of = {m: q.name for q in queues for m in q.members}
        self.now = 1_700_000_000.0
        self.n = 0
        self.connected: list[str] = []  # call ids, for picking one to end
        self.where: dict[str, int] = {}  # call id -> index in self.connected
        self.ringing: dict[str, str] = {}

    def step(self, inp: object, timed: list[int] | None = None) -> list[Command]:
        self.now += 0.001
        t0 = time.perf_counter_ns()
        cmds = self.engine.handle(inp, self.now)  # type: ignore[arg-type]
        if timed is not None:
            timed.append(time.perf_counter_ns() - t0)
        return cmds

    def arrival(self) -> CallArrived:
        self.n += 1
        vip = self.rng.random() < 0.05
        caller = "+1999" if vip else f"+1555{self.n:07d}"
        return CallArrived(f"call{self.n}", self.rng.choice(self.queue_names), caller)

    def track(self, cmds: list[Command]) -> list[Command]:
        """Keep ``self.ringing`` (call id -> agent id) in step with the engine's offers."""
        for c in cmds:
            if isinstance(c, Offer):
                self.ringing[c.call_id] = c.agent_id
            elif isinstance(c, CancelOffer):
                self.ringing.pop(c.call_id, None)
        return cmds

    def answer_all(self) -> None:
        while self.ringing:
            call_id, agent_id = self.ringing.popitem()
            self.track(self.step(OfferAnswered(call_id, agent_id)))
            self.where[call_id] = len(self.connected)
            self.connected.append(call_id)

    def waiting(self) -> int:
        snap = self.engine.snapshot(self.now)
        return sum(len(q.waiting) for q in snap.queues.values())

    def take_connected(self) -> str:
        i = self.rng.randrange(len(self.connected))
        call_id = self.connected[i]
        last = self.connected.pop()
        if last != call_id:
            self.connected[i] = last
            self.where[last] = i
        del self.where[call_id]
        return call_id

    def setup(self) -> None:
        # Every agent is on a call (as after a resync), so the next 5,000 calls all wait.
        for n in range(AGENTS):
            agent_id = f"ag{n}"
            call_id = f"busy{n}"
            queue = self.queue_of[agent_id]
            self.step(CallRestoredConnected(call_id, queue, agent_id, None, self.now))
            self.step(AgentLoggedIn(agent_id))
            self.where[call_id] = len(self.connected)
            self.connected.append(call_id)
        for _ in range(WAITING):
            assert not offers(self.step(self.arrival()))
        # Let the queue age past every widening step (nobody is free, so nothing happens).
        self.now += 60.0
        self.run_timers()

    def run_timers(self) -> None:
        deadline = self.engine.next_deadline()
        if deadline is not None and deadline <= self.now:
            self.track(self.engine.on_timer(self.now))

    def measure(self, rounds: int) -> list[int]:
        timed: list[int] = []
        rng = self.rng
        for _ in range(rounds):
            self.run_timers()
            # A new call: call-driven decision (offered only if an agent is free).
            self.track(self.step(self.arrival(), timed))
            # An agent hangs up: agent-driven decision, best waiting call across its queues.
            agent_offers = offers(self.track(self.step(CallEnded(self.take_connected(), "agent"), timed)))
            if agent_offers and rng.random() < 0.2:
                # RONA: re-route the call, then the agent's own pass.
                offer = agent_offers[0]
                del self.ringing[offer.call_id]
                failed = OfferFailed(offer.call_id, offer.agent_id, "no_answer")
                agent_offers = offers(self.track(self.step(failed, timed)))
            if agent_offers and rng.random() < 0.1:
                # Pause cancels the offer (re-routed); unpause: agent-driven pass again.
                agent_id = agent_offers[-1].agent_id
                self.track(self.step(AgentPaused(agent_id, "break")))
                self.track(self.step(AgentUnpaused(agent_id), timed))
            self.answer_all()
        return timed


def percentile(sorted_ns: list[int], p: float) -> float:
    k = min(len(sorted_ns) - 1, max(0, round(p / 100 * (len(sorted_ns) - 1))))
    return sorted_ns[k] / 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sample")
    args = parser.parse_args()
    rng = random.Random(42)
    bench = Bench(rng)
    t0 = time.perf_counter()
    bench.setup()
    setup_s = time.perf_counter() - t0
    waiting = bench.waiting()
    # Setup garbage is not what we measure; steady-state collections still count.
    gc.collect()
    gc.freeze()
    bench.measure(200)  # warm-up
    timed = sorted(bench.measure(1_000 if args.quick else 10_000))
    result = {
        "bench": "routing",
        "agents": AGENTS,
        "queues": QUEUES,
        "waiting": waiting,
        "decision_p50_us": round(percentile(timed, 50), 2),
        "decision_p99_us": round(percentile(timed, 99), 2),
        "decision_max_us": round(timed[-1] / 1000.0, 2),
        "waiting_after": bench.waiting(),
        "samples": len(timed),
        "setup_s": round(setup_s, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
