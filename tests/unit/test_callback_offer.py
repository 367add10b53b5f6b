"""The callback offer dialogue (pure): confirm, re-enter, anonymous callers, bad input."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from ccd import prompts as P
from ccd.callbacks.core.numbers import check_number
from ccd.callbacks.core.offer import DialogueSettings, Done, Hangup, OfferDialogue, Play, Request, StopPlayback


def _norm(raw: str | None) -> str | None:
    if not raw or not raw.isdigit():
        return None
    return "+49" + raw[1:] if raw.startswith("0") and not raw.startswith("00") else "+" + raw.lstrip("0")


ALLOW = (re.compile(r"\+49[1-8][0-9]{5,12}"),)  # no 09.. premium numbers
CHECK = partial(check_number, normalise=_norm, allow=ALLOW)


def _dialogue(caller: str | None) -> OfferDialogue:
    return OfferDialogue(caller, CHECK, DialogueSettings(timeout_s=5, retries=1))


def _sounds(actions: Sequence[object]) -> tuple[str, ...]:
    plays = [a for a in actions if isinstance(a, Play)]
    return plays[-1].sounds if plays else ()


def _finish_prompt(d: OfferDialogue, actions: Sequence[object], now: float) -> Sequence[object]:
    tag = [a for a in actions if isinstance(a, Play)][-1].tag
    return d.on_playback_finished(tag, now)


def test_caller_id_read_back_digit_by_digit_then_confirmed() -> None:
    d = _dialogue("03012345")
    assert _sounds(d.start(0)) == (P.CB_OFFER,)
    acts = d.on_dtmf("1", 3)
    assert isinstance(acts[0], StopPlayback)  # the key barged into the offer
    assert _sounds(acts) == (P.CB_YOUR_NUMBER, *(P.callback_digit_name(c) for c in "493012345"),
                             P.CB_CONFIRM)
    assert d.on_dtmf("1", 4)[-1] == Request("+493012345")
    acts = d.on_request_result("requested", 4)
    assert _sounds(acts) == (P.CB_CONFIRMED,)
    end = _finish_prompt(d, acts, 9)
    assert end == [Hangup(), Done("requested", "+493012345")]


def test_anonymous_caller_must_enter_a_number_and_can_reenter() -> None:
    d = _dialogue("anonymous")
    d.start(0)
    assert _sounds(d.on_dtmf("1", 1)) == (P.CB_ENTER_NUMBER,)
    for k in "030999888":
        d.on_dtmf(k, 2)
    acts = d.on_dtmf("#", 3)
    assert P.callback_digit_name("9") in _sounds(acts)
    assert _sounds(d.on_dtmf("2", 4)) == (P.CB_ENTER_NUMBER,)  # re-enter
    for k in "030777666#":
        acts = d.on_dtmf(k, 5)
    assert d.on_dtmf("1", 6)[-1] == Request("+4930777666")


def test_entry_ends_after_a_pause_without_hash() -> None:
    d = _dialogue(None)
    d.start(0)
    d.on_dtmf("1", 1)
    for k in "030777666":
        d.on_dtmf(k, 2)
    assert d.next_deadline() == 7
    assert P.CB_CONFIRM in _sounds(d.on_timer(7))


def test_bad_number_gets_a_retry_then_a_clear_end_in_line() -> None:
    d = _dialogue(None)
    d.start(0)
    d.on_dtmf("1", 1)
    for k in "0900123#":  # not on the allowlist
        acts = d.on_dtmf(k, 2)
    assert _sounds(acts) == (P.CB_INVALID, P.CB_ENTER_NUMBER)
    for k in "12#":
        acts = d.on_dtmf(k, 3)
    assert _sounds(acts) == (P.CB_SORRY,)
    assert _finish_prompt(d, acts, 8) == [Done("invalid_number", None)]  # no hang-up: still queued


def test_bad_key_at_confirmation_retries_then_ends() -> None:
    d = _dialogue("03012345")
    d.start(0)
    d.on_dtmf("1", 1)
    acts = d.on_dtmf("7", 2)
    assert _sounds(acts)[0] == P.CB_INVALID and _sounds(acts)[-1] == P.CB_CONFIRM
    acts = d.on_dtmf("*", 3)
    assert _sounds(acts) == (P.CB_SORRY,)
    assert _finish_prompt(d, acts, 5) == [Done("invalid_input", None if d.number is None else d.number)]


def test_offer_ignored_keeps_caller_waiting() -> None:
    d = _dialogue("03012345")
    acts = d.start(0)
    assert d.on_dtmf("5", 1) == []
    _finish_prompt(d, acts, 4)
    assert d.on_timer(9) == [Done("declined", None)]


def test_refusal_by_the_book_keeps_the_caller_in_line() -> None:
    d = _dialogue("03012345")
    d.start(0)
    d.on_dtmf("1", 1)
    d.on_dtmf("1", 2)
    acts = d.on_request_result("full", 2)
    assert _sounds(acts) == (P.CB_UNAVAILABLE,)
    assert _finish_prompt(d, acts, 6) == [Done("refused", "+493012345")]


def test_number_check_reasons() -> None:
    assert CHECK("anonymous").reason == "anonymous"
    assert CHECK("0900123").reason == "not_allowed"
    assert CHECK("0").reason == "malformed"
    assert CHECK("03012345").number == "+493012345"


def test_an_agent_for_the_caller_ends_the_offer_but_never_a_booking() -> None:
    d = _dialogue("03012345")
    first = d.start(0)
    tag = next(a for a in first if isinstance(a, Play)).tag
    assert d.on_preempted(1) == [StopPlayback(tag), Done("preempted", None)]
    assert d.on_preempted(2) == []  # already over
    booking = _dialogue("03012345")
    booking.start(0)
    booking.on_dtmf("1", 1)
    assert isinstance(booking.on_dtmf("1", 2)[-1], Request)
    assert booking.on_preempted(3) == []  # the callback is being booked: the dialogue goes on
