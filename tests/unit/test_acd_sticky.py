"""ACD engine, sticky agent: prefer the caller's last agent, wait for them, fall back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccd.queues import (
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentSpec,
    CallArrived,
    CallEnded,
    Command,
    OfferAnswered,
    OfferFailed,
    QueueSpec,
    Record,
)
from tests.unit.acd_helpers import Sim as BaseSim
from tests.unit.acd_helpers import offers

AGENTS = [
    AgentSpec("s", "S", "PJSIP/s", "senior"),
    AgentSpec("t", "T", "PJSIP/t", "trainee"),
    AgentSpec("x", "X", "PJSIP/x", "regular"),  # in no queue
]


def payload(cmds: Sequence[Command], type_: str) -> dict[str, Any]:
    [found] = [dict(c.event.payload) for c in cmds if isinstance(c, Record) and c.event.type == type_]
    return found


class Sim(BaseSim):
    def __init__(self, queue: QueueSpec, *logged_in: str) -> None:
        super().__init__(AGENTS, [queue])
        self.login(*logged_in)

    def busy(self, agent_id: str) -> None:
        """Put the agent on a call of its own (answered)."""
        self.do(CallArrived(f"busy-{agent_id}", "q", "+0", sticky_agent=agent_id))
        self.do(OfferAnswered(f"busy-{agent_id}", agent_id))


Q = QueueSpec("q", ("s", "t"), sticky_wait=20, wrapup=5)


def arrive(call_id: str, agent: str | None, caller: str | None = "+1", **kw: Any) -> CallArrived:
    return CallArrived(call_id, "q", caller, sticky_agent=agent, **kw)


def test_available_sticky_agent_wins_over_policy() -> None:
    sim = Sim(Q, "s", "t")
    cmds = sim.do(arrive("c1", "t"))
    assert payload(cmds, "call.queued")["sticky_agent"] == "t"
    assert offers(cmds) == [("c1", "t")]
    assert payload(cmds, "call.offered") == {"attempt": 1, "sticky": True}
    cmds = sim.do(OfferAnswered("c1", "t"), at=3)
    assert payload(cmds, "call.answered") == {"wait_s": 1.0, "sticky": True}


def test_busy_sticky_agent_reserves_call_then_takes_it() -> None:
    sim = Sim(Q, "s", "t")
    sim.busy("t")
    cmds = sim.do(arrive("c1", "t"), at=10)
    assert offers(cmds) == []  # s is available but the call is held for t
    [view] = [c for c in sim.engine.snapshot(12).queues["q"].waiting]
    assert (view.call_id, view.status, view.sticky_agent) == ("c1", "reserved", "t")
    sim.do(CallEnded("busy-t", "caller"), at=12)  # t wraps up until 17
    assert offers(sim.tick(17)) == [("c1", "t")]


def test_reservation_expires_after_sticky_wait() -> None:
    sim = Sim(Q, "s", "t")
    sim.busy("t")
    sim.do(arrive("c1", "t"), at=10)
    assert sim.engine.next_deadline() == 30
    assert offers(sim.tick(29.9)) == []
    cmds = sim.tick(30)
    assert offers(cmds) == [("c1", "s")]
    assert payload(cmds, "call.offered") == {"attempt": 1, "sticky": False}


def test_paused_sticky_agent_falls_back_at_once() -> None:
    sim = Sim(Q, "s", "t")
    sim.do(AgentPaused("t", "lunch"))
    cmds = sim.do(arrive("c1", "t"))
    assert offers(cmds) == [("c1", "s")]
    assert payload(cmds, "call.queued")["sticky_agent"] == "t"


def test_logged_out_sticky_agent_falls_back_at_once() -> None:
    sim = Sim(Q, "s")
    assert offers(sim.do(arrive("c1", "t"))) == [("c1", "s")]


def test_sticky_agent_pausing_releases_reserved_call() -> None:
    sim = Sim(Q, "s", "t")
    sim.busy("t")
    sim.busy("s")
    sim.do(arrive("c1", "t"), at=10)
    sim.do(AgentLoggedIn("x"))
    sim.do(CallEnded("busy-s", "agent"), at=11)
    assert offers(sim.tick(16)) == []  # s out of wrap-up, but c1 is t's
    sim.do(CallEnded("busy-t", "agent"), at=17)
    assert offers(sim.do(AgentPaused("t", "break"), at=18)) == [("c1", "s")]


def test_sticky_agent_logout_releases_reserved_call() -> None:
    sim = Sim(Q, "s", "t")
    sim.busy("t")
    sim.busy("s")
    sim.do(arrive("c1", "t"), at=10)
    sim.do(CallEnded("busy-t", "agent"), at=11)
    sim.do(CallEnded("busy-s", "agent"), at=11)
    sim.do(AgentPaused("s", "x"), at=12)
    sim.do(AgentLoggedIn("x"))
    assert [c.status for c in sim.engine.snapshot(12).queues["q"].waiting] == ["reserved"]
    sim.do(AgentLoggedOut("t"), at=13)  # in wrap-up: logout is immediate
    assert [c.status for c in sim.engine.snapshot(13).queues["q"].waiting] == ["waiting"]


def test_device_in_use_counts_as_busy_for_sticky() -> None:
    sim = Sim(Q, "s", "t")
    sim.do(AgentDeviceChanged("t", True))
    assert offers(sim.do(arrive("c1", "t"))) == []
    assert offers(sim.do(AgentDeviceChanged("t", False))) == [("c1", "t")]


def test_anonymous_caller_is_never_sticky() -> None:
    sim = Sim(Q, "s", "t")
    cmds = sim.do(arrive("c1", "t", caller=None))
    assert payload(cmds, "call.queued")["sticky_agent"] is None
    assert offers(cmds) == [("c1", "s")]


def test_low_rating_disables_stickiness() -> None:
    q = QueueSpec("q", ("s", "t"), sticky_skip_below=3)
    sim = Sim(q, "s", "t")
    assert offers(sim.do(arrive("c1", "t", sticky_rating=2))) == [("c1", "s")]
    assert offers(sim.do(arrive("c2", "t", sticky_rating=3))) == [("c2", "t")]


def test_unrated_caller_stays_sticky_with_skip_below() -> None:
    q = QueueSpec("q", ("s", "t"), sticky_skip_below=3)
    sim = Sim(q, "s", "t")
    assert offers(sim.do(arrive("c1", "t", sticky_rating=None))) == [("c1", "t")]


def test_queue_without_sticky() -> None:
    sim = Sim(QueueSpec("q", ("s", "t"), sticky=False), "s", "t")
    cmds = sim.do(arrive("c1", "t"))
    assert offers(cmds) == [("c1", "s")]
    assert payload(cmds, "call.queued")["sticky_agent"] is None


def test_sticky_agent_must_be_member() -> None:
    sim = Sim(Q, "s", "x")
    cmds = sim.do(arrive("c1", "x"))
    assert payload(cmds, "call.queued")["sticky_agent"] is None
    assert offers(cmds) == [("c1", "s")]


def test_sticky_offer_missed_falls_back_to_policy() -> None:
    sim = Sim(Q, "s", "t")
    sim.do(arrive("c1", "t"))
    cmds = sim.do(OfferFailed("c1", "t", "no_answer"))
    assert offers(cmds) == [("c1", "s")]
    assert payload(cmds, "call.offered") == {"attempt": 2, "sticky": False}


def test_restored_call_past_sticky_wait_is_not_reserved() -> None:
    sim = Sim(Q, "s", "t")
    sim.busy("t")
    cmds = sim.do(arrive("c1", "t", enqueued_at=50), at=100)
    assert offers(cmds) == [("c1", "s")]
