"""Events of the post-call survey and of call recordings."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.events import names as n
from ccd.events.base import DomainEvent, absent


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingResult(DomainEvent):
    type: str = field(default=n.RATING_RESULT, init=False)
    outcome: str  # rated | no_response | abandoned | not_offered
    score: int | None = None  # 1..5 iff rated
    caller: str | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(DomainEvent):
    type: str = field(default=n.RECORDING_STARTED, init=False)
    caller: str | None = None
    format: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished(DomainEvent):
    type: str = field(default=n.RECORDING_FINISHED, init=False)
    file: str
    format: str
    duration_s: float | None = None
    size: int
    sha256: str
    caller: str | None = None
    started_epoch: float
    started: str  # local ISO time, for file listings
    recovered: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFailed(DomainEvent):
    type: str = field(default=n.RECORDING_FAILED, init=False)
    reason: str
    stage: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingDeleted(DomainEvent):
    type: str = field(default=n.RECORDING_DELETED, init=False)
    file: str
    reason: str
    file_present: bool | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingAccessed(DomainEvent):
    type: str = field(default=n.RECORDING_ACCESSED, init=False)
    user: str
    role: str
    outcome: str
    via: str
    range: str | None = absent()
    remote: str | None = absent()
    target: str | None = absent()  # the CLI's copy destination
