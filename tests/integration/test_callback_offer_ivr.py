"""The callback offer on the real Asterisk: a phone presses keys, ccd's offer dialogue plays
the prompts (ccd.callbacks.ari_offer). Confirmed caller id -> booked and hung up; a bad key
gets the retry prompt; bad numbers get the retry prompt, then a clear end in line."""

from __future__ import annotations

import asyncio
import re
from functools import partial

import pytest

from ccd.ari import ChannelDestroyed, ChannelDtmfReceived, PlaybackFinished, PlaybackStarted, StasisStart
from ccd.callbacks.ari_attempt import Seen
from ccd.callbacks.ari_offer import OfferRunner
from ccd.callbacks.core.numbers import check_number
from ccd.callbacks.core.offer import DialogueSettings, Done, OfferDialogue
from ccd.config import CcdConfig, normalise_number
from ccd.queues.ari_port import ClientAriPort
from tests.harness.ari_link import AriLink

pytestmark = pytest.mark.asterisk
CFG = CcdConfig.model_validate({"country_code": "49"})
CHECK = partial(check_number, normalise=partial(normalise_number, cfg=CFG),
                allow=(re.compile(r"\+49[1-8][0-9]{5,12}"),))


class Rig:
    def __init__(self, port: ClientAriPort) -> None:
        self.port = port
        self.runner: OfferRunner | None = None
        self.entered: asyncio.Queue[str] = asyncio.Queue()
        self.started: list[str] = []  # first media of each started playback

    def feed(self, seen: Seen) -> None:
        if self.runner is not None:
            self.runner.feed(seen)


@pytest.fixture
def rig(ari_link: AriLink) -> Rig:
    r = Rig(ari_link.port)
    dispatcher = ari_link.dispatcher
    dispatcher.subscribe(StasisStart, lambda e: r.entered.put_nowait(e.channel.id)
                         if e.args[:1] == ("offer",) else None)
    dispatcher.subscribe(PlaybackStarted, lambda e: r.started.append(e.playback.media_uri))
    dispatcher.subscribe(PlaybackFinished, lambda e: r.feed(Seen("playback_finished", "", e.playback.id)))
    dispatcher.subscribe(ChannelDtmfReceived, lambda e: r.feed(Seen("dtmf", e.channel.id, e.digit)))
    dispatcher.subscribe(ChannelDestroyed, lambda e: r.feed(Seen("hangup", e.channel.id)))
    return r


async def _offer(rig: Rig, name: str, caller: str | None, keys: str, booked: list[str]) -> Done:
    """A waiting caller whose phone presses ``keys`` 1.5 s apart, starting 1.5 s in."""
    chan = f"offer-{name}"

    async def request(number: str) -> str:
        booked.append(number)
        return "requested"

    # The runner exists before the call: a key pressed early waits in its inbox.
    rig.runner = OfferRunner(rig.port, chan, OfferDialogue(caller, CHECK, DialogueSettings(retries=1)),
                             "en", request)
    await rig.port.originate(f"Local/sp-60-1.5-{keys}-400@sim-supervisor", chan, f"offer,{chan}", None, 10)
    async with asyncio.timeout(20):
        assert await rig.entered.get() == chan
    async with asyncio.timeout(90):
        return await rig.runner.run()


async def test_caller_id_confirmed_after_one_bad_key_is_booked_and_hung_up(rig: Rig) -> None:
    booked: list[str] = []
    done = await _offer(rig, "ok", "03012345", "171", booked)
    assert done == Done("requested", "+493012345") and booked == ["+493012345"]
    assert "sound:ccd/en/cb-invalid" in rig.started  # the bad key 7 got the retry prompt
    assert "sound:ccd/en/cb-confirmed" in rig.started


async def test_anonymous_caller_with_bad_numbers_gets_a_clear_end_in_line(rig: Rig) -> None:
    booked: list[str] = []
    done = await _offer(rig, "bad", None, "10900123#12#", booked)
    assert done == Done("invalid_number", None) and booked == []
    assert "sound:ccd/en/cb-enter-number" in rig.started
    assert rig.started.count("sound:ccd/en/cb-invalid") == 1
    assert rig.started[-1] == "sound:ccd/en/cb-sorry"
    await rig.port.hangup("offer-bad")  # still up: the caller stays in line
