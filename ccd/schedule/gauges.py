"""Shell: keeps the metrics' "required vs scheduled" gauges on the current interval.

Every ``period_s`` it reads, per queue, the approved plan's need and the agents on shift
(not on a break) right now, and hands them to the metrics; a database outage keeps the
last figures (logged in comes from live state at scrape time).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from ccd.schedule.store import current_interval

log = structlog.get_logger("ccd.schedule")


async def refresh_once(db: Any, queues: Sequence[str], now: datetime,
                       into: dict[str, tuple[int, int]]) -> None:
    for q in queues:
        got = await current_interval(db, q, now)
        if got is None:
            into.pop(q, None)
        else:
            into[q] = got


async def run_refresh(pool: Callable[[], Awaitable[Any]], queues: Sequence[str],
                      into: dict[str, tuple[int, int]], period_s: float = 30.0) -> None:
    while True:
        try:
            await refresh_once(await pool(), queues, datetime.now(UTC), into)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down or not migrated: keep the last figures
            log.warning("schedule gauges not refreshed", error=repr(exc))
        await asyncio.sleep(period_s)
