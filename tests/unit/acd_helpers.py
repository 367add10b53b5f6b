"""Helpers shared by the ACD engine's unit tests: compact command shapes and a small
driver that owns the clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccd.events import EventIds
from ccd.queues import (
    AcdEngine,
    AgentLoggedIn,
    AgentSpec,
    CancelOffer,
    Command,
    Connect,
    Input,
    Offer,
    Overflow,
    QueueSpec,
    Record,
)


def spec(agent_id: str, seniority: str = "regular") -> AgentSpec:
    return AgentSpec(agent_id, agent_id.upper(), f"PJSIP/{agent_id}", seniority)  # type: ignore[arg-type]


def shape(cmds: Sequence[Command]) -> list[tuple[Any, ...]]:
    """Commands as compact tuples, so tests can assert the exact sequence."""
    out: list[tuple[Any, ...]] = []
    for c in cmds:
        if isinstance(c, Offer):
            out.append(("offer", c.call_id, c.agent_id, c.attempt))
        elif isinstance(c, CancelOffer):
            out.append(("cancel", c.call_id, c.agent_id))
        elif isinstance(c, Connect):
            out.append(("connect", c.call_id, c.agent_id))
        elif isinstance(c, Overflow):
            out.append(("overflow", c.call_id, c.target, c.reason))
        elif isinstance(c, Record):
            e = c.event
            subject = e.agent_id if e.type.startswith("agent.") else e.call_id
            # Agent events name their actor; ccd's own ("ccd") is left out to keep tests short.
            payload = {k: v for k, v in e.payload.items() if (k, v) != ("actor", "ccd")}
            out.append((e.type, subject, payload))
    return out


def offers(cmds: Sequence[Command]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in cmds if isinstance(c, Offer)]


class Sim:
    def __init__(self, agents: Sequence[AgentSpec], queues: Sequence[QueueSpec]) -> None:
        self.engine = AcdEngine(agents, queues, ids=EventIds(0))
        self.now = 0.0

    def do(self, inp: Input, at: float | None = None) -> list[Command]:
        if at is not None:
            self.now = at
        return self.engine.handle(inp, self.now)

    def tick(self, at: float) -> list[Command]:
        self.now = at
        return self.engine.on_timer(at)

    def login(self, *ids: str) -> None:
        for agent_id in ids:
            self.do(AgentLoggedIn(agent_id))
            self.now += 1.0  # distinct idle_since, so longest-idle order is the login order
