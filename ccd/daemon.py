"""Wiring of the running daemon: connections, the core loop, the executor, the store
writer, metrics and the HTTP API; start-up, task supervision and graceful shutdown.

Every task is started through one ``Supervisor`` (ccd/supervisor.py): a service that dies
is logged, counted, turns readiness false and ends the daemon's run with an error (the
service manager restarts the process), never silently. Survey timeouts, announcements and
periodic jobs run off one ``Timer`` (ccd/timer.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from ccd import events as ev
from ccd import openapi
from ccd.acd.inputs import Input
from ccd.ami import events as ami_events
from ccd.ami.client import AmiClient
from ccd.api.app import Api
from ccd.api.report_routes import ReportRoutes
from ccd.ari.client import AriClient
from ccd.ari.events import Resync
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
from ccd.queues.ari_port import ClientAriPort
from ccd.queues.core.engine import AcdEngine
from ccd.queues.devices import AgentDevices
from ccd.queues.executor import AcdExecutor
from ccd.queues.fallback_import import FallbackImport
from ccd.queues.from_config import agent_specs, queue_specs
from ccd.queues.legs import RESTORE_VARIABLES
from ccd.queues.routes import QueueRoutes
from ccd.queues.sticky import StickyResolver
from ccd.queues.sticky_db import StickyDb
from ccd.queues.wire import wire_announcer
from ccd.rating_ivr.routes import RatingRoutes
from ccd.rating_ivr.wire import wire as wire_surveys
from ccd.recordings.wire import RecordingFeature
from ccd.schedule.gauges import schedule_gauges
from ccd.schedule.routes import ScheduleRoutes
from ccd.shutdown import bounded_step
from ccd.snapshot import EngineSnapshot
from ccd.staffing.routes import StaffingRoutes
from ccd.store.migrate import migrate
from ccd.store.writer import EventWriter
from ccd.supervisor import Supervisor
from ccd.tasks import cancel_and_wait
from ccd.timer import Periodic, Timer
from ccd.whisper.wire import wire as wire_supervision
from ccd.wiring import merge_hooks

log = structlog.get_logger("ccd.daemon")

SHUTDOWN_BUDGET_S = 4.0


class Daemon:
    def __init__(self, cfg: CcdConfig) -> None:
        self.cfg = cfg
        self.registry = CollectorRegistry()
        self.tasks = Supervisor(self.registry)
        self.timer = Timer()
        spawn, wake = self.tasks.spawn, self.timer.poke
        self.metrics = Metrics.from_config(cfg, self.snapshot, self._health_gauges, self.registry)
        self.dispatcher = TimedDispatcher(structlog.get_logger("ccd.dispatch"),
                                          observe_lag=self.metrics.dispatch_lag.observe)
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
        self.engine = AcdEngine(agent_specs(cfg), queue_specs(cfg), ids=ev.EventIds.fresh())
        self.port = ClientAriPort(self.rest)
        self.sticky_db = StickyDb(dsn)
        self.sticky = StickyResolver(self.sticky_db.lookup,
                                     {q.name: q.sticky_ttl_days * 86400 for q in cfg.queues if q.sticky})
        # Every domain event goes out through the bus: the core, the features and the store's
        # durable path (audit before action) all publish there; nobody fans out by hand.
        self.bus = Bus(self.writer, self.registry, spawn)
        # Each feature is built by its wiring function and says what it contributes
        # (ccd.wiring.Contribution); those that act at fixed points of a queue call are built
        # before the ACD, so that their call hooks are given to the executor at construction.
        self.surveys, surveys = wire_surveys(cfg, self.port, self.bus.publish, spawn=spawn, wake=wake)
        # Call recording: announcement before queueing, bridge recording once connected.
        self.recordings = RecordingFeature(cfg, self.rest, self.bus, dsn, self.registry, spawn=spawn, wake=wake)
        recordings = self.recordings.contribution()
        # Position / expected-wait announcements to waiting callers (queues that ask for them).
        self.announcer, announcer = wire_announcer(cfg, self.port, self.snapshot, self.registry,
                                                   spawn=spawn, wake=wake)
        self.executor = AcdExecutor(self.port, self.submit, {q.name: q.moh_class for q in cfg.queues},
                                    self.surveys, merge_hooks(recordings.hooks, announcer.hooks), spawn)
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
        self.acd = AcdService(cfg, self.port, self.executor, self.surveys, self.sticky, self.submit,
                              AgentStateStore(self.ami, self.rest), self._wait_ami, self.bus.durable, spawn=spawn)
        self.bus.subscribe_store(self.writer.submit)
        self.bus.subscribe_events("metrics", self.metrics.observe)
        self.bus.subscribe_events("sticky", lambda e: self.sticky.on_event(e, self.executor.call))
        self.bus.subscribe_events("agent-state", self.acd.persist_agent_state)
        self.acd.subscribe(self.dispatcher)
        # Calls the Queue() fallback handled while ccd was away go to the store only: /metrics
        # counts what this process saw (docs/kpis.md).
        self.fallback = FallbackImport(cfg, self.writer.submit)
        self.fallback_rounds = Periodic("fallback-import", self.fallback.interval, self.fallback.scan_round, spawn,
                                        wake)
        if self.fallback.enabled:
            self.timer.add(self.fallback_rounds)
            self.dispatcher.subscribe(Resync, lambda e: self.fallback_rounds.trigger())
        self.devices = AgentDevices(cfg, self.submit)  # device state and mentoring -> busy agents
        self.supervision, supervision = wire_supervision(cfg, self.rest, self.executor, self.snapshot,
                                                         self.devices.mentoring, self.bus, spawn=spawn)
        self.contributions = (surveys, supervision, recordings, announcer)
        for part in self.contributions:
            part.asterisk(self.dispatcher)
            for name, sink in part.subscribers:
                self.bus.subscribe_events(name, sink)
            for client in part.timers:
                self.timer.add(client)
        self.console = ConsoleFeature(cfg, self.bus, self.snapshot, dsn, callbacks=self.callbacks.pending)
        self.dispatcher.subscribe(ami_events.FullyBooted, lambda e: self.stream.wake())
        self.devices.subscribe(self.dispatcher)
        self._runner: web.AppRunner | None = None
        self.report_routes: ReportRoutes | None = None
        self.shutdown_overruns: dict[str, str] = {}  # step -> where the tasks were stuck
        self._stopped = False

    # -- backend for the API --------------------------------------------------------------
    def submit(self, inp: Input) -> None:
        self.core.submit(inp)

    def snapshot(self) -> EngineSnapshot:
        return self.core.snapshot()

    def readiness(self) -> dict[str, bool]:
        return {"ami": self.health.is_up("ami"), "ari": self.health.is_up("ari"),
                "database": self.writer.connected, "resynced": self.acd.resynced, "tasks": self.tasks.healthy}

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
        sup = self.tasks
        for task in [self.writer.task, *self.bus.tasks()]:
            if task is not None:
                sup.adopt(task)
        for name, coro in (("dispatch", self.dispatcher.run()), ("core", self.core.run()),
                           ("timer", self.timer.run())):
            sup.service(f"ccd-{name}", coro)
        for name, run in self.callbacks.runs:
            sup.service(f"ccd-{name}", run())
        await self.ami.start()
        await self.stream.start()
        for task in (self.ami.task, self.stream.task):
            if task is not None:
                sup.adopt(task)
        host, port = self.cfg.http.listen.rsplit(":", 1)
        api = Api(self)
        app = api.build()
        # Each feature adds its own routes; the OpenAPI document describes them all.
        QueueRoutes(api, self.snapshot, self.submit).add_to(app)
        self.report_routes = ReportRoutes(api, self.dsn)
        self.report_routes.add_to(app)
        RatingRoutes(self.report_routes).add_to(app)
        StaffingRoutes(self.report_routes).add_to(app)
        ScheduleRoutes(api, self.report_routes.pool).add_to(app)
        self.timer.add(schedule_gauges(self.report_routes.pool, [q.name for q in self.cfg.queues],
                                       self.metrics.schedule_now, sup.spawn, self.timer.poke))
        for part in self.contributions:
            for add_routes in part.routes:
                add_routes(app, api)
        self.callbacks.add_routes(app, api)
        self.console.add_to(app, api)
        openapi.add_to(app, api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host or "0.0.0.0", int(port)).start()
        log.info("ccd started", http=self.cfg.http.listen, ari=self.cfg.ari.url,
                 ami=f"{self.cfg.ami.host}:{self.cfg.ami.port}", queues=len(self.cfg.queues))

    async def wait_failed(self) -> BaseException | None:
        """Return when an owned service dies (its error), never when all is well."""
        name, exc = await self.tasks.wait_failed()
        return exc if exc is not None else RuntimeError(f"task {name} ended on its own")

    async def stop(self) -> None:
        """Graceful shutdown in a bounded time: a step that overruns its share is abandoned
        (logged with its stack, recorded in ``shutdown_overruns``) so the process still exits
        and the service manager never has to SIGKILL it."""
        if self._stopped:
            return  # stop() is idempotent: a signal during shutdown, or a harness stopping twice
        self._stopped = True
        started = time.monotonic()
        self.tasks.closing = True  # services that end from here on were told to
        self.console.close_streams()  # live browsers would hold the HTTP shutdown
        if self._runner is not None:
            await self._bounded("http", self._runner.cleanup(), 2.0)
        await self._bounded("ari-stream", self.stream.close(), 1.0)
        await self._bounded("ami", self.ami.close(), 1.0)
        await self._bounded("supervision", self.supervision.close(), 2.5)
        await self._bounded("drain", self._drain_commands(), 2.5)
        await self._bounded("tasks", self._cancel_services(), 1.0)
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
        await self._bounded("supervisor", self.tasks.close(), 1.0)  # whatever is left
        log.info("ccd stopped", seconds=round(time.monotonic() - started, 3), overruns=sorted(self.shutdown_overruns))

    async def _bounded(self, step: str, coro: Coroutine[Any, Any, None], timeout: float) -> None:
        await bounded_step(step, coro, timeout, self.shutdown_overruns)

    async def _drain_commands(self) -> None:
        await self.acd.serial.drain(1.0)
        await self.executor.serial.drain(1.0)

    async def _cancel_services(self) -> None:
        # Not the links' and the writer's: their owners close them in their own step.
        own = {self.writer.task, self.ami.task, self.stream.task}
        await asyncio.gather(*(cancel_and_wait(t) for t in self.tasks.services if t not in own))
