"""Every KPI of docs/kpis.md against a seeded day whose figures were computed by hand.

Monday 2025-05-05, Europe/Berlin (UTC+2); report window 10:00-12:00 local.
Queues: sales (T = 20 s, N = 5 s, the defaults) and support (T = 30 s, N = 10 s).
Teams: red = a1, a2; blue = a2, a3. The comment above each figure shows the arithmetic.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from ccd.events import DomainEvent, RawEvent
from ccd.store import cli
from ccd.store.migrate import migrate
from ccd.store.reports import kpi_report
from ccd.store.writer import EventWriter

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
TEAMS = {"a1": ["red"], "a2": ["red", "blue"], "a3": ["blue"]}
SL = {"support": 30.0}
SHORT = {"support": 10.0}
START, END = datetime(2025, 5, 5, 10, tzinfo=BERLIN), datetime(2025, 5, 5, 12, tzinfo=BERLIN)
_n = 0


def at(hms: str) -> datetime:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2025, 5, 5, h, m, s, tzinfo=BERLIN)


def e(type_: str, hms: str, call: str | None = None, agent: str | None = None,
      queue: str | None = None, **payload: Any) -> DomainEvent:
    global _n
    _n += 1
    return RawEvent(type=type_, ts=at(hms), call_id=call, agent_id=agent, queue=queue,
                       payload=payload, event_id=f"k{_n:04d}")


def answered(cid: str, q: str, caller: str | None, agent: str, queued: str, offered: str,
             ans: str, wait: float, ended: str, talk: float, wrap: tuple[str, float] | None,
             rating: tuple[str, int | None] | None) -> list[DomainEvent]:
    out = [e("call.queued", queued, cid, None, q, caller=caller, priority=0),
           e("call.offered", offered, cid, agent, q, attempt=1, sticky=False),
           e("call.answered", ans, cid, agent, q, wait_s=wait, sticky=False),
           e("call.ended", ended, cid, agent, q, talk_s=talk, ended_by="caller")]
    if wrap:
        out.append(e("agent.wrapup_ended", wrap[0], cid, agent, None, wrapup_s=wrap[1]))
    if rating:
        out.append(e("rating.result", ended, cid, agent, q, outcome=rating[0], score=rating[1],
                     caller=caller, attempts=1))
    return out


def seed() -> list[DomainEvent]:
    ev: list[DomainEvent] = []
    # sales
    ev += [e("call.offered", "10:00:02", "s1", "a1", "sales", attempt=1, sticky=False),
           e("call.offer_failed", "10:00:17", "s1", "a1", "sales", reason="no_answer"),
           e("agent.missed", "10:00:17", None, "a1", "sales", consecutive=1)]
    ev += answered("s1", "sales", "+491", "a2", "10:00:00", "10:00:18", "10:00:25", 25,
                   "10:05:25", 300, ("10:05:55", 30), ("rated", 5))
    ev += answered("s2", "sales", "+492", "a1", "10:10:00", "10:10:03", "10:10:10", 10,
                   "10:12:10", 120, ("10:12:30", 20), ("no_response", None))
    ev += answered("s3", "sales", "+491", "a2", "10:20:00", "10:20:04", "10:20:15", 15,
                   "10:23:35", 200, ("10:23:45", 10), ("rated", 3))
    ev += [e("call.queued", "10:30:00", "s4", None, "sales", caller="+493"),
           e("call.abandoned", "10:30:03", "s4", None, "sales", wait_s=3.0, position=1),
           e("call.queued", "10:40:00", "s5", None, "sales", caller="+494"),
           e("call.abandoned", "10:40:45", "s5", None, "sales", wait_s=45.0, position=2)]
    ev += answered("s6", "sales", None, "a1", "11:00:00", "11:00:01", "11:00:20", 20,
                   "11:01:20", 60, None, ("not_offered", None))
    ev += [e("call.queued", "11:30:00", "s7", None, "sales", caller="+495"),
           e("call.overflow", "11:32:00", "s7", None, "sales", wait_s=120.0,
             target="ccd-overflow,support,1", reason="max_wait"),
           e("call.queued", "11:50:00", "s8", None, "sales", caller="+496")]
    # after the window: makes s2 a repeat call (same caller, same queue, within 24 h)
    ev += answered("s9", "sales", "+492", "a1", "12:30:00", "12:30:05", "12:30:10", 10,
                   "12:31:10", 60, None, None)
    # support
    ev += answered("p4", "support", "+498", "a3", "09:55:00", "09:55:05", "09:55:10", 10,
                   "10:01:00", 350, ("10:02:00", 60), None)  # before the window
    ev += answered("p1", "support", "+491", "a3", "10:05:00", "10:05:05", "10:05:28", 28,
                   "10:12:08", 400, ("10:13:08", 60), ("rated", 4))
    ev += [e("call.queued", "10:15:00", "p2", None, "support", caller="+497"),
           e("call.abandoned", "10:15:08", "p2", None, "support", wait_s=8.0, position=1),
           e("call.offered", "10:49:50", "p3", "a3", "support", attempt=1, sticky=False),
           e("agent.missed", "10:50:01", None, "a3", "support", consecutive=1)]
    ev += answered("p3", "support", "+497", "a3", "10:50:00", "10:50:02", "10:50:40", 40,
                   "10:52:20", 100, ("10:52:40", 20), ("abandoned", None))
    # presence
    ev += [e("agent.login", "09:30:00", None, "a1"),
           e("agent.paused", "11:10:00", None, "a1", reason="lunch"),
           e("agent.unpaused", "11:40:00", None, "a1"),
           e("agent.logout", "13:00:00", None, "a1"),
           e("agent.login", "10:00:00", None, "a2"),
           e("agent.logout", "11:00:00", None, "a2"),
           e("agent.login", "09:50:00", None, "a3"),
           e("agent.paused", "10:30:00", None, "a3", reason="break"),
           e("agent.unpaused", "10:45:00", None, "a3"),
           e("agent.paused", "10:52:30", None, "a3", reason="break"),  # inside p3's wrap-up
           e("agent.unpaused", "10:55:00", None, "a3"),
           e("agent.logout", "12:30:00", None, "a3")]
    return ev


@pytest.fixture
async def conn(pg_dsn: str, tmp_path: Path) -> AsyncIterator[asyncpg.Connection]:
    await migrate(pg_dsn)
    w = EventWriter(pg_dsn, tmp_path / "spool", batch_max=7)  # calls span many batches
    await w.start()
    for ev in seed():
        w.submit(ev)
    await w.stop()
    assert w.dead_lettered_total == 0 and w.spooled_total == 0
    c = await asyncpg.connect(pg_dsn)
    yield c
    await c.close()


async def report(conn: asyncpg.Connection, by: str) -> dict[str, dict[str, Any]]:
    rows = await kpi_report(conn, start=START, end=END, by=by, tz="Europe/Berlin", teams=TEAMS,
                            sl_seconds=SL, short_abandon_s=SHORT, repeat_window_s=86400)
    key = "interval" if by not in ("queue", "agent", "team") else by
    return {r[key]: r for r in rows}


def check(row: dict[str, Any], **expected: Any) -> None:
    for k, v in expected.items():
        got = row[k]
        if isinstance(v, float) and got is not None:
            assert got == pytest.approx(v, abs=1e-9), k
        else:
            assert got == v, k


async def test_queue_kpis(conn: asyncpg.Connection) -> None:
    rows = await report(conn, "queue")
    assert set(rows) == {"sales", "support"}
    check(rows["sales"],
          offered=8,  # s1..s8 (s9 is after the window)
          answered=4, abandoned=1, short_abandons=1, overflowed=1,  # s1 s2 s3 s6 | s5 | s4 | s7
          service_level=3 / 7,  # s2 10, s3 15, s6 20 (inclusive) / (8 - 1 short)
          abandon_rate=1 / 7,
          asa_s=17.5,  # (25 + 10 + 15 + 20) / 4
          awt_s=34.0,  # (25 + 10 + 15 + 3 + 45 + 20 + 120) / 7, s8 still waiting
          aht_s=185.0,  # (330 + 140 + 210 + 60) / 4, s6 has no wrap-up
          longest_wait_s=120.0,
          repeat_rate=2 / 3,  # s1 (s3 later), s2 (s9 later) / s1 s2 s3; s6 anonymous
          missed=1,  # a1 on s1
          occupancy=None,
          avg_rating=4.0,  # (5 + 3) / 2
          rating_response_rate=2 / 3)  # rated s1 s3 / surveys s1 s2 s3 (s6 not offered)
    check(rows["support"],
          offered=3, answered=2, abandoned=0, short_abandons=1, overflowed=0,  # p2 8 s < 10
          service_level=0.5,  # p1 28 <= 30 / (3 - 1)
          abandon_rate=0.0, asa_s=34.0, awt_s=76 / 3, aht_s=290.0,  # (460 + 120) / 2
          longest_wait_s=40.0, repeat_rate=0.0, missed=1, avg_rating=4.0,
          rating_response_rate=0.5)  # p1 rated / p1, p3 (caller hung up in the survey)


async def test_agent_kpis(conn: asyncpg.Connection) -> None:
    rows = await report(conn, "agent")
    assert set(rows) == {"a1", "a2", "a3"}
    na = dict.fromkeys(("abandoned", "short_abandons", "overflowed", "abandon_rate",
                        "service_level", "awt_s", "longest_wait_s"))
    check(rows["a1"], **na, offered=3, answered=2, asa_s=15.0, aht_s=100.0, repeat_rate=1.0,
          missed=1, avg_rating=None, rating_response_rate=0.0,
          occupancy=200 / 5400)  # (120 + 20 + 60) / (7200 logged - 1800 lunch)
    check(rows["a2"], offered=2, answered=2, asa_s=20.0, aht_s=270.0, repeat_rate=0.5,
          missed=0, avg_rating=4.0, rating_response_rate=1.0,
          occupancy=540 / 3600)  # (300 + 30 + 200 + 10) / 3600
    check(rows["a3"], offered=3, answered=2, asa_s=34.0, aht_s=290.0, repeat_rate=0.0,
          missed=1, avg_rating=4.0, rating_response_rate=0.5,
          # busy: p4 60 + 60 (cut at 10:00), p1 400 + 60, p3 100 + 20 - 10 paused in wrap-up
          # available: 7200 - 900 - 150 paused
          occupancy=690 / 6150)


async def test_team_kpis(conn: asyncpg.Connection) -> None:
    rows = await report(conn, "team")
    check(rows["red"], offered=5, answered=4, asa_s=17.5, aht_s=185.0, repeat_rate=2 / 3,
          missed=1, avg_rating=4.0, rating_response_rate=2 / 3,
          occupancy=(200 + 540) / (5400 + 3600), service_level=None)
    check(rows["blue"], offered=5, answered=4, asa_s=27.0, aht_s=280.0, repeat_rate=0.25,
          missed=1, avg_rating=4.0, rating_response_rate=0.75,
          occupancy=(540 + 690) / (3600 + 6150))


async def test_interval_kpis(conn: asyncpg.Connection) -> None:
    rows = await report(conn, "1h")
    assert list(rows) == ["2025-05-05T10:00:00+02:00", "2025-05-05T11:00:00+02:00"]
    ten, eleven = rows.values()
    check(ten, offered=8, answered=5, abandoned=1, short_abandons=2, overflowed=0,
          service_level=0.5,  # s2 s3 p1 / (8 - s4 - p2), each against its queue's T
          abandon_rate=1 / 6, asa_s=23.6, awt_s=21.75, aht_s=252.0, longest_wait_s=45.0,
          repeat_rate=0.4, missed=2, avg_rating=4.0, rating_response_rate=0.6,
          occupancy=(140 + 540 + 690) / (3600 + 3600 + 2550))
    check(eleven, offered=3, answered=1, abandoned=0, short_abandons=0, overflowed=1,
          service_level=1 / 3, abandon_rate=0.0, asa_s=20.0, awt_s=70.0, aht_s=60.0,
          longest_wait_s=120.0, repeat_rate=None, missed=0, avg_rating=None,
          rating_response_rate=None,
          occupancy=60 / (1800 + 3600))  # a2 logged out at 11:00 sharp
    day = await report(conn, "day")
    assert list(day) == ["2025-05-05T00:00:00+02:00"]
    check(day["2025-05-05T00:00:00+02:00"], offered=11, answered=6, missed=2)


async def test_cli_report(conn: asyncpg.Connection, pg_dsn: str,
                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["report", "--dsn", pg_dsn, "--tz", "Europe/Berlin", "--from",
                              "2025-05-05T10:00", "--to", "2025-05-05T12:00", "--by", "queue",
                              "--format", "csv"])
    assert await asyncio.to_thread(args.func, args) == 0  # it runs its own loop
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("queue,offered,answered,")
    assert lines[1].startswith("sales,8,4,1,1,1,")
    # the config file supplies DSN, zone, teams and per-queue thresholds
    toml = tmp_path / "ccd.toml"
    toml.write_text(f'timezone = "Europe/Berlin"\n[database]\ndsn = "{pg_dsn}"\n'
                    '[[agents]]\nid = "a1"\nendpoint = "PJSIP/a1"\nteams = ["red"]\n'
                    '[[teams]]\nname = "red"\n'
                    '[[queues]]\nname = "support"\nagents = ["a1"]\n'
                    'service_level_seconds = 30\nshort_abandon_seconds = 10\n')
    args = parser.parse_args(["report", "-c", str(toml), "--from", "2025-05-05T10:00",
                              "--to", "2025-05-05T12:00", "--by", "queue", "--format", "json"])
    assert await asyncio.to_thread(args.func, args) == 0  # it runs its own loop
    out = capsys.readouterr().out
    assert '"service_level": 0.5' in out  # support's own T = 30 s
    args = parser.parse_args(["report", "--dsn", pg_dsn, "--from", "2025-05-05",
                              "--to", "2025-05-06", "--by", "fortnight"])
    assert await asyncio.to_thread(args.func, args) == 2


async def test_dst_day_buckets(pg_dsn: str, tmp_path: Path) -> None:
    """2026-03-29, Europe/Berlin: 02:00 does not exist; hourly buckets skip it and the day
    has 23 hours. Calls at 01:30 CET and 03:30 CEST are one real hour apart."""
    await migrate(pg_dsn)
    w = EventWriter(pg_dsn, tmp_path / "spool")
    await w.start()
    for i, (hms, tz_hours) in enumerate([("00:30", 1), ("01:30", 1), ("01:59", 1),
                                         ("03:00", 2), ("03:30", 2), ("23:30", 2)]):
        local = datetime.fromisoformat(f"2026-03-29T{hms}:00+0{tz_hours}:00")
        w.submit(RawEvent(type="call.queued", ts=local, call_id=f"d{i}", queue="q",
                             payload={"caller": "+1"}, event_id=f"d{i}"))
    await w.stop()
    c = await asyncpg.connect(pg_dsn)
    try:
        start = datetime(2026, 3, 29, tzinfo=BERLIN)
        end = datetime(2026, 3, 30, tzinfo=BERLIN)
        rows = await kpi_report(c, start=start, end=end, by="1h", tz="Europe/Berlin")
        got = {r["interval"]: r["offered"] for r in rows}
        assert len(rows) == 23
        assert "2026-03-29T02:00:00+01:00" not in got
        assert got["2026-03-29T00:00:00+01:00"] == 1
        assert got["2026-03-29T01:00:00+01:00"] == 2
        assert got["2026-03-29T03:00:00+02:00"] == 2
        assert got["2026-03-29T23:00:00+02:00"] == 1
        day = await kpi_report(c, start=start, end=end, by="day", tz="Europe/Berlin")
        assert [(r["interval"], r["offered"]) for r in day] == [
            ("2026-03-29T00:00:00+01:00", 6)]
        utc_day = await kpi_report(c, start=start, end=end, by="day", tz="UTC")
        # the same instants seen from UTC: 23:30 UTC on the 28th ... 21:30 UTC on the 29th
        assert [(r["interval"], r["offered"]) for r in utc_day] == [
            ("2026-03-28T00:00:00+00:00", 1), ("2026-03-29T00:00:00+00:00", 5)]
    finally:
        await c.close()
