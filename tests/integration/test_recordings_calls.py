"""Call recording on the real Asterisk: the bridge recording holds both sides for the bridged
time, the announcement comes before the agent when configured (and only then), a broken
recording directory never costs the call, and every recording is filed exactly once, also
when its end is never announced or a resync comes while it is being written. The tests wait
on facts (events, files, channels), never on fixed sleeps: they hold on a busy machine."""

from __future__ import annotations

import asyncio
import time
import uuid
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import numpy as np
import pytest
import structlog
from prometheus_client import generate_latest

from ccd.ari import events as ari
from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent, eventually
from tests.integration.test_supervision_audio import AGENT_HZ, CALLER_HZ, tone_shares

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
ANNOUNCE = Path(__file__).resolve().parents[2] / "prompts-build/sounds/ccd/en/call-recorded.wav"


def recorded_queue(fmt: str = "wav", announce: bool = False) -> dict[str, Any]:
    return {"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5,
            "recording": {"enabled": True, "format": fmt, "announce": announce, "retention_days": 30}}


def settings(ast: AsteriskInstance, rec_dir: Path) -> dict[str, Any]:
    return {"recordings_dir": str(rec_dir), "asterisk_recording_dir": str(ast.spool_dir / "recording")}


def call_in(ast: AsteriskInstance, hangup_after: float, rec: str = "") -> None:
    number = f"558{uuid.uuid4().int % 10_000_000:07d}"  # never sticky across tests
    phone = f"cp-{hangup_after:g}-0-x-{CALLER_HZ}"
    target = f"rec-{rec}-{phone}@sim-rec" if rec else f"{phone}@sim-phone"
    ast.cli(f"channel originate Local/c-{number}-support@sim-trunk extension {target}")


async def no_channels(ccd: Running) -> bool:
    """Every channel is gone, so every MixMonitor file is closed."""
    return not await ccd.daemon.rest.list_channels()


async def started_stored(ccd: Running, call_id: str | None) -> bool:
    conn = await asyncpg.connect(ccd.daemon.dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM events WHERE type = 'recording.started' "
                                        "AND call_id = $1", call_id))
    finally:
        await conn.close()


def failures(ccd: Running) -> float:
    text = generate_latest(ccd.daemon.registry).decode()
    line = next(x for x in text.splitlines() if x.startswith('ccd_recording_failures_total{queue="support"}'))
    return float(line.split()[-1])


async def test_recording_holds_both_sides_for_the_bridged_time(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("r1")], queues=[recorded_queue("wav")],
                            **settings(asterisk, tmp_path / "rec"))
    await ccd.login("r1")
    call_in(asterisk, hangup_after=6)
    answered = await ccd.wait_event("call.answered", agent_id="r1")
    ended = await ccd.wait_event("call.ended", timeout=20, call_id=answered.call_id)
    started = await ccd.wait_event("recording.started", call_id=answered.call_id)
    done = await ccd.wait_event("recording.finished", timeout=10, call_id=answered.call_id)
    p = done.payload
    path = tmp_path / "rec" / p["file"]
    local = started.ts.astimezone(ccd.daemon.cfg.tz)
    assert p["file"] == f"{local:%Y/%m/%d}/{answered.call_id}.wav" and path.is_file()
    assert not (asterisk.spool_dir / "recording" / f"ccd-{answered.call_id}.wav").exists()  # moved
    bridged = (ended.ts - answered.ts).total_seconds()
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        seconds = w.getnframes() / w.getframerate()
    print(f"recorded {seconds:.3f} s, bridged {bridged:.3f} s, tone shares {shares_of(path)}")
    assert abs(seconds - bridged) < 1.0, (seconds, bridged)
    assert abs(p["duration_s"] - seconds) < 0.05 and p["size"] == path.stat().st_size
    assert p["sha256"] and started.agent_id == "r1" and started.queue == "support" and p["caller"]
    shares = tone_shares(path, (CALLER_HZ, AGENT_HZ))
    assert np.median(shares[:, 0]) > 0.1 and np.median(shares[:, 1]) > 0.1, shares.mean(axis=0)
    assert not ccd.of("recording.failed")


def shares_of(path: Path) -> list[float]:
    return [round(float(x), 3) for x in np.median(tone_shares(path, (CALLER_HZ, AGENT_HZ)), axis=0)]


async def _announce_run(ast: AsteriskInstance, ccd_factory: Factory, tmp_path: Path,
                        announce: bool) -> tuple[Running, str, list[tuple[float, object]], Path]:
    ccd = await ccd_factory(ast, agents=[agent("r2")], queues=[recorded_queue("ogg", announce)],
                            **settings(ast, tmp_path / "rec"))
    seen: list[tuple[float, object]] = []
    for kind in (ari.PlaybackStarted, ari.PlaybackFinished, ari.ChannelEnteredBridge):
        ccd.daemon.dispatcher.subscribe(kind, lambda e: seen.append((time.monotonic(), e)))
    await ccd.login("r2")
    tag = "ann" + uuid.uuid4().hex[:8]
    call_in(ast, hangup_after=10, rec=tag)
    answered = await ccd.wait_event("call.answered", timeout=20, agent_id="r2")
    await ccd.wait_event("recording.finished", timeout=20, call_id=answered.call_id)
    return ccd, answered.call_id or "", seen, ast.spool_dir / "monitor" / f"{tag}-rx.wav"


def first_agent_frame(rx: Path) -> int:
    heard = tone_shares(rx, (AGENT_HZ,))[:, 0] > 0.2
    return int(np.argmax(heard)) if heard.any() else len(heard)


def speech_frames(rx: Path, upto: int) -> int:
    """Frames before ``upto`` with real energy and no tone of the call (speech or music)."""
    with wave.open(str(rx)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    n = 2000  # 0.25 s at 8 kHz, as tone_shares
    frames = pcm[: upto * n].reshape(-1, n) if upto else np.zeros((0, n))
    return int((np.sqrt((frames ** 2).mean(axis=1)) > 300).sum())


async def test_caller_hears_the_announcement_before_the_agent(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path
) -> None:
    ccd, call_id, seen, rx = await _announce_run(asterisk, ccd_factory, tmp_path, announce=True)
    pb = f"ccd-recann-{call_id}"
    started = next(t for t, e in seen if isinstance(e, ari.PlaybackStarted) and e.playback.id == pb)
    finished = next(t for t, e in seen if isinstance(e, ari.PlaybackFinished) and e.playback.id == pb)
    agent_in = next(t for t, e in seen if isinstance(e, ari.ChannelEnteredBridge)
                    and e.bridge.id == f"ccd-call-{call_id}" and e.channel.id != call_id)
    with wave.open(str(ANNOUNCE)) as w:
        prompt_s = w.getnframes() / w.getframerate()
    assert started < finished < agent_in and finished - started > prompt_s - 0.5
    await eventually(lambda: no_channels(ccd), "the caller's MixMonitor file is closed", timeout=20)
    first = first_agent_frame(rx)
    print(f"prompt {prompt_s:.2f} s, playback {finished - started:.2f} s, agent heard at {first * 0.25:.2f} s")
    assert first * 0.25 > prompt_s - 0.5  # the agent is heard only after the whole prompt
    assert speech_frames(rx, int(prompt_s / 0.25) - 1) > (prompt_s / 0.25) * 0.5  # and it was spoken
    rec = ccd.of("recording.finished", call_id=call_id)[0].payload
    assert rec["file"].endswith(f"{call_id}.ogg") and rec["duration_s"] > 2  # a compressed format works


async def test_no_announcement_when_not_configured(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path
) -> None:
    ccd, call_id, seen, rx = await _announce_run(asterisk, ccd_factory, tmp_path, announce=False)
    assert not [e for _, e in seen if isinstance(e, ari.PlaybackStarted | ari.PlaybackFinished)
                and e.playback.target_uri == f"channel:{call_id}"]
    await eventually(lambda: no_channels(ccd), "the caller's MixMonitor file is closed", timeout=20)
    assert first_agent_frame(rx) * 0.25 < 2.5  # the agent comes at once, no 4.7 s prompt first


@pytest.mark.parametrize("broken", ["asterisk_spool", "recordings_dir"])
async def test_broken_directory_is_logged_and_counted_and_the_call_connects(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path, broken: str
) -> None:
    spool = asterisk.spool_dir / "recording"
    extra = settings(asterisk, tmp_path / "rec")
    if broken == "recordings_dir":
        (tmp_path / "a-file").write_text("")
        extra["recordings_dir"] = str(tmp_path / "a-file" / "rec")  # cannot be created
    ccd = await ccd_factory(asterisk, agents=[agent("r3")], queues=[recorded_queue("wav")], **extra)
    await ccd.login("r3")
    hidden = spool.with_name("recording.hidden")
    if broken == "asterisk_spool":
        spool.rename(hidden)
    try:
        with structlog.testing.capture_logs() as logs:
            call_in(asterisk, hangup_after=4)
            answered = await ccd.wait_event("call.answered", agent_id="r3")
            failed = await ccd.wait_event("recording.failed", call_id=answered.call_id)
            ended = await ccd.wait_event("call.ended", timeout=15, call_id=answered.call_id)
    finally:
        if broken == "asterisk_spool":
            hidden.rename(spool)
    assert (ended.ts - answered.ts).total_seconds() > 2.5  # the call went on, connected
    assert ended.payload["ended_by"] == "caller"
    assert failed.payload["stage"] == "start" and failed.queue == "support"
    assert ("Asterisk" if broken == "asterisk_spool" else "cannot create") in failed.payload["reason"]
    assert any(x["event"].startswith("call recording failed") and x["log_level"] == "error" for x in logs)
    assert failures(ccd) == 1.0
    assert not ccd.of("recording.started") and not ccd.of("recording.finished")


@pytest.mark.parametrize("ccd_restarts_too", [False, True])
async def test_recording_cut_by_an_asterisk_crash_is_filed_after_the_restart(
    asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory, tmp_path: Path,
    ccd_restarts_too: bool,
) -> None:
    ast = asterisk_factory()
    config: dict[str, Any] = {"agents": [agent("r1")], "queues": [recorded_queue("wav")],
                              **settings(ast, tmp_path / "rec")}
    ccd = await ccd_factory(ast, **config)
    await ccd.login("r1")
    call_in(ast, hangup_after=60)
    answered = await ccd.wait_event("call.answered", agent_id="r1")
    await ccd.wait_event("recording.started", call_id=answered.call_id)
    spooled = ast.spool_dir / "recording" / f"ccd-{answered.call_id}.wav"
    # Some audio (2 s at 8 kHz, 16 bit), and the start committed to the database.
    await eventually(lambda: spooled.is_file() and spooled.stat().st_size > 32_000, "2 s recorded", timeout=20)
    await eventually(lambda: started_stored(ccd, answered.call_id), "the start is stored", timeout=10)
    await asyncio.to_thread(ast.kill9)  # Asterisk dies mid-call: no RecordingFinished, ever
    assert spooled.is_file()
    if ccd_restarts_too:  # then what ccd knew of the call comes from the database
        await ccd.daemon.stop()
        await asyncio.to_thread(ast.start)
        ccd = await ccd_factory(ast, reset=False, **config)
    else:
        await asyncio.to_thread(ast.start)
    done = await ccd.wait_event("recording.finished", timeout=30, call_id=answered.call_id)
    p = done.payload
    assert p["recovered"] is True and not spooled.exists()
    # What ccd knew at the start is kept; the file's header is repaired.
    assert done.agent_id == "r1" and done.queue == "support" and p["caller"]
    with wave.open(str(tmp_path / "rec" / p["file"])) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 2.0 <= seconds <= 10 and abs(p["duration_s"] - seconds) < 0.05
    assert not ccd.of("recording.failed")


async def test_recording_whose_end_is_never_announced_is_filed_once(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path
) -> None:
    """A RecordingFinished that never reaches ccd (lost as a busy Asterisk finished the file
    after its bridge was gone): ccd files the file once Asterisk no longer lists it as live."""
    ccd = await ccd_factory(asterisk, agents=[agent("r4")], queues=[recorded_queue("wav")],
                            **settings(asterisk, tmp_path / "rec"))
    service, dispatcher = ccd.daemon.recordings.service, ccd.daemon.dispatcher
    dispatcher._subs = [(t, c) for t, c in dispatcher._subs if c != service.on_finished]  # the loss
    dispatcher._cache.clear()
    await ccd.login("r4")
    call_in(asterisk, hangup_after=4)
    answered = await ccd.wait_event("call.answered", agent_id="r4")
    await ccd.wait_event("call.ended", timeout=20, call_id=answered.call_id)
    done = await ccd.wait_event("recording.finished", timeout=30, call_id=answered.call_id)
    assert done.payload["recovered"] is True and done.agent_id == "r4" and done.payload["duration_s"] > 1
    assert (tmp_path / "rec" / done.payload["file"]).is_file()
    assert not (asterisk.spool_dir / "recording" / f"ccd-{answered.call_id}.wav").exists()
    await eventually(lambda: no_channels(ccd), "the call is over", timeout=20)
    assert len(ccd.of("recording.finished")) == 1 and not ccd.of("recording.failed")


async def test_resync_while_recording_never_moves_a_file_being_written(
    asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path
) -> None:
    """A resync's snapshot is old by the time the spool is swept: a call bridged since then
    is recording, and its file must stay until Asterisk has finished it."""
    ccd = await ccd_factory(asterisk, agents=[agent("r5")], queues=[recorded_queue("wav")],
                            **settings(asterisk, tmp_path / "rec"))
    await ccd.login("r5")
    call_in(asterisk, hangup_after=6)
    answered = await ccd.wait_event("call.answered", agent_id="r5")
    await ccd.wait_event("recording.started", call_id=answered.call_id)
    spooled = asterisk.spool_dir / "recording" / f"ccd-{answered.call_id}.wav"
    await eventually(spooled.is_file, "the recording is being written", timeout=10)
    service = ccd.daemon.recordings.service
    service.on_resync(ari.Resync(channels=(), bridges=()))  # a snapshot taken before this call
    await service.serial.drain(10)
    assert spooled.is_file() and not ccd.of("recording.finished")
    done = await ccd.wait_event("recording.finished", timeout=30, call_id=answered.call_id)
    assert done.payload["recovered"] is False
    await eventually(lambda: no_channels(ccd), "the call is over", timeout=20)
    assert len(ccd.of("recording.finished")) == 1 and not ccd.of("recording.failed")
