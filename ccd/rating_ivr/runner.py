"""Drives post-call surveys on Asterisk: the shell around the pure ``Survey``.

The executor hands over a caller whose agent hung up first; the survey starts only once the
caller has left the call's bridge (a prompt played earlier can be lost, see ASTERISK.md).
Playback ids map back to survey tags; the daemon's one timer serves every survey's
deadline (``next_deadline`` / ``on_deadline``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from ccd.events import DomainEvent
from ccd.ports import AriPort, ChannelGone
from ccd.rating_ivr.core.actions import Action, Done, Hangup, Play, StopPlayback, not_offered
from ccd.rating_ivr.core.settings import SurveySettings
from ccd.rating_ivr.core.survey import Survey
from ccd.serial import KeyedSerial
from ccd.supervisor import Spawn, plain_spawn

log = structlog.get_logger("ccd.rating")


@dataclass
class Pending:
    survey: Survey
    started: bool = False
    playbacks: dict[str, str] = field(default_factory=dict)  # playback id -> tag


class SurveyRunner:
    def __init__(
        self,
        ari: AriPort,
        settings: dict[str, SurveySettings],  # per queue; only enabled queues
        record: Callable[[DomainEvent], None],
        clock: Callable[[], float] = time.time,
        *,
        wake: Callable[[], None] = lambda: None,
        spawn: Spawn = plain_spawn,
    ) -> None:
        self.ari = ari
        self.settings = settings
        self.record = record
        self.clock = clock
        self.surveys: dict[str, Pending] = {}  # by caller channel id
        self.by_playback: dict[str, str] = {}  # playback id -> caller channel id
        self.wake = wake
        self.serial = KeyedSerial(spawn, "survey")

    def wants(self, queue: str) -> bool:
        return queue in self.settings

    # -- entry points (called by the executor and the event adapter) ---------------------
    def offer(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> bool:
        """The agent hung up first: keep the caller for a survey if the queue rates calls."""
        settings = self.settings.get(queue)
        if settings is None:
            return False
        self.surveys[call_id] = Pending(Survey(call_id, agent_id or "", queue, caller, settings))
        return True

    def caller_hung_up_first(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> None:
        if queue in self.settings:
            self.record(not_offered(call_id, agent_id, queue, caller, self.clock()).to_event())

    def left_bridge(self, channel_id: str) -> None:
        pending = self.surveys.get(channel_id)
        if pending is not None and not pending.started:
            pending.started = True
            self._apply(channel_id, pending.survey.start(self.clock()))

    def dtmf(self, channel_id: str, digit: str) -> None:
        pending = self.surveys.get(channel_id)
        if pending is not None and pending.started:
            self._apply(channel_id, pending.survey.on_dtmf(digit, self.clock()))

    def playback_finished(self, playback_id: str) -> None:
        channel_id = self.by_playback.pop(playback_id, None)
        pending = self.surveys.get(channel_id) if channel_id else None
        if pending is None or channel_id is None:
            return
        tag = pending.playbacks.pop(playback_id, None)
        if tag is not None:
            self._apply(channel_id, pending.survey.on_playback_finished(tag, self.clock()))

    def hung_up(self, channel_id: str) -> None:
        pending = self.surveys.get(channel_id)
        if pending is not None:
            self._apply(channel_id, pending.survey.on_hangup(self.clock()))

    # -- the timer (the daemon's one Timer calls these) ---------------------------------
    def next_deadline(self) -> float | None:
        deadlines = [d for p in self.surveys.values() if (d := p.survey.next_deadline()) is not None]
        return min(deadlines) if deadlines else None

    def on_deadline(self, now: float) -> None:
        for channel_id, pending in list(self.surveys.items()):
            deadline = pending.survey.next_deadline()
            if deadline is not None and deadline <= now:
                self._apply(channel_id, pending.survey.on_timer(now))

    # -- performing actions ---------------------------------------------------------------
    def _apply(self, channel_id: str, actions: list[Action]) -> None:
        self.wake()  # a survey's deadline may have moved
        for action in actions:
            if isinstance(action, Done):
                self.record(action.result.to_event())
                pending = self.surveys.pop(channel_id, None)
                for pb in pending.playbacks if pending else ():
                    self.by_playback.pop(pb, None)
            else:
                self._perform(channel_id, action)

    def _perform(self, channel_id: str, action: Play | StopPlayback | Hangup) -> None:
        pending = self.surveys.get(channel_id)

        async def run() -> None:
            try:
                if isinstance(action, Play):
                    pb = f"ccd-rate-{channel_id}-{action.tag}"
                    if pending is not None:
                        pending.playbacks[pb] = action.tag
                    self.by_playback[pb] = channel_id
                    await self.ari.play(channel_id, action.sounds, pb)
                elif isinstance(action, StopPlayback):
                    await self.ari.stop_playback(f"ccd-rate-{channel_id}-{action.tag}")
                else:
                    await self.ari.hangup(channel_id)
            except ChannelGone:
                pass  # the caller hung up meanwhile; their hang-up event ends the survey

        self.serial.submit(channel_id, run, type(action).__name__)

    async def close(self) -> None:
        await self.serial.close()
