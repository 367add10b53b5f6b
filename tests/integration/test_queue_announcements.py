"""Queue announcements on the real Asterisk: waiting callers hear their position (ccd's prompts,
played to completion), and an agent answering mid-announcement gets the caller at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from ccd.ari.events import PlaybackFinished, PlaybackStarted
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


class Playbacks:
    def __init__(self, ccd: Running) -> None:
        self.started: dict[str, PlaybackStarted] = {}
        self.finished: dict[str, PlaybackFinished] = {}
        self.at: dict[tuple[str, str], float] = {}  # (started|finished, playback id) -> arrival
        ccd.daemon.dispatcher.subscribe(PlaybackStarted, lambda e: self._saw("started", e))
        ccd.daemon.dispatcher.subscribe(PlaybackFinished, lambda e: self._saw("finished", e))

    def _saw(self, what: str, e: PlaybackStarted | PlaybackFinished) -> None:
        getattr(self, what).setdefault(e.playback.id, e)
        self.at.setdefault((what, e.playback.id), time.monotonic())

    def of(self, channel_id: str) -> list[PlaybackStarted]:
        return [e for e in self.started.values() if e.playback.target_uri == f"channel:{channel_id}"]

    async def wait_started(self, channel_id: str, timeout: float = 10) -> PlaybackStarted:
        deadline = time.monotonic() + timeout
        while not self.of(channel_id):
            assert time.monotonic() < deadline, f"no announcement for {channel_id}: {list(self.started)}"
            await asyncio.sleep(0.02)
        return self.of(channel_id)[0]

    async def wait_finished(self, playback_id: str, timeout: float = 15) -> PlaybackFinished:
        deadline = time.monotonic() + timeout
        while playback_id not in self.finished:
            assert time.monotonic() < deadline, f"playback {playback_id} never finished"
            await asyncio.sleep(0.02)
        return self.finished[playback_id]


async def test_waiting_callers_hear_their_position_then_the_agent_cuts_in(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A1", answer_delay=0.2, talk=0)], queues=[{
        "name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5, "announce_frequency": 2}])
    playbacks = Playbacks(ccd)
    asterisk.originate_caller_cli("support", "5553001", hangup_after=40)
    first = await ccd.wait_event("call.queued")
    asterisk.originate_caller_cli("support", "5553002", hangup_after=40)
    second = await ccd.wait_count("call.queued", 2)
    second_id = next(e.call_id for e in second if e.call_id != first.call_id)
    assert first.call_id and second_id

    # Nobody is logged in: after 2 s each caller hears where they stand.
    one = await playbacks.wait_started(first.call_id)
    two = await playbacks.wait_started(second_id)
    assert one.playback.media_uri == "sound:ccd/en/queue-next"
    assert two.playback.media_uri == "sound:ccd/en/queue-position-2"
    # Played to its end (every file found); the next one only starts after it.
    done = await playbacks.wait_finished(one.playback.id)
    assert done.playback.state == "done"
    deadline = time.monotonic() + 10
    while len(playbacks.of(first.call_id)) < 2:
        assert time.monotonic() < deadline, "no second announcement"
        await asyncio.sleep(0.02)
    playing = playbacks.of(first.call_id)[1]
    assert playbacks.at[("started", playing.playback.id)] > playbacks.at[("finished", one.playback.id)]

    # The agent logs in while the first caller hears that second announcement (over 5 s
    # long): the caller is taken out of it and bridged at once, not when it would have ended.
    assert playing.playback.id not in playbacks.finished
    await ccd.login("A1")
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    assert answered.call_id == first.call_id
    answered_at = time.monotonic()
    bridge_id = f"ccd-call-{first.call_id}"
    while True:
        bridge = await ccd.daemon.rest.get_bridge(bridge_id)
        if first.call_id in bridge.channels and len(bridge.channels) == 2:
            break
        assert time.monotonic() - answered_at < 3, f"caller not bridged: {bridge.channels}"
        await asyncio.sleep(0.02)
    stopped = await playbacks.wait_finished(playing.playback.id, timeout=2)
    assert stopped.playback.id.startswith(f"ccd-ann-{first.call_id}-")
    # The second caller is now first in line and is told so.
    deadline = time.monotonic() + 12
    while not any(e.playback.media_uri == "sound:ccd/en/queue-next" for e in playbacks.of(second_id)):
        assert time.monotonic() < deadline, [e.playback.media_uri for e in playbacks.of(second_id)]
        await asyncio.sleep(0.05)
    assert (ccd.daemon.registry.get_sample_value("ccd_queue_announcements_total", {"queue": "support"}) or 0) >= 4
    asterisk.cli("channel request hangup all")
    await ccd.wait_event("call.abandoned", call_id=second_id)
    assert second_id not in ccd.daemon.announcer.playing and second_id not in ccd.daemon.announcer.periods
