"""Wiring of the running daemon: connections, the core loop, the executor, the store
writer, metrics and the HTTP API; start-up, task supervision and graceful shutdown.

Every long-running task is owned here: a task that dies is logged and ends the daemon's
run with an error (the service manager restarts the process), never silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import signal
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from ccd import events as ev
from ccd.ami import events as ami_events
from ccd.ami.client import AmiClient
from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from ccd.api.schedule_routes import ScheduleRoutes
from ccd.ari.client import AriClient
from ccd.ari.events import PlaybackFinished, Resync
from ccd.ari.stream import AriEventStream
from ccd.bus import Bus
from ccd.callbacks.wire import Ports as CallbackPorts
from ccd.callbacks.wire import wire as wire_callbacks
from ccd.config import CcdConfig
from ccd.console.wire import ConsoleFeature
from ccd.core_loop import CoreLoop
from ccd.health import ConnectionHealth
from ccd.metrics import Metrics, TimedDispatcher
from ccd.queues.acd_service import AcdService
from ccd.queues.agent_persist import AgentStateStore
from ccd.queues.announcer import QueueAnnouncer
from ccd.queues.ari_port import ClientAriPort
from ccd.queues.core.agent_busy import AgentBusy
from ccd.queues.core.engine import AcdEngine
from ccd.queues.core.inputs import AgentDeviceChanged, Input
from ccd.queues.core.snapshot import EngineSnapshot
from ccd.queues.executor import AcdExecutor
from ccd.queues.fallback_import import FallbackImport
from ccd.queues.from_config import agent_specs, announce_settings, queue_specs, survey_settings
from ccd.queues.legs import RESTORE_VARIABLES
from ccd.queues.sticky import StickyResolver
from ccd.queues.sticky_db import StickyDb
from ccd.rating_ivr.runner import SurveyRunner
from ccd.recordings.wire import RecordingFeature
from ccd.schedule.gauges import run_refresh as run_schedule_gauges
from ccd.store.migrate import migrate
from ccd.store.writer import EventWriter
from ccd.whisper.api import add_routes as add_supervision_routes
from ccd.whisper.service import SupervisionService

log = structlog.get_logger("ccd.daemon")

IN_USE_STATES = {"INUSE", "BUSY", "RINGINUSE", "ONHOLD"}
SHUTDOWN_BUDGET_S = 4.0


class Daemon:
    def __init__(self, cfg: CcdConfig) -> None:
        self.cfg = cfg
        self.registry = CollectorRegistry()
        self.dispatcher = TimedDispatcher(structlog.get_logger("ccd.dispatch"))
        self.health = ConnectionHealth(("ami", "ari"))
        ari_pw = cfg.ari.resolved_password()
        self.rest = AriClient(cfg.ari.url, cfg.ari.username, ari_pw.get_secret_value() if ari_pw else "",
                              cfg.ari.app, log=structlog.get_logger("ccd.ari"), timeout=cfg.ari.request_timeout)
        self.stream = AriEventStream(self.rest, dispatcher=self.dispatcher, log=structlog.get_logger("ccd.ari"),
                                     on_state=self.health.update, resync_variables=RESTORE_VARIABLES,
                                     bridge_prefix="ccd-")
        secret = cfg.ami.resolved_secret()
        self.ami = AmiClient(cfg.ami.host, cfg.ami.port, cfg.ami.username,
                             secret.get_secret_value() if secret else "", dispatcher=self.dispatcher,
                             log=structlog.get_logger("ccd.ami"), on_state=self.health.update,
                             action_timeout=cfg.ami.action_timeout, ping_interval=cfg.ami.ping_interval)
        dsn = cfg.database.resolved_dsn()
        self.dsn = dsn
        cfg.database.spool_dir.mkdir(parents=True, exist_ok=True)
        self.writer = EventWriter(dsn, Path(cfg.database.spool_dir) / "events.spool",
                                  batch_max=cfg.database.batch_max, flush_interval=cfg.database.flush_interval,
                                  spool_max_bytes=cfg.database.spool_max_mb * 1024 * 1024)
        self.engine = AcdEngine(agent_specs(cfg), queue_specs(cfg))
        self.port = ClientAriPort(self.rest)
        self.sticky_db = StickyDb(dsn)
        self.sticky = StickyResolver(self.sticky_db.lookup,
                                     {q.name: q.sticky_ttl_days * 86400 for q in cfg.queues if q.sticky})
        self.executor = AcdExecutor(self.port, self.submit, {q.name: q.moh_class for q in cfg.queues})
        self.metrics = Metrics.from_config(cfg, self._snapshot_or_none, self._health_gauges, self.registry)
        self.dispatcher.observe_lag = self.metrics.dispatch_lag.observe
        # Every domain event goes out through the bus; "the sinks" of the core and of the
        # features are just its publish, and the store's durable path is the bus's durable.
        self.bus = Bus(self.writer, self.registry)
        # Callbacks that keep the caller's place (ccd.callbacks.wire): their places in line
        # take the engine's commands about them; the rest goes on to the executor.
        self.callbacks = wire_callbacks(CallbackPorts(cfg, self.port, dsn, self.bus.publish, self.submit,
                                                      self.snapshot, self.registry, time.time,
                                                      lambda: self.health.is_up("ari")))
        self.core = CoreLoop(self.engine, self.callbacks.performer(self.executor.perform), [self.bus.publish],
                             on_decision=self.metrics.decision.observe)
        for name, sink in self.callbacks.bus_handlers:
            self.bus.subscribe_events(name, sink)
        for kind, handler in self.callbacks.ari_handlers:
            self.dispatcher.subscribe(kind, handler)
        self.surveys = SurveyRunner(self.port, survey_settings(cfg), self.core_record)
        self.acd = AcdService(cfg, self.port, self.executor, self.surveys, self.sticky, self.submit,
                              AgentStateStore(self.ami), self._wait_ami)
        self.bus.subscribe_store(self.writer.submit)
        self.bus.subscribe_events("metrics", self.metrics.observe)
        self.bus.subscribe_events("sticky", self._learn)
        self.bus.subscribe_events("agent-state", self.acd.persist_agent_state)
        self.acd.subscribe(self.dispatcher)
        # Calls the Queue() fallback handled while ccd was away go to the store only: /metrics
        # counts what this process saw (docs/kpis.md).
        self.fallback = FallbackImport(cfg, self.writer.submit)
        self.dispatcher.subscribe(Resync, lambda e: self.fallback.wake.set())
        self.supervision = SupervisionService(cfg, self.rest, self.executor, self.snapshot, self.submit,
                                              self.core.sinks, self.bus)
        self.supervision.subscribe(self.dispatcher)
        self.agent_busy = AgentBusy()
        self.supervision.on_mentoring = self._mentoring
        self.bus.subscribe_events("supervision", self.supervision.on_domain_event)
        # Call recording: announcement before queueing, bridge recording once connected.
        self.recordings = RecordingFeature(cfg, self.rest, self.bus, self.core.sinks, dsn, self.registry)
        self.recordings.hook(self.acd, self.executor, self.dispatcher)
        # Position / expected-wait announcements to waiting callers (queues that ask for them).
        self.announcer = QueueAnnouncer(self.port, self.snapshot, announce_settings(cfg),
                                        {q.name: q.language for q in cfg.queues}, self.registry)
        if self.announcer.enabled:
            self.executor.before_caller_moves = self.announcer.silence
            self.bus.subscribe_events("announcer", self.announcer.on_event)
            self.dispatcher.subscribe(PlaybackFinished, lambda e: self.announcer.playback_finished(e.playback.id))
        self.console = ConsoleFeature(cfg, self.bus, self.snapshot, dsn, callbacks=self.callbacks.pending)
        self.dispatcher.subscribe(ami_events.FullyBooted, lambda e: self.stream.wake())
        self.dispatcher.subscribe(ami_events.DeviceStateChange, self._device_state)
        self.agents_by_device = {a.endpoint: a.id for a in cfg.agents}
        self._runner: web.AppRunner | None = None
        self.report_routes: ReportRoutes | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.shutdown_overruns: dict[str, str] = {}  # step -> where the tasks were stuck
        self._stopped = False

    # -- backend for the API --------------------------------------------------------------
    def submit(self, inp: Input) -> None:
        self.core.submit(inp)

    def snapshot(self) -> EngineSnapshot:
        return self.core.snapshot()

    def _snapshot_or_none(self) -> EngineSnapshot | None:
        return self.core.snapshot()

    def readiness(self) -> dict[str, bool]:
        return {"ami": self.health.is_up("ami"), "ari": self.health.is_up("ari"),
                "database": self.writer.connected, "resynced": self.acd.resynced}

    def _health_gauges(self) -> dict[str, float]:
        links = self.health.links
        return {
            "ami_connected": float(self.health.is_up("ami")),
            "ari_connected": float(self.health.is_up("ari")),
            "database_connected": float(self.writer.connected),
            "ami_reconnects_total": float(links["ami"].reconnects),
            "ari_reconnects_total": float(links["ari"].reconnects),
            "store_backlog_events": float(self.writer.backlog),
            "store_spool_bytes": float(self.writer.spool_bytes),
            "store_spool_max_bytes": float(self.cfg.database.spool_max_mb * 1024 * 1024),
            "dispatch_backlog_batches": float(self.dispatcher.backlog),
        }

    async def _wait_ami(self, timeout: float) -> bool:
        try:
            await self.ami.wait_connected(timeout)
        except TimeoutError:
            log.warning("AMI not up: agent states not restored yet")
            return False
        return True

    # -- sinks and small consumers ---------------------------------------------------------
    def core_record(self, event: ev.DomainEvent) -> None:
        """Events made outside the engine (survey results) go out on the same bus."""
        self.bus.publish(event)

    def _learn(self, event: ev.DomainEvent) -> None:
        if event.type == ev.CALL_ANSWERED and event.agent_id and event.queue:
            caller = self.executor.calls.get(event.call_id or "")
            number = caller.caller_number if caller else None
            self.sticky.learn(number, event.queue, event.agent_id, event.ts.timestamp())
        elif event.type == ev.RATING_RESULT and event.payload.get("outcome") == "rated":
            self.sticky.learn_rating(event.payload.get("caller"), event.queue or "", event.agent_id or "",
                                     int(event.payload.get("score") or 0))

    def _device_state(self, e: ami_events.DeviceStateChange) -> None:
        agent_id = self.agents_by_device.get(e.device)
        if agent_id is not None:
            self.submit(AgentDeviceChanged(agent_id, self.agent_busy.device(agent_id, e.state in IN_USE_STATES)))

    def _mentoring(self, agent_id: str, on: bool) -> None:
        # Not a device state: the mentor's own phone ringing (RINGING, "not in use") must
        # not free them for queue calls while they mentor.
        self.submit(AgentDeviceChanged(agent_id, self.agent_busy.mentoring(agent_id, on)))

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        try:
            applied = await asyncio.wait_for(migrate(self.dsn), 30)
            if applied:
                log.info("database migrated", applied=applied)
        except Exception as exc:
            # The writer spools until the database is back; routing does not need it.
            log.warning("database not migrated at start-up; events will spool", error=repr(exc))
        await self.writer.start()
        await self.console.load_today()
        loop = asyncio.get_running_loop()
        self._tasks.extend(self.bus.tasks())
        for name, coro in (("dispatch", self.dispatcher.run()), ("core", self.core.run()),
                           ("surveys", self.surveys.run_timers()),
                           ("recordings-retention", self.recordings.run_retention())):
            self._tasks.append(loop.create_task(coro, name=f"ccd-{name}"))
        if self.announcer.enabled:
            self._tasks.append(loop.create_task(self.announcer.run(), name="ccd-announcements"))
        if self.fallback.enabled:
            self._tasks.append(loop.create_task(self.fallback.run(), name="ccd-fallback-import"))
        for name, run in self.callbacks.runs:
            self._tasks.append(loop.create_task(run(), name=f"ccd-{name}"))
        await self.ami.start()
        await self.stream.start()
        host, port = self.cfg.http.listen.rsplit(":", 1)
        api = Api(self)
        app = api.build()
        self.report_routes = ReportRoutes(api, self.dsn)
        self.report_routes.add_to(app)
        ScheduleRoutes(api, self.report_routes.pool).add_to(app)
        self._tasks.append(loop.create_task(run_schedule_gauges(
            self.report_routes.pool, [q.name for q in self.cfg.queues], self.metrics.schedule_now),
            name="ccd-schedule-gauges"))
        add_supervision_routes(app, api, self.supervision)
        self.recordings.add_routes(app, api)
        self.callbacks.add_routes(app, api)
        self.console.add_to(app, api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host or "0.0.0.0", int(port)).start()
        log.info("ccd started", http=self.cfg.http.listen, ari=self.cfg.ari.url,
                 ami=f"{self.cfg.ami.host}:{self.cfg.ami.port}", queues=len(self.cfg.queues))

    async def wait_failed(self) -> BaseException | None:
        """Return when an owned task dies (its error), never when all is well."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        task = next(iter(done))
        return task.exception() if not task.cancelled() else None

    async def stop(self) -> None:
        """Graceful shutdown in a bounded time: a step that overruns its share is abandoned
        (logged with its stack, recorded in ``shutdown_overruns``) so the process still exits
        and the service manager never has to SIGKILL it."""
        if self._stopped:
            return  # stop() is idempotent: a signal during shutdown, or a harness stopping twice
        self._stopped = True
        started = time.monotonic()
        self.console.close_streams()  # live browsers would hold the HTTP shutdown
        if self._runner is not None:
            await self._bounded("http", self._runner.cleanup(), 2.0)
        await self._bounded("ari-stream", self.stream.close(), 1.0)
        await self._bounded("ami", self.ami.close(), 1.0)
        await self._bounded("supervision", self.supervision.close(), 2.5)
        await self._bounded("drain", self._drain_commands(), 2.5)
        await self._bounded("tasks", self._cancel_tasks(), 1.0)
        await self._bounded("callbacks", self.callbacks.close(), 1.0)
        await self._bounded("executor", self.executor.close(), 1.0)
        await self._bounded("acd", self.acd.serial.close(), 1.0)
        await self._bounded("surveys", self.surveys.close(), 1.0)
        await self._bounded("announcements", self.announcer.close(), 1.0)
        await self._bounded("recordings", self.recordings.close(), 3.0)
        self.bus.flush()  # the tail of the subscribers' queues, so the writer stores it
        budget = max(0.5, SHUTDOWN_BUDGET_S - (time.monotonic() - started))
        # The writer parks what it could not flush in the spool when its budget runs out.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.writer.stop(), budget)
        await self._bounded("sticky", self.sticky_db.close(), 1.0)
        if self.report_routes is not None:
            await self._bounded("reports", self.report_routes.close(), 1.0)
        await self._bounded("console", self.console.close(), 1.0)
        await self._bounded("ari-http", self.rest.close(), 1.0)
        log.info("ccd stopped", seconds=round(time.monotonic() - started, 3), overruns=sorted(self.shutdown_overruns))

    async def _drain_commands(self) -> None:
        await self.acd.serial.drain(1.0)
        await self.executor.serial.drain(1.0)

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _bounded(self, step: str, coro: Coroutine[Any, Any, None], timeout: float) -> None:
        # asyncio.wait (not wait_for) so that a step which ignores its cancellation cannot
        # hold shutdown hostage: it is cancelled once and left behind.
        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            stack = _pending_stacks(task)
            task.cancel()
            self.shutdown_overruns[step] = stack
            log.error("shutdown step overran its budget; abandoned", step=step, budget_s=timeout, stack=stack)
        elif not task.cancelled() and (exc := task.exception()) is not None:
            log.error("shutdown step failed", step=step, error=repr(exc))


def _pending_stacks(first: asyncio.Future[Any]) -> str:
    """Where the stuck step and every other pending task wait: what a bug report needs."""
    out = io.StringIO()
    tasks = [first] + [t for t in asyncio.all_tasks() if t is not first and not t.done()]
    for task in tasks[:50]:
        if isinstance(task, asyncio.Task):
            out.write(f"-- {task.get_name()}\n")
            task.print_stack(limit=12, file=out)
    return out.getvalue()


async def run_daemon(cfg: CcdConfig) -> int:
    daemon = Daemon(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await daemon.start()
    stopper = loop.create_task(stop.wait())
    failed = loop.create_task(daemon.wait_failed())
    await asyncio.wait({stopper, failed}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if failed.done():
        log.error("a ccd task died; stopping", error=repr(failed.result()))
        code = 1
    stopper.cancel()
    failed.cancel()
    await daemon.stop()
    return code
