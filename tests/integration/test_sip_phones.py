"""Real SIP on the Asterisk under test: callers come in over a PJSIP trunk and agents and
supervisors are PJSIP phones, all played by SIPp with RTP (a tone each: caller 400 Hz, agent
800 Hz, supervisor 1600 Hz). What Local channels could hide: caller id from SIP headers,
PJSIP device state, the supervisor recognised by the endpoint it calls from, RTP audio."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.sip import RtpEar, Sipp, check_started, render_pjsip, tone_file, uac_scenario, uas_scenario
from tests.harness.ccd import Factory, Running, eventually
from tests.integration.test_supervision_audio import (
    AGENT_HZ,
    CALLER_HZ,
    SUP_HZ,
    bridged,
    hears,
    queue,
    quiet_asterisk,
    tone_shares,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

PHONES = ["A1", "A2", "S1"]


@dataclass
class SipLab:
    ast: AsteriskInstance
    sip_port: int
    workdir: Path
    procs: list[Sipp]
    a1_ear: RtpEar  # A1's phone: its audio is played and recorded here, as the phone hears it

    def call(self, name: str, from_user: str, service: str, *, number: str = "", hz: int = CALLER_HZ,
             hold_s: float = 20) -> Sipp:
        """A phone (or the trunk) places one call to ``service`` and hangs up after ``hold_s``."""
        scenario = uac_scenario(from_user, number, tone_file(self.workdir, hz), int(hold_s * 1000))
        proc = Sipp.start(self.workdir, name, scenario, free_port(), target=f"127.0.0.1:{self.sip_port}",
                          service=service, calls=1, rtp_base=free_port_range())
        check_started(proc)
        self.procs.append(proc)
        return proc

    def channel(self, endpoint: str) -> str:
        found = [c for c in self.ast.channels() if c.startswith(f"PJSIP/{endpoint}-")]
        assert found, f"no PJSIP/{endpoint} channel in {self.ast.channels()}"
        return found[0]

    def record_heard(self, endpoint: str, tag: str) -> Path:
        """Record what the phone hears (MixMonitor t(): frames written to its channel)."""
        self.ast.cli(f"mixmonitor start {self.channel(endpoint)} {tag}.wav,t({tag}-rx.wav)")
        return self.ast.spool_dir / "monitor" / f"{tag}-rx.wav"


_rtp_next = [20000 + (uuid.uuid4().int % 200) * 100]


def free_port_range() -> int:
    """RTP ports for one SIPp process (parallel test runs pick different ranges)."""
    _rtp_next[0] = 20000 + (_rtp_next[0] - 20000 + 2000) % 40000
    return _rtp_next[0]


@pytest.fixture
def sip_lab(asterisk_factory: Callable[..., AsteriskInstance], tmp_path: Path) -> Iterator[SipLab]:
    sip_port, agents_port, a1_port = free_port(), free_port(), free_port()
    ast = asterisk_factory(pjsip_conf=render_pjsip(sip_port, PHONES, agents_port, {"A1": a1_port}))
    agents = Sipp.start(tmp_path, "agents", uas_scenario(tone_file(tmp_path, AGENT_HZ), answer_ms=200),
                        agents_port, rtp_base=free_port_range())
    ear = RtpEar(AGENT_HZ)
    a1 = Sipp.start(tmp_path, "a1", uas_scenario(None, answer_ms=200, media_port=ear.port), a1_port)
    for proc in (agents, a1):
        check_started(proc)
    lab = SipLab(ast, sip_port, tmp_path, [agents, a1], ear)
    yield lab
    for proc in lab.procs:
        proc.stop()
    ear.save(tmp_path / "a1-ear.wav")  # stops its thread (idempotent)


def sip_agent(agent_id: str) -> dict[str, object]:
    return {"id": agent_id, "name": agent_id, "seniority": "regular", "teams": ["t"],
            "endpoint": f"PJSIP/{agent_id}"}


async def sip_ccd(lab: SipLab, ccd_factory: Factory, **extra: object) -> Running:
    return await ccd_factory(lab.ast, agents=[sip_agent("A1"), sip_agent("A2")], queues=[queue()], **extra)


async def test_sip_caller_routed_to_sip_agent(sip_lab: SipLab, ccd_factory: Factory) -> None:
    ccd = await sip_ccd(sip_lab, ccd_factory)
    await ccd.login("A1")
    caller = sip_lab.call("caller", "trunk", "support", number="5551200", hold_s=4)
    answered = await ccd.wait_event("call.answered", agent_id="A1", timeout=20)
    queued = await ccd.wait_event("call.queued", call_id=answered.call_id)
    assert queued.payload["caller"] == "5551200"  # caller id from P-Asserted-Identity
    await bridged(ccd, answered.call_id)
    ended = await ccd.wait_event("call.ended", call_id=answered.call_id, timeout=20)
    assert ended.agent_id == "A1"
    assert await asyncio.to_thread(caller.wait, 20) == 0  # the SIP dialog completed cleanly


async def test_sip_phone_busy_on_direct_call_is_skipped(sip_lab: SipLab, ccd_factory: Factory) -> None:
    ccd = await sip_ccd(sip_lab, ccd_factory)
    await ccd.login("A1", "A2")  # A1 idles longest and would get the call
    sip_lab.call("a1-private", "A1", "echo", hz=AGENT_HZ, hold_s=30)
    await eventually(lambda: ccd.daemon.snapshot().agents["A1"].device_in_use, "PJSIP device state INUSE", 20)
    sip_lab.call("caller", "trunk", "support", number="5551201", hold_s=10)
    answered = await ccd.wait_event("call.answered", timeout=20)
    assert answered.agent_id == "A2"


async def test_sip_supervisor_whispers_by_feature_code(sip_lab: SipLab, ccd_factory: Factory) -> None:
    ccd = await sip_ccd(sip_lab, ccd_factory, supervisors=[
        {"id": "S1", "name": "S1", "endpoint": "PJSIP/S1", "teams": ["t"]}])
    await ccd.login("A1")
    sip_lab.call("caller", "trunk", "support", number="5551202", hold_s=30)
    answered = await ccd.wait_event("call.answered", agent_id="A1", timeout=20)
    await bridged(ccd, answered.call_id)
    tag = "sip" + uuid.uuid4().hex[:8]
    caller_rx = sip_lab.record_heard("trunk", f"{tag}-caller")
    sip_lab.call("sup", "S1", "*222A1", hz=SUP_HZ, hold_s=5)  # no CCD_SUPERVISOR: the endpoint says who
    started = await ccd.wait_event("supervision.started", agent_id="A1", timeout=15)
    assert started.payload["supervisor"] == "S1" and started.payload["mode"] == "whisper"
    assert started.payload["via"] == "feature_code" and started.call_id == answered.call_id
    await ccd.wait_event("supervision.ended", timeout=15)
    sip_lab.ast.cli("channel request hangup all")
    await quiet_asterisk(ccd)
    # The agent's ear is the RTP its phone received (a MixMonitor on the agent's own channel
    # would see the frames before the snoop mixes the whisper in); the caller's is Asterisk's
    # output to the trunk channel.
    agent_rx = sip_lab.a1_ear.save(sip_lab.workdir / f"{tag}-agent-rx.wav")
    heard = {p.name: tone_shares(p).round(2).max(axis=0).tolist() for p in (agent_rx, caller_rx)}
    assert hears(agent_rx, SUP_HZ) and hears(agent_rx, CALLER_HZ), heard  # whisper: the agent hears it
    assert hears(caller_rx, AGENT_HZ) and not hears(caller_rx, SUP_HZ), heard  # the caller does not
