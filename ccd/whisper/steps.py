"""Performing a supervision session's commands on Asterisk, one after another: ring the
supervisor, write the audit (durably before any audio), beep, attach / switch / tear down
the audio path (``ccd.whisper.media``), or tell the supervisor's phone why not."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from ccd import events as ev
from ccd.ari.client import AriClient
from ccd.ari.errors import AriError, AriNotFound
from ccd.whisper.core import session as ss
from ccd.whisper.core.session import Session
from ccd.whisper.media import AudioPaths

log = structlog.get_logger("ccd.whisper")

RING_TIMEOUT_S = 30


class AuditStore(Protocol):
    def submit(self, event: ev.DomainEvent) -> None: ...

    def durable(self, event: ev.DomainEvent) -> Awaitable[None]: ...


class SessionSteps:
    def __init__(self, rest: AriClient, store: AuditStore, record: Callable[[ev.DomainEvent, bool], None],
                 clock: Callable[[], float]) -> None:
        self.rest, self.store, self.record, self.clock = rest, store, record, clock
        self.media = AudioPaths(rest)
        self.answered_at: dict[str, float] = {}  # session id -> when the supervisor answered (epoch)
        self.answer_to_audio_ms: deque[float] = deque(maxlen=10_000)  # for the benchmark

    async def perform(self, s: Session, chan: str | None, commands: list[ss.Command],
                      forget: Callable[[Session], None]) -> None:
        """Run ``commands`` in order; a failed step ends the session (its end's commands run
        too); ``forget`` drops a session once it is torn down or rejected."""
        for cmd in commands:
            try:
                await self._one(s, chan, cmd)
            except Exception as exc:  # MediaFailed, AriError, a failed durable write...
                if isinstance(cmd, ss.Teardown):
                    raise
                log.warning("supervision step failed", session=s.id, step=type(cmd).__name__, error=str(exc))
                reason = "no_answer" if isinstance(cmd, ss.Ring) else \
                    "switch_failed" if isinstance(cmd, ss.Switch) else "failed"
                ending = s.end(self.clock(), reason)
                if ending:
                    await self.perform(s, chan, ending, forget)
                    return
                # already ending (its end's audit failed): the rest (the teardown) still runs
        if any(isinstance(c, ss.Teardown | ss.Reject) for c in commands):
            forget(s)

    async def _one(self, s: Session, chan: str | None, cmd: ss.Command) -> None:
        match cmd:
            case ss.Ring(endpoint):
                await self.rest.originate(endpoint, app_args=("supervise", "answered", s.id), channel_id=chan,
                                          timeout_s=RING_TIMEOUT_S, caller_id=f"ccd supervision <{s.agent}>")
            case ss.AuditDurable(event):
                await self.store.durable(event)  # before any audio reaches the supervisor
                self.record(event, True)
            case ss.Audit(event):
                self.record(event, False)
            case ss.Beep(agent_channel):
                await self.media.beep(agent_channel)
            case ss.Attach(mode, call):
                assert chan is not None
                await self.media.attach(s.id, chan, mode, call)
                started = self.answered_at.pop(s.id, None)
                if started is not None:
                    self.answer_to_audio_ms.append((time.time() - started) * 1000)
            case ss.Switch(previous, mode, call):
                assert chan is not None
                await self.media.switch(s.id, chan, previous, mode, call)
            case ss.Reject(reason):
                if chan is not None:
                    await self.tell(chan, reason)
            case ss.Teardown(hangup):
                await self.media.teardown(s.id, chan, hangup)

    async def tell(self, channel: str, result: str) -> None:
        """A short message in the dialplan (ccd-supervisor,result), then hang up."""
        try:
            await self.rest.set_variable(channel, "CCD_RESULT", result)
            await self.rest.continue_in_dialplan(channel, "ccd-supervisor", "result", 1)
        except AriError:
            await quietly(self.rest.hangup(channel))


async def quietly(aw: Awaitable[None]) -> None:
    """A best-effort cleanup request: a channel or bridge already gone is fine."""
    try:
        await aw
    except AriNotFound:
        pass  # the channel or bridge is already gone
    except AriError as exc:
        log.warning("supervision cleanup request failed", error_id=exc.error_id, error=str(exc))
