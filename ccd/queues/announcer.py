"""Plays the periodic queue announcements (ccd.queues.core.announce decides) to waiting callers.

A file played to a channel in a bridge holds that channel until the file ends: Asterisk would
not move the caller to the agent (or send it to the overflow target) meanwhile. So before
either, the executor awaits ``silence(call_id)``, which stops what is playing; it costs nothing
for a caller who hears no announcement.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry, Counter

from ccd import events as ev
from ccd.ports import AriPort, AsteriskFailed, ChannelGone
from ccd.prompts import sound_uri
from ccd.queues.core.announce import Announcement, AnnounceSettings, HoldTime, due
from ccd.snapshot import EngineSnapshot
from ccd.tasks import cancel_and_wait

log = structlog.get_logger("ccd.announce")

TICK_S = 1.0
STOP_WAIT_S = 1.0
ENDED = (ev.CALL_ANSWERED, ev.CALL_ABANDONED, ev.CALL_ENDED, ev.CALL_OVERFLOW)


@dataclass(slots=True)
class _Playing:
    playback_id: str
    request: asyncio.Task[None]
    finished: bool = False


class QueueAnnouncer:
    def __init__(self, ari: AriPort, snapshot: Callable[[], EngineSnapshot],
                 settings: dict[str, AnnounceSettings], languages: dict[str, str],
                 registry: CollectorRegistry | None = None) -> None:
        self.ari = ari
        self.snapshot = snapshot
        self.settings = {q: s for q, s in settings.items() if s.frequency_s > 0}
        self.languages = languages
        self.hold = {q: HoldTime() for q in self.settings}
        self.periods: dict[str, int] = {}  # call id -> last period announced
        self.playing: dict[str, _Playing] = {}  # call id -> its latest announcement
        self.call_of: dict[str, str] = {}  # playback id -> call id
        self.silenced: set[str] = set()  # calls being connected or sent on: no new announcement
        self.played = Counter("ccd_queue_announcements_total", "Position / expected-wait announcements started",
                              ["queue"], registry=registry)

    @property
    def enabled(self) -> bool:
        return bool(self.settings)

    # -- inputs ---------------------------------------------------------------------------
    def on_event(self, e: ev.DomainEvent) -> None:
        if isinstance(e, ev.CallAnswered) and e.queue in self.hold:
            self.hold[e.queue].answered(e.wait_s)
        if e.type == ev.CALL_OFFER_FAILED and e.call_id:
            self.silenced.discard(e.call_id)  # back to waiting (e.g. the agent's leg failed at connect)
        if e.type in ENDED and e.call_id:
            self.periods.pop(e.call_id, None)
            if e.type != ev.CALL_ANSWERED:  # an answered call is silenced by the executor
                self.silenced.discard(e.call_id)
                self._drop(e.call_id)

    def playback_finished(self, playback_id: str) -> None:
        call_id = self.call_of.pop(playback_id, None)
        current = self.playing.get(call_id or "")
        if current is not None and current.playback_id == playback_id:
            current.finished = True

    def _drop(self, call_id: str) -> _Playing | None:
        current = self.playing.pop(call_id, None)
        if current is not None:
            self.call_of.pop(current.playback_id, None)
        return current

    # -- the loop -------------------------------------------------------------------------
    async def run(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.tick()
            except Exception:  # one bad tick must not end the announcements
                log.exception("announcement tick failed")

    def tick(self) -> list[Announcement]:
        if not self.settings:
            return []
        snap = self.snapshot()
        started: list[Announcement] = []
        for queue, settings in self.settings.items():
            view = snap.queues.get(queue)
            if view is None:
                continue
            for a in due(view, settings, self.periods, self.hold[queue].value):
                self.periods[a.call_id] = a.period
                if a.call_id in self.silenced or self._still_playing(a.call_id):
                    continue
                self._start(a)
                started.append(a)
        return started

    def _still_playing(self, call_id: str) -> bool:
        current = self.playing.get(call_id)
        return current is not None and not current.finished

    def _start(self, a: Announcement) -> None:
        language = self.languages.get(a.queue, "en")
        media = [sound_uri(language, name) for name in a.prompts]
        playback_id = f"ccd-ann-{a.call_id}-{a.period}"

        async def play() -> None:
            try:
                await self.ari.play(a.call_id, media, playback_id)
            except ChannelGone:
                self.playback_finished(playback_id)
            except AsteriskFailed as exc:
                self.playback_finished(playback_id)
                log.warning("announcement not played", call_id=a.call_id, error=str(exc))

        task = asyncio.get_running_loop().create_task(play(), name=f"ccd:announce:{a.call_id}")
        self._drop(a.call_id)
        self.playing[a.call_id] = _Playing(playback_id, task)
        self.call_of[playback_id] = a.call_id
        self.played.labels(a.queue).inc()
        log.debug("announcing", call_id=a.call_id, queue=a.queue, position=a.position,
                  expected_wait_s=a.expected_wait_s)

    # -- before the caller moves --------------------------------------------------------
    async def silence(self, call_id: str) -> None:
        """Stop the caller's announcement (if any) and start no new one."""
        self.silenced.add(call_id)
        current = self._drop(call_id)
        if current is None:
            return
        started = time.monotonic()
        # The stop must reach Asterisk after the play it stops.
        await asyncio.wait([current.request], timeout=STOP_WAIT_S)
        if current.finished:
            return
        with contextlib.suppress(ChannelGone, AsteriskFailed):
            await self.ari.stop_playback(current.playback_id)
        log.debug("announcement stopped", call_id=call_id, ms=round((time.monotonic() - started) * 1000, 1))

    async def close(self) -> None:
        await asyncio.gather(*(cancel_and_wait(p.request) for p in list(self.playing.values())))
