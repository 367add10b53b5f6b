"""Plays the periodic queue announcements (ccd.queues.core.announce decides) to waiting callers.

A file played to a channel in a bridge holds that channel until the file ends: Asterisk would
not move the caller to the agent (or send it to the overflow target) meanwhile. So before
either, the executor awaits ``silence(call_id)``, which stops what is playing; it costs nothing
for a caller who hears no announcement.

The announcer is a client of the daemon's one timer: ``next_deadline`` is the moment the next
caller's announcement period begins (from the engine's snapshot, refreshed after each round
and moved earlier by a call that queues or comes back from a failed offer), ``on_deadline``
plays what is due. Each play is a job of the supervisor's, kept until it ends or is cancelled.
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
from ccd.acd.hold_time import HoldTime
from ccd.ports import AriPort, AsteriskFailed, ChannelGone
from ccd.prompts import sound_uri
from ccd.queues.core.announce import Announcement, AnnounceSettings, due, next_due_in
from ccd.snapshot import EngineSnapshot
from ccd.supervisor import Spawn, plain_spawn
from ccd.tasks import cancel_and_wait

log = structlog.get_logger("ccd.announce")

STOP_WAIT_S = 1.0
RETRY_S = 1.0
ENDED = (ev.CALL_ANSWERED, ev.CALL_ABANDONED, ev.CALL_ENDED, ev.CALL_OVERFLOW)


@dataclass(slots=True)
class _Playing:
    playback_id: str
    request: asyncio.Task[None]
    finished: bool = False


class QueueAnnouncer:
    def __init__(self, ari: AriPort, snapshot: Callable[[], EngineSnapshot],
                 settings: dict[str, AnnounceSettings], languages: dict[str, str],
                 registry: CollectorRegistry | None = None, *, spawn: Spawn = plain_spawn,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.ari = ari
        self.spawn, self.wake = spawn, wake
        self._next: float | None = None  # the timer's deadline (snapshot clock)
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
        if isinstance(e, ev.CallQueued) and e.queue in self.settings:
            self._earlier(e.ts.timestamp() + self.settings[e.queue].frequency_s)
        if e.type == ev.CALL_OFFER_FAILED and e.call_id:
            self.silenced.discard(e.call_id)  # back to waiting (e.g. the agent's leg failed at connect)
            if e.queue in self.settings:
                self._earlier(e.ts.timestamp())  # a period it missed while ringing: now
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

    # -- the timer ------------------------------------------------------------------------
    def _earlier(self, at: float) -> None:
        if self._next is None or at < self._next:
            self._next = at
            self.wake()

    def next_deadline(self) -> float | None:
        return self._next

    def on_deadline(self, now: float) -> None:
        self._next = None  # set again by tick() from the snapshot
        try:
            self.tick()
        except Exception:  # one bad round must not end the announcements: retry in a second
            log.exception("announcement round failed")
            self._earlier(now + RETRY_S)

    def tick(self) -> list[Announcement]:
        """Start what is due now and note when the next period begins."""
        if not self.settings:
            return []
        snap = self.snapshot()
        for queue, settings in self.settings.items():
            view = snap.queues.get(queue)
            wait = next_due_in(view, settings) if view is not None else None
            if wait is not None:
                self._earlier(snap.now + wait)
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

        task = self.spawn(f"ccd:announce:{a.call_id}", play(), kind="announcement")
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
