"""The ARI shell of one caller's callback offer: performs an :class:`OfferDialogue`'s actions
on the caller's channel and feeds it the caller's keys, playback ends, hang-up and its timer.

``request(number)`` books the callback (the callback service, with the call's place) and
returns the book's answer, which the dialogue turns into the closing prompt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

import structlog

from ccd.callbacks.ari_attempt import Seen
from ccd.callbacks.core.offer import Action, Done, Hangup, OfferDialogue, Play, Request, StopPlayback
from ccd.ports import AriPort, AsteriskFailed, ChannelGone
from ccd.prompts import sound_uri

log = structlog.get_logger("ccd.callbacks")


class OfferRunner:
    def __init__(self, ari: AriPort, channel_id: str, dialogue: OfferDialogue, language: str,
                 request: Callable[[str], Awaitable[str]], clock: Callable[[], float] = time.time) -> None:
        self.ari, self.channel_id, self.dialogue = ari, channel_id, dialogue
        self.language, self.request, self.clock = language, request, clock
        self.inbox: asyncio.Queue[Seen] = asyncio.Queue()
        self.tags: dict[str, str] = {}  # playback id -> the dialogue's tag

    def feed(self, seen: Seen) -> None:
        if seen.channel_id == self.channel_id or seen.data in self.tags:
            self.inbox.put_nowait(seen)

    async def run(self) -> Done:
        d = self.dialogue
        done = await self._perform(d.start(self.clock()))
        while done is None:
            deadline = d.next_deadline()
            timeout = None if deadline is None else max(0.0, deadline - self.clock())
            try:
                seen = await asyncio.wait_for(self.inbox.get(), timeout)
            except TimeoutError:
                done = await self._perform(d.on_timer(self.clock()))
                continue
            now = self.clock()
            if seen.kind == "cancel":
                acts = d.on_preempted(now)
            elif seen.kind == "dtmf":
                acts = d.on_dtmf(seen.data, now)
            elif seen.kind == "playback_finished":
                acts = d.on_playback_finished(self.tags.get(seen.data, ""), now)
            else:
                acts = d.on_hangup(now)
            done = await self._perform(acts)
        return done

    async def _perform(self, actions: Sequence[Action]) -> Done | None:
        queue = list(actions)
        while queue:
            act = queue.pop(0)
            if isinstance(act, Done):
                return act
            try:
                if isinstance(act, Play):
                    pb = f"{self.channel_id}-{act.tag}"
                    self.tags[pb] = act.tag
                    await self.ari.play(self.channel_id, [sound_uri(self.language, s) for s in act.sounds], pb)
                elif isinstance(act, StopPlayback):
                    await self.ari.stop_playback(f"{self.channel_id}-{act.tag}")
                elif isinstance(act, Request):
                    result = await self.request(act.number)
                    queue[:0] = self.dialogue.on_request_result(result, self.clock())
                elif isinstance(act, Hangup):
                    await self.ari.hangup(self.channel_id)
            except ChannelGone:
                pass  # the hang-up event follows and ends the dialogue
            except AsteriskFailed as exc:
                log.warning("callback offer action failed", action=repr(act), error=str(exc))
        return None
