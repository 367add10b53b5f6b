"""The writer against a real PostgreSQL: COPY batches, idempotent replays, dead letters,
order-independent projections, the sticky-routing lookup."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ccd import events as ev
from ccd.events import DomainEvent, event
from ccd.store import db
from ccd.store.migrate import migrate
from ccd.store.queries import last_agent
from ccd.store.validate import prepare
from ccd.store.writer import EventWriter

pytestmark = pytest.mark.postgres
T = 1_780_000_000.0  # 2026-05-28T20:26:40Z


@pytest.fixture
async def conn(pg_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    await migrate(pg_dsn)
    c = await asyncpg.connect(pg_dsn)
    yield c
    await c.close()


async def run_writer(dsn: str, spool: Path, evs: list[DomainEvent], **kw: Any) -> EventWriter:
    w = EventWriter(dsn, spool, **kw)
    await w.start()
    for e in evs:
        w.submit(e)
    await w.stop()
    return w


def call(cid: str, t: float, *, queue: str = "sales", agent: str = "a1", caller: str = "+4930111",
         wait: float = 8.0, talk: float = 100.0, wrap: float = 15.0, score: int | None = 4,
         sticky: bool = False) -> list[DomainEvent]:
    """The events of one answered call, rated."""
    out = [
        event(ev.CALL_QUEUED, t, call_id=cid, queue=queue, caller=caller, priority=0,
              sticky_agent=None),
        event(ev.CALL_OFFERED, t + wait - 3, call_id=cid, queue=queue, agent_id=agent,
              attempt=1, sticky=sticky),
        event(ev.CALL_ANSWERED, t + wait, call_id=cid, queue=queue, agent_id=agent,
              wait_s=wait, sticky=sticky),
        event(ev.CALL_ENDED, t + wait + talk, call_id=cid, queue=queue, agent_id=agent,
              talk_s=talk, ended_by="agent"),
        event(ev.AGENT_WRAPUP_ENDED, t + wait + talk + wrap, call_id=cid, agent_id=agent,
              wrapup_s=wrap),
    ]
    if score is not None:
        out.append(event(ev.RATING_RESULT, t + wait + talk + 20, call_id=cid, queue=queue,
                         agent_id=agent, outcome="rated", score=score, caller=caller,
                         attempts=1))
    return out


def scenario() -> list[DomainEvent]:
    """Calls, abandons, overflows, agent presence and a supervision session."""
    evs: list[DomainEvent] = []
    for i in range(30):
        evs += call(f"c{i}", T + 60 * i, agent=f"a{i % 3}", caller=f"+49{i % 7}",
                    score=None if i % 4 == 0 else 1 + i % 5, sticky=i % 5 == 0)
    for i in range(5):
        cid = f"ab{i}"
        evs += [event(ev.CALL_QUEUED, T + 30 * i, call_id=cid, queue="sales", caller=None),
                event(ev.CALL_ABANDONED, T + 30 * i + 2 + i, call_id=cid, queue="sales",
                      wait_s=2.0 + i, position=1)]
    evs += [event(ev.CALL_QUEUED, T, call_id="ov", queue="sales", caller="+491"),
            event(ev.CALL_OVERFLOW, T + 90, call_id="ov", queue="sales", wait_s=90.0,
                  target="support", reason="max_wait")]
    for a in ("a0", "a1", "a2"):
        evs += [event(ev.AGENT_LOGIN, T - 600, agent_id=a),
                event(ev.AGENT_PAUSED, T + 300, agent_id=a, reason="coffee"),
                event(ev.AGENT_UNPAUSED, T + 420, agent_id=a),
                event(ev.AGENT_PAUSED, T + 900, agent_id=a, reason="lunch"),
                event(ev.AGENT_LOGOUT, T + 3000, agent_id=a),
                event(ev.AGENT_LOGIN, T + 3600, agent_id=a)]
    evs += [event(ev.SUPERVISION_STARTED, T + 10, call_id="c0", agent_id="a0",
                  supervisor="s1", mode="listen", via="dtmf"),
            event(ev.SUPERVISION_MODE, T + 20, call_id="c0", agent_id="a0", supervisor="s1",
                  mode="whisper", previous="listen"),
            event(ev.SUPERVISION_ENDED, T + 40, call_id="c0", agent_id="a0", supervisor="s1",
                  duration_s=30.0, reason="hangup"),
            event(ev.SUPERVISION_DENIED, T + 50, call_id="c1", agent_id="a1",
                  supervisor="s2", reason="acl", via="api")]
    return evs


PROJECTIONS = {
    "call_records": "SELECT * FROM call_records ORDER BY call_id",
    "intervals": "SELECT * FROM agent_state_intervals "
                 "ORDER BY agent_id, state, started_at, call_id",
    "supervision": "SELECT * FROM supervision_sessions ORDER BY session_id",
    "ratings": "SELECT * FROM ratings ORDER BY event_id",
}


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {k: [tuple(r) for r in await conn.fetch(q)] for k, q in PROJECTIONS.items()}


async def test_copy_batches_land_and_project(conn: asyncpg.Connection, pg_dsn: str,
                                             tmp_path: Path) -> None:
    evs = scenario()
    w = await run_writer(pg_dsn, tmp_path / "spool", evs, batch_max=50)
    assert w.written_total == len(evs) and w.spooled_total == 0
    assert w.batches_total >= len(evs) // 50
    assert await conn.fetchval("SELECT count(*) FROM events") == len(evs)
    assert await conn.fetchval("SELECT count(*) FROM call_records") == 36
    c3 = await conn.fetchrow("SELECT * FROM call_records WHERE call_id = 'c3'")
    assert (c3["queue"], c3["caller"], c3["agent_id"], c3["outcome"]) == ("sales", "+493", "a0",
                                                                         "answered")
    assert (c3["wait_s"], c3["talk_s"], c3["wrapup_s"], c3["rating"]) == (8.0, 100.0, 15.0, 4)
    assert c3["offered_count"] == 1 and c3["sticky_hit"] is False
    ab = await conn.fetchrow("SELECT * FROM call_records WHERE call_id = 'ab2'")
    assert (ab["outcome"], ab["wait_s"], ab["agent_id"]) == ("abandoned", 4.0, None)
    ov = await conn.fetchrow("SELECT * FROM call_records WHERE call_id = 'ov'")
    assert (ov["outcome"], ov["overflow_target"]) == ("overflow", "support")
    states = await conn.fetch("SELECT state, reason, started_at, ended_at FROM "
                              "agent_state_intervals WHERE agent_id = 'a1' AND call_id IS NULL "
                              "ORDER BY started_at, state")
    got = [(r["state"], r["reason"], r["started_at"].timestamp(),
            r["ended_at"] and r["ended_at"].timestamp()) for r in states]
    assert got == [("logged_in", None, T - 600, T + 3000), ("paused", "coffee", T + 300, T + 420),
                   ("paused", "lunch", T + 900, T + 3000), ("logged_in", None, T + 3600, None)]
    sup = await conn.fetch("SELECT * FROM supervision_sessions ORDER BY started_at")
    assert [(s["status"], s["mode"], s["modes"], s["duration_s"]) for s in sup] == [
        ("ended", "listen", ["listen", "whisper"], 30.0), ("denied", None, None, None)]


async def test_replayed_batches_never_duplicate(conn: asyncpg.Connection, pg_dsn: str,
                                                tmp_path: Path) -> None:
    evs = scenario()
    await run_writer(pg_dsn, tmp_path / "s1", evs)
    before = await snapshot(conn)
    w = await run_writer(pg_dsn, tmp_path / "s2", evs[::-1])  # the same events again
    assert w.written_total == 0 and w.duplicate_total == len(evs)
    assert await conn.fetchval("SELECT count(*) FROM events") == len(evs)
    assert await snapshot(conn) == before
    # a retried COPY batch with duplicates inside it
    rows = [prepare(e) for e in evs[:20]]
    await conn.execute(db.STAGE_DDL)
    assert await db.write(conn, [*rows, *rows], []) == 0  # type: ignore[list-item]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_projection_is_order_and_batch_independent(
    conn: asyncpg.Connection, pg_dsn: str, tmp_path: Path, seed: int
) -> None:
    evs = scenario()
    await run_writer(pg_dsn, tmp_path / "s1", sorted(evs, key=lambda e: e.ts))
    expected = await snapshot(conn)
    await conn.execute("TRUNCATE events, call_records, agent_presence_intervals, "
                       "supervision_sessions")
    rnd = random.Random(seed)
    shuffled = evs[:]
    rnd.shuffle(shuffled)
    # arbitrary order, batches of random size, some events twice
    shuffled += rnd.sample(evs, 20)
    await run_writer(pg_dsn, tmp_path / "s2", shuffled, batch_max=rnd.randint(1, 40),
                     flush_interval=0.0)
    assert await snapshot(conn) == expected


async def test_bad_events_are_dead_lettered_and_never_block(conn: asyncpg.Connection,
                                                            pg_dsn: str, tmp_path: Path) -> None:
    good = call("g1", T)
    bad = [event("call.teleported", T, call_id="g1"),
           event(ev.CALL_ENDED, T, call_id="g1", talk_s="long"),
           event(ev.AGENT_PAUSED, T, agent_id="a1\x00")]
    w = await run_writer(pg_dsn, tmp_path / "s", [*bad[:1], *good[:3], *bad[1:], *good[3:]])
    assert w.dead_lettered_total == 3 and w.written_total == len(good)
    rows = await conn.fetch("SELECT type, reason FROM dead_letters ORDER BY id")
    reasons = {r["reason"] for r in rows}
    assert any("unknown event type" in r for r in reasons)
    assert any("talk_s" in r for r in reasons)
    assert any("NUL" in r for r in reasons)
    # the same dead letters again: still three rows
    await run_writer(pg_dsn, tmp_path / "s2", bad)
    assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 3


async def test_rows_the_database_rejects_are_bisected_out(conn: asyncpg.Connection) -> None:
    await conn.execute(db.STAGE_DDL)
    rows = [prepare(e) for e in call("b1", T)]
    poisoned = ("evil", datetime.now(UTC), ev.AGENT_LOGIN, None, "a9", None, "{not json")
    new, extra = await db.write_resilient(conn, [*rows[:3], poisoned, *rows[3:]], [])  # type: ignore[list-item]
    assert new == len(rows)
    assert [d.event_id for d in extra] == ["evil"]
    assert "rejected by database" in await conn.fetchval(
        "SELECT reason FROM dead_letters WHERE event_id = 'evil'")


async def test_durable_means_committed(conn: asyncpg.Connection, pg_dsn: str,
                                       tmp_path: Path) -> None:
    w = EventWriter(pg_dsn, tmp_path / "s", flush_interval=5.0)  # long linger: durable skips it
    await w.start()
    e = event(ev.SUPERVISION_STARTED, T, call_id="c9", agent_id="a1", supervisor="s1",
              mode="barge", via="api")
    await asyncio.wait_for(w.durable(e), 3.0)
    assert await conn.fetchval("SELECT count(*) FROM events WHERE event_id = $1",
                               e.event_id) == 1
    await w.stop()
    assert w.connected is False and w.spooled_total == 0


async def test_last_agent_hot_path(conn: asyncpg.Connection, pg_dsn: str,
                                   tmp_path: Path) -> None:
    evs = (call("x1", T, agent="a1", caller="+4911", score=2)
           + call("x2", T + 3600, agent="a2", caller="+4911", score=None)
           + call("x3", T + 7200, agent="a3", caller="+4911", queue="support", score=5))
    await run_writer(pg_dsn, tmp_path / "s", evs)
    since = datetime.fromtimestamp(T - 10, UTC)
    assert await last_agent(conn, "+4911", "sales", since) == ("a2", None)
    assert await last_agent(conn, "+4911", "support", since) == ("a3", 5)
    late = datetime.fromtimestamp(T + 3700, UTC)
    assert await last_agent(conn, "+4911", "sales", late) is None
    assert await last_agent(conn, None, "sales", since) is None
    assert await last_agent(conn, "+4999", "sales", since) is None
    await conn.execute("SET enable_seqscan = off")
    plan = "\n".join(r[0] for r in await conn.fetch(
        "EXPLAIN SELECT agent_id, rating FROM call_records WHERE caller = '+4911' AND "
        "queue = 'sales' AND answered_at >= now() AND agent_id IS NOT NULL AND answered_at IS "
        "NOT NULL ORDER BY answered_at DESC LIMIT 1"))
    assert "call_records_sticky_idx" in plan
