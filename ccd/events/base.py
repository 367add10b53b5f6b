"""The envelope every domain event shares, and the untyped form for what no class fits.

Contract (DESIGN.md): every event has ``event_id`` (unique idempotency key), ``ts`` (UTC),
``type``, ``call_id`` and/or ``agent_id``, ``queue`` and a JSON payload. A typed event's
payload is its own fields (those after the envelope); ``payload`` builds that mapping for
the codec, the store and the API, so consumers read the typed fields instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Final

from ccd.events.ids import new_event_id

ENVELOPE: Final = ("event_id", "ts", "type", "call_id", "agent_id", "queue")
_OMIT: Final = "omit_none"


def utc(ts: float) -> datetime:
    """Turn a POSIX timestamp (the clock the core is driven with) into an aware UTC datetime."""
    return datetime.fromtimestamp(ts, tz=UTC)


def absent() -> Any:
    """A payload field that some producers leave out: omitted from the payload when None
    (today's stored rows do not have the key at all)."""
    return field(default=None, metadata={_OMIT: True})


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """The envelope. Each typed subclass fixes ``type`` and adds its payload fields."""

    type: str
    ts: datetime
    call_id: str | None = None
    agent_id: str | None = None
    queue: str | None = None
    event_id: str = field(default_factory=new_event_id)

    @property
    def payload(self) -> Mapping[str, Any]:
        out: dict[str, Any] = {}
        for name, omit_none in payload_fields(self.__class__):
            value = getattr(self, name)
            if value is not None or not omit_none:
                out[name] = value
        return out

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (the store's row, the API's item)."""
        return {
            "event_id": self.event_id,
            "ts": self.ts.isoformat(),
            "type": self.type,
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "queue": self.queue,
            "payload": dict(self.payload),
        }


_PAYLOAD_FIELDS: dict[type[DomainEvent], tuple[tuple[str, bool], ...]] = {}


def payload_fields(cls: type[DomainEvent]) -> tuple[tuple[str, bool], ...]:
    """(name, omitted when None) of the class's payload fields, in declaration order."""
    found = _PAYLOAD_FIELDS.get(cls)
    if found is None:
        found = _PAYLOAD_FIELDS[cls] = tuple(
            (f.name, bool(f.metadata.get(_OMIT))) for f in fields(cls) if f.name not in ENVELOPE)
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class RawEvent(DomainEvent):
    """An event no typed class fits: an unknown type, or a stored row whose payload does not
    match its type's fields. Kept whole (nothing is lost), and dead-lettered by the store
    when it is not a known type."""

    payload: Mapping[str, Any] = field(default_factory=dict)  # type: ignore[assignment]
