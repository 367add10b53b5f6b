"""Schedule config, iCalendar and CSV exports, coverage maps, and the /metrics gauges."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ccd.config_load import check_config
from ccd.schedule.core.coverage import coverage_png, coverage_rows, coverage_svg, hour_grid, terminal_map
from ccd.schedule.core.export import ShiftRow, agent_ical, roster_csv
from ccd.schedule.core.inputs import open_intervals, plan_request, roster_agents, to_instant, to_minute

BERLIN = ZoneInfo("Europe/Berlin")
BASE = """
timezone = "Europe/Berlin"
[[teams]]
name = "red"
mentor = "m1"
[[agents]]
id = "m1"
endpoint = "PJSIP/m1"
teams = ["red"]
[[agents]]
id = "t1"
endpoint = "PJSIP/t1"
seniority = "trainee"
teams = ["red"]
[[queues]]
name = "sales"
teams = ["red"]
"""


def _check(tmp_path: Path, extra: str) -> list[str]:
    p = tmp_path / "ccd.toml"
    p.write_text(BASE + extra)
    _, problems = check_config(p, secrets=False)
    return [str(x) for x in problems]


@pytest.mark.parametrize(("extra", "expected"), [
    ('[schedule]\nmodel = "erlang_b"\n', "schedule.model"),
    ('[schedule]\nopen = { mon = "25:00-26:00" }\n', "not a time of day"),
    ('[schedule]\nopen = { funday = "08:00-12:00" }\n', "unknown weekday"),
    ('[[schedule.templates]]\nname = "x"\nlength = 240\nbreaks = [{ length = 30, earliest = 200, latest = 230 }]\n',
     "ends after the shift"),
    ('[[schedule.templates]]\nname = "x"\nlength = 240\nstart_from = "9:00"\n', "not a time of day"),
    ('[[schedule.agents]]\nid = "t1"\nmin_hours = 30\nmax_hours = 20\n', "min_hours must not exceed"),
    ('[[schedule.templates]]\nname = "x"\nlength = 240\n[[schedule.templates]]\nname = "x"\nlength = 120\n',
     "duplicate template names: x"),
    ('[schedule]\nheads = [{ span = "09:00-12:00" }]\n', "give min, max or both"),
    ('[schedule]\nheads = [{ span = "12:00-09:00", min = 2 }]\n', "ends before it starts"),
    ('[schedule]\nheads = [{ span = "09:00-12:00", min = 5, max = 4 }]\n', "min must not exceed max"),
])
def test_bad_schedule_config_names_the_field(tmp_path: Path, extra: str, expected: str) -> None:
    found = _check(tmp_path, extra)
    assert len(found) == 1 and expected in found[0], found
    assert "schedule" in found[0]


def test_config_to_solver_inputs(tmp_path: Path) -> None:
    p = tmp_path / "ccd.toml"
    p.write_text(BASE + '''[schedule]
interval = 60
open = { mon = "08:00-12:00", sun = "00:00-00:00" }
[[schedule.agents]]
id = "t1"
max_hours = 20
available = { mon = "08:00-16:00", sun = "00:00-00:00" }
time_off = [{ from = 2025-03-04T00:00:00, to = 2025-03-05T00:00:00 }]
''')
    cfg, problems = check_config(p, secrets=False)
    assert cfg is not None, problems
    monday = date(2025, 3, 3)
    opened = open_intervals(cfg, monday, 7)
    assert [i for i in range(24) if opened[i]] == [8, 9, 10, 11]
    assert all(opened[24:48]) and not any(opened[6 * 24:])
    agents = {a.id: a for a in roster_agents(cfg, "sales", monday, 7)}
    assert agents["m1"].mentor and agents["m1"].skills == frozenset({"sales"})
    assert agents["t1"].seniority == "trainee" and agents["t1"].max_week_min == 1200
    # time off, then outside the weekly availability: Monday before 08:00 and from 16:00, Sunday
    assert agents["t1"].unavailable == ((24 * 60, 48 * 60), (0, 8 * 60), (16 * 60, 24 * 60),
                                        (6 * 24 * 60, 7 * 24 * 60))
    assert agents["m1"].unavailable == ()


def test_time_off_lands_on_wall_clock_minutes_across_dst() -> None:
    monday = date(2025, 3, 24)  # Berlin springs forward on Sunday 30 March
    after = datetime(2025, 3, 31, 8, tzinfo=BERLIN)
    assert to_minute(after, monday, BERLIN) == 7 * 24 * 60 + 8 * 60  # 08:00 on the clock
    assert to_minute(after.replace(tzinfo=None), monday, BERLIN) == 7 * 24 * 60 + 8 * 60
    assert to_minute(to_instant(monday, 6 * 24 * 60 + 9 * 60, BERLIN), monday, BERLIN) == 6 * 24 * 60 + 9 * 60


def test_min_and_max_heads_per_interval(tmp_path: Path) -> None:
    """Section-wide heads, overridden for chosen hours and days (a later entry wins)."""
    p = tmp_path / "ccd.toml"
    p.write_text(BASE + '''[schedule]
interval = 60
min_heads = 1
max_heads = 10
heads = [{ days = ["mon"], span = "11:00-14:00", min = 3 },
         { span = "20:00-00:00", max = 2 },
         { days = ["mon"], span = "13:00-14:00", min = 4, max = 6 }]
[[schedule.templates]]
name = "x"
length = 240
''')
    cfg, problems = check_config(p, secrets=False)
    assert cfg is not None, problems
    req = plan_request(cfg, [0] * 48, date(2025, 3, 3), 2)  # Monday, Tuesday
    assert req.min_heads is not None and req.max_heads is not None
    assert list(req.min_heads[10:15]) == [1, 3, 3, 4, 1]
    assert list(req.max_heads[12:14]) == [10, 6]
    assert list(req.max_heads[19:24]) == [10, 2, 2, 2, 2]
    assert req.min_heads[24 + 12] == 1 and req.max_heads[24 + 20] == 2  # Tuesday: evenings only
    assert req.need_at(12) == 3 and req.max_at(13) == 6


def test_wall_clock_minutes_cross_dst_right() -> None:
    sunday = date(2024, 10, 27)  # clocks go back at 03:00 CEST
    assert to_instant(sunday, 9 * 60, BERLIN).astimezone(UTC) == datetime(2024, 10, 27, 8, tzinfo=UTC)
    assert to_instant(sunday, 24 * 60 + 9 * 60, BERLIN).astimezone(UTC) == datetime(2024, 10, 28, 8, tzinfo=UTC)


def _row(agent: str | None, start: datetime, hours: int, template: str = "early, long") -> ShiftRow:
    return ShiftRow(agent, template, start, start + timedelta(hours=hours),
                    ((start + timedelta(hours=2), start + timedelta(hours=2, minutes=30)),), hours * 60)


def test_icalendar_is_rfc5545_shaped() -> None:
    t = datetime(2025, 2, 3, 8, tzinfo=BERLIN)
    rows = [_row("a1", t, 8), _row("a2", t, 4), _row("a1", t + timedelta(days=1), 8)]
    text = agent_ical("a1", rows, plan_id=7, version=2, queue="sales", stamp=datetime(2025, 1, 30, tzinfo=UTC))
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert all(len(x.encode()) <= 75 for x in lines)
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20250203T070000Z" in text and "DTEND:20250203T150000Z" in text
    assert "SUMMARY:Shift early\\, long (sales)" in text
    uids = re.findall(r"UID:(\S+)", text)
    assert len(set(uids)) == 2 and all(u.startswith("ccd-plan7-v2-a1-") for u in uids)


def test_long_lines_are_folded() -> None:
    t = datetime(2025, 2, 3, 8, tzinfo=BERLIN)
    text = agent_ical("a1", [_row("a1", t, 8, "x" * 200)], plan_id=1, version=1, queue="q",
                      stamp=datetime(2025, 1, 30, tzinfo=UTC))
    unfolded = text.replace("\r\n ", "")
    assert "x" * 200 in unfolded and all(len(x.encode()) <= 75 for x in text.split("\r\n"))


def test_roster_csv() -> None:
    t = datetime(2025, 2, 3, 8, tzinfo=BERLIN)
    out = roster_csv([_row("a1", t, 8), _row(None, t, 4)]).splitlines()
    assert out[0] == "agent,template,start,end,paid_hours,breaks"
    assert out[1].startswith("a1,") and out[1].endswith(",8,10:00-10:30")
    assert out[2].startswith(",")


def test_coverage_maps(tmp_path: Path) -> None:
    need = [0] * 16 + [2, 2, 3, 3] + [0] * 28
    cov = [0.0] * 16 + [2.0, 1.0, 3.0, 4.0] + [0.0] * 28
    rows = coverage_rows(need, cov, 30, date(2025, 2, 3))
    assert rows[17] == {"date": "2025-02-03", "day": "Mon", "time": "08:30", "need": 2,
                        "scheduled": 1.0, "gap": -1.0, "short": 1.0}
    labels, grid = hour_grid(rows, 30)
    assert labels == ["Mon 02-03"] and grid[0][8] == -1.0 and grid[0][9] == 0.0 and grid[0][3] is None
    assert "\x1b[48;2;" in terminal_map(labels, grid)
    svg = coverage_svg(labels, grid, "t <&>")
    assert svg.startswith("<svg") and "t &lt;&amp;&gt;" in svg and svg.count("<rect") == 24
    png = coverage_png(labels, grid, tmp_path / "c.png", "title")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_expose_required_scheduled_logged_in() -> None:
    from prometheus_client import generate_latest

    from ccd.config import CcdConfig
    from ccd.metrics import Metrics
    from ccd.snapshot import EngineSnapshot

    cfg = CcdConfig.model_validate({
        "agents": [{"id": "a", "endpoint": "PJSIP/a"}, {"id": "b", "endpoint": "PJSIP/b"}],
        "queues": [{"name": "sales", "agents": ["a", "b"]}, {"name": "support", "agents": ["a"]}]})
    from tests.unit.test_metrics import agent_view

    snap = EngineSnapshot(now=0.0, queues={}, agents={"a": agent_view("a", "paused"),
                                                       "b": agent_view("b", "logged_out")})
    m = Metrics.from_config(cfg, lambda: snap, dict)
    m.schedule_now["sales"] = (3, 2)
    text = generate_latest(m.registry).decode()
    assert 'ccd_schedule_required_agents{queue="sales"} 3.0' in text
    assert 'ccd_schedule_scheduled_agents{queue="sales"} 2.0' in text
    assert 'ccd_schedule_logged_in_agents{queue="sales"} 1.0' in text  # paused counts, logged out not
    assert 'ccd_schedule_required_agents{queue="support"} NaN' in text  # no approved plan: unknown


def test_daemon_and_cli_load_without_the_solver() -> None:
    """OR-Tools (with numpy and pandas) doubles the daemon's memory: only planning loads it."""
    import subprocess
    import sys

    code = ("import sys, ccd.daemon, ccd.cli; ccd.cli.build_parser(); "
            "assert 'ortools' not in sys.modules and 'pandas' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
