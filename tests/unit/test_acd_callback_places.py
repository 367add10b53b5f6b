"""A booked callback's place in the ACD engine's line (``callback:<id>`` calls): routed in
key order with live callers, never recorded or shown as an inbound call, never overflowed;
a caller leaving with a booking records the callback's id on the abandon."""

from __future__ import annotations

from ccd import events as ev
from ccd.acd.places import CALLBACK_PREFIX, is_callback
from ccd.queues import CallAbandoned, CallArrived, CallEnded, OfferAnswered, QueueSpec, Record
from tests.unit.acd_helpers import Sim, offers, spec

PLACE = f"{CALLBACK_PREFIX}cb1"


def test_a_place_is_served_between_the_live_callers_around_it() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=0)])
    sim.do(CallArrived("early", "q", "+1", enqueued_at=10.0), at=100.0)
    sim.do(CallArrived(PLACE, "q", None, enqueued_at=20.0))
    sim.do(CallArrived("late", "q", "+3", enqueued_at=30.0))
    sim.login("a")
    sim.do(OfferAnswered("early", "a"))
    assert offers(sim.do(CallEnded("early", "caller"))) == [(PLACE, "a")]
    sim.do(OfferAnswered(PLACE, "a"))
    assert offers(sim.do(CallEnded(PLACE, "system"))) == [("late", "a")]


def test_a_place_records_no_call_events_is_not_waiting_and_never_overflows() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), max_wait=30, overflow_target="vm")])
    cmds = sim.do(CallArrived(PLACE, "q", None, enqueued_at=0.0), at=100.0)
    cmds += sim.tick(200.0)
    assert not [c for c in cmds if isinstance(c, Record) and c.event.type.startswith("call.")]
    assert sim.engine.snapshot(200.0).queues["q"].waiting == ()
    sim.login("a")
    assert offers(sim.do(CallAbandoned(PLACE))) == []  # the place went: the agent is free again
    assert sim.engine.snapshot(sim.now).agents["a"].state == "available"


def test_a_caller_who_books_leaves_with_the_callback_id_on_the_abandon() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c1", "q", "+1"), at=5.0)
    [e] = [c.event for c in sim.do(CallAbandoned("c1", callback="c1"), at=65.0) if isinstance(c, Record)]
    assert (e.type, e.payload["callback"], e.payload["wait_s"]) == (ev.CALL_ABANDONED, "c1", 60.0)
    assert is_callback(PLACE) and not is_callback("c1") and not is_callback(None)
