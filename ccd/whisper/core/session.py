"""The supervision session state machine (pure: no I/O, no clock; time comes in as ``now``).

    requested ──ring()──► ringing ──answered()──► active(mode) ──end()──► ended
        │                    │            └──► waiting (agent not on a call, wait_for_call)
        └──answered()────────┘                    └──call_answered()──► active(mode)

Every transition returns commands as data; the shell (``service``) performs them in order.
The start of a session yields ``AuditDurable`` *before* ``Attach``: the audit row must be
committed before any audio reaches the supervisor; a mode change likewise before ``Switch``,
and also while ringing or waiting for a call (no audio yet, but a person asked for it). A
session with anything on record ends on record; a failed switch's end is committed durably.
Every audited event names its ``actor``: who caused it (``token:<name>`` for the API,
``endpoint:<channel>`` for a phone, ``ccd`` for the daemon itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ccd import events as ev
from ccd.errors import CcdError

Mode = Literal["listen", "whisper", "barge"]
Via = Literal["feature_code", "api", "training"]
State = Literal["requested", "ringing", "waiting", "active", "ended"]
MODES: tuple[Mode, ...] = ("listen", "whisper", "barge")
SYSTEM: str = "ccd"  # the actor of what no person asked for (a call ending, shutdown)


@dataclass(frozen=True, slots=True)
class CallRef:
    """The agent's live call as the shell sees it."""

    call_id: str
    queue: str
    agent_channel: str  # the agent leg (the channel that is snooped)
    call_bridge: str  # the call's mixing bridge (barge joins it)


# -- commands -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Ring:
    """Originate the supervisor's phone; on answer it enters Stasis for this session."""

    endpoint: str


@dataclass(frozen=True, slots=True)
class AuditDurable:
    """Write the event and wait until it is durable before the next command."""

    event: ev.DomainEvent


@dataclass(frozen=True, slots=True)
class Audit:
    event: ev.DomainEvent


@dataclass(frozen=True, slots=True)
class Beep:
    agent_channel: str


@dataclass(frozen=True, slots=True)
class Attach:
    """Build the first audio path in ``mode``."""

    mode: Mode
    call: CallRef


@dataclass(frozen=True, slots=True)
class Switch:
    previous: Mode
    mode: Mode
    call: CallRef


@dataclass(frozen=True, slots=True)
class Reject:
    """Tell the supervisor why (a short message), then hang up."""

    reason: str


@dataclass(frozen=True, slots=True)
class Teardown:
    """Remove the snoop and the private bridge; hang up the supervisor unless gone."""

    hangup_supervisor: bool


Command = Ring | AuditDurable | Audit | Beep | Attach | Switch | Reject | Teardown


class SessionError(CcdError):
    """An operation that makes no sense in the session's state (the API maps it to 409)."""

    error_id = "supervision.invalid_state"
    status = 409


@dataclass
class Session:
    id: str
    supervisor: str
    agent: str
    via: Via
    mode: Mode  # the mode in force (active) or to use when it becomes active
    beep: bool = False
    state: State = "requested"
    call: CallRef | None = None
    started_at: float | None = None
    end_reason: str | None = None
    target_call: str | None = None  # a training ring is for this call only
    started_by: str = SYSTEM  # the actor who asked for the session
    recorded: int = 0  # events recorded so far: a part of each event's id

    # -- transitions ----------------------------------------------------------------------
    def ring(self, endpoint: str) -> list[Command]:
        self._expect("requested")
        self.state = "ringing"
        return [Ring(endpoint)]

    def answered(self, now: float, call: CallRef | None, wait_for_call: bool) -> list[Command]:
        """The supervisor's channel is up and in Stasis."""
        self._expect("requested", "ringing")
        if call is not None:
            return self._activate(now, call)
        if wait_for_call:
            self.state = "waiting"
            return []
        self.state, self.end_reason = "ended", "not_on_call"
        return [Reject("not_on_call"), *self._ended_audit(now, "not_on_call", SYSTEM)]

    def call_answered(self, now: float, call: CallRef) -> list[Command]:
        """The agent answered a call while this session was waiting for one."""
        if self.state != "waiting":
            return []
        return self._activate(now, call)

    def switch(self, now: float, mode: Mode, actor: str = SYSTEM) -> list[Command]:
        """Durably audited before the audio path changes (a failed switch stays on record).
        Before the call (ringing, waiting) the mode is used when the session becomes active:
        audited all the same, without a call."""
        if self.state == "ended":
            raise SessionError("the session has ended")
        if mode == self.mode:
            return []
        previous, self.mode = self.mode, mode
        audit = AuditDurable(self._event(ev.SUPERVISION_MODE, now, mode=mode, previous=previous, actor=actor))
        if self.state != "active" or self.call is None:
            return [audit]
        return [audit, Switch(previous, mode, self.call)]

    def end(self, now: float, reason: str, actor: str = SYSTEM) -> list[Command]:
        """End for ``reason``: supervisor_hangup, call_ended, stopped, failed, switch_failed, ..."""
        if self.state == "ended":
            return []
        self.state, self.end_reason = "ended", reason
        return [Teardown(hangup_supervisor=reason not in ("supervisor_hangup", "no_answer")),
                *self._ended_audit(now, reason, actor)]

    # -- helpers --------------------------------------------------------------------------
    def _activate(self, now: float, call: CallRef) -> list[Command]:
        self.state, self.call, self.started_at = "active", call, now
        started = self._event(ev.SUPERVISION_STARTED, now, mode=self.mode, via=self.via, actor=self.started_by)
        out: list[Command] = [AuditDurable(started)]
        if self.beep:
            out.append(Beep(call.agent_channel))
        out.append(Attach(self.mode, call))
        return out

    def _ended_audit(self, now: float, reason: str, actor: str) -> list[Command]:
        """The end, if anything of this session is on record (its start, a mode asked for
        before the call); durable when a switch failed (the API's caller is waiting for it)."""
        if not self.recorded:
            return []
        duration = {} if self.started_at is None else {"duration_s": round(max(0.0, now - self.started_at), 3)}
        event = self._event(ev.SUPERVISION_ENDED, now, mode=self.mode, reason=reason, actor=actor, **duration)
        return [AuditDurable(event) if reason == "switch_failed" else Audit(event)]

    def _expect(self, *states: State) -> None:
        if self.state not in states:
            raise SessionError(f"session is {self.state}, expected {' or '.join(states)}")

    def _event(self, type_: str, now: float, **payload: object) -> ev.DomainEvent:
        call = self.call
        self.recorded += 1
        return ev.build(type_, ev.utc(now), event_id=ev.derived_id(type_, self.id, now, self.recorded),
                        call_id=call.call_id if call else None, agent_id=self.agent,
                        queue=call.queue if call else None, supervisor=self.supervisor,
                        session=self.id, **payload)

    def view(self, now: float) -> dict[str, object]:
        """What the API lists."""
        return {"session_id": self.id, "supervisor": self.supervisor, "agent_id": self.agent,
                "via": self.via, "started_by": self.started_by, "state": self.state, "mode": self.mode,
                "call_id": self.call.call_id if self.call else None,
                "queue": self.call.queue if self.call else None,
                "duration_s": round(now - self.started_at, 3) if self.started_at is not None else None}


def denied_event(now: float, supervisor: str, agent: str, reason: str, via: Via,
                 mode: Mode | None = None, call: CallRef | None = None, actor: str = SYSTEM,
                 session: str | None = None) -> ev.DomainEvent:
    return ev.SupervisionDenied(ts=ev.utc(now), event_id=ev.derived_id(ev.SUPERVISION_DENIED, supervisor, agent, via,
                                                                       reason, now, session),
                                call_id=call.call_id if call else None, agent_id=agent,
                                queue=call.queue if call else None, supervisor=supervisor, reason=reason,
                                via=via, mode=mode, actor=actor, session=session)
