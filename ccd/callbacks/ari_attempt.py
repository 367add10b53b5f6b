"""The ARI shell of one callback attempt: performs an :class:`Attempt`'s actions on Asterisk
and feeds it what Asterisk reports about the attempt's channels, with its one timer.

Channels are originated into the Stasis app with the args ``callback,<channel id>``, so the
ACD's StasisStart handler can tell them from callers; an originated channel enters Stasis
when it answers, which is the "answered" input. The customer's endpoint comes from the
queue's dial template (``{number}`` = the number without ``+``, ``{e164}`` = with it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from ccd.callbacks.core.attempt import Attempt, Bridge, HangupChannel, Originate, PlayTo, Result
from ccd.ports import AriPort, AsteriskFailed, ChannelGone
from ccd.prompts import sound_uri

log = structlog.get_logger("ccd.callbacks")
APP_ARG = "callback"


@dataclass(frozen=True, slots=True)
class Seen:
    """What Asterisk reported: answered | playback_finished | dtmf | hangup (or ccd itself:
    cancel, an agent is being offered the caller)."""

    kind: str
    channel_id: str
    data: str = ""


def customer_endpoint(template: str, number: str) -> str:
    return template.format(number=number.lstrip("+"), e164=number)


class AttemptRunner:
    def __init__(self, ari: AriPort, attempt: Attempt, language: str, dial_template: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.ari, self.attempt, self.language = ari, attempt, language
        self.dial_template, self.clock = dial_template, clock
        self.inbox: asyncio.Queue[Seen] = asyncio.Queue()
        self.channels = {attempt.agent_chan, attempt.customer_chan}
        self.bridge_id = f"ccd-{attempt.customer_chan}"
        self.refused: set[str] = set()  # channels Asterisk would not originate (its fault)

    def feed(self, seen: Seen) -> None:
        """From the event dispatcher; events of other channels are not this attempt's."""
        if seen.channel_id in self.channels or seen.kind == "playback_finished":
            self.inbox.put_nowait(seen)

    async def run(self) -> Result:
        a = self.attempt
        result = await self._perform(a.start(self.clock()))
        while result is None:
            deadline = a.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self.clock())
            try:
                seen = await asyncio.wait_for(self.inbox.get(), timeout)
            except TimeoutError:
                result = await self._perform(a.on_timer(self.clock()))
                continue
            now = self.clock()
            if seen.kind == "answered":
                acts = a.on_answered(seen.channel_id, now)
            elif seen.kind == "playback_finished":
                acts = a.on_playback_finished(seen.data, now)
            elif seen.kind == "dtmf":
                acts = a.on_dtmf(seen.channel_id, seen.data, now)
            else:
                acts = a.on_hangup(seen.channel_id, now)
            result = await self._perform(acts)
        return result

    async def _perform(self, actions: Sequence[object]) -> Result | None:
        for act in actions:
            try:
                if isinstance(act, Originate):
                    endpoint = act.endpoint if act.channel_id == self.attempt.agent_chan else \
                        customer_endpoint(self.dial_template, act.endpoint)
                    await self.ari.originate(endpoint, act.channel_id, f"{APP_ARG},{act.channel_id}",
                                             act.caller_id, max(1, int(act.timeout)))
                elif isinstance(act, PlayTo):
                    media = [sound_uri(self.language, s) for s in act.play.sounds]
                    await self.ari.play(act.channel_id, media, act.play.tag)
                elif isinstance(act, Bridge):
                    await self.ari.create_bridge(self.bridge_id, "mixing")
                    await self.ari.add_to_bridge(self.bridge_id, *act.channels)
                elif isinstance(act, HangupChannel):
                    await self.ari.hangup(act.channel_id)
                elif isinstance(act, Result):
                    return act
            except ChannelGone:
                pass  # its hang-up event is on the way and decides
            except AsteriskFailed as exc:
                log.warning("callback action failed", action=repr(act), error=str(exc))
                gone = act.channel_id if isinstance(act, Originate | PlayTo) else None
                if isinstance(act, Originate):
                    self.refused.add(act.channel_id)
                if gone is not None:
                    self.inbox.put_nowait(Seen("hangup", gone))
        return None
