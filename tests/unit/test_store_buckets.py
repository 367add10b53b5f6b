"""Report buckets in a time zone, across DST changes, and the --by / format helpers."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccd.store.buckets import aligned_starts, buckets, parse_by
from ccd.store.reports import format_report

BERLIN = ZoneInfo("Europe/Berlin")


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


def labels(start: datetime, end: datetime, unit: str, tz: ZoneInfo = BERLIN) -> list[str]:
    return [x.isoformat() for x in buckets(start, end, unit, tz)[1]]


def test_parse_by() -> None:
    assert parse_by("queue") == ("queue", None)
    assert parse_by("Team") == ("team", None)
    assert parse_by("15m") == ("interval", "15m")
    assert parse_by("interval:day") == ("interval", "day")
    assert parse_by("interval(30m)") == ("interval", "30m")
    assert parse_by("interval") == ("interval", "1h")
    with pytest.raises(ValueError):
        parse_by("fortnight")


def test_spring_forward_has_no_2am_hour() -> None:
    got = labels(local(2026, 3, 29, 0), local(2026, 3, 29, 5), "1h")
    assert got == ["2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00",
                   "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"]


def test_fall_back_has_two_2am_hours() -> None:
    got = labels(local(2026, 10, 25, 1), local(2026, 10, 25, 4), "1h")
    assert got == ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
                   "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"]


def test_day_buckets_are_local_days_of_23_and_25_hours() -> None:
    bounds, labs = buckets(local(2026, 3, 28), local(2026, 3, 31), "day", BERLIN)
    lengths = [(b - a) for a, b in itertools.pairwise(bounds)]
    assert lengths == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    assert [x.date().isoformat() for x in labs] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    bounds, _ = buckets(local(2026, 10, 25), local(2026, 10, 26), "day", BERLIN)
    assert bounds[1] - bounds[0] == timedelta(hours=25)


def test_calendar_units() -> None:
    start, end = local(2026, 2, 11, 10), local(2027, 1, 2)
    assert labels(start, end, "quarter")[:3] == [
        "2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", "2026-07-01T00:00:00+02:00"]
    assert labels(start, end, "year") == ["2026-01-01T00:00:00+01:00",
                                          "2027-01-01T00:00:00+01:00"]
    assert labels(start, local(2026, 2, 20), "week") == ["2026-02-09T00:00:00+01:00",
                                                         "2026-02-16T00:00:00+01:00"]
    assert labels(start, local(2026, 4, 1), "month")[-1] == "2026-03-01T00:00:00+01:00"


def test_first_bucket_starts_at_report_start_but_keeps_aligned_label() -> None:
    bounds, labs = buckets(local(2026, 5, 1, 10, 7), local(2026, 5, 1, 10, 40), "15m", BERLIN)
    assert bounds[0] == local(2026, 5, 1, 10, 7)
    assert labs[0] == local(2026, 5, 1, 10, 0)
    assert [b.minute for b in bounds[1:]] == [15, 30, 40]


def test_half_hour_offset_zone() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    got = labels(datetime(2026, 1, 1, 0, tzinfo=kolkata), datetime(2026, 1, 1, 2, tzinfo=kolkata),
                 "1h", kolkata)
    assert got == ["2026-01-01T00:00:00+05:30", "2026-01-01T01:00:00+05:30"]


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
       st.integers(1, 72), st.sampled_from(["15m", "30m", "1h", "day"]),
       st.sampled_from(["Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "UTC"]))
def test_buckets_tile_the_window(naive: datetime, hours: int, unit: str, zone: str) -> None:
    tz = ZoneInfo(zone)
    start = naive.replace(tzinfo=UTC)
    end = start + timedelta(hours=hours)
    bounds, labs = buckets(start, end, unit, tz)
    assert bounds[0] == start and bounds[-1] == end
    assert all(a < b for a, b in itertools.pairwise(bounds))
    assert len(labs) == len(bounds) - 1
    assert labs[0] <= start
    # every inner bound is an aligned wall time in the zone
    starts = set(aligned_starts(start, end, unit, tz))
    assert all(b in starts for b in bounds[1:-1])


def test_format_report() -> None:
    rows = [{"queue": "sales", "offered": 3, "service_level": 2 / 3, "asa_s": None},
            {"queue": "support", "offered": 10, "service_level": 1.0, "asa_s": 12.25}]
    table = format_report(rows, "table").splitlines()
    assert table[0].split() == ["queue", "offered", "service_level", "asa_s"]
    assert table[2].split() == ["sales", "3", "0.667", "-"]
    assert table[3].split() == ["support", "10", "1", "12.25"]
    assert list(csv.reader(io.StringIO(format_report(rows, "csv"))))[1] == [
        "sales", "3", "0.667", ""]
    assert json.loads(format_report(rows, "json")) == rows
    assert format_report([], "table") == "(no data)"
    with pytest.raises(ValueError):
        format_report(rows, "xml")
