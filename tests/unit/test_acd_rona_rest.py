"""Ring-no-answer when nobody else may take the call yet (the issue's case: the next tier not
open): by default the same phone rings again at once; with ``rona_rest`` it rests first, and
the call goes to the next tier when that opens. Also: login_on_start."""

from __future__ import annotations

from ccd.acd.inputs import AgentLoggedIn, AgentPaused
from ccd.queues import CallArrived, OfferFailed, QueueSpec, Record
from ccd.queues.agent_persist import restore_inputs
from tests.unit.acd_helpers import Sim, offers, spec


def tiered(rest: float) -> Sim:
    q = QueueSpec("q", ("s", "r"), widen_after=5, ring_timeout=3, rona_rest=rest, max_missed=5)
    sim = Sim([spec("s", "senior"), spec("r", "regular")], [q])
    sim.login("s", "r")
    return sim


def test_default_rings_the_same_agent_again_at_once() -> None:
    sim = tiered(0)
    sim.do(CallArrived("c1", "q", None), at=10)
    assert offers(sim.do(OfferFailed("c1", "s", "no_answer"), at=13)) == [("c1", "s")]


def test_rona_rest_keeps_the_phone_quiet_and_the_next_tier_gets_the_call_when_it_opens() -> None:
    sim = tiered(8)
    sim.do(CallArrived("c1", "q", None), at=10)
    cmds = sim.do(OfferFailed("c1", "s", "no_answer"), at=13)
    assert offers(cmds) == []
    states = [c.event.payload for c in cmds if isinstance(c, Record) and c.event.type == "agent.state"]
    assert states[-1]["state"] == "wrap_up" and states[-1]["reason"] == "missed"
    assert offers(sim.tick(15)) == [("c1", "r")]  # the regular tier opens at 10 + 5
    # the rest ends without a wrap-up of any call being recorded
    ended = sim.tick(21)
    assert not [c for c in ended if isinstance(c, Record) and c.event.type == "agent.wrapup_ended"]
    assert sim.engine.snapshot(21).agents["s"].state == "available"


def test_rona_rest_then_same_agent_if_still_nobody_else() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), ring_timeout=3, rona_rest=4)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None), at=10)
    assert offers(sim.do(OfferFailed("c1", "a", "no_answer"), at=13)) == []
    assert offers(sim.tick(17)) == [("c1", "a")]


def test_login_on_start_only_without_a_saved_state() -> None:
    assert restore_inputs("a", None, login_on_start=True) == [AgentLoggedIn("a")]
    assert restore_inputs("a", None) == []
    assert restore_inputs("a", "logged_out", login_on_start=True) == []  # logged out on purpose
    assert restore_inputs("a", "paused:lunch", login_on_start=True) == [AgentLoggedIn("a"), AgentPaused("a", "lunch")]
