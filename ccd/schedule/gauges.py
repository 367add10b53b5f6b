"""Shell: keeps the metrics' "required vs scheduled" gauges on the current interval.

Every ``period_s`` it reads, per queue, the approved plan's need and the agents on shift
(not on a break) right now, and hands them to the metrics; a database outage keeps the
last figures (logged in comes from live state at scrape time).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from ccd.schedule.store import current_interval
from ccd.supervisor import Spawn, plain_spawn
from ccd.timer import Periodic

log = structlog.get_logger("ccd.schedule")


async def refresh_once(db: Any, queues: Sequence[str], now: datetime,
                       into: dict[str, tuple[int, int]]) -> None:
    for q in queues:
        got = await current_interval(db, q, now)
        if got is None:
            into.pop(q, None)
        else:
            into[q] = got


def schedule_gauges(pool: Callable[[], Awaitable[Any]], queues: Sequence[str],
                    into: dict[str, tuple[int, int]], spawn: Spawn = plain_spawn,
                    wake: Callable[[], None] = lambda: None, period_s: float = 30.0) -> Periodic:
    """The refresh as a client of the daemon's timer: one round now, then every ``period_s``."""

    async def refresh() -> None:
        try:
            await refresh_once(await pool(), queues, datetime.now(UTC), into)
        except Exception as exc:  # database down or not migrated: keep the last figures
            log.warning("schedule gauges not refreshed", error=repr(exc))

    return Periodic("schedule-gauges", period_s, refresh, spawn, wake)
