"""Metrics from a scripted sequence of domain events: exact counter, histogram and gauge values."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from prometheus_client import generate_latest

from ccd import events as ev
from ccd.config import CcdConfig
from ccd.metrics import Metrics, QueueInfo, TimedDispatcher
from ccd.snapshot import AgentView, CallView, EngineSnapshot, QueueView

T0 = 1_700_000_000.0
HEALTH = {"ami_connected": 1.0, "ari_connected": 0.0, "ami_reconnects_total": 2.0, "store_spool_bytes": 10.0}


def agent_view(agent_id: str, state: str) -> AgentView:
    return AgentView(agent_id, agent_id, state, None, None, None, 0, 0, 0, False, None)  # type: ignore[arg-type]


class World:
    def __init__(self) -> None:
        self.snap: EngineSnapshot | None = None
        self.health: dict[str, float] = dict(HEALTH)
        self.metrics = Metrics(
            [QueueInfo("support", 20, 0.8, 5, sticky=True, wrapup_s=10, rating_scale=5, members=("A", "B")),
             QueueInfo("sales", 30, 0.9, 5, sticky=False, members=("B",))],
            ["A", "B"], lambda: self.snap, lambda: self.health)

    def feed(self, type_: str, at: float, **kw: object) -> None:
        fields = {k: kw.pop(k) for k in ("call_id", "agent_id", "queue") if k in kw}
        self.metrics.observe(ev.event(type_, T0 + at, **fields, **kw))  # type: ignore[arg-type]

    def value(self, name: str, **labels: str) -> float | None:
        return self.metrics.registry.get_sample_value(name, labels)


def scripted() -> World:
    w = World()
    f = w.feed
    # c1: known caller, no sticky agent, answered by A after 5 s; talk 60 s, wrap-up 10 s; rated 4.
    f(ev.CALL_QUEUED, 0, call_id="c1", queue="support", caller="+4930111", sticky_agent=None)
    f(ev.CALL_ANSWERED, 5, call_id="c1", queue="support", agent_id="A", wait_s=5.0, sticky=False)
    f(ev.CALL_ENDED, 65, call_id="c1", queue="support", agent_id="A", talk_s=60.0, ended_by="agent")
    f(ev.RATING_RESULT, 70, call_id="c1", queue="support", agent_id="A", outcome="rated", score=4)
    f(ev.AGENT_WRAPUP_ENDED, 75, agent_id="A", wrapup_s=10.0)
    # c2: sticky to A, B missed it once, then A answers after 25 s (outside the 20 s SL).
    f(ev.CALL_QUEUED, 100, call_id="c2", queue="support", caller="+4930111", sticky_agent="A")
    f(ev.AGENT_MISSED, 115, call_id="c2", queue="support", agent_id="B", consecutive=1)
    f(ev.CALL_ANSWERED, 125, call_id="c2", queue="support", agent_id="A", wait_s=25.0, sticky=True)
    f(ev.CALL_ENDED, 155, call_id="c2", queue="support", agent_id="A", talk_s=30.0, ended_by="caller")
    f(ev.AGENT_PAUSED, 158, agent_id="A", reason="lunch")  # wrap-up cut short after 3 s
    # c3: sticky to A, answered by B (fallback); c4: anonymous (not counted for sticky).
    f(ev.CALL_QUEUED, 200, call_id="c3", queue="support", caller="+4930222", sticky_agent="A")
    f(ev.CALL_ANSWERED, 210, call_id="c3", queue="support", agent_id="B", wait_s=10.0, sticky=False)
    f(ev.CALL_QUEUED, 300, call_id="c4", queue="support", caller=None, sticky_agent=None)
    f(ev.CALL_ABANDONED, 302, call_id="c4", queue="support", wait_s=2.0, position=1)  # short abandon
    f(ev.CALL_QUEUED, 400, call_id="c5", queue="support", caller="+4930333", sticky_agent=None)
    f(ev.CALL_ABANDONED, 440, call_id="c5", queue="support", wait_s=40.0, position=1)
    f(ev.CALL_QUEUED, 500, call_id="c6", queue="sales", caller="+4930444", sticky_agent=None)
    f(ev.CALL_OVERFLOW, 560, call_id="c6", queue="sales", wait_s=60.0, reason="max_wait")
    f(ev.SUPERVISION_STARTED, 600, call_id="c3", agent_id="B", supervisor="S1", mode="listen")
    f(ev.SUPERVISION_MODE, 610, call_id="c3", agent_id="B", supervisor="S1", mode="whisper", previous="listen")
    f(ev.SUPERVISION_DENIED, 620, agent_id="A", supervisor="S2", reason="acl")
    w.snap = EngineSnapshot(
        now=T0 + 700,
        queues={"support": QueueView("support", (CallView("c7", None, 0, 12.5, "waiting", None, None, 0),
                                                 CallView("c8", None, 0, 3.0, "ringing", None, "B", 1)), 0, 1),
                "sales": QueueView("sales", (), 0, 1)},
        agents={"A": agent_view("A", "paused"), "B": agent_view("B", "ringing")},
    )
    return w


def test_counters_from_events() -> None:
    w = scripted()
    v = w.value
    assert v("ccd_queue_calls_offered_total", queue="support") == 5
    assert v("ccd_queue_calls_answered_total", queue="support") == 3
    assert v("ccd_queue_calls_abandoned_total", queue="support", short="yes") == 1
    assert v("ccd_queue_calls_abandoned_total", queue="support", short="no") == 1
    assert v("ccd_queue_calls_overflow_total", queue="sales", reason="max_wait") == 1
    assert v("ccd_queue_calls_answered_total", queue="sales") == 0  # created at start-up
    assert [v("ccd_queue_sticky_routed_total", queue="support", result=r) for r in ("hit", "miss", "fallback")] \
        == [1, 1, 1]
    assert v("ccd_queue_sticky_routed_total", queue="sales", result="hit") is None  # sales is not sticky
    assert v("ccd_queue_ratings_total", queue="support", score="4") == 1
    assert v("ccd_queue_ratings_total", queue="support", score="5") == 0
    assert v("ccd_queue_rating_score_sum", queue="support") == 4
    assert v("ccd_agent_calls_handled_total", agent="A") == 2
    assert v("ccd_agent_calls_handled_total", agent="B") == 1
    assert v("ccd_agent_missed_calls_total", agent="B") == 1
    assert v("ccd_agent_missed_calls_total", agent="A") == 0
    assert v("ccd_supervision_sessions_total", mode="listen") == 1
    assert v("ccd_supervision_sessions_total", mode="barge") == 0
    assert v("ccd_supervision_denied_total") == 1


def test_histograms_from_events() -> None:
    v = scripted().value
    assert v("ccd_queue_wait_seconds_count", queue="support") == 3
    assert v("ccd_queue_wait_seconds_sum", queue="support") == 40
    assert v("ccd_queue_wait_seconds_bucket", queue="support", le="20.0") == 2  # the SL threshold is an edge
    assert v("ccd_queue_wait_seconds_bucket", queue="sales", le="30.0") == 0
    assert v("ccd_queue_abandon_wait_seconds_sum", queue="support") == 42
    assert v("ccd_queue_talk_seconds_sum", queue="support") == 90
    # Handle = talk + wrap-up: 60 + 10 for c1, 30 + 3 (paused during wrap-up) for c2.
    assert v("ccd_queue_handle_seconds_count", queue="support") == 2
    assert v("ccd_queue_handle_seconds_sum", queue="support") == 103


def test_scrape_time_gauges() -> None:
    v = scripted().value
    assert v("ccd_queue_calls_waiting", queue="support") == 2
    assert v("ccd_queue_longest_wait_seconds", queue="support") == 12.5
    assert v("ccd_queue_calls_waiting", queue="sales") == 0
    assert v("ccd_queue_agents", queue="support", state="paused") == 1
    assert v("ccd_queue_agents", queue="support", state="ringing") == 1
    assert v("ccd_queue_agents", queue="sales", state="ringing") == 1
    assert v("ccd_queue_agents", queue="sales", state="paused") == 0
    assert v("ccd_agent_state", agent="A", state="paused") == 1
    assert v("ccd_agent_state", agent="A", state="available") == 0
    # SL: within 20 s = c1, c3; counted = c1, c2, c3, c5 (c4 is a short abandon).
    assert v("ccd_queue_service_level_ratio", queue="support", window="15m") == 0.5
    assert v("ccd_queue_service_level_ratio", queue="support", window="1h") == 0.5
    assert v("ccd_queue_service_level_ratio", queue="sales", window="15m") == 0.0  # the overflow
    assert v("ccd_queue_service_level_target_ratio", queue="sales") == 0.9
    assert v("ccd_queue_service_level_threshold_seconds", queue="support") == 20
    assert v("ccd_supervision_sessions_active", mode="whisper") == 1
    assert v("ccd_supervision_sessions_active", mode="listen") == 0


def test_service_level_window_slides() -> None:
    w = scripted()
    w.snap = EngineSnapshot(now=T0 + 1200, queues=w.snap.queues, agents=w.snap.agents)  # type: ignore[union-attr]
    # 15 min before T0+1200 is T0+300: only c5 (abandoned at 440 after 40 s) remains counted.
    assert w.value("ccd_queue_service_level_ratio", queue="support", window="15m") == 0.0
    assert w.value("ccd_queue_service_level_ratio", queue="support", window="1h") == 0.5
    w.snap = EngineSnapshot(now=T0 + 5000, queues=w.snap.queues, agents=w.snap.agents)
    assert w.value("ccd_queue_service_level_ratio", queue="support", window="1h") is None  # undefined


def test_health_counters_are_counters_and_gauges_are_gauges() -> None:
    w = World()
    text = generate_latest(w.metrics.registry).decode()
    assert "# TYPE ccd_ami_reconnects_total counter" in text
    assert "ccd_ami_reconnects_total 2.0" in text
    assert "# TYPE ccd_ami_connected gauge" in text and "ccd_ari_connected 0.0" in text
    gauges = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE") and line.endswith("gauge")]
    assert gauges and not [g for g in gauges if g.endswith("_total")]
    # No snapshot yet (daemon starting): live gauges are empty, not an error.
    assert w.value("ccd_queue_calls_waiting", queue="support") is None


def test_labels_stay_bounded() -> None:
    w = World()
    for i in range(20_000):  # calls that never end must not grow the bookkeeping without bound
        w.feed(ev.CALL_QUEUED, i, call_id=f"x{i}", queue="support", caller=f"+49{i}", sticky_agent=None)
    assert len(w.metrics._sticky_by_call) <= 10_000
    text = generate_latest(w.metrics.registry).decode()
    assert "+49" not in text and "x19999" not in text


def test_from_config_uses_queue_members_and_sl_settings() -> None:
    cfg = CcdConfig.model_validate({
        "agents": [{"id": "A", "endpoint": "PJSIP/a", "teams": ["t"]}, {"id": "B", "endpoint": "PJSIP/b"}],
        "queues": [{"name": "q", "teams": ["t"], "service_level_seconds": 15, "service_level_target": 0.7,
                    "rating": {"enabled": True, "scale": 3}}],
    })
    m = Metrics.from_config(cfg, lambda: None, dict)
    assert m.queues["q"].members == ("A",) and m.queues["q"].rating_scale == 3
    assert m.registry.get_sample_value("ccd_queue_service_level_target_ratio", {"queue": "q"}) == 0.7
    assert m.registry.get_sample_value("ccd_queue_wait_seconds_bucket", {"queue": "q", "le": "15.0"}) == 0
    assert m.registry.get_sample_value("ccd_queue_ratings_total", {"queue": "q", "score": "3"}) == 0
    assert m.registry.get_sample_value("ccd_agent_calls_handled_total", {"agent": "B"}) == 0


async def test_timed_dispatcher_observes_batch_wait() -> None:
    lags: list[float] = []
    seen: list[object] = []
    d = TimedDispatcher(observe_lag=lags.append)
    d.subscribe(object, seen.append)
    d.start()
    d.publish([1, 2])
    d.publish([3])
    await d.drain()
    await d.close()
    assert seen == [1, 2, 3] and len(lags) == 2 and all(0 <= lag < 1 for lag in lags)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
def test_promtool_accepts_the_exposition() -> None:
    body = generate_latest(scripted().metrics.registry)
    out = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()

