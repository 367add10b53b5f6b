"""Prometheus metrics of callbacks: counters and time-to-callback fed by the callback events,
the pending gauge read from the book at scrape time. Labels: queue (from the config) only."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccd import events as ev

TTC_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
ENDINGS = ("connected", "failed", "expired", "cancelled")


class CallbackMetrics(Collector):
    def __init__(self, registry: CollectorRegistry, queues: Iterable[str],
                 pending: Callable[[str], int]) -> None:
        self.queues = tuple(queues)
        self.pending = pending
        r = registry
        self.requested = Counter("ccd_callback_requested_total", "Callbacks booked (merged "
                                 "requests not counted)", ["queue"], registry=r)
        self.attempts = Counter("ccd_callback_attempts_total", "Callback dial attempts", ["queue"],
                                registry=r)
        self.ended = Counter("ccd_callback_ended_total", "Callbacks ended, by outcome "
                             "(connected = completed)", ["queue", "outcome"], registry=r)
        self.ttc = Histogram("ccd_callback_time_to_callback_seconds", "From the request to the "
                             "customer bridged with an agent", ["queue"], buckets=TTC_BUCKETS, registry=r)
        for q in self.queues:
            self.requested.labels(q)
            self.attempts.labels(q)
            self.ttc.labels(q)
            for o in ENDINGS:
                self.ended.labels(q, o)
        r.register(self)

    def observe(self, e: ev.DomainEvent) -> None:
        q = e.queue
        if q not in self.queues:
            return
        if e.type == ev.CALLBACK_REQUESTED:
            self.requested.labels(q).inc()
        elif e.type == ev.CALLBACK_ATTEMPTED:
            self.attempts.labels(q).inc()
        elif e.type == ev.CALLBACK_CONNECTED:
            self.ended.labels(q, "connected").inc()
            if isinstance(e, ev.CallbackConnected):
                self.ttc.labels(q).observe(e.time_to_callback_s)
        elif e.type == ev.CALLBACK_FAILED:
            self.ended.labels(q, "failed").inc()
        elif e.type == ev.CALLBACK_EXPIRED:
            self.ended.labels(q, "expired").inc()
        elif e.type == ev.CALLBACK_CANCELLED:
            self.ended.labels(q, "cancelled").inc()

    def collect(self) -> Iterator[Metric]:
        g = GaugeMetricFamily("ccd_callback_pending", "Open callbacks (pending or being dialled)",
                              labels=["queue"])
        for q in self.queues:
            g.add_metric([q], self.pending(q))
        yield g
