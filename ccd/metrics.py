"""Prometheus metrics fed by domain events, plus gauges read from live state at scrape time.

Labels are bounded: queue names, agent ids and states come from the config; caller numbers
and call ids never become labels.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ccd import events as ev
from ccd.queues.snapshot import EngineSnapshot

AGENT_STATES = ("logged_out", "available", "ringing", "on_call", "wrap_up", "paused")
WAIT_BUCKETS = (1, 2, 5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 300, 600)
HANDLE_BUCKETS = (15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800)
SL_WINDOWS = {"15m": 900.0, "1h": 3600.0}


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


class Metrics:
    def __init__(
        self,
        queues: dict[str, tuple[float, float]],  # name -> (SL threshold s, short abandon s)
        members: dict[str, list[str]],  # queue -> agent ids
        snapshot: Callable[[], EngineSnapshot | None],
        health: Callable[[], dict[str, float]],
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.sl = {q: ServiceLevelWindow(t, s) for q, (t, s) in queues.items()}
        self.offered = Counter("ccd_queue_calls_offered_total", "Calls that entered the queue", ["queue"], registry=r)
        self.answered = Counter("ccd_queue_calls_answered_total", "Calls answered by an agent", ["queue"], registry=r)
        self.abandoned = Counter("ccd_queue_calls_abandoned_total", "Callers who hung up while waiting",
                                 ["queue", "short"], registry=r)
        self.overflow = Counter("ccd_queue_calls_overflow_total", "Calls sent to the overflow target",
                                ["queue", "reason"], registry=r)
        self.wait = Histogram("ccd_queue_wait_seconds", "Wait before answer (answered calls)", ["queue"],
                              buckets=WAIT_BUCKETS, registry=r)
        self.handle = Histogram("ccd_queue_handle_seconds", "Talk plus wrap-up time per answered call",
                                ["queue"], buckets=HANDLE_BUCKETS, registry=r)
        self.talk = Histogram("ccd_queue_talk_seconds", "Talk time per answered call", ["queue"],
                              buckets=HANDLE_BUCKETS, registry=r)
        self.sticky = Counter("ccd_queue_sticky_routed_total",
                              "Answered calls by sticky outcome (hit, fallback, none)", ["queue", "result"], registry=r)
        self.ratings = Counter("ccd_queue_ratings_total", "Post-call survey results", ["queue", "score"], registry=r)
        self.missed = Counter("ccd_agent_missed_calls_total", "Offers the agent did not answer", ["agent"], registry=r)
        self.handled = Counter("ccd_agent_calls_handled_total", "Calls the agent answered", ["agent"], registry=r)
        self.supervision = Counter("ccd_supervision_sessions_total", "Supervision sessions started",
                                   ["mode"], registry=r)
        self.supervision_denied = Counter("ccd_supervision_denied_total", "Refused supervision attempts",
                                          registry=r)
        self.recording_failures = Counter("ccd_recording_failures_total", "Recordings that failed to start",
                                          ["queue"], registry=r)
        self.decision = Histogram("ccd_routing_decision_seconds", "Time the engine takes per input",
                                  buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3, 0.025), registry=r)
        self.dispatch_lag = Histogram("ccd_event_dispatch_lag_seconds",
                                      "Time from an Asterisk event's arrival to the core applying it",
                                      buckets=(1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5), registry=r)
        self._talk_by_call: dict[str, tuple[str, float]] = {}
        self._sticky_by_call: dict[str, str | None] = {}
        r.register(LiveCollector(snapshot, health, self.sl, members))
        for q in queues:  # make every series exist from the start, so rate() and alerts work
            self.offered.labels(q)
            self.answered.labels(q)
            for short in ("yes", "no"):
                self.abandoned.labels(q, short)

    def observe(self, e: ev.DomainEvent) -> None:
        q, p, ts = e.queue or "", e.payload, e.ts.timestamp()
        if e.type == ev.CALL_QUEUED:
            self.offered.labels(q).inc()
            self._sticky_by_call[e.call_id or ""] = p.get("sticky_agent")
        elif e.type == ev.CALL_ANSWERED:
            wait = float(p.get("wait_s", 0.0))
            self.answered.labels(q).inc()
            self.wait.labels(q).observe(wait)
            if q in self.sl:
                self.sl[q].answered(ts, wait)
            sticky_agent = self._sticky_by_call.pop(e.call_id or "", None)
            result = "none" if sticky_agent is None else "hit" if sticky_agent == e.agent_id else "fallback"
            self.sticky.labels(q, result).inc()
            if e.agent_id:
                self.handled.labels(e.agent_id).inc()
        elif e.type in (ev.CALL_ABANDONED, ev.CALL_OVERFLOW):
            wait = float(p.get("wait_s", 0.0))
            self._sticky_by_call.pop(e.call_id or "", None)
            if e.type == ev.CALL_ABANDONED:
                short = q in self.sl and wait < self.sl[q].short_abandon_s
                self.abandoned.labels(q, "yes" if short else "no").inc()
            else:
                self.overflow.labels(q, str(p.get("reason", "max_wait"))).inc()
            if q in self.sl:
                self.sl[q].left_unanswered(ts, wait, e.type == ev.CALL_ABANDONED)
        elif e.type == ev.CALL_ENDED:
            talk = float(p.get("talk_s", 0.0))
            self.talk.labels(q).observe(talk)
            if e.agent_id and e.call_id:
                self._talk_by_call[e.call_id] = (q, talk)
        elif e.type == ev.AGENT_WRAPUP_ENDED and e.call_id in self._talk_by_call:
            queue, talk = self._talk_by_call.pop(e.call_id or "")
            self.handle.labels(queue).observe(talk + float(p.get("wrapup_s", 0.0)))
        elif e.type == ev.AGENT_MISSED and e.agent_id:
            self.missed.labels(e.agent_id).inc()
        elif e.type == ev.RATING_RESULT and p.get("outcome") == "rated":
            self.ratings.labels(q, str(p.get("score"))).inc()
        elif e.type == ev.SUPERVISION_STARTED:
            self.supervision.labels(str(p.get("mode", "listen"))).inc()
        elif e.type == ev.SUPERVISION_DENIED:
            self.supervision_denied.inc()
        elif e.type == ev.RECORDING_FAILED:
            self.recording_failures.labels(q).inc()


class LiveCollector(Collector):
    """Gauges computed from the engine's snapshot and the daemon's health at scrape time."""

    def __init__(self, snapshot: Callable[[], EngineSnapshot | None],
                 health: Callable[[], dict[str, float]], sl: dict[str, ServiceLevelWindow],
                 members: dict[str, list[str]]) -> None:
        self.snapshot, self.health, self.sl, self.members = snapshot, health, sl, members

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snap = self.snapshot()
        waiting = GaugeMetricFamily("ccd_queue_calls_waiting", "Calls waiting in the queue", labels=["queue"])
        longest = GaugeMetricFamily("ccd_queue_longest_wait_seconds", "Wait of the longest waiting call",
                                    labels=["queue"])
        agents = GaugeMetricFamily("ccd_queue_agents", "Queue member agents by state", labels=["queue", "state"])
        agent_state = GaugeMetricFamily("ccd_agent_state", "1 for the agent's current state",
                                        labels=["agent", "state"])
        sl = GaugeMetricFamily("ccd_queue_service_level_ratio",
                               "Answered within the SL threshold / (offered - short abandons)",
                               labels=["queue", "window"])
        if snap is not None:
            for name, qv in snap.queues.items():
                waiting.add_metric([name], len(qv.waiting))
                longest.add_metric([name], qv.longest_wait_s)
                counts = dict.fromkeys(AGENT_STATES, 0)
                for agent_id in self.members.get(name, ()):
                    a = snap.agents.get(agent_id)
                    if a is not None:
                        counts[str(a.state)] = counts.get(str(a.state), 0) + 1
                for state, n in counts.items():
                    agents.add_metric([name, state], n)
                for window, secs in SL_WINDOWS.items():
                    ratio = self.sl[name].ratio(snap.now, secs) if name in self.sl else None
                    if ratio is not None:
                        sl.add_metric([name, window], ratio)
            for a in snap.agents.values():
                for state in AGENT_STATES:
                    agent_state.add_metric([a.agent_id, state], 1.0 if str(a.state) == state else 0.0)
        yield from (waiting, longest, agents, agent_state, sl)
        for name, value in self.health().items():
            yield GaugeMetricFamily(f"ccd_{name}", f"ccd {name.replace('_', ' ')}", value=value)
