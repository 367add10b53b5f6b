"""Typed ARI events from the JSON Asterisk 16 sends (shapes copied from a real session)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ccd.ari import events as ev
from ccd.ari.models import AsteriskInfo, Bridge, Channel
from ccd.dispatch import MalformedEvent

CHANNEL: dict[str, Any] = {
    "id": "1795550010.1", "name": "Local/c-555-support@sim-trunk-00000000;2", "state": "Up",
    "protocol_id": "", "caller": {"name": "Ann", "number": "5551234"},
    "connected": {"name": "", "number": ""}, "accountcode": "",
    "dialplan": {"context": "ccd-queue", "exten": "support", "priority": 4,
                 "app_name": "Stasis", "app_data": "ccd,queue,support,"},
    "creationtime": "2026-11-24T19:53:30.426+0000", "language": "en",
    "channelvars": {"CCD_CALL_ID": "c-1", "CCD_QUEUE": "support"},
}
BRIDGE: dict[str, Any] = {
    "id": "c8444f16", "technology": "holding_bridge", "bridge_type": "holding",
    "bridge_class": "stasis", "creator": "Stasis", "name": "ccd-hold-support",
    "channels": ["1795550010.1"], "creationtime": "2026-11-24T19:53:31.429+0000",
    "video_mode": "talker",
}
BASE = {"timestamp": "2026-11-24T19:53:30.427+0000", "application": "ccd"}


def parse(kind: str, **fields: Any) -> ev.AriEvent | None:
    return ev.parse_event(json.dumps({"type": kind, **BASE, **fields}))


def test_stasis_start() -> None:
    e = parse("StasisStart", args=["queue", "support", ""], channel=CHANNEL)
    assert isinstance(e, ev.StasisStart)
    assert e.args == ("queue", "support", "")
    c = e.channel
    assert (c.id, c.state, c.caller.number, c.caller.name) == ("1795550010.1", "Up", "5551234", "Ann")
    assert (c.dialplan.context, c.dialplan.exten, c.dialplan.priority) == ("ccd-queue", "support", 4)
    assert c.channelvars == {"CCD_CALL_ID": "c-1", "CCD_QUEUE": "support"}
    assert c.in_app("ccd") and not c.in_app("cc") and not c.in_app("ccd2")
    assert e.timestamp == BASE["timestamp"] and e.application == "ccd"
    assert e.replace_channel is None


@pytest.mark.parametrize(
    ("kind", "fields", "check"),
    [
        ("StasisEnd", {"channel": CHANNEL}, lambda e: e.channel.id == CHANNEL["id"]),
        ("ChannelStateChange", {"channel": CHANNEL}, lambda e: e.channel.state == "Up"),
        ("ChannelDtmfReceived", {"channel": CHANNEL, "digit": "4", "duration_ms": 250},
         lambda e: (e.digit, e.duration_ms) == ("4", 250)),
        ("ChannelHangupRequest", {"channel": CHANNEL, "cause": 32, "soft": True},
         lambda e: (e.cause, e.soft) == (32, True)),
        ("ChannelDestroyed", {"channel": CHANNEL, "cause": 16, "cause_txt": "Normal Clearing"},
         lambda e: (e.cause, e.cause_txt) == (16, "Normal Clearing")),
        ("ChannelEnteredBridge", {"channel": CHANNEL, "bridge": BRIDGE},
         lambda e: e.bridge.channels == ("1795550010.1",) and e.bridge.bridge_type == "holding"),
        ("ChannelLeftBridge", {"channel": CHANNEL, "bridge": {**BRIDGE, "channels": []}},
         lambda e: e.bridge.channels == ()),
        ("ChannelVarset", {"variable": "CCD_CALL_ID", "value": "c-1", "channel": CHANNEL},
         lambda e: (e.variable, e.value, e.channel.id) == ("CCD_CALL_ID", "c-1", CHANNEL["id"])),
        ("ChannelVarset", {"variable": "GLOBAL_X", "value": "1"}, lambda e: e.channel is None),
        ("BridgeDestroyed", {"bridge": BRIDGE}, lambda e: e.bridge.name == "ccd-hold-support"),
        ("PlaybackStarted", {"playback": {"id": "p1", "media_uri": "sound:beep",
                                          "target_uri": "channel:1", "state": "playing"}},
         lambda e: (e.playback.id, e.playback.state) == ("p1", "playing")),
        ("PlaybackFinished", {"playback": {"id": "p1", "state": "done"}},
         lambda e: e.playback.state == "done"),
        ("RecordingStarted", {"recording": {"name": "r1", "format": "wav", "state": "recording",
                                            "target_uri": "bridge:b"}},
         lambda e: e.recording.name == "r1"),
        ("RecordingFinished", {"recording": {"name": "r1", "state": "done", "duration": 12}},
         lambda e: e.recording.duration == 12),
        ("RecordingFailed", {"recording": {"name": "r1", "state": "failed", "cause": "x"}},
         lambda e: e.recording.cause == "x"),
        ("DeviceStateChanged", {"device_state": {"name": "PJSIP/1001", "state": "INUSE"}},
         lambda e: e.device_state.state == "INUSE"),
        ("Dial", {"peer": CHANNEL, "dialstring": "PJSIP/1001", "dialstatus": "ANSWER"},
         lambda e: (e.peer.id, e.caller, e.dialstatus) == (CHANNEL["id"], None, "ANSWER")),
        ("ApplicationReplaced", {}, lambda e: e.application == "ccd"),
    ],
)
def test_event_types(kind: str, fields: dict[str, Any], check: Any) -> None:
    e = parse(kind, **fields)
    assert type(e).__name__ == kind
    assert check(e)


def test_unknown_type_is_none() -> None:
    assert parse("ChannelTalkingStarted", channel=CHANNEL) is None


@pytest.mark.parametrize(
    "raw",
    [
        "not json", "[]", "null", '{"channel": {}}', '{"type": 5}',
        json.dumps({"type": "StasisStart"}),  # no channel
        json.dumps({"type": "StasisStart", "channel": {"name": "x"}}),  # no id
        json.dumps({"type": "StasisStart", "channel": {**CHANNEL, "caller": "5551234"}}),
        json.dumps({"type": "StasisStart", "channel": CHANNEL, "args": "queue"}),
        json.dumps({"type": "ChannelDtmfReceived", "channel": CHANNEL}),  # no digit
        json.dumps({"type": "ChannelHangupRequest", "channel": CHANNEL, "soft": "yes"}),
        json.dumps({"type": "ChannelDestroyed", "channel": CHANNEL, "cause": "sixteen"}),
        json.dumps({"type": "BridgeDestroyed", "bridge": {**BRIDGE, "channels": [1]}}),
        json.dumps({"type": "StasisEnd", "channel": {**CHANNEL, "channelvars": []}}),
        "[" * 100_000,  # deep nesting
        b"\xff\xfe{",
    ],
)
def test_malformed(raw: str | bytes) -> None:
    with pytest.raises(MalformedEvent):
        ev.parse_event(raw)


def test_models_tolerate_missing_optional_fields() -> None:
    c = Channel.parse({"id": "1"})
    assert (c.name, c.caller.number, c.dialplan.app_name, dict(c.channelvars)) == ("", "", "", {})
    b = Bridge.parse({"id": "b"})
    assert b.channels == () and b.bridge_class == ""
    info = AsteriskInfo.parse({"system": {"version": "16.28.0~dfsg-0+deb11u10"}})
    assert info.major == 16
    assert AsteriskInfo.parse({"system": {"version": "GIT-master-abc"}}).major is None


def test_every_event_type_is_registered() -> None:
    assert all(issubclass(c, ev.AriEvent) and c.__name__ == n for n, c in ev.EVENT_TYPES.items())
