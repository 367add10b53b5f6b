"""Local-time calendar for staffing: the history window, intervals and their exposure.

Staffing is planned in wall-clock time (weekday, "09:30"), so everything is bucketed in
the configured time zone. Around a DST change a local interval can happen twice (the
repeated hour in autumn) or not at all (the skipped hour in spring); ``exposure`` counts
how often each local interval really happened, so the mean arrival rate stays right.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

INTERVALS_MIN = (15, 30, 60)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h)?\s*$")


def parse_minutes(text: str) -> int:
    """'30m' -> 30, '1h' -> 60, '15' -> 15."""
    m = _DURATION.match(text.lower())
    if m is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 15m, 30m, 1h)")
    value = int(m.group(1)) * (60 if m.group(2) == "h" else 1)
    if value <= 0:
        raise ValueError(f"duration must be > 0: {text!r}")
    return value


def check_interval(minutes: int) -> int:
    if minutes not in INTERVALS_MIN:
        raise ValueError(f"interval must be one of {INTERVALS_MIN} minutes, got {minutes}")
    return minutes


def slot_label(slot: int, interval_min: int) -> str:
    start = slot * interval_min
    return f"{start // 60:02d}:{start % 60:02d}"


def slots_per_day(interval_min: int) -> int:
    return 24 * 60 // interval_min


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Aware UTC instant of local midnight starting ``day``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """Whole local days [first_day, end_day) in ``tz``, with their UTC bounds."""

    tz: ZoneInfo
    first_day: date
    end_day: date  # exclusive

    @classmethod
    def last_weeks(cls, tz: ZoneInfo, weeks: int, until: date) -> Window:
        if weeks < 1:
            raise ValueError("weeks must be >= 1")
        return cls(tz, until - timedelta(days=7 * weeks), until)

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.first_day, self.tz)

    @property
    def end_utc(self) -> datetime:
        return local_midnight(self.end_day, self.tz)

    def clipped(self, first_data: datetime | None) -> Window:
        """The window starting no earlier than the local day of the first record."""
        if first_data is None:
            return Window(self.tz, self.end_day, self.end_day)
        day = first_data.astimezone(self.tz).date()
        return Window(self.tz, min(max(self.first_day, day), self.end_day), self.end_day)

    def weeks_per_weekday(self) -> dict[int, int]:
        """How many days of each weekday (0 = Monday) the window holds."""
        counts = dict.fromkeys(range(7), 0)
        day = self.first_day
        while day < self.end_day:
            counts[day.weekday()] += 1
            day += timedelta(days=1)
        return counts


def bucket_starts(start_utc: datetime, end_utc: datetime, interval_min: int) -> list[datetime]:
    """UTC instants every ``interval_min`` from ``start_utc`` (aligned) up to ``end_utc``."""
    step = timedelta(minutes=interval_min)
    out: list[datetime] = []
    t = start_utc
    while t < end_utc:
        out.append(t)
        t += step
    return out


def local_slot(ts: datetime, tz: ZoneInfo, interval_min: int) -> tuple[int, int]:
    """(weekday 0=Mon, slot index) of an instant, in local wall-clock time."""
    local = ts.astimezone(tz)
    return local.weekday(), (local.hour * 60 + local.minute) // interval_min


def exposure(window: Window, interval_min: int) -> Counter[tuple[int, int]]:
    """How many times each local (weekday, slot) really elapsed inside ``window``.

    Walks real (UTC) time in interval steps and labels each step in local time: a slot
    in the repeated autumn hour is counted twice, one in the skipped spring hour never.
    """
    counts: Counter[tuple[int, int]] = Counter()
    for t in bucket_starts(window.start_utc, window.end_utc, interval_min):
        counts[local_slot(t, window.tz, interval_min)] += 1
    return counts
