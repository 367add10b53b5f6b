"""Callbacks are durable in PostgreSQL: a new ccd (after kill -9) restores every open callback
in line order, an attempt lost with the old process is dialled again, ended ones stay ended."""

from __future__ import annotations

import asyncpg
import pytest

from ccd import events as ev
from ccd.callbacks import store
from ccd.callbacks.core.book import CallbackBook, Dial, QueueRules
from ccd.callbacks.service import CallbackService
from ccd.events import DomainEvent
from ccd.store.migrate import migrate

pytestmark = pytest.mark.postgres
T0 = 1_790_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def _service(db: asyncpg.Connection, clock: Clock, events: list[DomainEvent], dials: list[Dial]) -> CallbackService:
    book = CallbackBook({"sales": QueueRules(max_attempts=2, retry_delay=30)})
    return CallbackService(book, db, events.append, dials.append, clock)


async def test_open_callbacks_survive_a_restart_in_line_order(pg_dsn: str) -> None:
    await migrate(pg_dsn)
    clock = Clock()
    db = await asyncpg.connect(pg_dsn)
    try:
        events: list[DomainEvent] = []
        dials: list[Dial] = []
        first = _service(db, clock, events, dials)
        # Three callers at positions 3, 1, 2 ask for a callback (arrival order != position).
        for cb_id, at, seq in (("c3", T0 - 30, 3), ("c1", T0 - 90, 1), ("c2", T0 - 60, 2)):
            assert await first.request(cb_id, "sales", f"+4930{seq}", 0, at, seq) == "requested"
        assert await first.request("dup", "sales", "+49302", 0, T0 - 5, 9) == "merged"
        await first.dispatch("sales", [], 1)  # c1 is being dialled when ccd is killed
        assert [d.callback.id for d in dials] == ["c1"]
        assert [e.type for e in events].count(ev.CALLBACK_REQUESTED) == 3
        # A cancelled one must stay cancelled after the restart.
        assert await first.request("gone", "sales", "+49309", 0, T0, 10) == "requested"
        assert await first.cancel("gone", "supervisor")
        del first  # kill -9: nothing but the database survives

        clock.now += 120
        dials2: list[Dial] = []
        second = _service(db, clock, [], dials2)
        assert await second.restore() == 3
        assert [c.id for c in second.pending("sales")] == ["c1", "c2", "c3"]
        await second.dispatch("sales", [], 5)
        assert [(d.callback.id, d.attempt) for d in dials2] == [("c1", 1), ("c2", 1), ("c3", 1)]

        rows = {r["id"]: r for r in await db.fetch("SELECT id, status, attempts FROM callbacks")}
        assert rows["gone"]["status"] == "cancelled"
        assert rows["c1"]["status"] == "dialling" and rows["c1"]["attempts"] == 1
        assert "dup" not in rows  # merged into c2, not a second callback
        listed = await store.list_callbacks(db, "sales", "cancelled", 10)
        assert [c.id for c in listed] == ["gone"]
    finally:
        await db.close()


async def test_database_refuses_two_open_callbacks_for_one_number(pg_dsn: str) -> None:
    await migrate(pg_dsn)
    db = await asyncpg.connect(pg_dsn)
    try:
        svc = _service(db, Clock(), [], [])
        await svc.request("a", "sales", "+49301", 0, T0, 1)
        other = CallbackBook({"sales": QueueRules()})  # a second instance with a stale book
        _, cmds = other.request("b", "sales", "+49301", 0, T0, 2, T0)
        with pytest.raises(asyncpg.UniqueViolationError):
            await store.save(db, [c.callback for c in cmds if hasattr(c, "callback")])
    finally:
        await db.close()
