"""Callback delivery on the real Asterisk, one attempt at a time (ccd.callbacks.ari_attempt):
agent-first (the agent hears the announcement, the customer's phone sees the queue's caller
id, both end up in one bridge), customer-first (the customer confirms with 1 before any agent
is involved) and a customer who never answers (a failed attempt, the agent released)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from ccd.ari import ChannelDestroyed, ChannelDtmfReceived, PlaybackFinished, PlaybackStarted, StasisStart
from ccd.callbacks.ari_attempt import AttemptRunner, Seen
from ccd.callbacks.core.attempt import Attempt, Result
from tests.harness.ari_link import AriLink
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk
QUEUE_CID = "4930555000"
DIAL = "Local/{number}@sim-customer"


class Rig:
    def __init__(self, link: AriLink) -> None:
        self.ast, self.port = link.ast, link.port
        self.runner: AttemptRunner | None = None
        self.played: list[tuple[str, str]] = []  # (channel, media) of finished playbacks
        self.started: list[tuple[str, str]] = []  # (channel, first media) of started ones

    def feed(self, seen: Seen) -> None:
        if self.runner is not None:
            self.runner.feed(seen)

    async def run(self, attempt: Attempt) -> Result:
        self.runner = AttemptRunner(self.port, attempt, "en", DIAL)
        async with asyncio.timeout(60):
            return await self.runner.run()


@pytest.fixture
def rig(ari_link: AriLink) -> Rig:
    r = Rig(ari_link)
    dispatcher = ari_link.dispatcher

    def on_start(e: StasisStart) -> None:
        if e.args[:1] == ("callback",):
            r.feed(Seen("answered", e.channel.id))

    def on_playback(e: PlaybackFinished) -> None:
        r.played.append((e.playback.target_uri, e.playback.media_uri))
        r.feed(Seen("playback_finished", "", e.playback.id))

    dispatcher.subscribe(PlaybackStarted, lambda e: r.started.append(
        (e.playback.target_uri, e.playback.media_uri)))
    dispatcher.subscribe(StasisStart, on_start)
    dispatcher.subscribe(PlaybackFinished, on_playback)
    dispatcher.subscribe(ChannelDtmfReceived, lambda e: r.feed(Seen("dtmf", e.channel.id, e.digit)))
    dispatcher.subscribe(ChannelDestroyed, lambda e: r.feed(Seen("hangup", e.channel.id)))
    return r


async def _until(check: Callable[[], Any], timeout: float = 20) -> Any:
    async with asyncio.timeout(timeout):
        while not (found := check()):
            await asyncio.sleep(0.05)
    return found


def _customer_cid(ast: AsteriskInstance, number: str) -> str | None:
    for line in ast.cli("dialplan show globals").splitlines():
        if f"SIM_CID_{number}=" in line:
            return line.split("=", 1)[1].strip()
    return None


async def test_agent_first_announces_dials_with_queue_caller_id_and_bridges(rig: Rig) -> None:
    agent = AsteriskInstance.agent_endpoint("CB1", answer_delay=0.5, talk=0)
    attempt = Attempt("af1", 1, "+4930100201", "agent_first", agent, QUEUE_CID, 7 * 60 + 5)
    assert await rig.run(attempt) == Result("connected")
    # The agent heard the announcement, from "callback for" to its last item, "waited 7 minutes".
    chan = f"channel:{attempt.agent_chan}"
    assert (chan, "sound:ccd/en/cb-agent-for") in rig.started
    assert (chan, "sound:ccd/en/cb-agent-waited-7") in rig.played
    assert _customer_cid(rig.ast, "4930100201") == QUEUE_CID
    assert rig.runner is not None
    bridge = rig.runner.bridge_id
    out = await _until(lambda: (o := rig.ast.cli(f"bridge show {bridge}")) and
                       "Local/ag-CB1-" in o and "Local/4930100201@sim-customer" in o and o)
    assert "Local/ag-CB1-" in out
    await rig.port.hangup(attempt.agent_chan)
    await rig.port.hangup(attempt.customer_chan)


async def test_customer_first_confirms_with_1_before_any_agent(rig: Rig) -> None:
    # 4988...: the customer's phone presses 1 two seconds after answering.
    attempt = Attempt("cf1", 1, "+4988100301", "customer_first", None, QUEUE_CID, 60,
                      confirm_timeout=15)
    assert await rig.run(attempt) == Result("confirmed")
    assert (f"channel:{attempt.customer_chan}", "sound:ccd/en/cb-customer-press-1") in rig.started
    assert attempt.agent_chan not in rig.ast.cli("core show channels concise")
    await rig.port.hangup(attempt.customer_chan)


async def test_customer_not_answering_fails_the_attempt_and_releases_the_agent(rig: Rig) -> None:
    agent = AsteriskInstance.agent_endpoint("CB2", answer_delay=0.2, talk=0)
    attempt = Attempt("na1", 1, "+4999000111", "agent_first", agent, QUEUE_CID, 30,
                      dial_timeout=4)
    assert await rig.run(attempt) == Result("failed", "no_answer")
    await _until(lambda: "ag-CB2" not in rig.ast.cli("core show channels concise"))
