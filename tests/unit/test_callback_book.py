"""The callback book: place in line, limits, retries, business hours (time driven by hand)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from ccd import events as ev
from ccd.acd.commands import Record
from ccd.callbacks.core.book import Callback, CallbackBook, Dial, QueueRules, Save
from ccd.callbacks.core.hours import Calendar

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC).timestamp()  # a Monday, 09:00 UTC
WEEKDAYS_9_17 = Calendar(weekly=tuple(((time(9), time(17)),) if d < 5 else () for d in range(7)))


def _events(cmds: Sequence[object]) -> list[str]:
    return [c.event.type for c in cmds if isinstance(c, Record)]


def _dials(cmds: Sequence[object]) -> list[str]:
    return [c.callback.id for c in cmds if isinstance(c, Dial)]


def _book(**rules: object) -> CallbackBook:
    return CallbackBook({"sales": QueueRules(**rules)})  # type: ignore[arg-type]


def test_callback_is_served_after_earlier_live_callers_and_before_later_ones() -> None:
    book = _book()
    # The caller at position 2 (enqueued at T0+10, seq 2) hangs up with a callback.
    res, cmds = book.request("cb1", "sales", "+4930111", 0, T0 + 10, 2, T0 + 60)
    assert res == "requested" and _events(cmds) == [ev.CALLBACK_REQUESTED]
    ahead, later1, later2 = (0, T0, 1), (0, T0 + 20, 3), (0, T0 + 30, 4)
    # One agent frees up: the caller ahead gets them, not the callback.
    assert _dials(book.dispatch("sales", T0 + 70, [ahead, later1, later2], 1)) == []
    # The next free agent: the callback goes before the two later live callers.
    assert _dials(book.dispatch("sales", T0 + 80, [later1, later2], 1)) == ["cb1"]


def test_vip_live_caller_goes_before_an_older_callback() -> None:
    book = _book()
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0 + 5)
    vip = (-10, T0 + 3, 2)
    assert _dials(book.dispatch("sales", T0 + 6, [vip], 1)) == []
    assert _dials(book.dispatch("sales", T0 + 6, [vip], 2)) == ["cb1"]


def test_second_request_from_the_same_number_merges() -> None:
    book = _book()
    book.request("cb1", "sales", "+4930111", 0, T0 + 10, 2, T0 + 60)
    res, cmds = book.request("cb2", "sales", "+4930111", 0, T0 + 90, 7, T0 + 120)
    assert res == "merged" and _events(cmds) == [ev.CALLBACK_MERGED]
    assert [c.id for c in book.open_in("sales")] == ["cb1"]
    assert book.open_in("sales")[0].enqueued_at == T0 + 10  # the better place is kept


def test_cap_refuses_the_offer_when_full() -> None:
    book = _book(max_pending=2)
    book.request("a", "sales", "+1", 0, T0, 1, T0)
    book.request("b", "sales", "+2", 0, T0, 2, T0)
    assert book.refusal("sales", T0) == "full"
    assert book.request("c", "sales", "+3", 0, T0, 3, T0)[0] == "full"


def test_never_more_callback_dials_than_free_agents() -> None:
    book = _book(delivery="customer_first")
    for i in range(5):
        book.request(f"cb{i}", "sales", f"+49{i}", 0, T0 + i, i, T0 + 10)
    assert _dials(book.dispatch("sales", T0 + 20, [], 2)) == ["cb0", "cb1"]
    # Still dialling the customers: the two free agents are spoken for.
    assert _dials(book.dispatch("sales", T0 + 21, [], 2)) == []
    assert book.in_flight("sales") == 2


def test_one_attempt_in_flight_then_retry_then_failed() -> None:
    book = _book(max_attempts=2, retry_delay=60)
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0)
    assert _dials(book.dispatch("sales", T0 + 1, [], 3)) == ["cb1"]
    assert _dials(book.dispatch("sales", T0 + 2, [], 3)) == []  # already in flight
    assert _events(book.attempt_failed("cb1", "no_answer", T0 + 30)) == [ev.CALLBACK_RETRY]
    assert _dials(book.dispatch("sales", T0 + 89, [], 3)) == []  # retry delay not over
    assert book.next_deadline(T0 + 89) == T0 + 90
    assert _dials(book.dispatch("sales", T0 + 90, [], 3)) == ["cb1"]
    cmds = book.attempt_failed("cb1", "not_confirmed", T0 + 120)
    assert _events(cmds) == [ev.CALLBACK_FAILED]
    ended = [c.callback for c in cmds if isinstance(c, Save)][-1]
    assert (ended.status, ended.reason, ended.attempts) == ("failed", "not_confirmed", 2)
    assert book.open_in("sales") == []


def test_connected_records_time_to_callback() -> None:
    book = _book()
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0 + 60)
    book.dispatch("sales", T0 + 100, [], 1)
    cmds = book.connected("cb1", T0 + 130)
    rec = next(c.event for c in cmds if isinstance(c, Record))
    assert rec.type == ev.CALLBACK_CONNECTED
    assert rec.payload["time_to_callback_s"] == 70 and rec.payload["wait_s"] == 130


def test_cancel_only_a_pending_callback() -> None:
    book = _book()
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0)
    ok, cmds = book.cancel("cb1", T0 + 1, "sup")
    assert ok and _events(cmds) == [ev.CALLBACK_CANCELLED]
    assert book.cancel("cb1", T0 + 2, "sup")[0] is False


def test_no_offer_outside_hours_or_too_late_for_closing() -> None:
    book = _book(hours=WEEKDAYS_9_17)
    assert book.refusal("sales", T0 - 60) == "closed"
    assert book.refusal("sales", T0 + 3600) is None
    closing = T0 + 8 * 3600
    assert book.refusal("sales", closing - 300, expected_wait=600) == "too_late"


def test_pending_at_closing_carried_to_next_opening() -> None:
    book = _book(hours=WEEKDAYS_9_17, at_closing="carry")
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0 + 7 * 3600)
    after_close = T0 + 8 * 3600 + 1
    book.tick(after_close)
    assert _dials(book.dispatch("sales", after_close, [], 5)) == []  # closed: nobody dialled
    tomorrow = T0 + 24 * 3600
    assert book.open_in("sales")[0].next_try_at == tomorrow
    assert _dials(book.dispatch("sales", tomorrow, [], 1)) == ["cb1"]


def test_pending_at_closing_expired_per_setting() -> None:
    book = _book(hours=WEEKDAYS_9_17, at_closing="expire")
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0 + 3600)
    assert _events(book.tick(T0 + 8 * 3600)) == [ev.CALLBACK_EXPIRED]
    assert book.open_in("sales") == []


def test_holiday_is_closed_and_skipped() -> None:
    cal = Calendar(weekly=WEEKDAYS_9_17.weekly, holidays=frozenset({date(2026, 12, 1)}))
    assert not cal.is_open(T0 + 24 * 3600 + 3600)
    assert cal.next_opening(T0 + 9 * 3600) == T0 + 48 * 3600  # Wednesday 09:00


def test_restore_undoes_the_attempt_lost_with_the_process() -> None:
    book = _book()
    rows = [Callback("a", "sales", "+1", 0, T0, 1, T0, status="dialling", attempts=1),
            Callback("b", "sales", "+2", 0, T0 + 1, 2, T0, attempts=0),
            Callback("c", "sales", "+3", 0, T0 + 2, 3, T0, status="failed", attempts=3)]
    book.restore(rows)
    assert [(c.id, c.status, c.attempts) for c in book.open_in("sales")] == [
        ("a", "pending", 0), ("b", "pending", 0)]
    assert _dials(book.dispatch("sales", T0 + 5, [], 3)) == ["a", "b"]


def test_due_and_start_follow_the_retry_delay_and_the_hours() -> None:
    book = CallbackBook({"sales": QueueRules(hours=WEEKDAYS_9_17, retry_delay=60)})
    book.request("cb1", "sales", "+4930111", 0, T0, 1, T0 + 10)
    assert [c.id for c in book.due("sales", T0 + 10)] == ["cb1"]
    assert book.due("sales", T0 + 9 * 3600) == []  # 18:00: closed
    assert _dials(book.start("cb1", T0 + 11)) == ["cb1"]
    assert book.start("cb1", T0 + 12) == []  # in flight: one attempt at a time
    book.attempt_failed("cb1", "no_answer", T0 + 20)
    assert book.due("sales", T0 + 30) == [] and book.start("cb1", T0 + 30) == []
    assert _dials(book.start("cb1", T0 + 80)) == ["cb1"]
    assert book.start("nope", T0 + 80) == []
