"""The callback feature's one wiring function: ``wire(ports)`` builds the book, its service,
the delivery, the offers and the places in line, and returns what the daemon plugs in —
an ACD command router, Asterisk and bus subscribers, HTTP routes, tasks, the /metrics
collector (registered) and the pending count for the console. Nothing is assigned onto
other objects; with no queue's ``[queues.callback] enabled`` it contributes only the routes (the
stored history; no open callbacks) and a pending count of 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import asyncpg
import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry

from ccd import events as ev
from ccd.acd.commands import Command, Connect, Offer, Overflow
from ccd.acd.inputs import Input
from ccd.api.app import Api
from ccd.ari import events as ari
from ccd.ari.app_args import parse_app_args
from ccd.callbacks import store
from ccd.callbacks.ari_attempt import APP_ARG, Seen
from ccd.callbacks.core.book import CallbackBook
from ccd.callbacks.delivery import Delivery, QueueDialing
from ccd.callbacks.line import CallbackLine
from ccd.callbacks.metrics import CallbackMetrics
from ccd.callbacks.offers import CallbackOffers, OfferRules
from ccd.callbacks.routes import CallbackRoutes
from ccd.callbacks.service import CallbackService
from ccd.config import CcdConfig, normalise_number
from ccd.errors import Unavailable
from ccd.ports import AriPort, AsteriskFailed, ChannelGone
from ccd.snapshot import EngineSnapshot

log = structlog.get_logger("ccd.callbacks")
TICK_S = 1.0
Perform = Callable[[Command], None]
Handler = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Ports:
    cfg: CcdConfig
    ari: AriPort
    dsn: str
    publish: Callable[[ev.DomainEvent], None]
    submit: Callable[[Input], None]
    snapshot: Callable[[], EngineSnapshot]
    registry: CollectorRegistry
    clock: Callable[[], float]
    ari_up: Callable[[], bool]  # no callback gets its place (or a dial) while ARI is down


@dataclass
class CallbackFeature:
    enabled: bool
    service: CallbackService | None = None
    db: store.Db | None = None
    ari_handlers: list[tuple[type, Handler]] = field(default_factory=list)
    bus_handlers: list[tuple[str, Callable[[ev.DomainEvent], None]]] = field(default_factory=list)
    runs: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = field(default_factory=list)
    route: Callable[[Command], bool] = lambda cmd: False
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def performer(self, then: Perform) -> Perform:
        """The ACD engine's commands: those about callbacks' places stay here."""
        if not self.enabled:
            return then
        def perform(cmd: Command) -> None:
            if not self.route(cmd):
                then(cmd)
        return perform

    def pending(self, queue: str) -> int:
        return len(self.service.pending(queue)) if self.service is not None else 0

    def add_routes(self, app: web.Application, api: Api) -> None:
        async def db() -> store.Db:
            if self.db is None:
                raise Unavailable("callbacks: no database")
            return self.db
        CallbackRoutes(api, lambda: self.service, db).add_to(app)

    async def close(self) -> None:
        for close in self.closers:
            try:
                await close()
            except Exception:
                log.exception("callback shutdown step failed")


class PoolDb:
    """The store's database, connected on first use (ccd starts while PostgreSQL is down)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        async with self._lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=2, timeout=5,
                                                       command_timeout=10)
            return self._pool

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        return list(await (await self.pool()).fetch(query, *args))

    async def execute(self, query: str, *args: Any) -> str:
        return str(await (await self.pool()).execute(query, *args))

    async def executemany(self, query: str, args: Any) -> None:
        await (await self.pool()).executemany(query, args)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()


def wire(p: Ports) -> CallbackFeature:
    queues = {q.name: q for q in p.cfg.queues if q.callback.enabled}
    db = PoolDb(p.dsn)  # the stored history is readable with callbacks off, too
    if not queues:
        return CallbackFeature(enabled=False, db=db, closers=[db.close])
    book = CallbackBook({n: q.callback.rules() for n, q in queues.items()})
    dialing = {n: QueueDialing(q.language, q.callback.caller_id, q.callback.dial, q.callback.dial_timeout,
                               q.callback.confirm_timeout) for n, q in queues.items()}
    # The delivery and the line know each other through these late-bound hooks only.
    hooks: dict[str, CallbackLine] = {}
    delivery = Delivery(p.ari, dialing, lambda cb: hooks["line"].pick_agent(cb), lambda q: None,
                        lambda cb, chan: hooks["line"].confirmed(cb, chan), p.clock,
                        settle=lambda cb, a, r: hooks["line"].settle(cb, a, r),
                        ring_timeout=lambda cb: hooks["line"].ring_timeout(cb))
    service = CallbackService(book, db, p.publish, delivery.dial, p.clock)
    delivery.service = service
    agent_first = [n for n, q in queues.items() if q.callback.delivery == "agent_first"]
    line = hooks["line"] = CallbackLine(service, p.ari, p.submit, agent_first, delivery.runners)
    wake = asyncio.Event()

    def booked() -> None:  # the callback takes the caller's place at once
        line.sync()
        wake.set()

    offers = CallbackOffers(p.ari, service, {n: OfferRules(q.callback, q.language) for n, q in queues.items()},
                            partial(normalise_number, cfg=p.cfg), p.snapshot, p.submit, booked,
                            p.registry)
    metrics = CallbackMetrics(p.registry, queues, lambda q: len(service.pending(q)))
    customer_first = [n for n in queues if n not in agent_first]

    def feed(seen: Seen) -> None:
        delivery.feed(seen)
        line.feed(seen)
        offers.feed(seen)

    def route(cmd: Command) -> bool:
        if line.perform(cmd):
            return True
        if isinstance(cmd, Offer | Connect | Overflow):
            offers.preempt(cmd.call_id)  # the caller is about to move: the offer stops
        return False

    async def on_resync(e: ari.Resync) -> None:
        """Asterisk (or the link) came back: attempts whose channels are gone failed, and
        callback channels of an earlier ccd run are hung up (their attempt is made again)."""
        present = {c.id for c in e.channels}
        ours = line.channels() | {ch for r in delivery.runners.values() for ch in r.channels}
        # Agents' legs first: a callback cut by Asterisk going away is nobody's failed attempt.
        for ch in sorted(ours - present, key=lambda ch: not ch.endswith("-agent")):
            feed(Seen("hangup", ch))
        for c in e.channels:
            if (parse_app_args(c.dialplan.app_data, p.cfg.ari.app) or [])[:1] == [APP_ARG] and c.id not in ours:
                try:
                    await p.ari.hangup(c.id)
                except (ChannelGone, AsteriskFailed):
                    pass
        wake.set()

    async def tick() -> None:
        await restore()
        while True:
            try:
                await service.tick()
                if p.ari_up():  # while Asterisk is away nobody is dialled
                    await serve()
            except Exception:  # one bad tick must not end the callbacks
                log.exception("callback tick failed")
            deadline = book.next_deadline(p.clock())
            wait = TICK_S if deadline is None else min(TICK_S, max(0.0, deadline - p.clock()))
            wake.clear()
            try:
                async with asyncio.timeout(wait):
                    await wake.wait()
            except TimeoutError:
                pass

    async def serve() -> None:
        """Places in line for due agent_first callbacks; customer_first dials for free agents."""
        line.sync()
        snap = p.snapshot()
        for q in customer_first:
            view = snap.queues.get(q)
            if view is not None and view.available_agents > 0:
                live = [(-c.priority, snap.now - c.wait_s, 0) for c in view.waiting]
                await service.dispatch(q, live, view.available_agents)

    async def restore() -> None:
        """The open callbacks from PostgreSQL (a restart, even kill -9, loses none)."""
        while True:
            try:
                n = await service.restore()
                log.info("callbacks restored", open=n)
                return
            except Exception as exc:
                log.warning("callbacks not restored yet; retrying", error=repr(exc))
                await asyncio.sleep(TICK_S)

    async def close() -> None:
        await offers.close()
        tasks = [*delivery.tasks, *line.tasks]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await db.close()

    def bus(e: ev.DomainEvent) -> None:
        offers.on_event(e)
        metrics.observe(e)

    return CallbackFeature(
        enabled=True, service=service, db=db, route=route,
        ari_handlers=[
            (ari.StasisStart, lambda e: feed(Seen("answered", e.channel.id)) if e.args[:1] == (APP_ARG,) else None),
            (ari.PlaybackFinished, lambda e: feed(Seen("playback_finished", "", e.playback.id))),
            (ari.ChannelDtmfReceived, lambda e: feed(Seen("dtmf", e.channel.id, e.digit))),
            (ari.ChannelDestroyed, lambda e: feed(Seen("hangup", e.channel.id))),
            (ari.Resync, on_resync),
        ],
        bus_handlers=[("callbacks", bus)],
        runs=[("callbacks", tick), ("callback-offers", offers.run)],
        closers=[close],
    )
