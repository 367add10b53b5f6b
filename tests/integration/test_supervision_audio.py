"""Supervision on the real Asterisk, proved by audio: the caller plays 400 Hz, the agent 800 Hz,
the supervisor 1600 Hz; MixMonitor records what each side hears (sim-rec wrapper) and an FFT
says which tones reached whom."""

from __future__ import annotations

import asyncio
import time
import uuid
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ccd.sandbox.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, Running, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

CALLER_HZ, AGENT_HZ, SUP_HZ = 400, 800, 1600
FRAME_S = 0.25
PRESENT = 0.02  # share of a frame's energy at the frequency for "this side hears it"


# -- helpers shared with test_supervision_control ------------------------------------------
def tag() -> str:
    return "t" + uuid.uuid4().hex[:10]


def rec_agent(agent_id: str, rec: str, talk: float = 0, teams: list[str] | None = None,
              seniority: str = "regular", **extra: Any) -> dict[str, Any]:
    return {"id": agent_id, "name": agent_id, "seniority": seniority, "teams": teams or ["t"],
            "endpoint": f"Local/rec-{rec}-ag-{agent_id}-0.2-{talk:g}-{AGENT_HZ}@sim-rec", **extra}


def sup_phone(rec: str, hangup_after: float = 10, dtmf_delay: float = 0, digits: str = "x") -> str:
    return f"rec-{rec}-sp-{hangup_after:g}-{dtmf_delay:g}-{digits}-{SUP_HZ}"


def supervisor(sup_id: str, teams: list[str], phone: str = "") -> dict[str, Any]:
    endpoint = f"Local/{phone}@sim-rec" if phone else f"Local/{sup_phone('none')}@sim-rec"
    return {"id": sup_id, "name": sup_id, "endpoint": endpoint, "teams": teams}


def queue(name: str = "support", teams: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "teams": teams or ["t"], "ring_timeout": 5, "wrapup": 0.5}


def http(tokens: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"listen": f"127.0.0.1:{free_port()}", "tokens": tokens or []}


def call_in(ast: AsteriskInstance, rec: str, number: str = "", hangup_after: float = 30,
            queue_name: str = "support") -> None:
    number = number or f"557{uuid.uuid4().int % 10_000_000:07d}"  # never sticky across tests
    ast.cli(f"channel originate Local/c-{number}-{queue_name}@sim-trunk extension "
            f"rec-{rec}-cp-{hangup_after:g}-0-x-{CALLER_HZ}@sim-rec")


def dial_code(ast: AsteriskInstance, sup_id: str, code: str, phone: str) -> None:
    """The supervisor dials a feature code from their softphone (``phone`` is its sp- exten)."""
    ast.cli(f"channel originate Local/sv-{sup_id}-{code}@sim-supervisor-dial extension {phone}@sim-rec")


async def bridged(ccd: Running, call_id: str | None, members: int = 2, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            b = await ccd.daemon.rest.get_bridge(f"ccd-call-{call_id}")
            if len(b.channels) >= members:
                return
        except Exception:
            pass
        await asyncio.sleep(0.05)
    raise TimeoutError(f"call {call_id} not bridged")


async def quiet_asterisk(ccd: Running, timeout: float = 10) -> None:
    """Wait until no channel is left (so every MixMonitor file is closed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not await ccd.daemon.rest.list_channels():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"channels left: {[c.name for c in await ccd.daemon.rest.list_channels()]}")


async def assert_nothing_left(ccd: Running) -> None:
    """No channel, no snoop, no supervision or call bridge (holding bridges stay)."""
    await quiet_asterisk(ccd)

    async def no_bridges() -> bool:  # the executor deletes the call bridge just after the last hang-up
        return not [b for b in await ccd.daemon.rest.list_bridges() if not b.id.startswith("ccd-hold-")]

    await eventually(no_bridges, "no call or supervision bridge left", 15)
    await no_sessions_left(ccd)


async def no_sessions_left(ccd: Running, timeout: float = 5.0) -> None:
    """Session clean-up runs after the last hang-up is reported: give it a moment."""
    deadline = time.monotonic() + timeout
    while ccd.daemon.supervision.sessions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert ccd.daemon.supervision.sessions == {}
    assert ccd.daemon.supervision.live() == []


def tone_shares(path: Path, freqs: tuple[int, ...] = (CALLER_HZ, AGENT_HZ, SUP_HZ)) -> np.ndarray:
    """Per FRAME_S frame, the share of the frame's energy within ±30 Hz of each frequency."""
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    n = int(rate * FRAME_S)
    frames = pcm[: len(pcm) // n * n].reshape(-1, n)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(n), axis=1)) ** 2
    bins = np.fft.rfftfreq(n, 1 / rate)
    total = spectrum[:, bins > 50].sum(axis=1) + 1e-9
    return np.stack([spectrum[:, np.abs(bins - f) <= 30].sum(axis=1) / total for f in freqs], axis=1)


def heard(path: Path, hz: int) -> np.ndarray:
    """Boolean per frame: does this side hear ``hz``?"""
    col = {CALLER_HZ: 0, AGENT_HZ: 1, SUP_HZ: 2}[hz]
    return tone_shares(path)[:, col] > PRESENT


def hears(path: Path, hz: int, min_frames: int = 4) -> bool:
    return int(heard(path, hz).sum()) >= min_frames


def first_heard(path: Path, hz: int) -> float:
    idx = np.flatnonzero(heard(path, hz))
    assert idx.size, f"{path.name} never hears {hz} Hz"
    return float(idx[0]) * FRAME_S


def rx(ast: AsteriskInstance, rec: str) -> Path:
    path = ast.spool_dir / "monitor" / f"{rec}-rx.wav"
    assert path.exists(), f"no recording {path}"
    return path


async def supervised_call(ast: AsteriskInstance, ccd_factory: Factory, *, sup_teams: list[str] | None = None,
                          **extra: Any) -> tuple[Running, dict[str, str], str]:
    recs = {"caller": tag(), "agent": tag(), "sup": tag()}
    ccd = await ccd_factory(ast, agents=[rec_agent("A1", recs["agent"])], queues=[queue()],
                            supervisors=[supervisor("S1", sup_teams or ["t"], sup_phone(recs["sup"]))], **extra)
    await ccd.login("A1")
    call_in(ast, recs["caller"])
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    assert answered.call_id
    await bridged(ccd, answered.call_id)
    return ccd, recs, answered.call_id


# -- the three modes, by feature code -------------------------------------------------------
@pytest.mark.parametrize(("mode", "code", "agent_hears", "caller_hears"), [
    ("listen", "*221", False, False),
    ("whisper", "*222", True, False),
    ("barge", "*223", True, True),
])
async def test_mode_by_feature_code_who_hears_whom(
    asterisk: AsteriskInstance, ccd_factory: Factory, mode: str, code: str, agent_hears: bool, caller_hears: bool
) -> None:
    ccd, recs, call_id = await supervised_call(asterisk, ccd_factory)
    dial_code(asterisk, "S1", f"{code}A1", sup_phone(recs["sup"], hangup_after=5))
    started = await ccd.wait_event("supervision.started", agent_id="A1")
    assert started.call_id == call_id and started.queue == "support"
    assert started.payload["mode"] == mode and started.payload["via"] == "feature_code"
    assert started.payload["supervisor"] == "S1"
    ended = await ccd.wait_event("supervision.ended", timeout=10)
    assert ended.payload["reason"] == "supervisor_hangup" and ended.payload["duration_s"] > 3
    asterisk.cli("channel request hangup all")
    await quiet_asterisk(ccd)
    assert hears(rx(asterisk, recs["agent"]), SUP_HZ) is agent_hears
    assert hears(rx(asterisk, recs["caller"]), SUP_HZ) is caller_hears
    sup_rx = rx(asterisk, recs["sup"])  # the supervisor hears both sides in every mode
    assert hears(sup_rx, CALLER_HZ) and hears(sup_rx, AGENT_HZ)
    assert hears(rx(asterisk, recs["caller"]), AGENT_HZ)  # the call itself went on


async def test_dtmf_switch_listen_whisper_barge(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd, recs, _ = await supervised_call(asterisk, ccd_factory)
    # listen; 3 s later 5 (whisper); 3 s later 6 (barge)
    dial_code(asterisk, "S1", "*221A1", sup_phone(recs["sup"], hangup_after=10, dtmf_delay=3, digits="56"))
    started = await ccd.wait_event("supervision.started")
    whisper = await ccd.wait_event("supervision.mode_changed", mode="whisper", timeout=8)
    barge = await ccd.wait_event("supervision.mode_changed", mode="barge", timeout=8)
    assert whisper.payload["previous"] == "listen" and barge.payload["previous"] == "whisper"
    assert ccd.of("supervision.started")[0].payload["mode"] == "listen"
    await ccd.wait_event("supervision.ended", timeout=10)
    asterisk.cli("channel request hangup all")
    await quiet_asterisk(ccd)
    agent_rx, caller_rx = rx(asterisk, recs["agent"]), rx(asterisk, recs["caller"])
    # Nobody heard the supervisor while listening: the agent only from the switch to whisper
    # on, the caller only from the barge on (timed against when each first heard the other side).
    listen_s = (whisper.ts - started.ts).total_seconds()
    whisper_s = (barge.ts - started.ts).total_seconds()
    assert first_heard(agent_rx, SUP_HZ) - first_heard(agent_rx, CALLER_HZ) >= listen_s - 0.3
    assert first_heard(caller_rx, SUP_HZ) - first_heard(caller_rx, AGENT_HZ) >= whisper_s - 0.3
    assert hears(caller_rx, SUP_HZ) and hears(agent_rx, SUP_HZ)


# -- the API, with a mode change ------------------------------------------------------------
async def test_api_session_whisper_then_listen(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    import aiohttp

    cfg_http = http([{"name": "maria", "role": "supervisor", "supervisor": "S1", "token": "tok-maria"}])
    ccd, recs, call_id = await supervised_call(asterisk, ccd_factory, http=cfg_http)
    base = f"http://{cfg_http['listen']}/api/supervision"
    auth = {"Authorization": "Bearer tok-maria"}
    async with aiohttp.ClientSession(headers=auth) as web:
        async with web.post(base, json={"agent_id": "A1", "mode": "whisper"}) as resp:
            assert resp.status == 201, await resp.text()
            sid = (await resp.json())["session_id"]
        started = await ccd.wait_event("supervision.started")
        assert started.payload["via"] == "api" and started.call_id == call_id
        async with web.get(base) as resp:
            live = await resp.json()
            assert [s["session_id"] for s in live] == [sid] and live[0]["state"] == "active"
        await asyncio.sleep(3)
        async with web.post(f"{base}/{sid}/mode", json={"mode": "listen"}) as resp:
            assert resp.status == 200, await resp.text()
        async with web.post(f"{base}/{sid}/mode", json={"mode": "shout"}) as resp:
            assert resp.status == 400 and "mode" in (await resp.json())["message"]
        changed = await ccd.wait_event("supervision.mode_changed", mode="listen")
        await asyncio.sleep(2)
        async with web.delete(f"{base}/{sid}") as resp:
            assert resp.status == 200
        ended = await ccd.wait_event("supervision.ended", reason="stopped")
    await asyncio.sleep(0.5)
    asterisk.cli("channel request hangup all")
    await quiet_asterisk(ccd)
    agent_rx = rx(asterisk, recs["agent"])
    sup_frames = np.flatnonzero(heard(agent_rx, SUP_HZ))
    assert sup_frames.size >= 4  # whispered first ...
    first = first_heard(agent_rx, SUP_HZ)
    heard_for = (sup_frames[-1] + 1) * FRAME_S - first
    whisper_s = (changed.ts - started.ts).total_seconds()
    assert heard_for <= whisper_s + 0.5  # ... and not after the switch back to listen
    assert not hears(rx(asterisk, recs["caller"]), SUP_HZ)
    assert ended.payload["duration_s"] >= whisper_s


# -- training mode ---------------------------------------------------------------------------
async def test_training_mentor_rings_listens_and_whispers_by_dtmf(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    recs = {"caller": tag(), "agent": tag(), "sup": tag()}
    ccd = await ccd_factory(
        asterisk, agents=[rec_agent("T1", recs["agent"], seniority="trainee", teams=["trainees"])],
        queues=[queue(teams=["trainees"])],
        teams=[{"name": "t"}, {"name": "trainees", "training_mode": True, "mentor": "M1"}],
        # the mentor's phone: listens, presses 5 (whisper) after 4 s
        supervisors=[supervisor("M1", ["other"], sup_phone(recs["sup"], hangup_after=9, dtmf_delay=4, digits="5"))])
    await ccd.login("T1")
    call_in(asterisk, recs["caller"])
    answered = await ccd.wait_event("call.answered", agent_id="T1")
    started = await ccd.wait_event("supervision.started", timeout=10)
    assert started.payload["via"] == "training" and started.payload["supervisor"] == "M1"
    assert started.payload["mode"] == "listen" and started.call_id == answered.call_id
    changed = await ccd.wait_event("supervision.mode_changed", mode="whisper", timeout=10)
    await ccd.wait_event("supervision.ended", timeout=15)
    asterisk.cli("channel request hangup all")
    await quiet_asterisk(ccd)
    agent_rx, caller_rx, sup_rx = (rx(asterisk, recs[k]) for k in ("agent", "caller", "sup"))
    assert hears(sup_rx, CALLER_HZ) and hears(sup_rx, AGENT_HZ)
    listen_s = (changed.ts - started.ts).total_seconds()
    assert first_heard(agent_rx, SUP_HZ) - first_heard(agent_rx, CALLER_HZ) >= listen_s - 0.3
    assert not hears(caller_rx, SUP_HZ)


async def test_mentor_not_answering_leaves_no_trace_and_agent_mentor_takes_no_calls(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    recs = {"caller": tag(), "agent": tag()}
    # M1 is a senior agent mentoring T1; M1's phone rings and is never answered.
    mentor = {"id": "M1", "name": "M1", "seniority": "senior", "teams": ["trainees"],
              "endpoint": "Local/ag-M1-never-0-1600@sim-agent"}
    ccd = await ccd_factory(
        asterisk, agents=[rec_agent("T1", recs["agent"], seniority="trainee", teams=["trainees"], mentor="M1"),
                          mentor],
        queues=[{"name": "support", "teams": ["trainees"], "policy": "trainee_first", "ring_timeout": 5,
                 "wrapup": 0.5}])
    await ccd.login("T1", "M1")
    call_in(asterisk, recs["caller"], hangup_after=4)
    answered = await ccd.wait_event("call.answered", agent_id="T1")

    async def mentor_ringing() -> bool:
        return any(c.name.startswith("Local/ag-M1-") for c in await ccd.daemon.rest.list_channels())

    await eventually(mentor_ringing, "the mentor's phone should ring")
    # While M1 is ringing as a mentor, a second caller is not offered to M1.
    call_in(asterisk, tag(), number="5557001", hangup_after=2)
    await asyncio.sleep(1.5)
    assert ccd.of("call.offered", agent_id="M1") == []
    await ccd.wait_event("call.ended", call_id=answered.call_id, timeout=10)
    await quiet_asterisk(ccd)
    await no_sessions_left(ccd)
    assert [e for e in ccd.events if e.type.startswith("supervision.")] == []
    await eventually(lambda: ccd.daemon.snapshot().agents["M1"].device_in_use is False, "M1's device idle again")
    assert hears(rx(asterisk, recs["caller"]), AGENT_HZ) and not hears(rx(asterisk, recs["caller"]), SUP_HZ)
