"""Cores outside the ACD engine derive their event ids from what they know (no clock, no
randomness): the same inputs give the same ids, every event its own id."""

from __future__ import annotations

from collections.abc import Sequence

from ccd import events as ev
from ccd.acd.commands import Record
from ccd.callbacks.core.book import CallbackBook, QueueRules
from ccd.whisper.core import session as ss
from ccd.whisper.core.session import CallRef, Session

CALL = CallRef("c1", "support", "ccd-ag-c1-1", "ccd-call-c1")
T0 = 1_780_000_000.0


def _ids(cmds: Sequence[object]) -> list[str]:
    out = []
    for c in cmds:
        if isinstance(c, Record):
            out.append(c.event.event_id)
        elif isinstance(c, ss.AuditDurable | ss.Audit):
            out.append(c.event.event_id)
    return out


def _session_life() -> list[str]:
    s = Session("s1", "S1", "A1", "api", "listen")
    ids = _ids(s.answered(T0, CALL, wait_for_call=False))
    ids += _ids(s.switch(T0 + 5, "whisper"))
    ids += _ids(s.switch(T0 + 5, "barge"))  # two changes in the same instant: two ids
    ids += _ids(s.end(T0 + 9, "supervisor_hung_up"))
    return ids


def _book_life() -> list[str]:
    book = CallbackBook({"sales": QueueRules()})
    ids = _ids(book.request("cb1", "sales", "+4930111", 0, T0 + 10, 2, T0 + 60)[1])
    ids += _ids(book.request("cb2", "sales", "+4930111", 0, T0 + 90, 7, T0 + 120)[1])  # merged
    return ids


def test_derived_ids_are_stable_and_tell_their_parts_apart() -> None:
    assert ev.derived_id("a", 1.5) == ev.derived_id("a", 1.5)
    assert ev.derived_id("a", 1.5) != ev.derived_id("a", "1.5")
    assert len(ev.derived_id("x")) == 32


def test_a_supervision_session_replays_to_the_same_ids() -> None:
    first, again = _session_life(), _session_life()
    assert len(first) == 4 and first == again
    assert len(set(first)) == len(first)


def test_a_denied_attempt_has_a_derived_id() -> None:
    one = ss.denied_event(T0, "S1", "A1", "not_in_teams", "api")
    assert one.event_id == ss.denied_event(T0, "S1", "A1", "not_in_teams", "api").event_id
    assert one.event_id != ss.denied_event(T0 + 1, "S1", "A1", "not_in_teams", "api").event_id


def test_the_callback_book_replays_to_the_same_ids() -> None:
    first, again = _book_life(), _book_life()
    assert len(first) == 2 and first == again
    assert len(set(first)) == 2
