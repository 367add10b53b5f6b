"""Prometheus metrics fed by domain events, plus gauges read from live state at scrape time.

Labels are bounded: queue names, agent ids, states, modes and scores come from the config or
fixed sets; caller numbers and call ids never become labels. Every known label combination is
created at start-up, so rate() and alert expressions see zeros instead of missing series.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccd import events as ev
from ccd.config import CcdConfig
from ccd.dispatch import Dispatcher
from ccd.queues.core.snapshot import EngineSnapshot

AGENT_STATES = ("logged_out", "available", "ringing", "on_call", "wrap_up", "paused")
SUPERVISION_MODES = ("listen", "whisper", "barge")
STICKY_RESULTS = ("hit", "miss", "fallback")
WAIT_BUCKETS = (1, 2, 5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 300, 600)
HANDLE_BUCKETS = (15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800)
SL_WINDOWS = {"15m": 900.0, "1h": 3600.0}
MAX_TRACKED = 10_000  # per-call bookkeeping is capped so a lost end event cannot leak memory

HEALTH_HELP = {
    "ami_connected": "1 while the AMI session is up",
    "ari_connected": "1 while the ARI websocket is up",
    "database_connected": "1 while the event writer is connected to PostgreSQL",
    "ami_reconnects": "AMI sessions established after a lost one",
    "ari_reconnects": "ARI sessions established after a lost one",
    "store_backlog_events": "Events accepted by the writer and not yet committed",
    "store_spool_bytes": "Bytes in the writer's on-disk spool (events waiting for the database)",
    "store_spool_max_bytes": "Capacity of the writer's on-disk spool",
    "dispatch_backlog_batches": "Asterisk event batches published and not yet delivered",
}


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


@dataclass
class SlSample:
    ts: float
    within: bool  # answered within the threshold
    counted: bool  # counts in the denominator (not a short abandon)


class ServiceLevelWindow:
    """SL = answered within T / (offered - short abandons), over a sliding window."""

    def __init__(self, threshold_s: float, short_abandon_s: float) -> None:
        self.threshold_s = threshold_s
        self.short_abandon_s = short_abandon_s
        self.samples: deque[SlSample] = deque()

    def answered(self, ts: float, wait_s: float) -> None:
        self.samples.append(SlSample(ts, wait_s <= self.threshold_s, True))

    def left_unanswered(self, ts: float, wait_s: float, abandoned: bool) -> None:
        self.samples.append(SlSample(ts, False, not (abandoned and wait_s < self.short_abandon_s)))

    def ratio(self, now: float, window_s: float) -> float | None:
        horizon = max(SL_WINDOWS.values())
        while self.samples and self.samples[0].ts < now - horizon:
            self.samples.popleft()
        counted = [s for s in self.samples if s.ts >= now - window_s and s.counted]
        if not counted:
            return None
        return sum(s.within for s in counted) / len(counted)


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
        self._supervising: dict[str, str] = {}  # session id -> mode
        # queue -> (required, scheduled) agents of the current interval in the approved plan,
        # refreshed by ccd.schedule.gauges (the database is never read at scrape time)
        self.schedule_now: dict[str, tuple[int, int]] = {}
        r.register(_Live(self))
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
        q, p, ts = e.queue or "", e.payload, e.ts.timestamp()
        info = self.queues.get(q)
        if e.type == ev.CALL_QUEUED:
            self.offered.labels(q).inc()
            if info is not None and info.sticky and p.get("caller") and e.call_id:
                _bounded_put(self._sticky_by_call, e.call_id, p.get("sticky_agent"))
        elif e.type == ev.CALL_ANSWERED:
            wait = float(p.get("wait_s", 0.0))
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
        elif e.type in (ev.CALL_ABANDONED, ev.CALL_OVERFLOW):
            self._unanswered(e, q, float(p.get("wait_s", 0.0)), ts)
        elif e.type == ev.CALL_ENDED:
            self._call_ended(e, q, float(p.get("talk_s", 0.0)), ts)
        elif e.type == ev.AGENT_WRAPUP_ENDED and e.agent_id in self._after_call:
            queue, talk, _ = self._after_call.pop(e.agent_id or "")
            self.handle.labels(queue).observe(talk + float(p.get("wrapup_s", 0.0)))
        elif e.type in (ev.AGENT_PAUSED, ev.AGENT_LOGOUT) and e.agent_id in self._after_call:
            # Left during (or instead of) wrap-up: the wrap-up lasted until now.
            queue, talk, ended = self._after_call.pop(e.agent_id or "")
            self.handle.labels(queue).observe(talk + max(0.0, ts - ended))
        elif e.type == ev.AGENT_MISSED and e.agent_id:
            self.missed.labels(e.agent_id).inc()
        elif e.type == ev.RATING_RESULT and p.get("outcome") == "rated" and p.get("score") is not None:
            self.ratings.labels(q, str(p["score"])).inc()
            self.rating_score.labels(q).observe(float(p["score"]))
        elif e.type in (ev.SUPERVISION_STARTED, ev.SUPERVISION_MODE, ev.SUPERVISION_ENDED):
            self._supervision(e)
        elif e.type == ev.SUPERVISION_DENIED:
            self.supervision_denied.inc()
        elif e.type == ev.RECORDING_FAILED:
            self.recording_failures.labels(q).inc()

    def _unanswered(self, e: ev.DomainEvent, q: str, wait: float, ts: float) -> None:
        self._sticky_by_call.pop(e.call_id or "", None)
        if e.payload.get("callback"):
            return  # left with a booked callback: not an abandon, not in SL (docs/kpis.md)
        abandoned = e.type == ev.CALL_ABANDONED
        if abandoned:
            short = q in self.sl and wait < self.sl[q].short_abandon_s
            self.abandoned.labels(q, "yes" if short else "no").inc()
            self.abandon_wait.labels(q).observe(wait)
        else:
            self.overflow.labels(q, str(e.payload.get("reason", "max_wait"))).inc()
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

    def _supervision(self, e: ev.DomainEvent) -> None:
        p = e.payload
        key = str(p.get("session") or f"{p.get('supervisor', '')}/{e.call_id or e.agent_id or ''}")
        mode = str(p.get("mode", "listen"))
        if e.type == ev.SUPERVISION_STARTED:
            self.supervision.labels(mode).inc()
            _bounded_put(self._supervising, key, mode)
        elif e.type == ev.SUPERVISION_MODE and key in self._supervising:
            self._supervising[key] = mode
        elif e.type == ev.SUPERVISION_ENDED:
            self._supervising.pop(key, None)

    # -- scrape time ----------------------------------------------------------------------------
    def live(self) -> Iterator[Metric]:
        snap = self.snapshot()
        fam = GaugeMetricFamily
        waiting = fam("ccd_queue_calls_waiting", "Calls waiting in the queue (not yet answered)", labels=["queue"])
        longest = fam("ccd_queue_longest_wait_seconds", "Wait of the longest waiting call", labels=["queue"])
        agents = fam("ccd_queue_agents", "Queue member agents by state", labels=["queue", "state"])
        agent_state = fam("ccd_agent_state", "1 for the agent's current state", labels=["agent", "state"])
        sl = fam("ccd_queue_service_level_ratio", "Answered within the SL threshold / (offered - short abandons)",
                 labels=["queue", "window"])
        target = fam("ccd_queue_service_level_target_ratio", "Configured service-level target", labels=["queue"])
        threshold = fam("ccd_queue_service_level_threshold_seconds", "Configured service-level answer threshold",
                        labels=["queue"])
        active = fam("ccd_supervision_sessions_active", "Supervision sessions in progress by mode", labels=["mode"])
        for q in self.queues.values():
            target.add_metric([q.name], q.sl_target)
            threshold.add_metric([q.name], q.sl_threshold_s)
        for mode in SUPERVISION_MODES:
            active.add_metric([mode], sum(1 for m in self._supervising.values() if m == mode))
        if snap is not None:
            for name, qv in snap.queues.items():
                waiting.add_metric([name], len(qv.waiting))
                longest.add_metric([name], qv.longest_wait_s)
                counts = dict.fromkeys(AGENT_STATES, 0)
                info = self.queues.get(name)
                for agent_id in info.members if info else ():
                    a = snap.agents.get(agent_id)
                    if a is not None:
                        counts[str(a.state)] = counts.get(str(a.state), 0) + 1
                for state, n in counts.items():
                    agents.add_metric([name, state], n)
                for window, secs in SL_WINDOWS.items():
                    ratio = self.sl[name].ratio(snap.now, secs) if name in self.sl else None
                    if ratio is not None:  # no calls in the window: SL is undefined, not 0 or 1
                        sl.add_metric([name, window], ratio)
            for a in snap.agents.values():
                for state in AGENT_STATES:
                    agent_state.add_metric([a.agent_id, state], 1.0 if str(a.state) == state else 0.0)
        yield from (waiting, longest, agents, agent_state, sl, target, threshold, active)
        yield from self._schedule(snap)
        for name, value in self.health().items():
            if name.endswith("_total"):  # monotonic counts are counters, never gauges named *_total
                base = name.removesuffix("_total")
                yield CounterMetricFamily(f"ccd_{base}", HEALTH_HELP.get(base, base), value=value)
            else:
                yield GaugeMetricFamily(f"ccd_{name}", HEALTH_HELP.get(name, name), value=value)

    def _schedule(self, snap: EngineSnapshot | None) -> Iterator[Metric]:
        """Required vs scheduled (approved plan) vs logged in, for the current interval."""
        fam = GaugeMetricFamily
        required = fam("ccd_schedule_required_agents",
                       "Agents the approved plan needs in the current interval", labels=["queue"])
        scheduled = fam("ccd_schedule_scheduled_agents",
                        "Agents on shift (not on a break) in the approved plan now", labels=["queue"])
        logged_in = fam("ccd_schedule_logged_in_agents", "Queue member agents logged in now",
                        labels=["queue"])
        for name in self.queues:
            # NaN, not 0, while no approved plan covers this moment: "unknown", not "nobody"
            need, on_shift = self.schedule_now.get(name, (math.nan, math.nan))
            required.add_metric([name], need)
            scheduled.add_metric([name], on_shift)
        if snap is not None:
            for name, info in self.queues.items():
                present = [snap.agents.get(a) for a in info.members]
                logged_in.add_metric([name], sum(
                    1 for a in present if a is not None and str(a.state) != "logged_out"))
        yield from (required, scheduled, logged_in)


class _Live(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self.metrics.live()


class TimedDispatcher(Dispatcher):
    """A Dispatcher that reports how long each published batch waited before delivery."""

    observe_lag: Callable[[float], None] | None = None

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
