"""Typed ARI websocket events, and ``Resync``: Asterisk's truth after every (re)connect.

``parse_event(text)`` returns the typed event, None for a type ccd has no model for, or
raises MalformedEvent; the stream reports both to the dispatcher, which logs them once per
type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ccd.ari.models import (
    Bridge,
    Channel,
    DeviceState,
    Json,
    LiveRecording,
    Playback,
    integer,
    obj,
    strings,
    text,
)
from ccd.dispatch import MalformedEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AriEvent:
    """Base class of every typed ARI event (subscribe to it to see them all)."""

    timestamp: str = ""
    application: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEvent(AriEvent):
    channel: Channel


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisStart(ChannelEvent):
    args: tuple[str, ...] = ()
    replace_channel: Channel | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisEnd(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChange(ChannelEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDtmfReceived(ChannelEvent):
    digit: str
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHangupRequest(ChannelEvent):
    cause: int | None = None
    soft: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDestroyed(ChannelEvent):
    cause: int | None = None
    cause_txt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEnteredBridge(ChannelEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelLeftBridge(ChannelEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelVarset(AriEvent):
    variable: str
    value: str = ""
    channel: Channel | None = None  # None for a global variable


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeDestroyed(AriEvent):
    bridge: Bridge


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackStarted(AriEvent):
    playback: Playback


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished(AriEvent):
    playback: Playback


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFailed(AriEvent):
    recording: LiveRecording


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChanged(AriEvent):
    device_state: DeviceState


@dataclass(frozen=True, slots=True, kw_only=True)
class Dial(AriEvent):
    """Progress of a dial: ``dialstatus`` is "" while ringing starts, then ANSWER, BUSY..."""

    peer: Channel
    caller: Channel | None = None
    forwarded: Channel | None = None
    dialstring: str = ""
    dialstatus: str = ""
    forward: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationReplaced(AriEvent):
    """Another websocket took the application: this one gets no more events."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resync:
    """Published after every (re)connect, before any later event: the channels in ccd's
    Stasis application (with the variables ccd keeps on them in ``channelvars``) and the
    bridges that belong to ccd. Events may have been missed while disconnected; rebuild
    state from this, and treat the events that follow as idempotent updates."""

    channels: tuple[Channel, ...]
    bridges: tuple[Bridge, ...]
    asterisk_version: str = ""
    reconnect: bool = False  # False for the first connection of this client


def _chan(d: Json, key: str = "channel") -> Channel:
    return Channel.parse(d.get(key))


def _opt_chan(d: Json, key: str) -> Channel | None:
    return None if d.get(key) is None else Channel.parse(d[key])


def _soft(d: Json) -> bool:
    value = d.get("soft", False)
    if not isinstance(value, bool):
        raise MalformedEvent("soft is not a boolean")
    return value


# type name -> (class, field builder). Common fields are added by parse_event.
_BUILDERS: Final[dict[str, tuple[type[AriEvent], Callable[[Json], dict[str, Any]]]]] = {
    "StasisStart": (StasisStart, lambda d: {
        "channel": _chan(d), "args": strings(d, "args"),
        "replace_channel": _opt_chan(d, "replace_channel")}),
    "StasisEnd": (StasisEnd, lambda d: {"channel": _chan(d)}),
    "ChannelStateChange": (ChannelStateChange, lambda d: {"channel": _chan(d)}),
    "ChannelDtmfReceived": (ChannelDtmfReceived, lambda d: {
        "channel": _chan(d), "digit": text(d, "digit", required=True),
        "duration_ms": integer(d, "duration_ms")}),
    "ChannelHangupRequest": (ChannelHangupRequest, lambda d: {
        "channel": _chan(d), "cause": integer(d, "cause"), "soft": _soft(d)}),
    "ChannelDestroyed": (ChannelDestroyed, lambda d: {
        "channel": _chan(d), "cause": integer(d, "cause"), "cause_txt": text(d, "cause_txt")}),
    "ChannelEnteredBridge": (ChannelEnteredBridge, lambda d: {
        "channel": _chan(d), "bridge": Bridge.parse(d.get("bridge"))}),
    "ChannelLeftBridge": (ChannelLeftBridge, lambda d: {
        "channel": _chan(d), "bridge": Bridge.parse(d.get("bridge"))}),
    "ChannelVarset": (ChannelVarset, lambda d: {
        "variable": text(d, "variable", required=True), "value": text(d, "value"),
        "channel": _opt_chan(d, "channel")}),
    "BridgeDestroyed": (BridgeDestroyed, lambda d: {"bridge": Bridge.parse(d.get("bridge"))}),
    "PlaybackStarted": (PlaybackStarted, lambda d: {"playback": Playback.parse(d.get("playback"))}),
    "PlaybackFinished": (PlaybackFinished, lambda d: {
        "playback": Playback.parse(d.get("playback"))}),
    "RecordingStarted": (RecordingStarted, lambda d: {
        "recording": LiveRecording.parse(d.get("recording"))}),
    "RecordingFinished": (RecordingFinished, lambda d: {
        "recording": LiveRecording.parse(d.get("recording"))}),
    "RecordingFailed": (RecordingFailed, lambda d: {
        "recording": LiveRecording.parse(d.get("recording"))}),
    "DeviceStateChanged": (DeviceStateChanged, lambda d: {
        "device_state": DeviceState.parse(d.get("device_state"))}),
    "Dial": (Dial, lambda d: {
        "peer": _chan(d, "peer"), "caller": _opt_chan(d, "caller"),
        "forwarded": _opt_chan(d, "forwarded"), "dialstring": text(d, "dialstring"),
        "dialstatus": text(d, "dialstatus"), "forward": text(d, "forward")}),
    "ApplicationReplaced": (ApplicationReplaced, lambda d: {}),
}
EVENT_TYPES: Final[dict[str, type[AriEvent]]] = {k: v[0] for k, v in _BUILDERS.items()}
# What ccd asks Asterisk to send on its websocket (the application's event filter, set each
# session): the types modelled above, less ChannelVarset, which every Set() in the dialplan
# and every variable ccd sets brings back (a dozen per queue call) and nothing consumes.
# The rest (ChannelDialplan, ChannelCallerId, BridgeCreated...) ccd skipped on arrival anyway.
STREAMED_TYPES: Final[tuple[str, ...]] = tuple(t for t in _BUILDERS if t != "ChannelVarset")


def event_type_name(data: Any) -> str:
    """The ``type`` of a decoded message, for logging ("<no type>" when absent)."""
    if isinstance(data, dict) and isinstance(data.get("type"), str):
        return str(data["type"])[:80]
    return "<no type>"


def parse_event(raw: str | bytes) -> AriEvent | None:
    """One websocket message -> typed event; None for a type ccd has no model for.

    Raises MalformedEvent (never anything else) for invalid JSON or fields."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedEvent(f"not JSON: {exc}") from None
    return build_event(data)


def build_event(data: Any) -> AriEvent | None:
    d = obj(data, "event")
    kind = d.get("type")
    if not isinstance(kind, str):
        raise MalformedEvent("no type")
    entry = _BUILDERS.get(kind)
    if entry is None:
        return None
    cls, build = entry
    try:
        fields = build(d)
        return cls(timestamp=text(d, "timestamp"), application=text(d, "application"), **fields)
    except MalformedEvent:
        raise
    except Exception as exc:  # a shape no check above foresaw: still only "malformed"
        raise MalformedEvent(f"{kind}: {type(exc).__name__}: {exc}") from None
