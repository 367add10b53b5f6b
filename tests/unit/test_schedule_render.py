"""The text output of ``ccd schedule`` (tables the supervisor reads)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ccd.schedule.core import render
from ccd.schedule.core.backtest import Actual, backtest
from ccd.schedule.core.coverage import coverage_rows
from ccd.schedule.core.export import ShiftRow
from ccd.schedule.core.need import NeedRow, horizon_need, need_rows
from ccd.staffing.core.erlang import Target, agents_for_target
from ccd.staffing.core.erlang_a import agents_for_target_a
from ccd.staffing.core.forecast import ForecastRow

BERLIN = ZoneInfo("Europe/Berlin")


def test_need_table_shows_both_models_and_the_choice() -> None:
    rows = [NeedRow(0, 18, 30, 100.0, 180.0, 20, 17, 0.031, "erlang_a", sl_c=0.888, asa_c_s=8.2,
                    sl_a=0.852, asa_a_s=6.04), NeedRow(0, 19, 30, 0.0, 0.0, 0, 0, 0.0, "erlang_a")]
    text = render.need_table({"model": "erlang_a", "patience": {"seconds": 110.0, "source": "estimated"}}, rows)
    assert "patience: 110.0 s (estimated)" in text
    assert text.splitlines()[1].split() == ["day", "time", "calls", "aht_s", "erlang_c", "sl_c", "asa_c",
                                            "erlang_a", "sl_a", "asa_a", "abandon_a", "plan", "uses"]
    line = next(x for x in text.splitlines() if "09:00" in x).split()
    assert line == ["Mon", "09:00", "100.0", "180", "20", "88.8%", "8.2s", "17", "85.2%", "6.0s", "3.1%", "17"]
    assert rows[0].need == 17 and NeedRow(0, 18, 30, 1, 1, 20, None, None, "erlang_a").need == 20
    assert horizon_need(rows, date(2025, 2, 3), 2)[18] == 17
    assert horizon_need(rows, date(2025, 2, 3), 2)[48 + 18] == 0  # Tuesday: no row


def test_need_rows_give_agents_sl_asa_and_abandon_rate_of_both_models() -> None:
    """Per interval: each model's agents with the service level and ASA they are expected
    to give, Erlang A's abandon rate, and the one the plan uses."""
    target = Target(0.8, 20)
    busy, quiet = agents_for_target(10.0, 180.0, target), agents_for_target(0.0, 180.0, target)
    forecast = [ForecastRow(0, 18, 30, 4, 4, 100.0, 180.0, busy),
                ForecastRow(0, 19, 30, 4, 4, 0.0, 0.0, quiet)]
    a = agents_for_target_a(10.0, 180.0, 120.0, target)
    rows = need_rows(forecast, target, "erlang_a", patience_s=120.0)
    d = rows[0].as_dict()
    assert (d["erlang_c"], d["sl_c"], d["asa_c_s"]) == (
        busy.scheduled, round(busy.service_level, 4), round(busy.asa_s, 1))
    assert (d["erlang_a"], d["sl_a"], d["asa_a_s"], d["abandon_rate_a"]) == (
        a.scheduled, round(a.service_level, 4), round(a.asa_s, 1), round(a.abandon_rate, 4))
    assert d["model"] == "erlang_a" and d["need"] == a.scheduled < busy.scheduled
    assert d["sl_a"] >= 0.8 and d["sl_c"] >= 0.8
    q = rows[1].as_dict()
    assert (q["need"], q["sl_c"], q["asa_c_s"], q["sl_a"], q["asa_a_s"]) == (0, None, None, None, None)
    only_c = need_rows(forecast, target, "erlang_c", patience_s=None)[0].as_dict()
    assert (only_c["need"], only_c["erlang_a"], only_c["sl_a"], only_c["abandon_rate_a"]) == (
        busy.scheduled, None, None, None)


def test_plan_coverage_roster_and_backtest_text() -> None:
    info = {"model": "erlang_c", "shifts": 3, "paid_hours": 20.5, "plan_status": "optimal",
            "optimality_gap": 0.0, "solve_s": 0.2, "shortfall_agent_intervals": 1.5,
            "roster_status": "feasible", "unfilled_shifts": 1, "notes": ["week 2: time limit reached"]}
    text = render.plan_text(4, 2, info)
    assert "plan 4 version 2: draft" in text and "1 unfilled" in text and "note: week 2" in text
    rows = coverage_rows([2, 3], [2.0, 1.5], 30, date(2025, 2, 3))
    table = render.coverage_table({"id": 4}, rows, show_all=False)
    assert "00:30" in table and "00:00" not in table.split("\n", 2)[2] and "shortfall: 1.5" in table
    assert "every interval covered" in render.coverage_table({"id": 4}, rows[:1], show_all=False)
    start = datetime(2025, 2, 3, 8, tzinfo=BERLIN)
    shifts = [ShiftRow("a1", "day8", start, start + timedelta(hours=8),
                       ((start + timedelta(hours=3), start + timedelta(hours=3, minutes=30)),), 450),
              ShiftRow(None, "day8", start, start + timedelta(hours=8), (), 450)]
    roster = render.roster_table(shifts, BERLIN)
    assert "a1" in roster and "11:00-11:30" in roster and "(unfilled)" in roster
    assert render.shift_dict(shifts[0])["start"] == "2025-02-03T08:00:00+01:00"
    report = {"queue": "q", "from": "2025-02-03", "until": "2025-02-04", "history_weeks": 1,
              **backtest([Actual(date(2025, 1, 27), 0, 4, 4, 400.0, 4, 0), Actual(date(2025, 2, 3), 0, 5, 5, 500.0, 5, 0)],
                         date(2025, 2, 3), date(2025, 2, 4), 1, 30, 48)}
    text = render.backtest_text(report)
    assert "calls: n=1 MAPE=20.0% bias=-1.000" in text and "Mon" in text
