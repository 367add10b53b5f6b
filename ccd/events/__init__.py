"""The typed domain events every part of ccd speaks.

Contract (DESIGN.md): every event has ``event_id`` (unique idempotency key), ``ts`` (UTC),
``type``, ``call_id`` and/or ``agent_id``, ``queue`` and a JSON payload. One frozen class per
type (``calls``, ``agents``, ``supervision``, ``media``, ``callbacks``), one registry of them
(``registry``), serialised in one place (``codec``) for the store, the API and the console
stream; ``schema`` derives their JSON Schema. Cores stamp ids from an injected
:class:`EventIds`, so replaying the same inputs with the same clock gives the same events.
"""

from __future__ import annotations

from ccd.events.agents import (
    SYSTEM_ACTOR,
    AgentControl,
    AgentLogin,
    AgentLogout,
    AgentMissed,
    AgentPaused,
    AgentStateChanged,
    AgentUnpaused,
    AgentWrapupEnded,
)
from ccd.events.base import DomainEvent, RawEvent, utc
from ccd.events.callbacks import (
    CallbackAttempted,
    CallbackCancelled,
    CallbackConnected,
    CallbackEvent,
    CallbackExpired,
    CallbackFailed,
    CallbackMerged,
    CallbackRequested,
    CallbackRetry,
)
from ccd.events.calls import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallFallback,
    CallOffered,
    CallOfferFailed,
    CallOverflow,
    CallQueued,
)
from ccd.events.codec import build, event, from_dict, to_dict
from ccd.events.ids import EventIds, new_event_id
from ccd.events.media import (
    RatingResult,
    RecordingAccessed,
    RecordingDeleted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
)
from ccd.events.names import (
    AGENT_CONTROL,
    AGENT_LOGIN,
    AGENT_LOGOUT,
    AGENT_MISSED,
    AGENT_PAUSED,
    AGENT_STATE,
    AGENT_UNPAUSED,
    AGENT_WRAPUP_ENDED,
    ALERT_ACKED,
    CALL_ABANDONED,
    CALL_ANSWERED,
    CALL_ENDED,
    CALL_FALLBACK,
    CALL_OFFER_FAILED,
    CALL_OFFERED,
    CALL_OVERFLOW,
    CALL_QUEUED,
    CALLBACK_ATTEMPTED,
    CALLBACK_CANCELLED,
    CALLBACK_CONNECTED,
    CALLBACK_EXPIRED,
    CALLBACK_FAILED,
    CALLBACK_MERGED,
    CALLBACK_REQUESTED,
    CALLBACK_RETRY,
    RATING_RESULT,
    RECORDING_ACCESSED,
    RECORDING_DELETED,
    RECORDING_FAILED,
    RECORDING_FINISHED,
    RECORDING_STARTED,
    SUPERVISION_DENIED,
    SUPERVISION_ENDED,
    SUPERVISION_MODE,
    SUPERVISION_STARTED,
)
from ccd.events.registry import EVENT_TYPES, REGISTRY
from ccd.events.supervision import (
    AlertAcknowledged,
    SupervisionDenied,
    SupervisionEnded,
    SupervisionModeChanged,
    SupervisionStarted,
)

__all__ = [
    "AGENT_CONTROL", "AGENT_LOGIN", "AGENT_LOGOUT", "AGENT_MISSED", "AGENT_PAUSED", "AGENT_STATE",
    "AGENT_UNPAUSED", "AGENT_WRAPUP_ENDED", "ALERT_ACKED", "CALLBACK_ATTEMPTED", "CALLBACK_CANCELLED",
    "CALLBACK_CONNECTED", "CALLBACK_EXPIRED", "CALLBACK_FAILED", "CALLBACK_MERGED", "CALLBACK_REQUESTED",
    "CALLBACK_RETRY", "CALL_ABANDONED", "CALL_ANSWERED", "CALL_ENDED", "CALL_FALLBACK", "CALL_OFFERED",
    "CALL_OFFER_FAILED", "CALL_OVERFLOW", "CALL_QUEUED", "EVENT_TYPES", "RATING_RESULT",
    "RECORDING_ACCESSED", "RECORDING_DELETED", "RECORDING_FAILED", "RECORDING_FINISHED",
    "RECORDING_STARTED", "REGISTRY", "SUPERVISION_DENIED", "SUPERVISION_ENDED", "SUPERVISION_MODE",
    "SUPERVISION_STARTED", "SYSTEM_ACTOR", "AgentControl", "AgentLogin", "AgentLogout", "AgentMissed",
    "AgentPaused", "AgentStateChanged", "AgentUnpaused", "AgentWrapupEnded", "AlertAcknowledged",
    "CallAbandoned", "CallAnswered", "CallEnded", "CallFallback", "CallOfferFailed", "CallOffered",
    "CallOverflow", "CallQueued", "CallbackAttempted", "CallbackCancelled", "CallbackConnected",
    "CallbackEvent", "CallbackExpired", "CallbackFailed", "CallbackMerged", "CallbackRequested",
    "CallbackRetry", "DomainEvent", "EventIds", "RatingResult", "RawEvent", "RecordingAccessed",
    "RecordingDeleted", "RecordingFailed", "RecordingFinished", "RecordingStarted", "SupervisionDenied",
    "SupervisionEnded", "SupervisionModeChanged", "SupervisionStarted", "build", "event",
    "from_dict", "new_event_id", "to_dict", "utc",
]
