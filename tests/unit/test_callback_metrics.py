"""Callback metrics from the book's own events: pending, completed, failed, time to callback."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from ccd.acd.commands import Record
from ccd.callbacks.core.book import CallbackBook, QueueRules
from ccd.callbacks.metrics import CallbackMetrics


def test_counts_follow_the_book() -> None:
    reg = CollectorRegistry()
    book = CallbackBook({"sales": QueueRules(max_attempts=1)})
    m = CallbackMetrics(reg, ["sales"], lambda q: len(book.open_in(q)))

    def feed(cmds: Sequence[object]) -> None:
        for c in cmds:
            if isinstance(c, Record):
                m.observe(c.event)

    feed(book.request("a", "sales", "+491", 0, 0.0, 1, 100.0)[1])
    feed(book.request("b", "sales", "+492", 0, 5.0, 2, 100.0)[1])
    feed(book.request("dup", "sales", "+492", 0, 9.0, 3, 101.0)[1])  # merged: not counted
    assert reg.get_sample_value("ccd_callback_pending", {"queue": "sales"}) == 2
    feed(book.dispatch("sales", 200.0, [], 2))
    feed(book.connected("a", 250.0))
    feed(book.attempt_failed("b", "no_answer", 260.0))
    get = reg.get_sample_value
    assert get("ccd_callback_requested_total", {"queue": "sales"}) == 2
    assert get("ccd_callback_attempts_total", {"queue": "sales"}) == 2
    assert get("ccd_callback_ended_total", {"queue": "sales", "outcome": "connected"}) == 1
    assert get("ccd_callback_ended_total", {"queue": "sales", "outcome": "failed"}) == 1
    assert get("ccd_callback_time_to_callback_seconds_sum", {"queue": "sales"}) == 150
    assert get("ccd_callback_pending", {"queue": "sales"}) == 0
