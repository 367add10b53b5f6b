"""Every event type ccd writes, by its stable name (the ``type`` column of the event log).

The store dead-letters any other type. Each name has one typed class (``ccd.events.registry``).
"""

from __future__ import annotations

from typing import Final

CALL_QUEUED: Final = "call.queued"
CALL_OFFERED: Final = "call.offered"
CALL_OFFER_FAILED: Final = "call.offer_failed"
CALL_ANSWERED: Final = "call.answered"
CALL_ABANDONED: Final = "call.abandoned"
CALL_OVERFLOW: Final = "call.overflow"
CALL_ENDED: Final = "call.ended"
CALL_FALLBACK: Final = "call.fallback"  # seen on the native Queue() path
AGENT_LOGIN: Final = "agent.login"
AGENT_LOGOUT: Final = "agent.logout"
AGENT_PAUSED: Final = "agent.paused"
AGENT_UNPAUSED: Final = "agent.unpaused"
AGENT_STATE: Final = "agent.state"
AGENT_WRAPUP_ENDED: Final = "agent.wrapup_ended"
AGENT_MISSED: Final = "agent.missed"
AGENT_CONTROL: Final = "agent.control"  # audit of a request made through the API / console
AGENT_FEATURE_REFUSED: Final = "agent.feature_refused"  # audit of a feature code ccd refused
ALERT_ACKED: Final = "alert.acknowledged"  # console alert list
SUPERVISION_STARTED: Final = "supervision.started"
SUPERVISION_MODE: Final = "supervision.mode_changed"
SUPERVISION_ENDED: Final = "supervision.ended"
SUPERVISION_DENIED: Final = "supervision.denied"
RATING_RESULT: Final = "rating.result"
RECORDING_STARTED: Final = "recording.started"
RECORDING_FINISHED: Final = "recording.finished"
RECORDING_FAILED: Final = "recording.failed"
RECORDING_DELETED: Final = "recording.deleted"
RECORDING_ACCESSED: Final = "recording.accessed"
# Callbacks (ccd.callbacks): call_id is the callback id.
CALLBACK_REQUESTED: Final = "callback.requested"
CALLBACK_MERGED: Final = "callback.merged"
CALLBACK_ATTEMPTED: Final = "callback.attempted"
CALLBACK_RETRY: Final = "callback.retry"
CALLBACK_CONNECTED: Final = "callback.connected"
CALLBACK_FAILED: Final = "callback.failed"
CALLBACK_EXPIRED: Final = "callback.expired"
CALLBACK_CANCELLED: Final = "callback.cancelled"
