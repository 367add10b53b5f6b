"""Events to and from JSON data, in one place: the event store, the API and the console's
stream all go through here.

Decoding never loses anything: a row whose type is unknown, or whose payload does not fit
its type's class (a key renamed since, a value of the wrong kind), comes back whole as a
:class:`~ccd.events.base.RawEvent` instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ccd.events.base import DomainEvent, RawEvent, utc
from ccd.events.registry import FIELDS, REGISTRY

_ENVELOPE_KEYS = ("call_id", "agent_id", "queue", "event_id")


def build(type_: str, ts: datetime, **fields: Any) -> DomainEvent:
    """The typed event ``type_`` from keyword fields (envelope and payload together), for a
    producer that picks the type at run time (a session's audit events, a callback's).

    A field the type does not have is a TypeError: a renamed key breaks loudly here, at the
    producer, instead of silently in a consumer."""
    cls = REGISTRY.get(type_)
    if cls is None:
        raise TypeError(f"unknown event type {type_!r}")
    return cls(ts=ts, **fields)


def event(type_: str, now: float, **fields: Any) -> DomainEvent:
    """Whatever event the fields make, stamped with the clock ``now`` (POSIX seconds): the
    typed one when they fit its class, else a RawEvent that keeps them all (the store then
    checks it and dead-letters what it cannot accept). For data from outside ccd's own
    producers (imports, tests); producers construct the typed classes."""
    envelope = {k: fields.pop(k) for k in _ENVELOPE_KEYS if k in fields}
    return _fit(type_, utc(now), envelope, fields)


def _fit(type_: str, ts: datetime, envelope: dict[str, Any], payload: Any) -> DomainEvent:
    cls = REGISTRY.get(type_)
    if cls is not None and isinstance(payload, Mapping) and FIELDS[type_].issuperset(payload):
        try:
            return cls(ts=ts, **envelope, **payload)
        except TypeError:
            pass  # a required field is missing: keep the data as it is
    return RawEvent(type=type_, ts=ts, payload=payload, **envelope)


def to_dict(e: DomainEvent) -> dict[str, Any]:
    return e.as_dict()


def from_dict(data: Mapping[str, Any]) -> DomainEvent:
    """The event from its JSON data (``as_dict``'s shape, or a row of the ``events`` table
    whose ``payload`` is a mapping or JSON text)."""
    ts = data["ts"]
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    payload = data.get("payload") or {}
    if isinstance(payload, str | bytes):
        payload = json.loads(payload)
    envelope: dict[str, Any] = {
        "event_id": str(data["event_id"]),
        "call_id": data.get("call_id"),
        "agent_id": data.get("agent_id"),
        "queue": data.get("queue"),
    }
    return _fit(str(data["type"]), ts, envelope, payload)
