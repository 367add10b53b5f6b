"""From stored history (domain events written by the event writer and projected into call
records by PostgreSQL) to an approved plan and its iCalendar export, through ``ccd schedule``.

History: queue "sales", Europe/Berlin, four weeks Mon 6 Jan .. Sun 2 Feb 2025, every weekday
09:00-11:00 local. Each half hour: 12 calls; 10 answered after 10 s (talk 150 s + wrap-up
30 s = AHT 180 s), 2 abandoned after 60 s. So traffic = 12 · 180 / 1800 = 1.2 Erlangs per
half hour, and patience = (10·10 + 2·60) / 2 = 110 s per half hour, the same over all
(160 abandons, far above the minimum of 30).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from ccd.events import DomainEvent, RawEvent
from ccd.schedule import store
from ccd.schedule.cli import register
from ccd.schedule.gauges import refresh_once
from ccd.staffing.core.erlang import Target
from ccd.staffing.core.erlang_a import agents_for_target_a
from ccd.store.migrate import migrate
from ccd.store.writer import EventWriter

pytestmark = pytest.mark.postgres
BERLIN = ZoneInfo("Europe/Berlin")
FIRST = date(2025, 1, 6)
PLAN_DAY = date(2025, 2, 3)  # the Monday after the history
AGENTS = ["s1", "s2", "r1", "r2", "r3", "t1"]


def _events() -> list[DomainEvent]:
    out: list[DomainEvent] = []
    n = 0

    def e(type_: str, ts: datetime, call: str, agent: str | None, **payload: Any) -> None:
        nonlocal n
        n += 1
        out.append(RawEvent(type=type_, ts=ts, call_id=call, agent_id=agent, queue="sales",
                               payload=payload, event_id=f"h{n:06d}"))

    for d in range(28):
        day = FIRST + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for slot in range(4):
            base = datetime(day.year, day.month, day.day, 9, tzinfo=BERLIN) + timedelta(minutes=30 * slot)
            for i in range(12):
                cid = f"c{day:%m%d}-{slot}-{i}"
                t = base + timedelta(seconds=150 * i)
                e("call.queued", t, cid, None, caller=f"+4930{i:04d}", priority=0)
                if i < 2:
                    e("call.abandoned", t + timedelta(seconds=60), cid, None, wait_s=60.0, position=1)
                    continue
                agent = AGENTS[i % 5]
                e("call.offered", t + timedelta(seconds=2), cid, agent, attempt=1, sticky=False)
                e("call.answered", t + timedelta(seconds=10), cid, agent, wait_s=10.0, sticky=False)
                e("call.ended", t + timedelta(seconds=160), cid, agent, talk_s=150.0, ended_by="caller")
                e("agent.wrapup_ended", t + timedelta(seconds=190), cid, agent, wrapup_s=30.0)
    return out


def _config(path: Path, dsn: str) -> Path:
    agents = "\n".join(
        f'[[agents]]\nid = "{a}"\nendpoint = "PJSIP/{a}"\nseniority = "'
        f'{"senior" if a.startswith("s") else "trainee" if a.startswith("t") else "regular"}"\n'
        for a in AGENTS)
    path.write_text(f'''
timezone = "Europe/Berlin"
[database]
dsn = "{dsn}"
{agents}
[[queues]]
name = "sales"
agents = {json.dumps(AGENTS)}

[schedule]
model = "erlang_a"
interval = 30
weeks_of_history = 4
target_sl = 0.8
answer_within = 20
open = {{ mon = "08:00-13:00", tue = "08:00-13:00", wed = "08:00-13:00", thu = "08:00-13:00", fri = "08:00-13:00", sat = "00:00-00:00", sun = "00:00-00:00" }}
min_rest_hours = 11
rest_days = 2
time_limit = 20

[[schedule.templates]]
name = "morning"
length = 240
start_from = "08:00"
start_to = "09:00"
start_step = 60
breaks = [{{ length = 15, earliest = 90, latest = 150, step = 30, paid = true }}]

[[schedule.agents]]
id = "t1"
max_hours = 20
preferences = [{{ weight = 2, template = "morning", weekday = "mon" }}]
''')
    return path


def _ccd(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="ccd")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


async def _seed(dsn: str, spool: Path) -> None:
    await migrate(dsn)
    w = EventWriter(dsn, spool)
    await w.start()
    for ev in _events():
        w.submit(ev)
    await w.stop()
    assert w.dead_lettered_total == 0 and w.spooled_total == 0


def test_history_to_approved_plan_and_icalendar(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.harness.postgres import run_sync

    run_sync(_seed(pg_dsn, tmp_path / "spool"))
    cfg = str(_config(tmp_path / "ccd.toml", pg_dsn))

    # the need, both models side by side, patience estimated from the abandons
    _, out = _ccd(["schedule", "need", "-c", cfg, "--queue", "sales", "--until", "2025-02-03",
                   "--format", "json"], capsys)
    need = json.loads(out)
    assert need["patience"]["source"] == "estimated"
    assert need["patience"]["abandons"] == 160
    assert need["patience"]["seconds"] == pytest.approx(110.0)
    nine = next(r for r in need["rows"] if (r["day"], r["time"]) == ("Mon", "09:00"))
    assert (nine["calls"], nine["aht_s"]) == (12.0, 180.0)
    ra = agents_for_target_a(1.2, 180.0, 110.0, Target(0.8, 20))
    expected_a = ra.agents
    assert nine["erlang_a"] == expected_a and nine["need"] == expected_a
    assert nine["erlang_c"] >= nine["erlang_a"]
    # each model's expected service level and ASA, and Erlang A's abandon rate, per interval
    assert nine["sl_a"] == pytest.approx(ra.service_level, abs=1e-3) and nine["sl_a"] >= 0.8
    assert nine["asa_a_s"] == pytest.approx(ra.asa_s, abs=0.1)
    assert nine["abandon_rate_a"] == pytest.approx(ra.abandon_rate, abs=1e-3)
    assert nine["sl_c"] >= 0.8 and nine["asa_c_s"] is not None

    # plan a week: a draft, covering the need
    _, out = _ccd(["schedule", "plan", "-c", cfg, "--queue", "sales", "--from", "2025-02-03",
                   "--days", "7", "--by", "alice", "--format", "json"], capsys)
    plan = json.loads(out)
    assert plan["status"] == "draft" and plan["version"] == 1
    assert plan["shortfall_agent_intervals"] == 0 and plan["unfilled_shifts"] == 0, {k: v for k, v in plan.items() if k != "need_by_model"}
    assert plan["plan_status"] == "optimal"
    plan_id = plan["id"]
    _, out = _ccd(["schedule", "coverage", "-c", cfg, "--plan", str(plan_id), "--format", "json"], capsys)
    cov = json.loads(out)
    assert all(r["scheduled"] >= r["need"] for r in cov["rows"])
    assert any(r["need"] > 0 for r in cov["rows"] if r["time"] == "09:00" and r["day"] == "Mon")
    svg = tmp_path / "cov.svg"
    png = tmp_path / "cov.png"
    _, out = _ccd(["schedule", "coverage", "-c", cfg, "--plan", str(plan_id), "--svg", str(svg),
                   "--png", str(png), "--map"], capsys)
    assert svg.read_text().startswith("<svg") and png.read_bytes()[:4] == b"\x89PNG"
    assert "\x1b[48;2;" in out  # the terminal heat map

    # approval: draft -> approved, once
    _, out = _ccd(["schedule", "approve", "-c", cfg, "--plan", str(plan_id), "--by", "bob"], capsys)
    assert "approved by bob" in out
    parser = argparse.ArgumentParser(prog="ccd")
    register(parser.add_subparsers())
    again = parser.parse_args(["schedule", "approve", "-c", cfg, "--plan", str(plan_id), "--by", "bob"])
    assert again.func(again) == 2
    assert "only a draft can be approved" in capsys.readouterr().err

    # iCalendar per agent: one VEVENT per assigned shift, times in UTC
    ics_dir = tmp_path / "ics"
    _ccd(["schedule", "export", "-c", cfg, "--plan", str(plan_id), "--ics", str(ics_dir),
          "--csv", str(tmp_path / "roster.csv")], capsys)

    async def shifts() -> list[Any]:
        conn = await asyncpg.connect(pg_dsn)
        try:
            return await store.load_shifts(conn, plan_id)
        finally:
            await conn.close()

    rows = run_sync(shifts())
    assigned = [r for r in rows if r.agent_id]
    assert assigned and len(assigned) == len(rows)
    for agent in {r.agent_id for r in assigned}:
        text = (ics_dir / f"{agent}.ics").read_bytes().decode()
        assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
        starts = sorted(re.findall(r"DTSTART:(\d{8}T\d{6}Z)", text))
        mine = sorted(r.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for r in assigned if r.agent_id == agent)
        assert starts == mine
        # 08:00 or 09:00 Berlin in February is 07:00 or 08:00 UTC
        assert all(s[9:13] in ("0700", "0800") for s in starts)
    # a trainee never works without a senior on the same shift (t1 wants Monday mornings)
    assert any(r.agent_id == "t1" for r in assigned)
    for r in assigned:
        if r.agent_id == "t1":
            assert any(x.agent_id in ("s1", "s2") and x.start == r.start and x.template == r.template
                       for x in assigned)
    assert (tmp_path / "roster.csv").read_text().startswith("agent,template,start,end")

    # the roster published per agent: `ccd schedule roster --agent` lists that agent's shifts only
    _, out = _ccd(["schedule", "roster", "-c", cfg, "--plan", str(plan_id), "--agent", "t1",
                   "--format", "json"], capsys)
    t1_shifts = json.loads(out)
    assert t1_shifts and {s["agent"] for s in t1_shifts} == {"t1"}
    assert sorted(s["start"] for s in t1_shifts) == sorted(
        r.start.isoformat() for r in assigned if r.agent_id == "t1")
    _, out = _ccd(["schedule", "roster", "-c", cfg, "--plan", str(plan_id)], capsys)
    assert {line.split()[0] for line in out.splitlines()[2:]} == {r.agent_id for r in assigned}

    # the gauges' source: required and on shift at Monday 09:05 Berlin
    async def now_figures() -> tuple[int, int] | None:
        conn = await asyncpg.connect(pg_dsn)
        try:
            return await store.current_interval(conn, "sales", datetime(2025, 2, 3, 9, 5, tzinfo=BERLIN))
        finally:
            await conn.close()

    required, on_shift = run_sync(now_figures()) or (None, None)
    assert required == expected_a and on_shift is not None and on_shift >= required

    async def gauges() -> dict[str, tuple[int, int]]:
        conn = await asyncpg.connect(pg_dsn)
        into = {"gone": (1, 1)}  # a queue without an approved plan now loses its figures
        try:
            await refresh_once(conn, ["sales", "gone"], datetime(2025, 2, 3, 9, 5, tzinfo=BERLIN), into)
        finally:
            await conn.close()
        return into

    assert run_sync(gauges()) == {"sales": (required, on_shift)}

    # a second plan is version 2; approving it supersedes the first
    _, out = _ccd(["schedule", "plan", "-c", cfg, "--queue", "sales", "--from", "2025-02-03",
                   "--days", "7", "--format", "json"], capsys)
    second = json.loads(out)
    assert second["version"] == 2
    _ccd(["schedule", "approve", "-c", cfg, "--plan", str(second["id"]), "--by", "bob"], capsys)
    _, out = _ccd(["schedule", "list", "-c", cfg, "--queue", "sales"], capsys)
    assert re.search(rf"\b{plan_id}\b.*superseded", out) and re.search(rf"\b{second['id']}\b.*approved", out)

    # backtest of the last history week: identical weeks, so the calls forecast is exact
    _, out = _ccd(["schedule", "backtest", "-c", cfg, "--queue", "sales", "--weeks", "1",
                   "--until", "2025-02-03", "--format", "json"], capsys)
    bt = json.loads(out)
    calls = bt["errors"]["calls"]
    # 5 weekdays x 4 half hours, forecast from the 3 earlier weeks that have data
    assert calls["all"] == {"n": 20, "mape": 0.0, "bias": 0.0}
    assert bt["errors"]["abandon_rate"]["by_weekday"]["Mon"]["bias"] == 0.0
