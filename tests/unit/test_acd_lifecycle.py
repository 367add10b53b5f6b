"""ACD engine, call and agent lifecycles: answer, RONA, wrap-up, max_wait, abandon, pause,
logout, restore, timers and snapshots. Commands are asserted exactly where order matters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ccd.queues import (
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallArrived,
    CallEnded,
    CallRestoredConnected,
    Command,
    Offer,
    OfferAnswered,
    OfferFailed,
    QueueSpec,
    Record,
)
from tests.unit.acd_helpers import Sim, offers, shape, spec


def types(cmds: Sequence[Command]) -> list[str]:
    return [c.event.type if isinstance(c, Record) else type(c).__name__ for c in cmds]


def state(agent: str, new: str, previous: str, reason: str | None = None) -> tuple[Any, ...]:
    return ("agent.state", agent, {"state": new, "previous": previous, "reason": reason})


def test_answer_end_wrapup_cycle_exact_commands() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=10)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", "+1"), at=10)
    assert shape(sim.do(OfferAnswered("c1", "a"), at=14)) == [
        ("connect", "c1", "a"),
        ("call.answered", "c1", {"wait_s": 4.0, "sticky": False}),
        state("a", "on_call", "ringing"),
    ]
    sim.do(CallArrived("c2", "q", "+2"), at=20)
    assert shape(sim.do(CallEnded("c1", "agent"), at=100)) == [
        ("call.ended", "c1", {"talk_s": 86.0, "ended_by": "agent"}),
        state("a", "wrap_up", "on_call"),
    ]
    assert sim.engine.next_deadline() == 110
    assert sim.tick(109) == []
    assert shape(sim.tick(110)) == [
        ("agent.wrapup_ended", "a", {"wrapup_s": 10.0}),
        state("a", "available", "wrap_up"),
        ("offer", "c2", "a", 1),
        ("call.offered", "c2", {"attempt": 1, "sticky": False}),
        state("a", "ringing", "available"),
    ]


def test_zero_wrapup_goes_straight_to_available() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=0)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    sim.do(CallArrived("c2", "q", None))
    assert offers(sim.do(CallEnded("c1", "caller"))) == [("c2", "a")]


def test_offer_carries_endpoint_timeout_caller_queue() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), ring_timeout=12)])
    sim.login("a")
    [offer] = [c for c in sim.do(CallArrived("c1", "q", "+42")) if isinstance(c, Offer)]
    assert offer == Offer("c1", "a", "PJSIP/a", 12, "+42", "q", 1)


def test_rona_moves_to_next_agent_and_records_miss() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a", "b"))])
    sim.login("a", "b")
    sim.do(CallArrived("c1", "q", None))
    assert shape(sim.do(OfferFailed("c1", "a", "no_answer"))) == [
        ("call.offer_failed", "c1", {"reason": "no_answer", "attempt": 1}),
        ("agent.missed", "a", {"consecutive": 1}),
        ("offer", "c1", "b", 2),
        ("call.offered", "c1", {"attempt": 2, "sticky": False}),
        state("b", "ringing", "available"),
        state("a", "available", "ringing"),
    ]


def test_rona_reoffers_same_agent_only_if_nobody_else() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    assert offers(sim.do(OfferFailed("c1", "a", "busy"))) == [("c1", "a")]


def test_rona_auto_pause_after_max_missed_and_answer_resets() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), max_missed=2, wrapup=0)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferFailed("c1", "a", "no_answer"))  # 1 miss, re-offered (nobody else)
    sim.do(OfferAnswered("c1", "a"))  # resets
    sim.do(CallEnded("c1", "caller"))
    sim.do(CallArrived("c2", "q", None))
    sim.do(OfferFailed("c2", "a", "no_answer"))  # 1 again
    assert shape(sim.do(OfferFailed("c2", "a", "failed"))) == [
        ("call.offer_failed", "c2", {"reason": "failed", "attempt": 2}),
        ("agent.missed", "a", {"consecutive": 2}),
        ("agent.paused", "a", {"reason": "missed"}),
        state("a", "paused", "ringing", "missed"),
    ]
    view = sim.engine.snapshot(sim.now).agents["a"]
    assert (view.state, view.reason, view.consecutive_misses, view.missed_total) == (
        "paused",
        "missed",
        2,
        3,
    )
    assert [c.status for c in sim.engine.snapshot(sim.now).queues["q"].waiting] == ["waiting"]
    assert offers(sim.do(AgentUnpaused("a"))) == [("c2", "a")]
    assert sim.engine.snapshot(sim.now).agents["a"].consecutive_misses == 0


def test_defensive_ring_timeout_when_executor_never_reports() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a", "b"), ring_timeout=15)])
    sim.login("a", "b")
    sim.do(CallArrived("c1", "q", None), at=100)
    assert sim.engine.next_deadline() == 120
    assert sim.tick(119.9) == []
    cmds = sim.tick(120)
    assert shape(cmds)[:3] == [
        ("cancel", "c1", "a"),
        ("call.offer_failed", "c1", {"reason": "no_answer", "attempt": 1}),
        ("agent.missed", "a", {"consecutive": 1}),
    ]
    assert offers(cmds) == [("c1", "b")]


def test_late_report_after_defensive_timeout_is_ignored() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a", "b"))])
    sim.login("a", "b")
    sim.do(CallArrived("c1", "q", None), at=100)
    sim.tick(120)
    assert sim.do(OfferAnswered("c1", "a")) == []
    assert sim.do(OfferFailed("c1", "a", "no_answer")) == []


def test_max_wait_overflow_while_waiting() -> None:
    q = QueueSpec("q", ("a",), max_wait=60, overflow_target="voicemail,s,1")
    sim = Sim([spec("a")], [q])
    sim.do(CallArrived("c1", "q", None), at=100)
    assert sim.engine.next_deadline() == 160
    assert shape(sim.tick(160)) == [
        ("overflow", "c1", "voicemail,s,1", "max_wait"),
        ("call.overflow", "c1", {"wait_s": 60.0, "target": "voicemail,s,1", "reason": "max_wait"}),
    ]
    assert sim.engine.snapshot(sim.now).queues["q"].waiting == ()
    assert sim.engine.next_deadline() is None


def test_max_wait_cancels_ringing_offer_and_frees_agent() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), max_wait=10, ring_timeout=30)])
    sim.do(CallArrived("c1", "q", None), at=0)
    sim.do(CallArrived("c2", "q", None), at=5)
    sim.do(AgentLoggedIn("a"), at=6)  # rings c1
    assert shape(sim.tick(10)) == [
        ("cancel", "c1", "a"),
        ("overflow", "c1", None, "max_wait"),
        ("call.overflow", "c1", {"wait_s": 10.0, "target": None, "reason": "max_wait"}),
        state("a", "available", "ringing"),
        ("offer", "c2", "a", 1),
        ("call.offered", "c2", {"attempt": 1, "sticky": False}),
        state("a", "ringing", "available"),
    ]


def test_max_wait_does_not_count_connected_time() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), max_wait=10)])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None), at=0)
    sim.do(OfferAnswered("c1", "a"), at=2)
    assert sim.tick(50) == []


def test_abandon_while_waiting_records_position() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c1", "q", None), at=0)
    sim.do(CallArrived("c2", "q", None), at=1)
    assert shape(sim.do(CallAbandoned("c2"), at=7)) == [
        ("call.abandoned", "c2", {"wait_s": 6.0, "position": 2}),
    ]
    assert sim.do(CallAbandoned("c2")) == []


def test_abandon_while_ringing_cancels_and_frees_agent() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None), at=5)
    sim.do(CallArrived("c2", "q", None), at=6)
    assert shape(sim.do(CallAbandoned("c1"), at=8)) == [
        ("cancel", "c1", "a"),
        ("call.abandoned", "c1", {"wait_s": 3.0, "position": 1}),
        state("a", "available", "ringing"),
        ("offer", "c2", "a", 1),
        ("call.offered", "c2", {"attempt": 1, "sticky": False}),
        state("a", "ringing", "available"),
    ]
    assert sim.engine.snapshot(sim.now).agents["a"].missed_total == 0


def test_answer_after_abandon_is_ignored() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(CallAbandoned("c1"))
    assert sim.do(OfferAnswered("c1", "a")) == []


def test_hangup_racing_answer_ends_call() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"), at=3)
    assert types(sim.do(CallAbandoned("c1"), at=4)) == ["call.ended", "agent.state"]


def test_call_ended_before_answer_counts_as_abandon() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c1", "q", None))
    assert types(sim.do(CallEnded("c1", "system"))) == ["call.abandoned"]


def test_pause_and_unpause_exact_commands() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    assert shape(sim.do(AgentPaused("a", "lunch"))) == [
        ("agent.paused", "a", {"reason": "lunch"}),
        state("a", "paused", "available", "lunch"),
    ]
    assert offers(sim.do(CallArrived("c1", "q", None))) == []
    assert shape(sim.do(AgentUnpaused("a"))) == [
        ("agent.unpaused", "a", {}),
        state("a", "available", "paused"),
        ("offer", "c1", "a", 1),
        ("call.offered", "c1", {"attempt": 1, "sticky": False}),
        state("a", "ringing", "available"),
    ]


def test_pause_while_ringing_cancels_and_reoffers_elsewhere() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a", "b"))])
    sim.login("a", "b")
    sim.do(CallArrived("c1", "q", None))
    assert shape(sim.do(AgentPaused("a", "break"))) == [
        ("cancel", "c1", "a"),
        ("agent.paused", "a", {"reason": "break"}),
        state("a", "paused", "ringing", "break"),
        ("offer", "c1", "b", 2),
        ("call.offered", "c1", {"attempt": 2, "sticky": False}),
        state("b", "ringing", "available"),
    ]
    assert sim.engine.snapshot(sim.now).agents["a"].missed_total == 0


def test_pause_during_call_applies_at_call_end_without_wrapup() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    assert sim.do(AgentPaused("a", "coaching")) == []
    assert sim.engine.snapshot(sim.now).agents["a"].pending == "pause"
    sim.do(CallArrived("c2", "q", None))
    assert shape(sim.do(CallEnded("c1", "caller")))[1:] == [
        ("agent.paused", "a", {"reason": "coaching"}),
        state("a", "paused", "on_call", "coaching"),
    ]


def test_unpause_during_call_cancels_pending_pause() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    sim.do(AgentPaused("a", "coaching"))
    assert sim.do(AgentUnpaused("a")) == []
    assert types(sim.do(CallEnded("c1", "caller"))) == ["call.ended", "agent.state"]
    assert sim.engine.snapshot(sim.now).agents["a"].state == "wrap_up"


def test_pause_during_wrapup_is_immediate() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    sim.do(CallEnded("c1", "caller"), at=5)
    sim.do(AgentPaused("a", "x"), at=6)
    assert sim.tick(100) == []  # the wrap-up timer is void
    assert sim.engine.snapshot(sim.now).agents["a"].state == "paused"


def test_logout_during_call_applies_at_end() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    sim.do(OfferAnswered("c1", "a"))
    assert sim.do(AgentLoggedOut("a")) == []
    assert types(sim.do(CallEnded("c1", "caller"))) == [
        "call.ended",
        "agent.logout",
        "agent.state",
    ]
    assert sim.engine.snapshot(sim.now).agents["a"].state == "logged_out"


def test_logout_while_ringing_cancels_offer() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(CallArrived("c1", "q", None))
    assert shape(sim.do(AgentLoggedOut("a"))) == [
        ("cancel", "c1", "a"),
        ("agent.logout", "a", {}),
        state("a", "logged_out", "ringing"),
    ]
    waiting = sim.engine.snapshot(sim.now).queues["q"].waiting
    assert [(c.call_id, c.status, c.offered_to) for c in waiting] == [("c1", "waiting", None)]


def test_device_in_use_does_not_change_state() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    sim.do(AgentDeviceChanged("a", True))
    view = sim.engine.snapshot(sim.now).agents["a"]
    assert (view.state, view.device_in_use) == ("available", True)
    assert sim.do(AgentDeviceChanged("a", True)) == []


def test_restored_connected_call_then_login_then_end() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    assert sim.do(CallRestoredConnected("c1", "q", "a", "+1", answered_at=50), at=60) == []
    assert shape(sim.do(AgentLoggedIn("a"))) == [
        ("agent.login", "a", {}),
        state("a", "on_call", "logged_out"),
    ]
    sim.do(CallArrived("c2", "q", None))  # waits: a is on the restored call
    assert shape(sim.do(CallEnded("c1", "caller"), at=70)) == [
        ("call.ended", "c1", {"talk_s": 20.0, "ended_by": "caller"}),
        state("a", "wrap_up", "on_call"),
    ]


def test_restored_connected_call_for_logged_in_agent() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    assert shape(sim.do(CallRestoredConnected("c1", "q", "a", None, answered_at=0))) == [
        state("a", "on_call", "available"),
    ]
    assert offers(sim.do(CallArrived("c2", "q", None))) == []


def test_snapshot_lists_calls_in_service_order() -> None:
    q = QueueSpec("q", ("a", "b"), vip_numbers=frozenset({"+9"}))
    sim = Sim([spec("a"), spec("b")], [q])
    sim.do(AgentLoggedIn("a"), at=0)
    sim.do(CallArrived("c1", "q", "+1"), at=1)  # rings a
    sim.do(CallArrived("c2", "q", "+2"), at=2)
    sim.do(CallArrived("c3", "q", "+9"), at=3)
    snap = sim.engine.snapshot(10)
    view = snap.queues["q"]
    assert [(c.call_id, c.priority, c.wait_s, c.status) for c in view.waiting] == [
        ("c3", 10, 7, "waiting"),
        ("c1", 0, 9, "ringing"),
        ("c2", 0, 8, "waiting"),
    ]
    assert view.longest_wait_s == 9
    assert (view.available_agents, view.logged_in_agents) == (0, 1)
    a = snap.agents["a"]
    assert (a.state, a.current_call, a.since, a.calls_handled) == ("ringing", "c1", 1, 0)
    assert snap.agents["b"].state == "logged_out"


def test_next_deadline_none_when_idle() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    assert sim.engine.next_deadline() is None
    sim.login("a")
    assert sim.engine.next_deadline() is None


def test_handle_fires_timers_that_are_already_due() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a", "b"), max_wait=5)])
    sim.do(CallArrived("c1", "q", None), at=0)
    cmds = sim.do(AgentLoggedIn("a"), at=9)  # the shell was late with on_timer
    assert types(cmds)[:2] == ["Overflow", "call.overflow"]
    assert offers(cmds) == []
