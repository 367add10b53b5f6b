"""One registry: event type name -> its typed class. The codec and the schema read it."""

from __future__ import annotations

from typing import Final

from ccd.events import agents as a
from ccd.events import callbacks as cb
from ccd.events import calls as c
from ccd.events import media as m
from ccd.events import supervision as s
from ccd.events.base import DomainEvent, payload_fields

_CLASSES: Final[tuple[type[DomainEvent], ...]] = (
    c.CallQueued, c.CallOffered, c.CallOfferFailed, c.CallAnswered, c.CallAbandoned,
    c.CallOverflow, c.CallEnded, c.CallFallback,
    a.AgentLogin, a.AgentLogout, a.AgentPaused, a.AgentUnpaused, a.AgentStateChanged,
    a.AgentWrapupEnded, a.AgentMissed, a.AgentControl, a.AgentFeatureRefused,
    s.AlertAcknowledged, s.SupervisionStarted, s.SupervisionModeChanged, s.SupervisionEnded,
    s.SupervisionDenied,
    m.RatingResult, m.RecordingStarted, m.RecordingFinished, m.RecordingFailed,
    m.RecordingDeleted, m.RecordingAccessed,
    cb.CallbackRequested, cb.CallbackMerged, cb.CallbackAttempted, cb.CallbackRetry,
    cb.CallbackConnected, cb.CallbackFailed, cb.CallbackExpired, cb.CallbackCancelled,
)


def type_name(cls: type[DomainEvent]) -> str:
    default = cls.__dataclass_fields__["type"].default
    assert isinstance(default, str), f"{cls.__name__} does not fix its type"
    return default


REGISTRY: Final[dict[str, type[DomainEvent]]] = {type_name(cls): cls for cls in _CLASSES}
EVENT_TYPES: Final[frozenset[str]] = frozenset(REGISTRY)
assert len(REGISTRY) == len(_CLASSES), "two event classes share a type name"

# Payload field names per type: the codec accepts a stored payload only when it fits.
FIELDS: Final[dict[str, frozenset[str]]] = {
    t: frozenset(name for name, _ in payload_fields(cls)) for t, cls in REGISTRY.items()
}
