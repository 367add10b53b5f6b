"""Calendar (DST-aware exposure), forecast table and needed-vs-present comparison."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ccd.staffing.core.erlang import Target
from ccd.staffing.core.forecast import (
    IntervalStats,
    SlotStats,
    Staffed,
    StateSpan,
    build_comparison,
    build_forecast,
    queue_aht,
    staffed_by_interval,
)
from ccd.staffing.core.slots import (
    Window,
    bucket_starts,
    check_interval,
    exposure,
    local_slot,
    parse_minutes,
    slot_label,
)

BERLIN = ZoneInfo("Europe/Berlin")
CCH = Target(0.8, 20, shrinkage=0.3)  # the callcentrehelper target: 80 % in 20 s


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("1h", 60), ("15", 15),
                                                ("60min", 60), (" 2h ", 120)])
def test_parse_minutes(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "0m", "-5m", "1d"])
def test_parse_minutes_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_minutes(text)


def test_check_interval_and_labels() -> None:
    assert check_interval(15) == 15
    with pytest.raises(ValueError):
        check_interval(20)
    assert slot_label(19, 30) == "09:30"
    assert slot_label(23, 60) == "23:00"


def test_window_of_whole_local_weeks() -> None:
    w = Window.last_weeks(BERLIN, 4, date(2024, 11, 4))
    assert w.first_day == date(2024, 10, 7)
    assert w.start_utc == datetime(2024, 10, 6, 22, 0, tzinfo=UTC)  # CEST midnight
    assert w.end_utc == datetime(2024, 11, 3, 23, 0, tzinfo=UTC)  # CET midnight
    assert w.weeks_per_weekday() == dict.fromkeys(range(7), 4)


def test_exposure_counts_the_repeated_autumn_hour_twice() -> None:
    # Sunday 27 Oct 2024: 03:00 CEST -> 02:00 CET, so 02:00-03:00 happens twice.
    w = Window.last_weeks(BERLIN, 4, date(2024, 11, 4))
    exp = exposure(w, 30)
    assert exp[(6, 4)] == 5 and exp[(6, 5)] == 5  # Sun 02:00, 02:30
    assert exp[(6, 6)] == 4 and exp[(0, 18)] == 4  # Sun 03:00, Mon 09:00
    assert sum(exp.values()) == 28 * 48 + 2


def test_exposure_skips_the_missing_spring_hour() -> None:
    # Sunday 31 Mar 2024: 02:00 CET -> 03:00 CEST, 02:00-03:00 never happens.
    w = Window.last_weeks(BERLIN, 4, date(2024, 4, 8))
    exp = exposure(w, 60)
    assert exp[(6, 2)] == 3
    assert exp[(6, 1)] == 4 and exp[(6, 3)] == 4
    assert sum(exp.values()) == 28 * 24 - 1


def test_window_clipped_to_first_record() -> None:
    w = Window.last_weeks(BERLIN, 4, date(2024, 11, 4))
    c = w.clipped(datetime(2024, 10, 16, 7, 30, tzinfo=UTC))  # a Wednesday
    assert c.first_day == date(2024, 10, 16)
    assert c.weeks_per_weekday() == {0: 2, 1: 2, 2: 3, 3: 3, 4: 3, 5: 3, 6: 3}
    assert w.clipped(datetime(2024, 1, 1, tzinfo=UTC)) == w
    empty = w.clipped(None)
    assert empty.weeks_per_weekday() == dict.fromkeys(range(7), 0)
    assert sum(exposure(empty, 30).values()) == 0


def test_local_slot_follows_the_wall_clock() -> None:
    # 07:00 UTC is 09:00 in summer and 08:00 in winter
    assert local_slot(datetime(2024, 10, 21, 7, 0, tzinfo=UTC), BERLIN, 30) == (0, 18)
    assert local_slot(datetime(2024, 10, 28, 7, 0, tzinfo=UTC), BERLIN, 30) == (0, 16)


def _exp(weeks: int = 4) -> dict[tuple[int, int], int]:
    return {(wd, s): weeks for wd in range(7) for s in range(48)}


def test_forecast_hand_computed_interval() -> None:
    # Monday 09:00: 400 calls over 4 weeks -> 100 per half hour, AHT 180 s -> 10 Erlangs,
    # which the callcentrehelper example staffs with 14 agents, 20 scheduled.
    stats = [SlotStats(0, 18, 400, 360, 360 * 180.0)]
    rows = build_forecast(stats, _exp(), dict.fromkeys(range(7), 4), 30, CCH)
    assert len(rows) == 7 * 48
    row = rows[18]
    assert (row.weekday, row.slot, row.weeks) == (0, 18, 4)
    assert row.calls == pytest.approx(100.0)
    assert row.aht_s == pytest.approx(180.0)
    assert row.erlang.traffic == pytest.approx(10.0)
    assert (row.erlang.agents, row.erlang.scheduled) == (14, 20)
    assert row.erlang.service_level == pytest.approx(0.888, abs=0.001)
    quiet = rows[19]
    assert (quiet.calls, quiet.erlang.agents, quiet.erlang.scheduled) == (0.0, 0, 0)
    d = row.as_dict()
    assert d["day"] == "Mon" and d["time"] == "09:00" and d["agents"] == 14
    json.dumps([r.as_dict() for r in rows])  # JSON-able


def test_forecast_divides_by_real_occurrences_and_falls_back_to_queue_aht() -> None:
    exp = _exp()
    exp[(6, 4)] = 5  # the repeated autumn half hour
    stats = [
        SlotStats(6, 4, 50, 0, 0.0),  # nobody answered here: use the queue AHT
        SlotStats(2, 20, 8, 8, 8 * 240.0),
        SlotStats(3, 20, 8, 8, 8 * 120.0),
    ]
    assert queue_aht(stats) == pytest.approx(180.0)
    rows = build_forecast(stats, exp, dict.fromkeys(range(7), 4), 30, CCH)
    row = next(r for r in rows if (r.weekday, r.slot) == (6, 4))
    assert row.calls == pytest.approx(10.0)
    assert row.aht_s == pytest.approx(180.0)
    assert row.erlang.traffic == pytest.approx(1.0)


def test_forecast_without_any_answered_call_needs_a_fallback() -> None:
    stats = [SlotStats(0, 18, 10, 0, 0.0)]
    with pytest.raises(ValueError, match="--aht"):
        build_forecast(stats, _exp(), {}, 30, CCH)
    rows = build_forecast(stats, _exp(), {}, 30, CCH, aht_fallback_s=300.0)
    assert rows[18].aht_s == 300.0


def _t(h: int, m: int = 0) -> datetime:
    return datetime(2024, 10, 21, h, m, tzinfo=UTC)


def test_staffed_by_interval_time_weighted() -> None:
    starts = bucket_starts(_t(9), _t(10, 30), 30)
    assert starts == [_t(9), _t(9, 30), _t(10)]
    # layered like the store's projection: sessions, with pauses and calls inside them
    spans = [
        StateSpan("a", "logged_in", _t(8), _t(9, 45)),
        StateSpan("a", "on_call", _t(9, 0), _t(9, 20)),  # inside the session: no extra head
        StateSpan("b", "logged_in", _t(9, 15), None),  # still logged in: ends at "now"
        StateSpan("b", "paused", _t(9, 15), _t(9, 30)),
        StateSpan("b", "wrap_up", _t(9, 40), _t(9, 41)),
        StateSpan("c", "logged_in", _t(10, 15), _t(10, 20)),
    ]
    got = staffed_by_interval(spans, starts, 30, now=_t(10, 25))
    assert got[0] == Staffed(1.5, 1.0)  # a 30 min + b 15 min; b paused all 15
    assert got[1] == Staffed(1.5, 1.5)  # a 15 min + b 30 min
    assert got[2].logged_in == pytest.approx(30 / 30)  # b 25 min (until now) + c 5 min
    assert got[2].productive == pytest.approx(1.0)
    assert staffed_by_interval(spans, [], 30, now=_t(11)) == []


def test_pause_without_a_session_never_goes_negative() -> None:
    got = staffed_by_interval([StateSpan("x", "paused", _t(9), _t(9, 30))], [_t(9)], 30, _t(12))
    assert got == [Staffed(0.0, 0.0)]


def test_comparison_flags_under_and_over_staffing() -> None:
    starts = [_t(9), _t(9, 30), _t(10)]
    observed = [
        IntervalStats(_t(9), 100, 100, 100 * 180.0, 70),  # 10 E -> needs 14
        IntervalStats(_t(9, 30), 100, 100, 100 * 180.0, 95),
    ]
    staffed = [Staffed(13.0, 12.0), Staffed(17.0, 15.0), Staffed(2.0, 2.0)]
    rows = build_comparison(starts, observed, staffed, BERLIN, 30, CCH)
    assert [r.needed.agents for r in rows] == [14, 14, 0]
    assert [r.status for r in rows] == ["under", "over", "over"]
    assert rows[0].actual_sl == pytest.approx(0.70)
    assert rows[2].actual_sl is None
    d = rows[0].as_dict()
    assert d["start"] == "2024-10-21T11:00:00+02:00" and d["time"] == "11:00"
    assert (d["agents_needed"], d["scheduled"], d["gap"]) == (14, 20, -2.0)
    ok = build_comparison(starts[:1], observed[:1], [Staffed(14.0, 14.5)], BERLIN, 30, CCH)
    assert ok[0].status == "ok"
    json.dumps([r.as_dict() for r in rows])


def test_comparison_buckets_are_real_time_across_dst() -> None:
    # 01:00-02:00 UTC on 27 Oct 2024 is 02:00-03:00 CET, the second pass of that hour.
    starts = bucket_starts(datetime(2024, 10, 27, 0, 0, tzinfo=UTC),
                           datetime(2024, 10, 27, 2, 0, tzinfo=UTC), 60)
    rows = build_comparison(starts, [], [Staffed(0, 0)] * 2, BERLIN, 60, CCH)
    assert [r.local.isoformat() for r in rows] == [
        "2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00"]
    assert [r.slot for r in rows] == [2, 2]
    assert rows[0].start + timedelta(hours=1) == rows[1].start
