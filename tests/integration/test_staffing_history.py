"""Staffing forecast from real call records in PostgreSQL, checked against hand computation.

Four weeks of history for queue "sales" in Europe/Berlin, 7 Oct .. 3 Nov 2024 (the window
``--until 2024-11-04 --weeks 4``). The clocks go back on Sunday 27 Oct (03:00 CEST ->
02:00 CET), so the Mondays straddle two UTC offsets and that Sunday has its 02:00 hour
twice. Hand computation of the two intervals checked:

Monday 09:00-09:30 (slot 18): 90 + 100 + 110 + 100 calls = 400 over 4 Mondays -> 100 per
half hour; 10 abandoned each week; every answered call's talk + wrap-up averages 180 s
(pairs of 120+30 and 180+30, plus two 180 s calls without wrap-up). A = 100 · 180 / 1800
= 10 Erlangs, the callcentrehelper example: 13 agents give 79.6 %, 14 give 88.8 % of calls
in 20 s -> 14 agents; shrinkage 30 %: 14 / 0.7 = 20 scheduled.

Sunday 02:00-02:30 (slot 4): 10 calls at 02:10 on each pass of that wall-clock time:
13 Oct, 20 Oct, 27 Oct twice (00:10 and 01:10 UTC), 3 Nov = 50 calls in 5 real half hours
-> 10 per half hour (not 50 / 4 = 12.5); talk 300 + wrap 60 = 360 s; A = 10 · 360 / 1800
= 2 Erlangs. Erlang C: N = 3 -> C = (2³/3!·3) / (1 + 2 + 2 + 4) = 4/9, SL = 1 - 4/9 ·
e^(-20/360) = 58.0 %; N = 4 -> C = 4/23, SL = 1 - 4/23 · e^(-40/360) = 84.4 % -> 4 agents,
4 / 0.7 = 5.71 -> 6 scheduled.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from ccd.staffing.cli import register, run_staffing
from ccd.staffing.core.erlang import Target
from ccd.staffing.history import comparison_rows, forecast, forecast_rows
from ccd.store.migrate import migrate

pytestmark = pytest.mark.postgres

BERLIN = ZoneInfo("Europe/Berlin")
UNTIL = date(2024, 11, 4)
TARGET = Target(0.8, 20, shrinkage=0.3)
AGENTS = [f"a{i:02d}" for i in range(1, 13)]


def _local(d: date, h: int, m: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, h, m, tzinfo=BERLIN).astimezone(UTC)


def _utc(y: int, mo: int, d: int, h: int, m: int = 0) -> datetime:
    return datetime(y, mo, d, h, m, tzinfo=UTC)


Row = tuple[Any, ...]


def _call(n: Iterator[int], queue: str, at: datetime, talk: float | None, wrap: float | None,
          wait: float = 10.0, agent: str | None = "a01") -> Row:
    answered = talk is not None
    return (
        f"c{next(n)}", queue, "+4930123", agent if answered else None, at, 1,
        at + timedelta(seconds=wait) if answered else None,
        at + timedelta(seconds=wait + (talk or 0)), wait, talk, wrap,
        "answered" if answered else "abandoned", False, None,
    )


def _monday_calls(n: Iterator[int], day: date, count: int, agents: bool) -> list[Row]:
    """``count`` calls spread over local 09:00-09:30: 10 abandoned, handle mean 180 s."""
    rows = []
    handles: list[tuple[float, float | None]] = []
    if day == date(2024, 10, 7):
        handles += [(180.0, None), (180.0, None)]  # wrap-up unknown: handle = talk
    while len(handles) < count - 10:
        handles += [(120.0, 30.0), (180.0, 30.0)]
    for i in range(count):
        at = _local(day, 9) + timedelta(seconds=i * 1800 / count)
        if i < 10:
            rows.append(_call(n, "sales", at, None, None, wait=60.0))
            continue
        talk, wrap = handles[i - 10]
        wait = 10.0 if i < 82 else 60.0  # on 28 Oct: 72 of 100 answered within 20 s
        agent = AGENTS[i % len(AGENTS)] if agents else "a01"
        rows.append(_call(n, "sales", at, talk, wrap, wait=wait, agent=agent))
    return rows


def _seed_rows() -> list[Row]:
    n = iter(range(1_000_000))
    rows: list[Row] = []
    mondays = [date(2024, 10, 7), date(2024, 10, 14), date(2024, 10, 21), date(2024, 10, 28)]
    for day, count in zip(mondays, (90, 100, 110, 100), strict=True):
        rows += _monday_calls(n, day, count, agents=day == mondays[-1])
    # Sunday 02:10 local on every pass of that wall-clock time (two on 27 Oct)
    for at in (_utc(2024, 10, 13, 0, 10), _utc(2024, 10, 20, 0, 10), _utc(2024, 10, 27, 0, 10),
               _utc(2024, 10, 27, 1, 10), _utc(2024, 11, 3, 1, 10)):
        rows += [_call(n, "sales", at + timedelta(seconds=i), 300.0, 60.0) for i in range(10)]
    # decoys: 07:10 UTC is 08:10 CET on 28 Oct (a UTC+2 bucketing would say 09:10) ...
    rows += [_call(n, "sales", _utc(2024, 10, 28, 7, 10), 100.0, 0.0) for _ in range(25)]
    # ... another queue at the same time, and calls outside the window
    rows += [_call(n, "support", _local(date(2024, 10, 14), 9, 5), 60.0, 0.0) for _ in range(30)]
    rows += [_call(n, "sales", _local(date(2024, 10, 6), 9, 5), 60.0, 0.0) for _ in range(7)]
    rows += [_call(n, "sales", _local(date(2024, 11, 4), 9, 5), 60.0, 0.0) for _ in range(7)]
    return rows


def _state_rows() -> list[Row]:
    # 28 Oct, 09:00-09:30 CET = 08:00-08:30 UTC: 12 agents logged in 07:00-10:00 UTC,
    # two of them paused 08:00-08:15 (-> 11 productive on average); z99 is on another queue.
    rows: list[Row] = [
        (a, "logged_in", None, _utc(2024, 10, 28, 7), _utc(2024, 10, 28, 10)) for a in AGENTS
    ]
    rows += [(a, "paused", "break", _utc(2024, 10, 28, 8), _utc(2024, 10, 28, 8, 15))
             for a in AGENTS[:2]]
    rows += [(a, "on_call", None, _utc(2024, 10, 28, 8, 1), _utc(2024, 10, 28, 8, 4))
             for a in AGENTS[2:]]
    rows.append(("z99", "logged_in", None, _utc(2024, 10, 28, 6), _utc(2024, 10, 28, 12)))
    return rows


async def _seed(dsn: str) -> None:
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "call_records", records=_seed_rows(),
            columns=["call_id", "queue", "caller", "agent_id", "enqueued_at", "offered_count",
                     "answered_at", "ended_at", "wait_s", "talk_s", "wrapup_s", "outcome",
                     "sticky_hit", "rating"])
        # agent_state_intervals is the read contract; the store may keep it as a view over
        # agent_presence_intervals (logged_in / paused) plus call_records (on_call / wrap_up).
        kind = await conn.fetchval(
            "SELECT table_type FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = 'agent_state_intervals'")
        states = _state_rows()
        table = "agent_state_intervals"
        if kind == "VIEW":
            table = "agent_presence_intervals"
            states = [r for r in states if r[1] in ("logged_in", "paused")]
        await conn.copy_records_to_table(
            table, records=states, columns=["agent_id", "state", "reason", "started_at", "ended_at"])
    finally:
        await conn.close()


async def test_forecast_matches_hand_computation(pg_dsn: str) -> None:
    await _seed(pg_dsn)
    conn = await asyncpg.connect(pg_dsn)
    try:
        window, rows = await forecast(conn, "sales", BERLIN, interval_min=30, weeks=4,
                                      until=UNTIL, target=TARGET)
    finally:
        await conn.close()
    assert (window.first_day, window.end_day) == (date(2024, 10, 7), UNTIL)
    assert window.weeks_per_weekday() == dict.fromkeys(range(7), 4)
    by = {(r.weekday, r.slot): r for r in rows}
    assert len(rows) == 7 * 48

    mon = by[(0, 18)]
    assert mon.weeks == 4 and mon.occurrences == 4
    assert mon.calls == pytest.approx(100.0)
    assert mon.aht_s == pytest.approx(180.0)
    assert mon.erlang.traffic == pytest.approx(10.0)
    assert (mon.erlang.agents, mon.erlang.scheduled) == (14, 20)
    assert mon.erlang.service_level == pytest.approx(0.888, abs=0.001)

    sun = by[(6, 4)]
    assert sun.occurrences == 5
    assert sun.calls == pytest.approx(10.0)
    assert sun.aht_s == pytest.approx(360.0)
    assert sun.erlang.traffic == pytest.approx(2.0)
    assert (sun.erlang.agents, sun.erlang.scheduled) == (4, 6)
    assert sun.erlang.service_level == pytest.approx(0.844, abs=0.001)

    # the DST decoy landed at 08:00 local, nothing leaked into 09:30 or from "support"
    assert by[(0, 16)].calls == pytest.approx(25 / 4)
    assert by[(0, 19)].calls == 0 and by[(0, 17)].calls == 0
    assert sum(r.calls * r.occurrences for r in rows) == pytest.approx(400 + 50 + 25)


async def test_comparison_shows_the_understaffed_half_hour(pg_dsn: str) -> None:
    await _seed(pg_dsn)
    conn = await asyncpg.connect(pg_dsn)
    try:
        for members in (None, AGENTS):  # answered-calls fallback and configured members
            rows = await comparison_rows(
                conn, "sales", "Europe/Berlin", first_day=date(2024, 10, 28),
                end_day=date(2024, 10, 29), interval_min=30, target=TARGET,
                now=_utc(2024, 11, 5, 0), members=members)
            assert len(rows) == 48
            nine = rows[18]
            assert nine["start"] == "2024-10-28T09:00:00+01:00"
            assert (nine["calls"], nine["aht_s"], nine["agents_needed"]) == (100, 180.0, 14)
            assert (nine["logged_in"], nine["productive"]) == (12.0, 11.0)
            assert (nine["status"], nine["gap"]) == ("under", -3.0)
            assert nine["actual_sl"] == pytest.approx(0.72)
            # 09:30-10:00: everyone still logged in, no calls -> over-staffed
            assert rows[19]["calls"] == 0 and rows[19]["status"] == "over"
            assert rows[19]["logged_in"] == 12.0
        api = await forecast_rows(conn, "sales", "Europe/Berlin", until=UNTIL, target=TARGET)
        json.dumps(api)
        assert next(r for r in api if (r["day"], r["time"]) == ("Mon", "09:00"))["agents"] == 14
    finally:
        await conn.close()


def test_cli_json_and_png(pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_seed(pg_dsn))
    parser = argparse.ArgumentParser(prog="ccd")
    register(parser.add_subparsers())
    png = tmp_path / "heat.png"
    # the heat map needs Pillow; without it the rest of the command is still checked
    with_png = ["--png", str(png)] if importlib.util.find_spec("PIL") else []
    base = ["staffing", "--queue", "sales", "--dsn", pg_dsn, "--tz", "Europe/Berlin",
            "--until", "2024-11-04", "--weeks", "4", "--target-sl", "0.8",
            "--answer-within", "20", "--shrinkage", "0.3", "--format", "json"]

    assert run_staffing(parser.parse_args([*base, "--interval", "30m", *with_png])) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["weeks_requested"], out["weeks_used"], out["timezone"]) == (4, 4, "Europe/Berlin")
    cell = {(r["day"], r["time"]): r for r in out["rows"]}
    assert (cell[("Mon", "09:00")]["agents"], cell[("Mon", "09:00")]["scheduled"]) == (14, 20)
    assert (cell[("Sun", "02:00")]["agents"], cell[("Sun", "02:00")]["scheduled"]) == (4, 6)
    if with_png:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # hourly: the same 400 Monday calls are 100 per hour -> 5 Erlangs
    assert run_staffing(parser.parse_args([*base, "--interval", "1h"])) == 0
    hourly = {(r["day"], r["time"]): r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert hourly[("Mon", "09:00")]["traffic"] == pytest.approx(5.0)


def test_cli_compare_with_config_members(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_seed(pg_dsn))
    agents = "".join(f'[[agents]]\nid = "{a}"\nendpoint = "PJSIP/{a}"\n\n' for a in AGENTS)
    cfg = tmp_path / "ccd.toml"
    cfg.write_text(
        f'timezone = "Europe/Berlin"\n\n[database]\ndsn = "{pg_dsn}"\n\n{agents}'
        '[[agents]]\nid = "z99"\nendpoint = "PJSIP/z99"\n\n'
        f"[[queues]]\nname = \"sales\"\nagents = {json.dumps(AGENTS)}\n"
    )
    parser = argparse.ArgumentParser(prog="ccd")
    register(parser.add_subparsers())
    args = parser.parse_args(["staffing", "-c", str(cfg), "--queue", "sales", "--compare",
                              "--until", "2024-10-29", "--weeks", "1", "--format", "json"])
    assert run_staffing(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["from"], out["until"]) == ("2024-10-22", "2024-10-29")
    nine = next(r for r in out["rows"] if r["start"] == "2024-10-28T09:00:00+01:00")
    assert (nine["logged_in"], nine["productive"], nine["status"]) == (12.0, 11.0, "under")
    # the repeated 02:00 hour of 27 Oct shows up as two real half hours of 10 calls each
    twice = [r for r in out["rows"] if r["day"] == "Sun" and r["time"] == "02:00"]
    assert [r["start"][-6:] for r in twice] == ["+02:00", "+01:00"]
    assert [r["calls"] for r in twice] == [10, 10]
