"""Every agent event names its actor: who asked for the change (a token, a phone) or ccd."""

from __future__ import annotations

from ccd.acd.commands import Record
from ccd.queues import AgentLoggedIn, AgentPaused, AgentUnpaused, CallArrived, CallEnded, OfferAnswered, QueueSpec
from tests.unit.acd_helpers import Sim, spec


def actors(cmds: list[object]) -> list[tuple[str, object]]:
    return [(c.event.type, c.event.payload.get("actor")) for c in cmds
            if isinstance(c, Record) and c.event.type.startswith("agent.")]


def test_a_persons_change_names_them_and_ccds_own_changes_name_ccd() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=5)])
    assert actors(sim.do(AgentLoggedIn("a", actor="endpoint:PJSIP/1001"), at=1)) == [
        ("agent.login", "endpoint:PJSIP/1001"), ("agent.state", "endpoint:PJSIP/1001")]
    assert actors(sim.do(AgentPaused("a", "lunch", actor="token:olga"), at=2)) == [
        ("agent.paused", "token:olga"), ("agent.state", "token:olga")]
    assert actors(sim.do(AgentUnpaused("a"), at=3)) == [("agent.unpaused", "ccd"), ("agent.state", "ccd")]
    sim.do(CallArrived("c1", "q", None), at=4)
    sim.do(OfferAnswered("c1", "a"), at=5)
    sim.do(CallEnded("c1", "caller"), at=6)
    # wrap-up ends on a timer that fires while a person's input is handled: still ccd's doing
    out = sim.do(AgentPaused("b-unknown", "x", actor="token:olga"), at=20)
    assert ("agent.wrapup_ended", "ccd") in actors(out)
    assert all(actor == "ccd" for _, actor in actors(out))


def test_a_pause_asked_for_during_a_call_names_who_asked_when_it_takes_effect() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=5)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    assert actors(sim.do(AgentPaused("a", "lunch", actor="token:olga"))) == []  # after the call
    out = sim.do(CallEnded("c1", "caller"))
    assert ("agent.paused", "token:olga") in actors(out)
    assert all(actor == "token:olga" for _, actor in actors(out))
