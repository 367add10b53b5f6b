"""The gauges /metrics reads from live state at scrape time: queue and agent state from the
engine's snapshot, service level per window, supervision sessions by mode, the schedule's
required vs scheduled vs logged-in agents, and the connection and store health figures."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccd.service_level import SL_WINDOWS
from ccd.snapshot import EngineSnapshot

if TYPE_CHECKING:
    from ccd.metrics import Metrics

AGENT_STATES = ("logged_out", "available", "ringing", "on_call", "wrap_up", "paused")
SUPERVISION_MODES = ("listen", "whisper", "barge")

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


class LiveGauges(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        snap = m.snapshot()
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
        for q in m.queues.values():
            target.add_metric([q.name], q.sl_target)
            threshold.add_metric([q.name], q.sl_threshold_s)
        for mode in SUPERVISION_MODES:
            active.add_metric([mode], sum(1 for x in m.supervising.values() if x == mode))
        if snap is not None:
            for name, qv in snap.queues.items():
                waiting.add_metric([name], len(qv.waiting))
                longest.add_metric([name], qv.longest_wait_s)
                counts = dict.fromkeys(AGENT_STATES, 0)
                info = m.queues.get(name)
                for agent_id in info.members if info else ():
                    a = snap.agents.get(agent_id)
                    if a is not None:
                        counts[str(a.state)] = counts.get(str(a.state), 0) + 1
                for state, n in counts.items():
                    agents.add_metric([name, state], n)
                for window, secs in SL_WINDOWS.items():
                    ratio = m.sl[name].ratio(snap.now, secs) if name in m.sl else None
                    if ratio is not None:  # no calls in the window: SL is undefined, not 0 or 1
                        sl.add_metric([name, window], ratio)
            for a in snap.agents.values():
                for state in AGENT_STATES:
                    agent_state.add_metric([a.agent_id, state], 1.0 if str(a.state) == state else 0.0)
        yield from (waiting, longest, agents, agent_state, sl, target, threshold, active)
        yield from self._schedule(snap)
        for name, value in m.health().items():
            if name.endswith("_total"):  # monotonic counts are counters, never gauges named *_total
                base = name.removesuffix("_total")
                yield CounterMetricFamily(f"ccd_{base}", HEALTH_HELP.get(base, base), value=value)
            else:
                yield GaugeMetricFamily(f"ccd_{name}", HEALTH_HELP.get(name, name), value=value)

    def _schedule(self, snap: EngineSnapshot | None) -> Iterator[Metric]:
        m = self.metrics
        """Required vs scheduled (approved plan) vs logged in, for the current interval."""
        fam = GaugeMetricFamily
        required = fam("ccd_schedule_required_agents",
                       "Agents the approved plan needs in the current interval", labels=["queue"])
        scheduled = fam("ccd_schedule_scheduled_agents",
                        "Agents on shift (not on a break) in the approved plan now", labels=["queue"])
        logged_in = fam("ccd_schedule_logged_in_agents", "Queue member agents logged in now",
                        labels=["queue"])
        for name in m.queues:
            # NaN, not 0, while no approved plan covers this moment: "unknown", not "nobody"
            need, on_shift = m.schedule_now.get(name, (math.nan, math.nan))
            required.add_metric([name], need)
            scheduled.add_metric([name], on_shift)
        if snap is not None:
            for name, info in m.queues.items():
                present = [snap.agents.get(a) for a in info.members]
                logged_in.add_metric([name], sum(
                    1 for a in present if a is not None and str(a.state) != "logged_out"))
        yield from (required, scheduled, logged_in)
