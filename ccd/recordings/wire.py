"""The recording feature as one object the daemon owns: what it contributes to a queue call's
life (``call_hooks``, given to the ACD at construction), its ARI subscriptions, the HTTP
routes, the retention task and the disk-space gauges. Its events go out on the bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import asyncpg
import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from ccd import events as ev
from ccd.api.app import Api
from ccd.ari.client import AriClient
from ccd.config import CcdConfig
from ccd.errors import Unavailable
from ccd.ports import CallHooks
from ccd.recordings import queries
from ccd.recordings.retention import DiskCollector, deletion_events, expired, oldest_cutoff
from ccd.recordings.routes import RecordingRoutes
from ccd.recordings.service import RecordingService
from ccd.supervisor import Spawn, plain_spawn
from ccd.timer import Periodic
from ccd.wiring import Contribution

log = structlog.get_logger("ccd.recordings")

RETENTION_INTERVAL_S = 3600.0


class EventBus(Protocol):
    """The daemon's bus (``ccd.bus.Bus``): publish, or commit first then publish."""

    def publish(self, event: ev.DomainEvent) -> None: ...

    async def durable(self, event: ev.DomainEvent) -> None: ...


class RecordingFeature:
    def __init__(self, cfg: CcdConfig, rest: AriClient, bus: EventBus, dsn: str,
                 registry: CollectorRegistry, clock: Callable[[], float] = time.time,
                 spawn: Spawn = plain_spawn, wake: Callable[[], None] = lambda: None) -> None:
        self.cfg, self.bus, self.dsn, self.clock = cfg, bus, dsn, clock
        self.service = RecordingService(cfg, rest, self.record, clock, started_of=self._started_of, spawn=spawn)
        # Retention passes: started by the daemon's timer, hourly, one at a time.
        self.retention = Periodic("recordings-retention", RETENTION_INTERVAL_S, self._retention_round, spawn, wake)
        self.days = {q.name: q.recording.retention_days for q in cfg.queues}
        self._pool: asyncpg.Pool | None = None
        self._deleted: set[str] = set()  # deleted in this run, maybe not yet committed
        registry.register(DiskCollector(Path(cfg.recordings_dir)))

    def contribution(self) -> Contribution:
        """Everything the feature adds to the daemon (ccd.wiring)."""
        return Contribution(asterisk=self.service.subscribe, routes=(self.add_routes,), hooks=self.call_hooks(),
                            timers=(self.retention,))

    def call_hooks(self) -> CallHooks:
        """The announcement before queueing (only when a queue has one: without any
        ``before_queue`` hook a caller is queued in the same turn as its StasisStart); the
        bridge recording from connect to teardown."""
        announced = any(q.recording.enabled and q.recording.announce for q in self.cfg.queues)
        return CallHooks(before_queue=(self.service.before_queue,) if announced else (),
                         on_connected=(self.service.on_connected,),
                         before_bridge_deleted=(self.service.before_bridge_deleted,))

    def add_routes(self, app: web.Application, api: Api) -> None:
        RecordingRoutes(api, self.pool, self.durable, self.record, self.clock).add_to(app)

    # -- events out -----------------------------------------------------------------------
    def record(self, event: ev.DomainEvent) -> None:
        self.bus.publish(event)

    async def durable(self, event: ev.DomainEvent) -> None:
        """Committed (or fsync'ed in the writer's spool) before this returns; then the rest."""
        await self.bus.durable(event)

    async def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=2, timeout=5,
                                                       command_timeout=30)
            except (OSError, asyncpg.PostgresError) as exc:
                raise Unavailable(f"database unavailable ({type(exc).__name__})") from exc
        return self._pool

    async def _started_of(self, call_id: str) -> queries.Started | None:
        return await queries.started(await self.pool(), call_id)

    # -- retention ------------------------------------------------------------------------
    async def retention_pass(self, now: float | None = None) -> list[str]:
        """Delete expired files once; returns the call ids whose files were deleted."""
        at = self.clock() if now is None else now
        moment = datetime.fromtimestamp(at, UTC)
        rows = await queries.retention_candidates(await self.pool(), oldest_cutoff(moment, self.days))
        self._deleted &= {r.call_id for r in rows}  # the rest are committed as deleted: forget them
        due = [r for r in expired(rows, moment, self.days) if r.call_id not in self._deleted]
        events = await asyncio.to_thread(lambda: list(deletion_events(due, Path(self.cfg.recordings_dir), at)))
        for e in events:
            self._deleted.add(e.call_id or "")
            self.record(e)
        if events:
            log.info("retention deleted recordings", count=len(events))
        return [e.call_id or "" for e in events]

    async def _retention_round(self) -> None:
        """One pass as a timer job: a failed pass (database down, ...) waits for the next."""
        try:
            await self.retention_pass()
        except Exception as exc:
            log.warning("retention pass failed; retrying later", error=repr(exc))

    async def close(self) -> None:
        await self.service.close()
        if self._pool is not None:
            await self._pool.close()
