"""Report grouping and interval buckets in a configured IANA timezone, correct across DST.

Bucket boundaries are computed here with zoneinfo (wall-clock multiples in the zone, both
instants of a repeated hour, none in a skipped one) and handed to SQL as one sorted
timestamptz array, where ``width_bucket`` assigns every fact to its bucket.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

GROUPS: Final = ("queue", "agent", "team")
SUB_DAY: Final = {"15m": 15, "30m": 30, "1h": 60}
CALENDAR: Final = ("day", "week", "month", "quarter", "year")
UNITS: Final = (*SUB_DAY, *CALENDAR)

# What one report may ask for. A report runs while calls are routed: the buckets are built in
# Python and each becomes a row, so their number bounds the work and the answer's size
# (3000 = a month of 15-minute buckets, four months hourly, eight years daily).
MAX_BUCKETS: Final = 3000
MAX_SPAN: Final = timedelta(days=3660)  # ten years: the SQL scans every fact in the span
YEARS: Final = (1970, 2999)  # outside, zone arithmetic overflows (year 1, 9999) for no use
# The shortest a bucket of each unit can be (a DST day has 23 hours), for an upper estimate.
_MIN_WIDTH: Final = {
    "15m": timedelta(minutes=15), "30m": timedelta(minutes=30), "1h": timedelta(hours=1),
    "day": timedelta(hours=23), "week": timedelta(days=7, hours=-1), "month": timedelta(days=28, hours=-1),
    "quarter": timedelta(days=89, hours=-1), "year": timedelta(days=365, hours=-1),
}


def parse_by(by: str) -> tuple[str, str | None]:
    """``queue|agent|team`` or an interval (``15m``, ``interval:15m``, ``day`` ...) ->
    (mode, unit)."""
    key = by.strip().lower()
    if key in GROUPS:
        return key, None
    unit = key.removeprefix("interval").lstrip(":=(").rstrip(")") or "1h"
    if unit not in UNITS:
        raise ValueError(f"unknown grouping {by!r}: use {'|'.join(GROUPS)} or "
                         f"interval:{'|'.join(UNITS)}")
    return "interval", unit


def check_period(start: datetime, end: datetime) -> None:
    """Refuse a period no report should run over (ValueError with the reason)."""
    for name, value in (("from", start), ("to", end)):
        if not YEARS[0] <= value.year <= YEARS[1]:
            raise ValueError(f"{name}: year {value.year} is outside {YEARS[0]}..{YEARS[1]}")
    if _utc(end) <= _utc(start):
        raise ValueError("to must be after from")
    if _utc(end) - _utc(start) > MAX_SPAN:
        raise ValueError(f"from..to spans more than {MAX_SPAN.days} days: ask for a shorter period")


def bucket_count_bound(start: datetime, end: datetime, unit: str | None) -> int:
    """An upper bound on the buckets of [start, end) by ``unit``, without building them."""
    if unit is None:
        return 1
    return math.ceil((_utc(end) - _utc(start)) / _MIN_WIDTH[unit]) + 1


def check_bounds(start: datetime, end: datetime, by: str) -> None:
    """The limits one report request must respect, checked before any work is done."""
    check_period(start, end)
    unit = parse_by(by)[1]
    if (n := bucket_count_bound(start, end, unit)) > MAX_BUCKETS:
        raise ValueError(f"by={unit} over this period gives up to {n} buckets, more than {MAX_BUCKETS}: "
                         "ask for a shorter period or a coarser interval")


def _utc(value: datetime) -> datetime:
    # naive values are compared as if UTC: only their order and rough span matter here
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _exists(wall: datetime, tz: ZoneInfo, fold: int) -> datetime | None:
    """The instant showing ``wall`` in ``tz`` with ``fold``, or None in a DST gap."""
    aware = wall.replace(tzinfo=tz, fold=fold)
    back = aware.astimezone(UTC).astimezone(tz)
    return aware if back.replace(tzinfo=None) == wall else None


def _calendar_starts(first: date, last: date, unit: str) -> list[date]:
    if unit == "day":
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if unit == "week":
        monday = first - timedelta(days=first.weekday())
        return [monday + timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]
    step = {"month": 1, "quarter": 3, "year": 12}[unit]
    m = (first.year * 12 + first.month - 1) // step * step
    out: list[date] = []
    while True:
        d = date(m // 12, m % 12 + 1, 1)
        if d > last:
            return out
        out.append(d)
        m += step


def aligned_starts(start: datetime, end: datetime, unit: str, tz: ZoneInfo) -> list[datetime]:
    """Every instant in or around [start, end) where a ``unit`` bucket begins in ``tz``."""
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    found: set[datetime] = set()
    if unit in SUB_DAY:
        step = SUB_DAY[unit]
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            midnight = datetime.combine(day, time(), tzinfo=tz)
            if midnight.utcoffset() == datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).utcoffset() \
                    and _exists(midnight.replace(tzinfo=None), tz, 0) is not None:
                # no DST change that day (the common case): plain arithmetic, ~50x faster
                base = midnight.astimezone(UTC)
                found.update(base + timedelta(minutes=m) for m in range(0, 24 * 60, step))
                continue
            for minute in range(0, 24 * 60, step):
                wall = datetime.combine(day, time(minute // 60, minute % 60))
                for fold in (0, 1):  # a repeated wall time starts two buckets
                    if (inst := _exists(wall, tz, fold)) is not None:
                        found.add(inst.astimezone(UTC))
    else:
        for d in _calendar_starts(first, last, unit):
            # midnight may not exist (DST at 00:00): fold=0 then yields the real day start
            found.add(datetime.combine(d, time(), tzinfo=tz).astimezone(UTC))
    return sorted(found)


def buckets(
    start: datetime, end: datetime, unit: str | None, tz: ZoneInfo
) -> tuple[list[datetime], list[datetime]]:
    """(bounds, labels): ``bounds`` are n+1 UTC instants from ``start`` to ``end``; bucket i is
    [bounds[i], bounds[i+1]) and is labelled by ``labels[i]``, its aligned start in ``tz``."""
    if end <= start:
        raise ValueError("report end must be after its start")
    # UTC, so that subtracting two bounds gives real elapsed time even within one zone
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if unit is None:
        return [start, end], [start.astimezone(tz)]
    starts = aligned_starts(start, end, unit, tz)
    inner = [s for s in starts if start < s < end]
    head = max((s for s in starts if s <= start), default=start)
    labels = [head, *inner]
    return [start, *inner, end], [lab.astimezone(tz) for lab in labels]
