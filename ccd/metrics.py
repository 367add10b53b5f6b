"""Prometheus metrics fed by domain events; the gauges read from live state at scrape time
are ``ccd.metrics_live``'s, the service-level window ``ccd.service_level``'s.

Labels are bounded: queue names, agent ids, states, modes and scores come from the config or
fixed sets; caller numbers and call ids never become labels. Every known label combination is
created at start-up, so rate() and alert expressions see zeros instead of missing series.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary

from ccd import events as ev
from ccd.config import CcdConfig
from ccd.dispatch import Dispatcher, Logger
from ccd.metrics_live import SUPERVISION_MODES, LiveGauges
from ccd.service_level import ServiceLevelWindow
from ccd.snapshot import EngineSnapshot

STICKY_RESULTS = ("hit", "miss", "fallback")
WAIT_BUCKETS = (1, 2, 5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 300, 600)
HANDLE_BUCKETS = (15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800)
MAX_TRACKED = 10_000  # per-call bookkeeping is capped so a lost end event cannot leak memory

@dataclass(frozen=True)
class QueueInfo:
    name: str
    sl_threshold_s: float = 20.0
    sl_target: float = 0.8
    short_abandon_s: float = 5.0
    sticky: bool = True
    wrapup_s: float = 0.0
    rating_scale: int = 0  # 0: no rating IVR on this queue
    members: tuple[str, ...] = ()


def queue_infos(cfg: CcdConfig) -> list[QueueInfo]:
    return [
        QueueInfo(q.name, q.service_level_seconds, q.service_level_target, q.short_abandon_seconds, q.sticky,
                  q.wrapup, q.rating.scale if q.rating.enabled else 0, tuple(a.id for a in cfg.queue_members(q)))
        for q in cfg.queues
    ]


def _bounded_put(d: dict[Any, Any], key: Any, value: Any) -> None:
    d[key] = value
    if len(d) > MAX_TRACKED:
        del d[next(iter(d))]  # oldest first (dicts keep insertion order)


class Metrics:
    def __init__(
        self,
        queues: Iterable[QueueInfo],
        agents: Iterable[str],
        snapshot: Callable[[], EngineSnapshot | None],
        health: Callable[[], Mapping[str, float]],
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.registry = r = registry or CollectorRegistry()
        self.queues = {q.name: q for q in queues}
        self.agents = list(agents)
        self.snapshot, self.health = snapshot, health
        self.sl = {q.name: ServiceLevelWindow(q.sl_threshold_s, q.short_abandon_s) for q in self.queues.values()}
        # Every SL threshold is a bucket edge, so the histogram alone also answers "within T".
        wait_buckets = sorted({*WAIT_BUCKETS, *(q.sl_threshold_s for q in self.queues.values())})
        self.offered = Counter("ccd_queue_calls_offered_total", "Calls that entered the queue", ["queue"], registry=r)
        self.answered = Counter("ccd_queue_calls_answered_total", "Calls answered by an agent", ["queue"], registry=r)
        self.abandoned = Counter("ccd_queue_calls_abandoned_total", "Callers who hung up while waiting "
                                 "(short: before the short-abandon threshold)", ["queue", "short"], registry=r)
        self.overflow = Counter("ccd_queue_calls_overflow_total", "Calls sent to the overflow target",
                                ["queue", "reason"], registry=r)
        self.wait = Histogram("ccd_queue_wait_seconds", "Wait before answer (answered calls)", ["queue"],
                              buckets=wait_buckets, registry=r)
        self.abandon_wait = Histogram("ccd_queue_abandon_wait_seconds", "Wait before the caller hung up",
                                      ["queue"], buckets=wait_buckets, registry=r)
        self.handle = Histogram("ccd_queue_handle_seconds", "Talk plus wrap-up time per answered call",
                                ["queue"], buckets=HANDLE_BUCKETS, registry=r)
        self.talk = Histogram("ccd_queue_talk_seconds", "Talk time per answered call", ["queue"],
                              buckets=HANDLE_BUCKETS, registry=r)
        self.sticky = Counter("ccd_queue_sticky_routed_total", "Answered calls of known callers on sticky queues: "
                              "hit (their agent), fallback (another agent), miss (no sticky agent)",
                              ["queue", "result"], registry=r)
        self.ratings = Counter("ccd_queue_ratings_total", "Post-call survey scores", ["queue", "score"], registry=r)
        self.rating_score = Summary("ccd_queue_rating_score", "Post-call survey scores (sum and count, for averages)",
                                    ["queue"], registry=r)
        self.missed = Counter("ccd_agent_missed_calls_total", "Offers the agent did not answer", ["agent"], registry=r)
        self.handled = Counter("ccd_agent_calls_handled_total", "Calls the agent answered", ["agent"], registry=r)
        self.supervision = Counter("ccd_supervision_sessions_total", "Supervision sessions started, by first mode",
                                   ["mode"], registry=r)
        self.supervision_denied = Counter("ccd_supervision_denied_total", "Refused supervision attempts",
                                          registry=r)
        self.recording_failures = Counter("ccd_recording_failures_total", "Recordings that failed to start",
                                          ["queue"], registry=r)
        self.decision = Histogram("ccd_routing_decision_seconds", "Time the engine takes per input",
                                  buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3, 0.025), registry=r)
        self.dispatch_lag = Histogram("ccd_event_dispatch_lag_seconds",
                                      "Time an Asterisk event batch waits before its consumers see it",
                                      buckets=(1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5), registry=r)
        self._sticky_by_call: dict[str, str | None] = {}
        self._after_call: dict[str, tuple[str, float, float]] = {}  # agent -> (queue, talk_s, ended ts)
        self.supervising: dict[str, str] = {}  # session id -> mode
        # queue -> (required, scheduled) agents of the current interval in the approved plan,
        # refreshed by ccd.schedule.gauges (the database is never read at scrape time)
        self.schedule_now: dict[str, tuple[int, int]] = {}
        r.register(LiveGauges(self))
        self._create_series()

    @classmethod
    def from_config(cls, cfg: CcdConfig, snapshot: Callable[[], EngineSnapshot | None],
                    health: Callable[[], Mapping[str, float]], registry: CollectorRegistry | None = None) -> Metrics:
        return cls(queue_infos(cfg), [a.id for a in cfg.agents], snapshot, health, registry)

    def _create_series(self) -> None:
        for q in self.queues.values():
            for family in (self.offered, self.answered, self.wait, self.abandon_wait, self.handle, self.talk,
                           self.recording_failures):
                family.labels(q.name)
            for short in ("yes", "no"):
                self.abandoned.labels(q.name, short)
            self.overflow.labels(q.name, "max_wait")
            if q.sticky:
                for result in STICKY_RESULTS:
                    self.sticky.labels(q.name, result)
            if q.rating_scale:
                self.rating_score.labels(q.name)
                for score in range(1, q.rating_scale + 1):
                    self.ratings.labels(q.name, str(score))
        for agent in self.agents:
            self.missed.labels(agent)
            self.handled.labels(agent)
        for mode in SUPERVISION_MODES:
            self.supervision.labels(mode)

    # -- domain events ------------------------------------------------------------------------
    def observe(self, e: ev.DomainEvent) -> None:
        q, ts = e.queue or "", e.ts.timestamp()
        info = self.queues.get(q)
        if isinstance(e, ev.CallQueued):
            self.offered.labels(q).inc()
            if info is not None and info.sticky and e.caller and e.call_id:
                _bounded_put(self._sticky_by_call, e.call_id, e.sticky_agent)
        elif isinstance(e, ev.CallAnswered):
            wait = e.wait_s
            self.answered.labels(q).inc()
            self.wait.labels(q).observe(wait)
            if q in self.sl:
                self.sl[q].answered(ts, wait)
            if e.call_id in self._sticky_by_call:
                sticky_agent = self._sticky_by_call.pop(e.call_id or "")
                result = "miss" if sticky_agent is None else "hit" if sticky_agent == e.agent_id else "fallback"
                self.sticky.labels(q, result).inc()
            if e.agent_id:
                self.handled.labels(e.agent_id).inc()
        elif isinstance(e, ev.CallAbandoned | ev.CallOverflow):
            self._unanswered(e, q, e.wait_s, ts)
        elif isinstance(e, ev.CallEnded):
            self._call_ended(e, q, e.talk_s, ts)
        elif isinstance(e, ev.AgentWrapupEnded) and e.agent_id in self._after_call:
            queue, talk, _ = self._after_call.pop(e.agent_id or "")
            self.handle.labels(queue).observe(talk + e.wrapup_s)
        elif e.type in (ev.AGENT_PAUSED, ev.AGENT_LOGOUT) and e.agent_id in self._after_call:
            # Left during (or instead of) wrap-up: the wrap-up lasted until now.
            queue, talk, ended = self._after_call.pop(e.agent_id or "")
            self.handle.labels(queue).observe(talk + max(0.0, ts - ended))
        elif e.type == ev.AGENT_MISSED and e.agent_id:
            self.missed.labels(e.agent_id).inc()
        elif isinstance(e, ev.RatingResult) and e.outcome == "rated" and e.score is not None:
            self.ratings.labels(q, str(e.score)).inc()
            self.rating_score.labels(q).observe(float(e.score))
        elif isinstance(e, ev.SupervisionStarted | ev.SupervisionModeChanged | ev.SupervisionEnded):
            self._supervision(e)
        elif e.type == ev.SUPERVISION_DENIED:
            self.supervision_denied.inc()
        elif e.type == ev.RECORDING_FAILED:
            self.recording_failures.labels(q).inc()

    def _unanswered(self, e: ev.CallAbandoned | ev.CallOverflow, q: str, wait: float, ts: float) -> None:
        self._sticky_by_call.pop(e.call_id or "", None)
        if isinstance(e, ev.CallAbandoned) and e.callback:
            return  # left with a booked callback: not an abandon, not in SL (docs/kpis.md)
        abandoned = isinstance(e, ev.CallAbandoned)
        if isinstance(e, ev.CallAbandoned):
            short = q in self.sl and wait < self.sl[q].short_abandon_s
            self.abandoned.labels(q, "yes" if short else "no").inc()
            self.abandon_wait.labels(q).observe(wait)
        else:
            self.overflow.labels(q, e.reason).inc()
        if q in self.sl:
            self.sl[q].left_unanswered(ts, wait, abandoned)

    def _call_ended(self, e: ev.DomainEvent, q: str, talk: float, ts: float) -> None:
        self._sticky_by_call.pop(e.call_id or "", None)
        self.talk.labels(q).observe(talk)
        info = self.queues.get(q)
        if not e.agent_id:
            self.handle.labels(q).observe(talk)
        elif info is not None and info.wrapup_s > 0:
            _bounded_put(self._after_call, e.agent_id, (q, talk, ts))  # completed by the wrap-up's end
        else:
            self.handle.labels(q).observe(talk)

    def _supervision(self, e: ev.SupervisionStarted | ev.SupervisionModeChanged | ev.SupervisionEnded) -> None:
        key = e.session or f"{e.supervisor}/{e.call_id or e.agent_id or ''}"
        mode = e.mode
        if isinstance(e, ev.SupervisionStarted):
            self.supervision.labels(mode).inc()
            _bounded_put(self.supervising, key, mode)
        elif e.type == ev.SUPERVISION_MODE and key in self.supervising:
            self.supervising[key] = mode
        elif e.type == ev.SUPERVISION_ENDED:
            self.supervising.pop(key, None)


class TimedDispatcher(Dispatcher):
    """A Dispatcher that reports how long each published batch waited before delivery."""

    def __init__(self, log: Logger | None = None, *, observe_lag: Callable[[float], None] | None = None) -> None:
        super().__init__(log)
        self.observe_lag = observe_lag

    def publish(self, events: Iterable[object]) -> None:
        observe = self.observe_lag
        if observe is None:
            super().publish(events)
            return
        published = time.perf_counter()

        def timed() -> Iterator[object]:
            observe(time.perf_counter() - published)  # runs when the dispatch task starts the batch
            yield from events

        super().publish(timed())
