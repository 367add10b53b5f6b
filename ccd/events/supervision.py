"""Supervision (listen / whisper / barge) audit events, and the console's alert acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.events import names as n
from ccd.events.base import DomainEvent, absent


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisionStarted(DomainEvent):
    type: str = field(default=n.SUPERVISION_STARTED, init=False)
    supervisor: str
    mode: str
    session: str | None = absent()  # every session ccd runs has one; imported rows may not
    via: str | None = absent()
    actor: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisionModeChanged(DomainEvent):
    type: str = field(default=n.SUPERVISION_MODE, init=False)
    supervisor: str
    mode: str
    previous: str | None = absent()
    session: str | None = absent()
    actor: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisionEnded(DomainEvent):
    type: str = field(default=n.SUPERVISION_ENDED, init=False)
    supervisor: str
    mode: str
    reason: str | None = absent()
    duration_s: float | None = absent()
    session: str | None = absent()
    actor: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class SupervisionDenied(DomainEvent):
    type: str = field(default=n.SUPERVISION_DENIED, init=False)
    supervisor: str
    reason: str
    via: str | None = absent()
    mode: str | None = None
    actor: str = "ccd"
    session: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertAcknowledged(DomainEvent):
    type: str = field(default=n.ALERT_ACKED, init=False)
    alert: str
    actor: str
    quiet_s: float
