"""Load staffing history from PostgreSQL (asyncpg): aggregation happens in SQL.

Buckets are local wall-clock intervals in the configured zone (``AT TIME ZONE``), so a
Monday 09:00 is a Monday 09:00 in winter and in summer. Arrivals count every call record
(offered calls); AHT is talk + wrap-up over answered calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ccd.staffing.core.erlang import Target
from ccd.staffing.core.forecast import (
    ComparisonRow,
    ForecastRow,
    IntervalStats,
    SlotStats,
    StateSpan,
    build_comparison,
    build_forecast,
    staffed_by_interval,
)
from ccd.staffing.core.slots import Window, bucket_starts, check_interval, exposure


class Db(Protocol):
    """What we need from an asyncpg Connection or Pool."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...


_ANSWERED = "answered_at IS NOT NULL AND talk_s IS NOT NULL"
_HANDLE = "talk_s + coalesce(wrapup_s, 0)"

# $1 queue, $2/$3 UTC bounds, $4 zone name, $5 interval minutes.
_SLOT_SQL = f"""
SELECT (extract(isodow FROM l)::int - 1) AS weekday,
       ((extract(hour FROM l)::int * 60 + extract(minute FROM l)::int) / $5::int) AS slot,
       count(*) AS calls,
       count(*) FILTER (WHERE {_ANSWERED}) AS answered,
       coalesce(sum({_HANDLE}) FILTER (WHERE {_ANSWERED}), 0)::float8 AS handle_s
FROM (SELECT answered_at, talk_s, wrapup_s, enqueued_at AT TIME ZONE $4::text AS l
      FROM call_records
      WHERE queue = $1 AND enqueued_at >= $2 AND enqueued_at < $3) c
GROUP BY 1, 2
"""

_FIRST_SQL = "SELECT min(enqueued_at) FROM call_records WHERE queue = $1 AND enqueued_at < $2"

# Real intervals, stepped from the window start in UTC ($4 = step seconds, $5 target s).
_INTERVAL_SQL = f"""
SELECT floor(extract(epoch FROM enqueued_at - $2::timestamptz) / $4::int)::int AS idx,
       count(*) AS calls,
       count(*) FILTER (WHERE {_ANSWERED}) AS answered,
       coalesce(sum({_HANDLE}) FILTER (WHERE {_ANSWERED}), 0)::float8 AS handle_s,
       count(*) FILTER (WHERE answered_at IS NOT NULL AND wait_s <= $5::float8) AS within
FROM call_records
WHERE queue = $1 AND enqueued_at >= $2 AND enqueued_at < $3
GROUP BY 1
"""

_SPANS = """
SELECT agent_id, state, started_at, ended_at
FROM agent_state_intervals
WHERE state IN ('logged_in', 'paused')
  AND started_at < $2 AND (ended_at IS NULL OR ended_at > $1)
"""
# State intervals carry no queue: the queue's agents are its configured members or, without
# them, whoever answered its calls in the window. An agent on several queues counts on each.
_SPANS_MEMBERS_SQL = _SPANS + "  AND agent_id = ANY($3::text[])"
_SPANS_ANSWERED_SQL = _SPANS + """  AND agent_id IN (
    SELECT DISTINCT agent_id FROM call_records
    WHERE queue = $3 AND agent_id IS NOT NULL AND enqueued_at >= $1 AND enqueued_at < $2)
"""


async def load_slot_stats(
    db: Db, queue: str, window: Window, interval_min: int
) -> list[SlotStats]:
    rows = await db.fetch(
        _SLOT_SQL, queue, window.start_utc, window.end_utc, window.tz.key, interval_min
    )
    return [
        SlotStats(int(r["weekday"]), int(r["slot"]), int(r["calls"]), int(r["answered"]),
                  float(r["handle_s"]))
        for r in rows
    ]


async def history_window(db: Db, queue: str, window: Window) -> Window:
    """``window`` cut to start on the local day of the queue's first call record."""
    first: datetime | None = await db.fetchval(_FIRST_SQL, queue, window.end_utc)
    return window.clipped(first)


async def forecast(
    db: Db,
    queue: str,
    tz: ZoneInfo,
    *,
    interval_min: int,
    weeks: int,
    until: date,
    target: Target,
    aht_fallback_s: float | None = None,
) -> tuple[Window, list[ForecastRow]]:
    """The weekday × interval table from the last ``weeks`` whole weeks before ``until``."""
    check_interval(interval_min)
    window = await history_window(db, queue, Window.last_weeks(tz, weeks, until))
    stats = await load_slot_stats(db, queue, window, interval_min)
    rows = build_forecast(
        stats, exposure(window, interval_min), window.weeks_per_weekday(), interval_min,
        target, aht_fallback_s,
    )
    return window, rows


async def comparison(
    db: Db,
    queue: str,
    tz: ZoneInfo,
    *,
    interval_min: int,
    first_day: date,
    end_day: date,
    target: Target,
    now: datetime,
    aht_fallback_s: float | None = None,
    members: Sequence[str] | None = None,
) -> list[ComparisonRow]:
    """Agents needed beside agents logged in, for every past interval in the days given.

    ``members``: the queue's agent ids from the config; None = agents who answered it.
    """
    check_interval(interval_min)
    window = Window(tz, first_day, end_day)
    lo, hi = window.start_utc, min(window.end_utc, now)
    starts = bucket_starts(lo, hi, interval_min)
    if not starts:
        return []
    step_s = interval_min * 60
    rows = await db.fetch(_INTERVAL_SQL, queue, lo, hi, step_s, target.answer_within_s)
    observed = [
        IntervalStats(starts[int(r["idx"])], int(r["calls"]), int(r["answered"]),
                      float(r["handle_s"]), int(r["within"]))
        for r in rows
        if 0 <= int(r["idx"]) < len(starts)
    ]
    if members is None:
        span_rows = await db.fetch(_SPANS_ANSWERED_SQL, lo, hi, queue)
    else:
        span_rows = await db.fetch(_SPANS_MEMBERS_SQL, lo, hi, list(members))
    spans = [
        StateSpan(str(r["agent_id"]), str(r["state"]), r["started_at"], r["ended_at"])
        for r in span_rows
    ]
    staffed = staffed_by_interval(spans, starts, interval_min, now)
    return build_comparison(
        starts, observed, staffed, tz, interval_min, target, aht_fallback_s
    )


async def forecast_rows(
    db: Db,
    queue: str,
    tz: str,
    *,
    interval_min: int = 30,
    weeks: int = 4,
    until: date | None = None,
    target: Target | None = None,
) -> list[dict[str, Any]]:
    """JSON-able forecast rows for the HTTP API (defaults: 80 % in 20 s, no shrinkage)."""
    zone = ZoneInfo(tz)
    day = until or datetime.now(zone).date()
    _, rows = await forecast(
        db, queue, zone, interval_min=interval_min, weeks=weeks, until=day,
        target=target or Target(),
    )
    return [r.as_dict() for r in rows]


async def comparison_rows(
    db: Db,
    queue: str,
    tz: str,
    *,
    first_day: date,
    end_day: date,
    interval_min: int = 30,
    target: Target | None = None,
    now: datetime | None = None,
    members: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """JSON-able needed-vs-logged-in rows for the HTTP API."""
    zone = ZoneInfo(tz)
    rows = await comparison(
        db, queue, zone, interval_min=interval_min, first_day=first_day, end_day=end_day,
        target=target or Target(), now=now or datetime.now(zone), members=members,
    )
    return [r.as_dict() for r in rows]
