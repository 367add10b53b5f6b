"""ARI: the REST client (``AriClient``), the event websocket with resync
(``AriEventStream``), typed events and models, errors."""

from ccd.ari.client import AriClient
from ccd.ari.errors import (
    AriAuthError,
    AriConflict,
    AriError,
    AriNotFound,
    AriUnavailable,
    BridgeNotFound,
    ChannelNotFound,
)
from ccd.ari.events import (
    EVENT_TYPES,
    ApplicationReplaced,
    AriEvent,
    BridgeDestroyed,
    ChannelDestroyed,
    ChannelDtmfReceived,
    ChannelEnteredBridge,
    ChannelEvent,
    ChannelHangupRequest,
    ChannelLeftBridge,
    ChannelStateChange,
    ChannelVarset,
    DeviceStateChanged,
    Dial,
    PlaybackFinished,
    PlaybackStarted,
    RecordingFailed,
    RecordingFinished,
    RecordingStarted,
    Resync,
    StasisEnd,
    StasisStart,
)
from ccd.ari.models import (
    AsteriskInfo,
    Bridge,
    CallerId,
    Channel,
    DeviceState,
    Dialplan,
    LiveRecording,
    Playback,
)
from ccd.ari.stream import AriEventStream

__all__ = [
    "EVENT_TYPES", "ApplicationReplaced", "AriAuthError", "AriClient", "AriConflict",
    "AriError", "AriEvent", "AriEventStream", "AriNotFound", "AriUnavailable", "AsteriskInfo",
    "Bridge", "BridgeDestroyed", "BridgeNotFound", "CallerId", "Channel", "ChannelDestroyed",
    "ChannelDtmfReceived", "ChannelEnteredBridge", "ChannelEvent", "ChannelHangupRequest",
    "ChannelLeftBridge", "ChannelNotFound", "ChannelStateChange", "ChannelVarset",
    "DeviceState", "DeviceStateChanged", "Dial", "Dialplan", "LiveRecording", "Playback",
    "PlaybackFinished", "PlaybackStarted", "RecordingFailed", "RecordingFinished",
    "RecordingStarted", "Resync", "StasisEnd", "StasisStart",
]
