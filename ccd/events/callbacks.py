"""Events of a callback request; ``call_id`` is the callback id."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.events import names as n
from ccd.events.base import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackEvent(DomainEvent):
    """What every callback event carries."""

    number: str
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested(CallbackEvent):
    type: str = field(default=n.CALLBACK_REQUESTED, init=False)
    priority: int
    enqueued_at: float
    wait_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackMerged(CallbackEvent):
    type: str = field(default=n.CALLBACK_MERGED, init=False)
    request: str  # the merged caller's callback id


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttempted(CallbackEvent):
    type: str = field(default=n.CALLBACK_ATTEMPTED, init=False)
    delivery: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRetry(CallbackEvent):
    type: str = field(default=n.CALLBACK_RETRY, init=False)
    reason: str
    next_try_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackConnected(CallbackEvent):
    type: str = field(default=n.CALLBACK_CONNECTED, init=False)
    wait_s: float
    time_to_callback_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackFailed(CallbackEvent):
    type: str = field(default=n.CALLBACK_FAILED, init=False)
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackExpired(CallbackEvent):
    type: str = field(default=n.CALLBACK_EXPIRED, init=False)
    reason: str  # closing | restart


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackCancelled(CallbackEvent):
    type: str = field(default=n.CALLBACK_CANCELLED, init=False)
    actor: str
