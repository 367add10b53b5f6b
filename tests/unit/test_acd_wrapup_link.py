"""Wrap-up is recorded with the call it follows, so the store can add it to that call's
handle time and to the agent's busy time (issue: AHT left out wrap-up)."""

from __future__ import annotations

from ccd.events import DomainEvent
from ccd.queues import AgentPaused, CallArrived, CallEnded, OfferAnswered, QueueSpec, Record
from tests.unit.acd_helpers import Sim, spec


def _wrapups(cmds: list[object]) -> list[DomainEvent]:
    return [c.event for c in cmds if isinstance(c, Record) and c.event.type == "agent.wrapup_ended"]


def test_wrapup_end_names_its_call_and_queue() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=3)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", "+1"), at=10)
    sim.do(OfferAnswered("c1", "a"), at=12)
    sim.do(CallEnded("c1", "caller"), at=20)
    [wrap] = _wrapups(sim.tick(23))
    assert (wrap.call_id, wrap.queue, wrap.agent_id) == ("c1", "q", "a")
    assert wrap.payload == {"wrapup_s": 3.0, "actor": "ccd"}  # ccd ends wrap-up by itself


def test_pause_during_wrapup_records_the_partial_wrapup_with_its_call() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=30)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None), at=0)
    sim.do(OfferAnswered("c1", "a"), at=1)
    sim.do(CallEnded("c1", "agent"), at=5)
    cmds = sim.do(AgentPaused("a", "lunch"), at=9)
    [wrap] = _wrapups(cmds)
    assert (wrap.call_id, wrap.payload["wrapup_s"]) == ("c1", 4.0)
    types = [c.event.type for c in cmds if isinstance(c, Record)]
    assert types.index("agent.wrapup_ended") < types.index("agent.paused")  # metrics rely on it
    # the next call's wrap-up names the next call, not the old one
    sim.do(CallArrived("c2", "q", None), at=10)
    assert _wrapups(sim.tick(100)) == []


def test_second_call_wrapup_names_second_call() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=2)])
    sim.login("a")
    for n, t in ((1, 0.0), (2, 10.0)):
        sim.do(CallArrived(f"c{n}", "q", None), at=t)
        sim.do(OfferAnswered(f"c{n}", "a"), at=t + 1)
        sim.do(CallEnded(f"c{n}", "caller"), at=t + 4)
        [wrap] = _wrapups(sim.tick(t + 6))
        assert wrap.call_id == f"c{n}"
