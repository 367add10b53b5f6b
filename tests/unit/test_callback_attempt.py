"""One callback delivery attempt (pure): agent-first and customer-first, failures."""

from __future__ import annotations

from ccd import prompts as P
from ccd.callbacks.core.attempt import Attempt, Bridge, HangupChannel, Originate, PlayTo, Result
from ccd.callbacks.core.book import CallbackBook, QueueRules


def _agent_first() -> Attempt:
    return Attempt("cb1", 1, "+49301", "agent_first", "Local/ag-A@sim-agent", "+4930999", 425.0,
                   dial_timeout=20)


def test_agent_first_announces_then_dials_customer_with_queue_caller_id_then_bridges() -> None:
    a = _agent_first()
    (orig,) = a.start(0)
    assert isinstance(orig, Originate) and orig.endpoint == "Local/ag-A@sim-agent"
    (play,) = a.on_answered(a.agent_chan, 2)
    assert isinstance(play, PlayTo) and play.channel_id == a.agent_chan
    assert play.play.sounds == (P.CB_AGENT_FOR, *(P.callback_digit_name(d) for d in "49301"),
                                P.callback_waited_name(7))
    assert a.on_answered(a.customer_chan, 3) == []  # not dialled yet
    (cust,) = a.on_playback_finished(play.play.tag, 6)
    assert cust == Originate(a.customer_chan, "+49301", "+4930999", 20)
    assert a.on_answered(a.customer_chan, 9) == [Bridge((a.agent_chan, a.customer_chan)),
                                                 Result("connected")]


def test_agent_first_customer_no_answer_fails_the_attempt_and_frees_the_agent() -> None:
    a = _agent_first()
    a.start(0)
    play = a.on_answered(a.agent_chan, 1)[0]
    assert isinstance(play, PlayTo)
    a.on_playback_finished(play.play.tag, 5)
    assert a.next_deadline() == 25
    assert a.on_timer(24) == []
    assert a.on_timer(25) == [HangupChannel(a.customer_chan), HangupChannel(a.agent_chan),
                              Result("failed", "no_answer")]


def test_agent_not_answering_aborts_without_using_an_attempt() -> None:
    a = _agent_first()
    a.start(0)
    assert a.on_hangup(a.agent_chan, 15) == [Result("aborted", "agent_gone")]
    book = CallbackBook({"q": QueueRules()})
    book.request("cb1", "q", "+49301", 0, 0, 1, 0)
    book.dispatch("q", 1, [], 1)
    book.attempt_aborted("cb1", "agent_gone", 15)
    cb = book.get("cb1")
    assert cb is not None and (cb.status, cb.attempts) == ("pending", 0)


def test_customer_first_confirms_with_1_before_any_agent() -> None:
    a = Attempt("cb1", 2, "+49301", "customer_first", None, "+4930999", 60.0, confirm_timeout=8)
    (orig,) = a.start(0)
    assert isinstance(orig, Originate) and orig.channel_id == a.customer_chan
    (play,) = a.on_answered(a.customer_chan, 3)
    assert isinstance(play, PlayTo) and play.play.sounds == (P.CB_CUSTOMER_PRESS_1,)
    assert a.on_dtmf(a.customer_chan, "5", 4) == []
    assert a.on_dtmf(a.customer_chan, "1", 5) == [Result("confirmed")]


def test_customer_first_voicemail_never_confirms() -> None:
    a = Attempt("cb1", 1, "+49301", "customer_first", None, None, 60.0, confirm_timeout=8)
    a.start(0)
    a.on_answered(a.customer_chan, 2)  # a voicemail answers and records
    assert a.on_timer(10) == [HangupChannel(a.customer_chan), Result("failed", "not_confirmed")]
    assert a.on_hangup(a.customer_chan, 11) == []


def test_waited_long_is_said_as_long() -> None:
    a = Attempt("cb1", 1, "+49301", "agent_first", "E", None, 3600.0)
    a.start(0)
    play = a.on_answered(a.agent_chan, 1)[0]
    assert isinstance(play, PlayTo) and play.play.sounds[-1] == P.CB_AGENT_WAITED_LONG


def test_agent_first_rings_the_agent_for_the_queue_ring_timeout_and_the_customer_for_dial_timeout() -> None:
    a = Attempt("cb1", 1, "+49301", "agent_first", "E", None, 60.0, dial_timeout=30, agent_ring_timeout=12)
    (agent,) = a.start(0)
    assert agent == Originate(a.agent_chan, "E", "+49301", 12)
    (play,) = a.on_answered(a.agent_chan, 1)
    assert isinstance(play, PlayTo)
    (customer,) = a.on_playback_finished(play.play.tag, 4)
    assert customer == Originate(a.customer_chan, "+49301", None, 30)
