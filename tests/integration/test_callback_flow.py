"""Callbacks end to end below the daemon: the book in PostgreSQL, attempts on the real
Asterisk through the delivery. A restart (the process dropped, as kill -9 leaves it) loses
none and delivers in line order; a customer who never answers is retried after the delay and
then failed; five pending callbacks and two free agents never have more than two dialling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from datetime import time as tod
from typing import Any

import asyncpg
import pytest

from ccd import events as ev
from ccd.ari import ChannelDestroyed, PlaybackFinished, StasisStart
from ccd.callbacks.ari_attempt import Seen
from ccd.callbacks.core.book import CallbackBook, QueueRules
from ccd.callbacks.core.hours import Calendar
from ccd.callbacks.delivery import Delivery, QueueDialing
from ccd.callbacks.service import CallbackService
from ccd.events import DomainEvent
from ccd.queues.ari_port import ClientAriPort
from ccd.store.migrate import migrate
from tests.harness.ari_link import AriLink
from tests.harness.asterisk import AsteriskInstance

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
DIALING = {"q": QueueDialing(caller_id="4930555000", dial_template="Local/{number}@sim-customer",
                             dial_timeout=3, confirm_timeout=3)}


class Rig:
    def __init__(self, ast: AsteriskInstance, port: ClientAriPort, db: Any) -> None:
        self.ast, self.port, self.db = ast, port, db
        self.delivery: Delivery | None = None
        self.events: list[DomainEvent] = []

    def feed(self, seen: Seen) -> None:
        if self.delivery is not None:
            self.delivery.feed(seen)

    def start_ccd(self, rules: QueueRules, agents: list[str]) -> CallbackService:
        """A fresh "process": a new book, service and delivery over the same database."""
        free = list(agents)
        delivery = Delivery(self.port, DIALING, lambda q: free.pop(0) if free else None,
                            lambda q: None)
        svc = CallbackService(CallbackBook({"q": rules}), self.db, self.events.append, delivery.dial)
        delivery.service = svc
        self.delivery = delivery
        return svc

    def of(self, type_: str) -> list[DomainEvent]:
        return [e for e in self.events if e.type == type_]


@pytest.fixture
async def rig(ari_link: AriLink, pg_dsn: str) -> AsyncIterator[Rig]:
    await migrate(pg_dsn)
    db = await asyncpg.connect(pg_dsn)
    r = Rig(ari_link.ast, ari_link.port, db)
    dispatcher = ari_link.dispatcher
    dispatcher.subscribe(StasisStart, lambda e: r.feed(Seen("answered", e.channel.id))
                         if e.args[:1] == ("callback",) else None)
    dispatcher.subscribe(PlaybackFinished, lambda e: r.feed(Seen("playback_finished", "", e.playback.id)))
    dispatcher.subscribe(ChannelDestroyed, lambda e: r.feed(Seen("hangup", e.channel.id)))
    try:
        yield r
    finally:
        await db.close()


def customer_legs(ast: AsteriskInstance) -> int:
    return sum(1 for c in ast.channels() if "@sim-customer" in c and c.endswith(";1"))


async def test_pending_callbacks_survive_kill_and_are_delivered_in_line_order(rig: Rig) -> None:
    now = time.time()
    first = rig.start_ccd(QueueRules(), [])
    # Requested in another order than their places in line.
    for cb_id, number, waited in (("third", "+4930100003", 60), ("first", "+4930100001", 180),
                                  ("second", "+4930100002", 120)):
        assert await first.request(cb_id, "q", number, 0, now - waited, int(1000 - waited)) == "requested"
    del first  # ccd killed: only PostgreSQL remains

    agents = [AsteriskInstance.agent_endpoint(f"K{i}", answer_delay=0.2, talk=0) for i in range(3)]
    second = rig.start_ccd(QueueRules(), agents)
    assert await second.restore() == 3
    async with asyncio.timeout(90):
        while len(rig.of(ev.CALLBACK_CONNECTED)) < 3:
            busy = rig.delivery is not None and bool(rig.delivery.tasks)
            await second.dispatch("q", [], 0 if busy else 1)  # one agent, freed after each
            await asyncio.sleep(0.1)
    assert [e.call_id for e in rig.of(ev.CALLBACK_CONNECTED)] == ["first", "second", "third"]
    rows = await rig.db.fetch("SELECT status FROM callbacks")
    assert {r["status"] for r in rows} == {"connected"}
    for c in rig.ast.channels():
        if "@sim-customer" in c or "Local/ag-K" in c:
            rig.ast.cli(f"channel request hangup {c}")


async def test_no_answer_is_retried_after_the_delay_then_failed(rig: Rig) -> None:
    agents = [AsteriskInstance.agent_endpoint(f"N{i}", answer_delay=0.2, talk=0) for i in range(2)]
    svc = rig.start_ccd(QueueRules(max_attempts=2, retry_delay=2), agents)
    await svc.request("cb", "q", "+4999000222", 0, time.time() - 30, 1)
    async with asyncio.timeout(90):
        while not rig.of(ev.CALLBACK_FAILED):
            await svc.dispatch("q", [], 1)
            await asyncio.sleep(0.1)
    kinds = [e.type for e in rig.events if e.call_id == "cb"]
    assert kinds == [ev.CALLBACK_REQUESTED, ev.CALLBACK_ATTEMPTED, ev.CALLBACK_RETRY,
                     ev.CALLBACK_ATTEMPTED, ev.CALLBACK_FAILED]
    retry, second = rig.of(ev.CALLBACK_RETRY)[0], rig.of(ev.CALLBACK_ATTEMPTED)[1]
    assert (second.ts - retry.ts).total_seconds() >= 2  # not before the retry delay
    assert rig.of(ev.CALLBACK_FAILED)[0].payload["reason"] == "no_answer"
    row = await rig.db.fetchrow("SELECT status, attempts, reason FROM callbacks WHERE id = 'cb'")
    assert (row["status"], row["attempts"], row["reason"]) == ("failed", 2, "no_answer")


async def test_five_pending_and_two_free_agents_never_more_than_two_dialling(rig: Rig) -> None:
    svc = rig.start_ccd(QueueRules(max_attempts=1, delivery="customer_first"), [])
    for i in range(5):  # customers answer but never press 1: each attempt ends not confirmed
        await svc.request(f"cb{i}", "q", f"+493010050{i}", 0, time.time() - 100 + i, i)
    most = 0
    async with asyncio.timeout(120):
        while len(rig.of(ev.CALLBACK_FAILED)) < 5:
            await svc.dispatch("q", [], 2)
            most = max(most, customer_legs(rig.ast), svc.book.in_flight("q"))
            await asyncio.sleep(0.1)
    assert most == 2
    assert {e.payload["reason"] for e in rig.of(ev.CALLBACK_FAILED)} == {"not_confirmed"}


async def test_business_hours_with_a_clock_driven_by_the_test(rig: Rig) -> None:
    """Open 09:00-17:00 UTC on weekdays. At 16:59 an offer that would end after closing is
    refused; one booked earlier is pending at closing, carried to the next opening, not
    dialled in the night, and delivered on the real Asterisk the next morning."""
    monday = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
    clock = {"now": monday + 16 * 3600}  # Monday 16:00
    cal = Calendar("UTC", tuple(((tod(9), tod(17)),) if d < 5 else () for d in range(7)))
    agent = AsteriskInstance.agent_endpoint("H1", answer_delay=0.2, talk=0)
    svc = rig.start_ccd(QueueRules(hours=cal, at_closing="carry"), [agent])
    svc.clock = lambda: clock["now"]
    assert rig.delivery is not None
    rig.delivery.clock = svc.clock
    assert await svc.request("late", "q", "+4930100901", 0, clock["now"] - 60, 1) == "requested"
    clock["now"] = monday + 16 * 3600 + 59 * 60  # 16:59, the expected wait is 5 minutes
    assert await svc.request("too-late", "q", "+4930100902", 0, clock["now"], 2, 300) == "too_late"
    clock["now"] = monday + 17 * 3600 + 1  # closed
    await svc.tick()
    assert await svc.request("night", "q", "+4930100903", 0, clock["now"], 3) == "closed"
    await svc.dispatch("q", [], 3)
    assert not rig.of(ev.CALLBACK_ATTEMPTED) and customer_legs(rig.ast) == 0
    row = await rig.db.fetchrow("SELECT status, next_try_at FROM callbacks WHERE id = 'late'")
    assert row["status"] == "pending" and row["next_try_at"].timestamp() == monday + 33 * 3600
    clock["now"] = monday + 33 * 3600  # Tuesday 09:00
    async with asyncio.timeout(60):
        while not rig.of(ev.CALLBACK_CONNECTED):
            await svc.dispatch("q", [], 0 if rig.delivery.tasks else 1)
            await asyncio.sleep(0.1)
    assert rig.of(ev.CALLBACK_CONNECTED)[0].call_id == "late"
    for c in rig.ast.channels():
        if "@sim-customer" in c or "Local/ag-H1" in c:
            rig.ast.cli(f"channel request hangup {c}")
