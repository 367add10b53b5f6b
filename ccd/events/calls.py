"""Events of a queued call's life, recorded by the ACD engine (and, with ``via``, imported
from the native Queue() fallback's log)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.events import names as n
from ccd.events.base import DomainEvent, absent


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued(DomainEvent):
    type: str = field(default=n.CALL_QUEUED, init=False)
    caller: str | None = None
    priority: int = 0
    sticky_agent: str | None = None
    via: str | None = absent()  # "fallback" when read from the native queue's log


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered(DomainEvent):
    type: str = field(default=n.CALL_OFFERED, init=False)
    attempt: int
    sticky: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOfferFailed(DomainEvent):
    type: str = field(default=n.CALL_OFFER_FAILED, init=False)
    reason: str  # no_answer | busy | failed
    attempt: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAnswered(DomainEvent):
    type: str = field(default=n.CALL_ANSWERED, init=False)
    wait_s: float
    sticky: bool = False
    via: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned(DomainEvent):
    type: str = field(default=n.CALL_ABANDONED, init=False)
    wait_s: float
    position: int | None = None  # 1 = head of the queue
    via: str | None = absent()
    callback: str | None = absent()  # the booked callback's id: the caller left the line with it


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOverflow(DomainEvent):
    type: str = field(default=n.CALL_OVERFLOW, init=False)
    wait_s: float
    target: str | None = None
    reason: str = "max_wait"
    via: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(DomainEvent):
    type: str = field(default=n.CALL_ENDED, init=False)
    talk_s: float
    ended_by: str | None = None  # caller | agent | system
    via: str | None = absent()


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFallback(DomainEvent):
    type: str = field(default=n.CALL_FALLBACK, init=False)
    outcome: str | None = None  # answered | abandoned | timeout | overflow
    via: str | None = absent()
