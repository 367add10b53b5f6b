"""Per-queue business hours: weekly opening intervals plus holidays, in a timezone.

Pure: every question takes the instant (POSIX seconds) it is asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEARCH_DAYS = 370  # a calendar closed for more than a year has no next opening


@dataclass(frozen=True, slots=True)
class Calendar:
    """``weekly[d]`` = opening intervals of weekday ``d`` (0 = Monday) as (start, end) local
    times, end exclusive and after start; ``holidays`` are local dates closed all day."""

    timezone: str = "UTC"
    weekly: tuple[tuple[tuple[time, time], ...], ...] = field(
        default_factory=lambda: tuple(() for _ in range(7))
    )
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly hours need exactly 7 days (Monday first)")
        for day in self.weekly:
            for start, end in day:
                if not start < end:
                    raise ValueError(f"opening interval {start}-{end} must end after it starts")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _intervals(self, day: date) -> list[tuple[float, float]]:
        if day in self.holidays:
            return []
        tz = self.tz
        out = []
        for start, end in sorted(self.weekly[day.weekday()]):
            a = datetime.combine(day, start, tzinfo=tz).timestamp()
            b = datetime.combine(day, end, tzinfo=tz).timestamp()
            out.append((a, b))
        return out

    def _local_day(self, now: float) -> date:
        return datetime.fromtimestamp(now, self.tz).date()

    def is_open(self, now: float) -> bool:
        return self.closes_at(now) is not None

    def closes_at(self, now: float) -> float | None:
        """End of the opening interval ``now`` is in; None when closed at ``now``."""
        for a, b in self._intervals(self._local_day(now)):
            if a <= now < b:
                return b
        return None

    def next_opening(self, now: float) -> float | None:
        """The first opening instant strictly after ``now`` (None: none within a year)."""
        day = self._local_day(now)
        for i in range(SEARCH_DAYS):
            for a, _ in self._intervals(day + timedelta(days=i)):
                if a > now:
                    return a
        return None

