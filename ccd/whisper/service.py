"""The supervision shell: ARI events and domain events in, session transitions, commands out.

Transitions are applied at once, in event order (dispatcher task, bus subscriber, API handlers);
their commands run per session in order on a ``KeyedSerial`` (``ccd.whisper.steps`` performs
them), so a mode switch never overtakes the attach it follows. Audit: the session's start is
awaited as durable before the audio path is built, and a mode change before the switch (or,
before the call, before the API answers); a refused attempt (the ACL's no, a busy supervisor,
an agent on no call) is committed before the API answers or the phone hears "denied", and
never touches the agent's call. Every audited event names its actor (``session.SYSTEM`` when
ccd itself acted); a session belongs to the supervisor it was started for.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import structlog

from ccd import events as ev
from ccd.ari import events as ari
from ccd.ari.client import AriClient
from ccd.config import CcdConfig
from ccd.dispatch import Dispatcher
from ccd.ports import CallQuery
from ccd.serial import KeyedSerial
from ccd.snapshot import EngineSnapshot
from ccd.supervisor import Spawn, plain_spawn
from ccd.whisper.actors import asterisk_time, endpoint_actor
from ccd.whisper.core import session as ss
from ccd.whisper.core.acl import Directory
from ccd.whisper.core.session import SYSTEM, CallRef, Mode, Session, SessionError, Via
from ccd.whisper.errors import Refused
from ccd.whisper.media import SUP_BRIDGE_PREFIX
from ccd.whisper.steps import AuditStore, SessionSteps, quietly

log = structlog.get_logger("ccd.whisper")

SUP_CHANNEL_PREFIX = "ccd-sv-"
CALL_OVER = {ev.CALL_ENDED, ev.CALL_ABANDONED, ev.CALL_OVERFLOW}


class SupervisionService:
    """``calls`` answers "which call is this agent on?" (the ACD executor); ``on_mentoring``
    tells the ACD that an agent mentor is busy (or free again): the daemon combines it with the
    device state Asterisk reports (ccd.queues.core.agent_busy); ``store`` is the bus."""

    def __init__(self, cfg: CcdConfig, rest: AriClient, calls: CallQuery,
                 snapshot: Callable[[], EngineSnapshot], on_mentoring: Callable[[str, bool], None],
                 store: AuditStore, clock: Callable[[], float] = time.time, spawn: Spawn = plain_spawn) -> None:
        self.cfg, self.rest, self.calls = cfg, rest, calls
        self.snapshot, self.on_mentoring, self.store, self.clock = snapshot, on_mentoring, store, clock
        self.directory = Directory.from_config(cfg)
        self.steps = SessionSteps(rest, store, self._record, clock)
        self.media = self.steps.media
        self.serial = KeyedSerial(spawn, "supervision")
        self.sessions: dict[str, Session] = {}
        self.channel_of: dict[str, str] = {}  # session id -> supervisor channel id
        self.session_of: dict[str, str] = {}  # supervisor channel id -> session id
        self.channel_name: dict[str, str] = {}  # session id -> supervisor channel name (the actor)
        self.answered_at = self.steps.answered_at  # session id -> when the supervisor answered (epoch)
        self.answer_to_audio_ms = self.steps.answer_to_audio_ms  # for the benchmark
        sup = cfg.supervision
        self.dtmf_modes: dict[str, Mode] = {sup.dtmf_listen: "listen", sup.dtmf_whisper: "whisper",
                                            sup.dtmf_barge: "barge"}

    def subscribe(self, dispatcher: Dispatcher) -> None:
        dispatcher.subscribe(ari.StasisStart, self.on_stasis_start)
        dispatcher.subscribe(ari.StasisEnd, self.on_channel_gone)
        dispatcher.subscribe(ari.ChannelDestroyed, self.on_channel_gone)
        dispatcher.subscribe(ari.ChannelDtmfReceived, self.on_dtmf)
        dispatcher.subscribe(ari.Resync, self.on_resync)

    # -- queries --------------------------------------------------------------------------
    def live(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.state != "ended"]

    def locate(self, agent: str) -> CallRef | None:
        """The agent's answered, live queue call (the ACD executor answers)."""
        found = self.calls.agent_call(agent)
        return CallRef(found.call_id, found.queue, found.agent_channel, found.bridge_id) if found else None

    def busy(self, person: str) -> bool:
        return any(s.supervisor == person for s in self.live())

    # -- ARI events -----------------------------------------------------------------------
    def on_stasis_start(self, e: ari.StasisStart) -> None:
        args = [*e.args, "", "", "", ""]
        if args[0] != "supervise":
            return
        if args[1] == "snoop":
            self.media.snoop_started(e.channel.id)
        elif args[1] == "answered":
            self._answered(args[2], e.channel.id, asterisk_time(e.timestamp))
        else:
            self._feature_code(e.channel.id, e.channel.name, args[1], args[2], args[3], asterisk_time(e.timestamp))

    def on_channel_gone(self, e: ari.StasisEnd | ari.ChannelDestroyed) -> None:
        sid = self.session_of.get(e.channel.id)
        if sid is not None:
            self.session_of.pop(e.channel.id, None)
            s = self.sessions.get(sid)
            if s is not None:
                actor = SYSTEM if s.state == "ringing" else self._phone_of(s)
                self._apply(s, s.end(self.clock(), "no_answer" if s.state == "ringing" else "supervisor_hangup",
                                     actor))
            return
        for s in self.live():  # the agent leg went away: the call is over
            if s.call is not None and s.call.agent_channel == e.channel.id:
                self._apply(s, s.end(self.clock(), "call_ended"))

    def on_dtmf(self, e: ari.ChannelDtmfReceived) -> None:
        sid = self.session_of.get(e.channel.id)
        mode = self.dtmf_modes.get(e.digit)
        if sid is not None and mode is not None and sid in self.sessions:
            self.channel_name.setdefault(sid, e.channel.name)
            try:
                self.change_mode(sid, mode, self._phone_of(self.sessions[sid]))
            except SessionError as exc:  # a key pressed as the session ended
                log.debug("mode key ignored", session=sid, digit=e.digit, error=str(exc))

    async def on_resync(self, e: ari.Resync) -> None:
        """After a (re)connect: sessions whose supervisor vanished end; leftovers of sessions
        this process does not know (a crashed ccd) are removed."""
        present = {c.id for c in e.channels}
        for s in self.live():
            chan = self.channel_of.get(s.id)
            if chan is not None and chan not in present and s.state != "ringing":
                self._apply(s, s.end(self.clock(), "supervisor_hangup"))
        known = {self.channel_of.get(s.id) for s in self.live()} | set(self.media.snoops.values())
        for bridge in e.bridges:
            if bridge.id.startswith(SUP_BRIDGE_PREFIX) and bridge.id[len(SUP_BRIDGE_PREFIX):] not in self.sessions:
                for chan in bridge.channels:
                    await quietly(self.rest.hangup(chan))
                await quietly(self.rest.delete_bridge(bridge.id))
        for c in e.channels:
            if c.dialplan.app_data.split(",")[1:2] == ["supervise"] and c.id not in known:
                await quietly(self.rest.hangup(c.id))

    # -- domain events (a core sink) ------------------------------------------------------
    def on_domain_event(self, e: ev.DomainEvent) -> None:
        if e.type == ev.CALL_ANSWERED and e.agent_id:
            call = self.locate(e.agent_id)
            if call is None:
                return
            for s in self.live():
                if s.agent == e.agent_id and s.state == "waiting":
                    self._apply(s, s.call_answered(self.clock(), call))
            self._maybe_mentor(e.agent_id)
        elif e.type in CALL_OVER and e.call_id:
            for s in self.live():
                if (s.call is not None and s.call.call_id == e.call_id) or s.target_call == e.call_id:
                    self._apply(s, s.end(self.clock(), "call_ended"))

    # -- starting sessions ----------------------------------------------------------------
    def _feature_code(self, channel: str, name: str, mode: str, agent: str, explicit: str, at: float) -> None:
        supervisor = self.directory.supervisor_for_channel(name, explicit)
        actor = endpoint_actor(name)
        decision = self.directory.decide(supervisor, agent)
        reason = decision.reason if mode in ss.MODES else "bad_mode"
        if reason != "ok" or (supervisor is not None and self.busy(supervisor)):
            reason = "busy" if reason == "ok" else reason
            who = supervisor or f"unknown:{name.rsplit('-', 1)[0]}"
            denied = ss.denied_event(self.clock(), who, agent, reason, "feature_code", self._mode_or_none(mode),
                                     self.locate(agent), actor)
            log.warning("supervision refused", supervisor=supervisor, agent=agent, reason=reason, channel=name)
            self.serial.submit(channel, lambda: self._refuse_phone(channel, denied), "reject")
            return
        assert supervisor is not None
        s = self._new(supervisor, agent, "feature_code", self._mode_or_none(mode) or "listen", channel, actor)
        self.channel_name[s.id] = name
        self.answered_at[s.id] = at
        self._apply(s, s.answered(self.clock(), self.locate(agent), self.cfg.supervision.wait_for_call))

    async def start(self, supervisor: str, agent: str, mode: Mode, via: Via = "api", actor: str = SYSTEM) -> Session:
        """Ring the supervisor's phone; they join the agent's call on answer. Raises Refused,
        once the refusal is on record."""
        decision = self.directory.decide(supervisor, agent)
        refused = None if decision.allowed else Refused(decision.reason, True, supervisor, agent)
        if refused is None and self.busy(supervisor):
            refused = Refused("supervisor_busy", False, supervisor, agent)
        if refused is None and self.locate(agent) is None and not self.cfg.supervision.wait_for_call:
            refused = Refused("not_on_call", False, supervisor, agent)
        if refused is not None:
            await self.deny(supervisor, agent, refused.reason, via, mode, actor)
            raise refused
        return self._ring(supervisor, agent, mode, via, actor=actor)

    async def deny(self, supervisor: str, agent: str, reason: str, via: Via, mode: Mode | None,
                   actor: str = SYSTEM, session: str | None = None) -> None:
        """Record a refused attempt; returns once it is committed (or spooled)."""
        await self.store.durable(ss.denied_event(self.clock(), supervisor, agent, reason, via, mode,
                                                 self.locate(agent), actor, session))

    async def _refuse_phone(self, channel: str, denied: ev.DomainEvent) -> None:
        try:
            await self.store.durable(denied)  # on record before the phone hears why
        finally:
            await self.steps.tell(channel, "denied")

    def _ring(self, supervisor: str, agent: str, mode: Mode, via: Via, call_id: str | None = None,
              actor: str = SYSTEM) -> Session:
        endpoint = self.directory.endpoint_of(supervisor)
        assert endpoint is not None
        s = self._new(supervisor, agent, via, mode, None, actor)
        s.target_call = call_id
        self.channel_of[s.id] = f"{SUP_CHANNEL_PREFIX}{s.id}"
        self.session_of[self.channel_of[s.id]] = s.id
        if self._agent_mentor(s):  # an agent mentor takes no queue call meanwhile
            self.on_mentoring(supervisor, True)
        self._apply(s, s.ring(endpoint))
        return s

    def _maybe_mentor(self, trainee: str) -> None:
        mentor = self.directory.mentor_of(trainee)
        if mentor is None or self.busy(mentor) or self.directory.endpoint_of(mentor) is None:
            return
        if mentor in self.directory.agents:
            view = self.snapshot().agents.get(mentor)
            if view is None or view.state != "available" or view.device_in_use:
                return
        call = self.locate(trainee)
        self._ring(mentor, trainee, "listen", "training", call.call_id if call else None)

    def _answered(self, sid: str, channel: str, at: float) -> None:
        s = self.sessions.get(sid)
        if s is None or s.state != "ringing":
            self.serial.submit(channel, lambda: quietly(self.rest.hangup(channel)), "stray")
            return
        self.answered_at[sid] = at
        self._apply(s, s.answered(self.clock(), self.locate(s.agent), self.cfg.supervision.wait_for_call))

    # -- control --------------------------------------------------------------------------
    def change_mode(self, sid: str, mode: Mode, actor: str = SYSTEM) -> asyncio.Task[None] | None:
        """Switch (or, before the call, set) the mode. Returns the task performing it (the
        audit, then the switch): the API answers once it is done, the audit committed."""
        s = self.sessions[sid]
        return self._apply(s, s.switch(self.clock(), mode, actor))

    def stop(self, sid: str, actor: str = SYSTEM) -> Session:
        s = self.sessions[sid]
        if s.state == "ended":
            raise SessionError("the session has ended")
        self._apply(s, s.end(self.clock(), "stopped", actor))
        return s

    async def close(self, budget: float = 1.5) -> None:
        """Shutdown: end every session (snoops, private bridges and supervisor legs go)."""
        for s in self.live():
            self._apply(s, s.end(self.clock(), "shutdown"))
        await self.serial.drain(budget)
        await self.serial.close()

    # -- performing commands --------------------------------------------------------------
    def _new(self, supervisor: str, agent: str, via: Via, mode: Mode, channel: str | None,
             actor: str = SYSTEM) -> Session:
        s = Session(uuid.uuid4().hex[:16], supervisor, agent, via, mode, beep=self.directory.beep_for(agent),
                    started_by=actor)
        self.sessions[s.id] = s
        if channel is not None:
            self.channel_of[s.id], self.session_of[channel] = channel, s.id
        return s

    def _apply(self, s: Session, commands: list[ss.Command]) -> asyncio.Task[None] | None:
        if not commands:
            return None
        # The channel is captured now: a session ending meanwhile must still hang it up.
        chan = self.channel_of.get(s.id)
        return self.serial.submit(s.id, lambda: self.steps.perform(s, chan, commands, self._forget), "supervise")

    def _forget(self, s: Session) -> None:
        chan = self.channel_of.pop(s.id, None)
        self.session_of.pop(chan or "", None)
        self.answered_at.pop(s.id, None)
        self.channel_name.pop(s.id, None)
        self.sessions.pop(s.id, None)
        if self._agent_mentor(s):
            self.on_mentoring(s.supervisor, False)

    def _phone_of(self, s: Session) -> str:
        """The actor for what the supervisor's own phone did (a key, a hang-up)."""
        name = self.channel_name.get(s.id)
        if name is not None:
            return endpoint_actor(name)
        endpoint = self.directory.endpoint_of(s.supervisor)
        return f"endpoint:{endpoint}" if endpoint else f"supervisor:{s.supervisor}"

    def _agent_mentor(self, s: Session) -> bool:
        return s.via == "training" and s.supervisor not in self.directory.supervisors \
            and s.supervisor in self.directory.agents

    def _record(self, event: ev.DomainEvent, stored: bool = False) -> None:
        if not stored:  # durable() already published it to everyone
            self.store.submit(event)

    @staticmethod
    def _mode_or_none(mode: str) -> Mode | None:
        return next((m for m in ss.MODES if m == mode), None)
