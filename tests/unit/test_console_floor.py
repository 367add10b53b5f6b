"""The console's pure parts: passwords, today's figures, tiles and rows, the hub's numbering,
resume and per-team filtering."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccd import events as ev
from ccd.api.auth import Principal
from ccd.bus import Bus, Sequenced
from ccd.config import CcdConfig
from ccd.console.core.floor import Layout, Today, agent_row, queue_tile, required_now
from ccd.console.core.passwords import WeakPassword, hash_password, verify_password
from ccd.console.stream import FloorHub, View
from ccd.snapshot import AgentView, CallView, EngineSnapshot, QueueView

T0 = 1_764_500_000.0  # 2025-11-30 10:53 UTC


def test_password_hash_verifies_only_the_right_password() -> None:
    h = hash_password("correct horse", os.urandom(16))
    assert h.startswith("scrypt$") and "correct" not in h
    assert verify_password("correct horse", h)
    assert not verify_password("correct hors", h)
    assert not verify_password("correct horse", "garbage")
    assert hash_password("correct horse", os.urandom(16)) != h  # salted
    with pytest.raises(WeakPassword):
        hash_password("short", os.urandom(16))


def e(type_: str, now: float, **kw: object) -> ev.DomainEvent:
    return ev.event(type_, now, **kw)  # type: ignore[arg-type]


def test_today_counts_and_averages() -> None:
    today = Today(ZoneInfo("UTC"), {"q": 20.0})
    for i, (wait, talk) in enumerate([(5.0, 100.0), (30.0, 200.0)]):
        cid = f"c{i}"
        today.apply(e(ev.CALL_QUEUED, T0, call_id=cid, queue="q", caller=f"555{i}"))
        today.apply(e(ev.CALL_ANSWERED, T0 + wait, call_id=cid, queue="q", agent_id="a", wait_s=wait))
        today.apply(e(ev.CALL_ENDED, T0 + wait + talk, call_id=cid, queue="q", agent_id="a", talk_s=talk))
    today.apply(e(ev.CALL_QUEUED, T0, call_id="c9", queue="q", caller="5559"))
    today.apply(e(ev.CALL_ABANDONED, T0 + 40, call_id="c9", queue="q", wait_s=40.0))
    today.apply(e(ev.AGENT_MISSED, T0, agent_id="a", queue="q"))
    today.apply(e(ev.RATING_RESULT, T0, agent_id="a", queue="q", outcome="rated", score=4))
    today.apply(e(ev.RATING_RESULT, T0, agent_id="a", queue="q", outcome="no_response", score=None))
    q, a = today.queues["q"], today.agents["a"]
    assert (q.offered, q.answered, q.abandoned, q.within_sl) == (3, 2, 1, 1)
    assert (a.calls, a.missed, a.ratings, a.rating_sum) == (2, 1, 1, 4)
    assert a.talk_sum / a.ended == 150.0
    assert today.calls == {}  # every call ended


def test_short_abandons_overflows_and_callbacks_count_as_in_the_kpi_report() -> None:
    """docs/kpis.md: an abandon under N seconds is a short abandon, not abandoned, and not in the
    service level's base; a booked callback neither; an overflow or timeout is in the base."""
    today = Today(ZoneInfo("UTC"), {"q1": 20.0}, {"q1": 5.0})
    for cid, ended in (("c1", (ev.CALL_ANSWERED, 10.0)), ("c2", (ev.CALL_ANSWERED, 30.0)),
                       ("c3", (ev.CALL_ABANDONED, 3.0)), ("c4", (ev.CALL_ABANDONED, 45.0)),
                       ("c5", (ev.CALL_OVERFLOW, 60.0))):
        today.apply(e(ev.CALL_QUEUED, T0, call_id=cid, queue="q1"))
        today.apply(e(ended[0], T0 + ended[1], call_id=cid, queue="q1", agent_id="a1" if ended[0] == ev.CALL_ANSWERED
                      else None, wait_s=ended[1], **({"target": "q2"} if ended[0] == ev.CALL_OVERFLOW else {})))
    today.apply(e(ev.CALL_QUEUED, T0, call_id="c6", queue="q1"))
    today.apply(e(ev.CALL_ABANDONED, T0 + 50, call_id="c6", queue="q1", wait_s=50.0, callback="c6"))
    today.apply(e(ev.CALL_QUEUED, T0, call_id="c7", queue="q1"))  # still waiting: not in the base yet
    tile = queue_tile("q1", QueueView("q1", (), 0, 2), {}, today, layout(), T0 + 95)
    assert (tile["offered"], tile["answered"], tile["abandoned"]) == (7, 2, 1)
    assert tile["sl"] == pytest.approx(1 / 4)  # c1 within 20 s, of c1, c2, c4, c5


def test_today_resets_at_local_midnight_and_ignores_yesterday() -> None:
    tz = ZoneInfo("Europe/Moscow")  # UTC+3: 21:30 UTC is already tomorrow there
    today = Today(tz, {})
    today.apply(e(ev.CALL_QUEUED, 1_764_450_000.0, queue="q", call_id="x"))  # 2025-11-29 21:00 UTC = 30th 00:00 MSK
    today.apply(e(ev.CALL_QUEUED, 1_764_449_000.0, queue="q", call_id="y"))  # 29th MSK: yesterday
    assert today.queues["q"].offered == 1
    today.apply(e(ev.CALL_QUEUED, 1_764_536_400.0, queue="q", call_id="z"))  # next day MSK
    assert today.queues["q"].offered == 1 and today.day is not None and today.day.day == 1


def test_required_now_uses_the_last_half_hour_and_aht() -> None:
    today = Today(ZoneInfo("UTC"), {"q": 20.0})
    for i in range(60):  # 60 calls in 30 min with 180 s AHT: 6 Erlangs
        t = T0 + i * 30
        today.apply(e(ev.CALL_QUEUED, t, call_id=f"c{i}", queue="q"))
        today.apply(e(ev.CALL_ANSWERED, t, call_id=f"c{i}", queue="q", agent_id="a", wait_s=0))
        today.apply(e(ev.CALL_ENDED, t + 180, call_id=f"c{i}", queue="q", agent_id="a", talk_s=180))
    need = required_now(today.queues["q"], T0 + 1800, 0.8, 20.0)
    assert need is not None and 7 <= need <= 10
    assert required_now(today.queues["q"], T0 + 10_000, 0.8, 20.0) == 0  # quiet for an hour


def layout() -> Layout:
    return Layout({"q1": ("a1", "a2"), "q2": ("b1",)}, {"a1": ("t1",), "a2": ("t1",), "b1": ("t2",)},
                  {"q1": 0.8, "q2": 0.9}, {"q1": 20.0, "q2": 30.0})


def agent(agent_id: str, state: str = "available", call: str | None = None, reason: str | None = None) -> AgentView:
    return AgentView(agent_id, agent_id.upper(), state, reason, T0, call, 0, 0, 0, False, None)  # type: ignore[arg-type]


def test_tile_and_row_from_snapshot() -> None:
    today = Today(ZoneInfo("UTC"), {"q1": 20.0})
    today.apply(e(ev.CALL_QUEUED, T0, call_id="c1", queue="q1", caller="+49301234"))
    agents = {"a1": agent("a1", "on_call", "c1"), "a2": agent("a2", "paused", reason="lunch")}
    waiting = (CallView("c2", "5", 0, 12.0, "waiting", None, None, 0),)
    tile = queue_tile("q1", QueueView("q1", waiting, 0, 2), agents, today, layout(), T0 + 5)
    assert (tile["waiting"], tile["longest_wait_s"], tile["busy"], tile["paused"], tile["available"]) == (1, 12.0, 1, 1, 0)
    assert tile["offered"] == 1 and tile["sl_target"] == 0.8
    row = agent_row(agents["a1"], today, layout(), 900.0, T0 + 5)
    assert row["caller"] == "+49301234" and row["call_queue"] == "q1" and row["allowance_s"] is None
    paused = agent_row(agents["a2"], today, layout(), 1800.0, T0 + 5)
    assert paused["allowance_s"] == 1800.0 and paused["reason"] == "lunch"


def test_view_shows_a_supervisor_only_their_teams() -> None:
    sup = View(Principal("anna", "supervisor", frozenset({"t1"}), "S1"), layout())
    admin = View(Principal("root", "admin", None), layout())
    got = sup.filter({"q1": 1, "q2": 2}, {"a1": 1, "b1": 2})
    assert got == {"queues": {"q1": 1}, "agents": {"a1": 1}}
    assert admin.filter({"q1": 1, "q2": 2}, {"a1": 1, "b1": 2})["agents"] == {"a1": 1, "b1": 2}
    assert sup.sees({"agent": "a1"}) and not sup.sees({"agent": "b1"}) and not sup.sees({"queue": "q2"})
    assert sup.alert("q:q1:waiting") and sup.alert("a:a1:pause:1.5")
    assert not sup.alert("q:q2:waiting") and not sup.alert("a:b1:pause:1") and not sup.alert("x:q1")
    assert not sup.alert("a:nobody:pause:1")


def hub() -> tuple[FloorHub, Bus]:
    cfg = CcdConfig.model_validate({
        "agents": [{"id": "a1", "endpoint": "Local/a1", "teams": ["t1"]}],
        "queues": [{"name": "q1", "teams": ["t1"]}]})
    bus = Bus()
    snap = EngineSnapshot(T0, {"q1": QueueView("q1", (), 1, 1)}, {"a1": agent("a1")})
    return FloorHub(cfg, bus, lambda: snap, clock=lambda: T0), bus


@settings(max_examples=30)
@given(st.integers(1, 60), st.integers(0, 60))
def test_resume_replays_exactly_the_missing_deltas(n: int, last: int) -> None:
    h, bus = hub()
    for i in range(1, n + 1):
        h.on_event(Sequenced(i, e(ev.AGENT_STATE, T0, agent_id="a1", state="available")))
    got = h.resume_from(f"{bus.epoch}:{last}")
    if last > n:
        assert got is None  # from the future: a new snapshot
    else:
        assert got is not None and [d.seq for d in got] == list(range(last + 1, n + 1))
    assert h.resume_from(f"other-epoch:{min(last, n)}") is None  # another process: snapshot


def test_deltas_carry_what_changed() -> None:
    h, bus = hub()
    h.on_event(Sequenced(1, e(ev.AGENT_PAUSED, T0, agent_id="a1", reason="lunch")))
    d = h.ring[-1]
    assert d.seq == 1 and "a1" in d.agents and "q1" in d.queues
    assert d.feed is not None and d.feed["type"] == ev.AGENT_PAUSED
    doc = h.snapshot_doc(View(Principal("root", "admin", None), h.layout))
    assert doc["seq"] == 1 and doc["epoch"] == bus.epoch and set(doc["agents"]) == {"a1"}
    assert doc["thresholds"]["q1"]["pause_over_s"] == (0.0, 300.0)  # the page's levels for a pause overrun
    h.on_event(Sequenced(2, e(ev.ALERT_ACKED, T0, queue="q1", alert="q:q1:waiting", actor="anna", quiet_s=300)))
    assert h.ring[-1].acks == {"q:q1:waiting": T0 + 300}
    assert h.snapshot_doc(View(Principal("root", "admin", None), h.layout))["acks"] == {"q:q1:waiting": T0 + 300}


def test_a_booked_callback_is_no_abandon_and_the_tile_shows_pending_callbacks() -> None:
    today = Today(ZoneInfo("UTC"), {"q1": 20.0})
    today.apply(e(ev.CALL_QUEUED, T0, call_id="c1", queue="q1", caller="+49301234"))
    today.apply(e(ev.CALL_ABANDONED, T0 + 90, call_id="c1", queue="q1", wait_s=90.0, callback="c1"))
    assert (today.queues["q1"].offered, today.queues["q1"].abandoned) == (1, 0)
    assert today.calls == {}
    tile = queue_tile("q1", QueueView("q1", (), 0, 2), {}, today, layout(), T0 + 95, callbacks=3)
    assert tile["callbacks"] == 3 and tile["waiting"] == 0
