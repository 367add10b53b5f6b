"""The typed domain events every part of ccd speaks.

Contract (DESIGN.md): every event has ``event_id`` (unique idempotency key), ``ts`` (UTC),
``type``, ``call_id`` and/or ``agent_id``, ``queue`` and a JSON payload. The core creates
them, the store appends them to PostgreSQL, metrics and the API read them.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

# Every event type ccd writes. The store dead-letters any other type.
CALL_QUEUED: Final = "call.queued"  # payload: caller, priority, sticky_agent
CALL_OFFERED: Final = "call.offered"  # payload: attempt, sticky
CALL_OFFER_FAILED: Final = "call.offer_failed"  # payload: reason (no_answer|busy|failed)
CALL_ANSWERED: Final = "call.answered"  # payload: wait_s, sticky
CALL_ABANDONED: Final = "call.abandoned"  # payload: wait_s, position; callback (id) when it left with a booked callback
CALL_OVERFLOW: Final = "call.overflow"  # payload: wait_s, target, reason (max_wait|...)
CALL_ENDED: Final = "call.ended"  # payload: talk_s, ended_by (caller|agent|system)
CALL_FALLBACK: Final = "call.fallback"  # seen on the native Queue() path: payload: outcome
AGENT_LOGIN: Final = "agent.login"
AGENT_LOGOUT: Final = "agent.logout"
AGENT_PAUSED: Final = "agent.paused"  # payload: reason
AGENT_UNPAUSED: Final = "agent.unpaused"
AGENT_STATE: Final = "agent.state"  # payload: state, previous, reason
AGENT_WRAPUP_ENDED: Final = "agent.wrapup_ended"  # payload: wrapup_s
AGENT_MISSED: Final = "agent.missed"  # payload: consecutive
AGENT_CONTROL: Final = "agent.control"  # payload: actor, role, action, reason, via (audit of a request)
ALERT_ACKED: Final = "alert.acknowledged"  # payload: alert, actor, quiet_s (console alert list)
SUPERVISION_STARTED: Final = "supervision.started"  # payload: supervisor, mode, via
SUPERVISION_MODE: Final = "supervision.mode_changed"  # payload: supervisor, mode, previous
SUPERVISION_ENDED: Final = "supervision.ended"  # payload: supervisor, duration_s, reason
SUPERVISION_DENIED: Final = "supervision.denied"  # payload: supervisor, reason, via
RATING_RESULT: Final = "rating.result"  # payload: outcome, score, caller, attempts
RECORDING_STARTED: Final = "recording.started"  # payload: file, caller
RECORDING_FINISHED: Final = "recording.finished"  # payload: file, duration_s, size, sha256
RECORDING_FAILED: Final = "recording.failed"  # payload: reason
RECORDING_DELETED: Final = "recording.deleted"  # payload: file, reason
RECORDING_ACCESSED: Final = "recording.accessed"  # payload: user, role
# Callbacks (ccd.callbacks): call_id is the callback id; payload always has number, attempt.
CALLBACK_REQUESTED: Final = "callback.requested"  # payload: priority, enqueued_at, wait_s
CALLBACK_MERGED: Final = "callback.merged"  # payload: request (the merged caller's call id)
CALLBACK_ATTEMPTED: Final = "callback.attempted"  # payload: delivery
CALLBACK_RETRY: Final = "callback.retry"  # payload: reason, next_try_at (a failed attempt)
CALLBACK_CONNECTED: Final = "callback.connected"  # payload: wait_s, time_to_callback_s
CALLBACK_FAILED: Final = "callback.failed"  # payload: reason (after the last attempt)
CALLBACK_EXPIRED: Final = "callback.expired"  # payload: reason (closing|restart)
CALLBACK_CANCELLED: Final = "callback.cancelled"  # payload: actor

EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        CALL_QUEUED, CALL_OFFERED, CALL_OFFER_FAILED, CALL_ANSWERED, CALL_ABANDONED,
        CALL_OVERFLOW, CALL_ENDED, CALL_FALLBACK, AGENT_LOGIN, AGENT_LOGOUT, AGENT_PAUSED,
        AGENT_UNPAUSED, AGENT_STATE, AGENT_WRAPUP_ENDED, AGENT_MISSED, AGENT_CONTROL, ALERT_ACKED, SUPERVISION_STARTED,
        SUPERVISION_MODE, SUPERVISION_ENDED, SUPERVISION_DENIED, RATING_RESULT,
        RECORDING_STARTED, RECORDING_FINISHED, RECORDING_FAILED, RECORDING_DELETED,
        RECORDING_ACCESSED, CALLBACK_REQUESTED, CALLBACK_MERGED, CALLBACK_ATTEMPTED,
        CALLBACK_RETRY, CALLBACK_CONNECTED, CALLBACK_FAILED, CALLBACK_EXPIRED, CALLBACK_CANCELLED,
    }
)


_RAND_BITS: Final = 74  # UUIDv7's rand_a (12 bits) and rand_b (62 bits)


def _seed() -> int:
    return int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS)


_id_seed = _seed()
_id_counter = itertools.count()


def _reseed() -> None:
    global _id_seed, _id_counter
    _id_seed, _id_counter = _seed(), itertools.count()


os.register_at_fork(after_in_child=_reseed)  # a forked child must not repeat its parent's ids


def new_event_id() -> str:
    """A UUIDv7-style id: time-ordered, so inserts into the event log's unique index stay
    near its right edge instead of touching random pages (the store's hot path).

    The random part is a per-process random seed plus a counter, not fresh randomness per id:
    unique within the process by construction, across processes by the 74-bit seed, and
    without a system call on the routing engine's hot path (every decision records events)."""
    ms = time.time_ns() // 1_000_000
    rand = (_id_seed + next(_id_counter)) & ((1 << _RAND_BITS) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return f"{value:032x}"


def utc(ts: float) -> datetime:
    """Turn a POSIX timestamp (the clock the core is driven with) into an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=UTC)


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: str
    ts: datetime
    call_id: str | None = None
    agent_id: str | None = None
    queue: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=new_event_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "ts": self.ts.isoformat(),
            "type": self.type,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "queue": self.queue,
            "payload": dict(self.payload),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DomainEvent:
        ts = data["ts"]
        if isinstance(ts, str):
            ts = datetime.fromisoformat(ts)
        return cls(
            event_id=str(data["event_id"]),
            ts=ts,
            type=str(data["type"]),
            call_id=data.get("call_id"),
            agent_id=data.get("agent_id"),
            queue=data.get("queue"),
            payload=dict(data.get("payload") or {}),
        )


def event(
    type_: str,
    now: float,
    *,
    call_id: str | None = None,
    agent_id: str | None = None,
    queue: str | None = None,
    **payload: Any,
) -> DomainEvent:
    """Build an event stamped with the core's clock ``now`` (POSIX seconds)."""
    return event_at(type_, utc(now), call_id=call_id, agent_id=agent_id, queue=queue, **payload)


def event_at(
    type_: str,
    ts: datetime,
    *,
    call_id: str | None = None,
    agent_id: str | None = None,
    queue: str | None = None,
    **payload: Any,
) -> DomainEvent:
    """As :func:`event`, with the timestamp already made (one per engine step, not per event)."""
    return DomainEvent(type=type_, ts=ts, call_id=call_id, agent_id=agent_id, queue=queue, payload=payload)
