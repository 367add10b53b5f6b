"""The daemon's one domain event bus: every fan-out of domain events goes through here.

``publish`` never waits: it stamps the event with the next sequence number of this process
and appends it to each subscriber's own bounded queue; one task per subscriber drains that
queue. A slow or failing subscriber therefore never slows routing or its peers: its queue
grows (lag), and when full the newest events for it are dropped and counted (it sees the
gap in sequence numbers). ``durable`` awaits the store's commit first (audit before action)
and then publishes to everyone else.

Sequence numbers increase by one per published event in this process, so a live client can
take a snapshot at sequence N and apply deltas from N+1 without a gap; ``epoch`` changes
with every process, so a client notices a restart and takes a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import structlog
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccd.events import DomainEvent
from ccd.supervisor import Spawn, plain_spawn

log = structlog.get_logger("ccd.bus")

Sink = Callable[[DomainEvent], None]
DEFAULT_MAXSIZE = 10_000
BATCH = 256  # events handled before a subscriber yields to the loop


@dataclass(frozen=True, slots=True)
class Sequenced:
    seq: int
    event: DomainEvent


Handler = Callable[[Sequenced], None]


class Store(Protocol):
    def durable(self, event: DomainEvent) -> Awaitable[None]: ...


class Subscriber:
    """One subscriber's bounded queue and counters; drained by its own task."""

    def __init__(self, name: str, handler: Handler, maxsize: int, is_store: bool) -> None:
        self.name, self.handler, self.maxsize, self.is_store = name, handler, maxsize, is_store
        self.queue: deque[Sequenced] = deque()
        self.dropped = 0
        self.failed = 0
        self.delivered_seq = 0
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def offer(self, item: Sequenced) -> None:
        if len(self.queue) >= self.maxsize:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("bus subscriber lagging; events dropped", subscriber=self.name, dropped=self.dropped)
            return
        self.queue.append(item)
        self.wake.set()

    def drain(self, limit: int = BATCH) -> int:
        """Deliver up to ``limit`` queued events synchronously; returns how many."""
        n = 0
        while self.queue and n < limit:
            item = self.queue.popleft()
            n += 1
            try:
                self.handler(item)
            except Exception:
                self.failed += 1
                log.exception("bus subscriber failed", subscriber=self.name, event_type=item.event.type)
            self.delivered_seq = item.seq
        return n

    async def run(self) -> None:
        while True:
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
            self.drain()
            await asyncio.sleep(0)  # let routing and the other subscribers run between batches


class Bus:
    def __init__(self, store: Store | None = None, registry: CollectorRegistry | None = None,
                 spawn: Spawn = plain_spawn) -> None:
        self.store = store
        self.spawn = spawn  # pumps of subscribers that come later (console clients)
        self.seq = 0
        self.epoch = os.urandom(6).hex()
        self.subscribers: list[Subscriber] = []
        self._running = False
        if registry is not None:
            registry.register(BusCollector(self))

    # -- subscribing ------------------------------------------------------------------------
    def subscribe(self, name: str, handler: Handler, maxsize: int = DEFAULT_MAXSIZE) -> Subscriber:
        sub = Subscriber(name, handler, maxsize, is_store=False)
        self._add(sub)
        return sub

    def subscribe_events(self, name: str, sink: Sink, maxsize: int = DEFAULT_MAXSIZE) -> Subscriber:
        """A subscriber that wants the plain event (today's sinks)."""
        return self.subscribe(name, lambda item: sink(item.event), maxsize)

    def subscribe_store(self, sink: Sink, maxsize: int = 1_000_000) -> Subscriber:
        """The event store: skipped by ``durable`` (which commits through ``store.durable``)."""
        sub = Subscriber("store", lambda item: sink(item.event), maxsize, is_store=True)
        self._add(sub)
        return sub

    def _add(self, sub: Subscriber) -> None:
        self.subscribers.append(sub)
        if self._running:  # subscribed later (a console client): its pump starts now
            sub.task = self.spawn(f"ccd-bus-{sub.name}", sub.run(), kind="bus-late-subscriber")

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        if sub.task is not None:
            sub.task.cancel()

    # -- publishing -------------------------------------------------------------------------
    def publish(self, event: DomainEvent) -> None:
        """Hand ``event`` to every subscriber (sequence ``self.seq``); never waits, never raises."""
        self._fan_out(event, self.subscribers)

    # The shape of a store (``submit`` + ``durable``): features that write audit events
    # through "the store" get the bus, and skip re-publishing what ``durable`` published.
    submit = publish

    async def durable(self, event: DomainEvent) -> None:
        """Commit ``event`` (or fsync it in the writer's spool) first, then publish it to every
        other subscriber: audit before action. A store failure raises and publishes nothing."""
        if self.store is not None:
            await self.store.durable(event)
        self._fan_out(event, [s for s in self.subscribers if not s.is_store])

    def _fan_out(self, event: DomainEvent, subscribers: Iterable[Subscriber]) -> None:
        self.seq += 1
        item = Sequenced(self.seq, event)
        for sub in subscribers:
            sub.offer(item)

    # -- lifecycle --------------------------------------------------------------------------
    def tasks(self) -> list[asyncio.Task[None]]:
        """Start one pump per subscriber (the daemon owns and supervises them)."""
        loop = asyncio.get_running_loop()
        self._running = True
        for sub in self.subscribers:
            sub.task = loop.create_task(sub.run(), name=f"ccd-bus-{sub.name}")
        return [s.task for s in self.subscribers if s.task is not None]

    def flush(self) -> None:
        """Deliver everything queued now, synchronously (shutdown: the store gets the tail)."""
        for sub in self.subscribers:
            while sub.drain():
                pass


class BusCollector(Collector):
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    def collect(self) -> Iterable[Metric]:
        seq = GaugeMetricFamily("ccd_bus_sequence", "Sequence number of the last event published on the bus")
        seq.add_metric([], float(self.bus.seq))
        lag = GaugeMetricFamily("ccd_bus_subscriber_lag_events", "Events queued for a subscriber, not yet handled",
                                labels=["subscriber"])
        dropped = CounterMetricFamily("ccd_bus_subscriber_dropped_events",
                                      "Events dropped because the subscriber's queue was full", labels=["subscriber"])
        failed = CounterMetricFamily("ccd_bus_subscriber_failures", "Events whose subscriber raised",
                                     labels=["subscriber"])
        for sub in self.bus.subscribers:
            lag.add_metric([sub.name], float(len(sub.queue)))
            dropped.add_metric([sub.name], float(sub.dropped))
            failed.add_metric([sub.name], float(sub.failed))
        return [seq, lag, dropped, failed]
