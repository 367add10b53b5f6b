"""ccd's AMI framing and typed events, and the panoramisk 1.4 weak spots it replaces:
per-chunk UTF-8 decoding, as_list/multi guessing, the PlayDTMF 'async' crash."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest
from panoramisk.message import Message
from structlog.testing import capture_logs

from ccd.ami.events import (
    EVENT_TYPES,
    AgentComplete,
    AmiEvent,
    DeviceStateChange,
    FullyBooted,
    QueueCallerJoin,
    QueueMemberPause,
    build_event,
)
from ccd.ami.protocol import FrameParser, PendingActions, encode_action
from ccd.dispatch import Dispatcher, MalformedEvent

TRAFFIC = Path(__file__).resolve().parents[2] / "bench" / "data" / "ami_traffic.bin.gz"

PAUSE = (
    "Event: QueueMemberPause\r\nPrivilege: agent,all\r\nQueue: support\r\nMemberName: Jörg\r\n"
    "Interface: Local/ag-9@agents\r\nStateInterface: Local/ag-9@agents\r\nMembership: dynamic\r\n"
    "Penalty: 1\r\nCallsTaken: 0\r\nLastCall: 0\r\nLastPause: 1795550159\r\nInCall: 0\r\n"
    "Status: 1\r\nPaused: 1\r\nPausedReason: Mittagspause ü\r\nRinginuse: 1\r\n"
    "Reason: Mittagspause ü\r\n\r\n"
).encode()
JOIN = (
    b"Event: QueueCallerJoin\r\nPrivilege: agent,all\r\nChannel: Local/c-555-support@sim;2\r\n"
    b"CallerIDNum: 5551234\r\nCallerIDName: Ann\r\nContext: ccd-queue\r\nExten: support\r\n"
    b"Uniqueid: 1.2\r\nLinkedid: 1.1\r\nQueue: support\r\nPosition: 1\r\nCount: 1\r\n\r\n"
)


def parser() -> tuple[FrameParser, Dispatcher, PendingActions]:
    d = Dispatcher()
    pending = PendingActions()
    return FrameParser(d, pending), d, pending


def test_typed_events_from_frames() -> None:
    p, _, _ = parser()
    (join,) = p.feed(JOIN)
    assert join == QueueCallerJoin(
        channel="Local/c-555-support@sim;2", uniqueid="1.2", linkedid="1.1",
        caller_num="5551234", caller_name="Ann", context="ccd-queue", exten="support",
        queue="support", position=1, count=1,
    )


def test_utf8_character_split_across_reads_survives() -> None:
    for cut in range(1, len(PAUSE)):  # every split point, including inside "ü" and "ö"
        p, _, _ = parser()
        events = p.feed(PAUSE[:cut]) + p.feed(PAUSE[cut:])
        assert len(events) == 1, cut
        ev = events[0]
        assert isinstance(ev, QueueMemberPause)
        assert ev.paused_reason == "Mittagspause ü" and ev.member_name == "Jörg", cut
        assert ev.paused and ev.penalty == 1 and not ev.in_call and ev.ringinuse


def test_panoramisk_drops_a_split_utf8_character() -> None:
    """The weak spot the framer above replaces (decode per chunk with errors='ignore')."""
    from panoramisk.ami_protocol import AMIProtocol

    got: list[Message] = []

    class Factory:
        def dispatch(self, msg: Message) -> None:
            got.append(msg)

    class Transport:
        def close(self) -> None:
            pass

    proto = AMIProtocol()
    proto.connection_made(Transport())
    proto.factory, proto.encoding = Factory(), "utf8"
    cut = PAUSE.index("ü".encode()) + 1
    proto.data_received(PAUSE[:cut])
    proto.data_received(PAUSE[cut:])
    assert got[0]["MemberName"] == "Jörg"
    assert got[0]["PausedReason"] != "Mittagspause ü"


def test_unknown_events_are_skipped_before_parsing_and_logged_once() -> None:
    p, d, _ = parser()
    frame = b"Event: Newexten\r\nChannel: x\r\nApplication: Wait\r\n\r\n"
    with capture_logs() as logs:
        assert p.feed(frame * 3) == []
    assert [e["event_type"] for e in logs] == ["Newexten"]
    assert d.skipped == 3


def test_malformed_events_are_skipped_and_logged_once_per_type() -> None:
    p, _, _ = parser()
    no_queue = b"Event: QueueCallerJoin\r\nChannel: x\r\n\r\n"
    bad_int = b"Event: QueueCallerJoin\r\nQueue: q\r\nPosition: first\r\n\r\n"
    bad_bool = b"Event: QueueMemberPause\r\nQueue: q\r\nInterface: i\r\nPaused: maybe\r\n\r\n"
    garbage = b"\x00\xff garbage without headers\r\n\r\n"
    with capture_logs() as logs:
        events = p.feed(no_queue + bad_int + bad_bool + garbage + no_queue + JOIN)
    assert [type(e) for e in events] == [QueueCallerJoin]
    assert sorted(e["event_type"] for e in logs) == [
        "<no Event or Response>", "QueueCallerJoin", "QueueMemberPause"
    ]
    assert all(e["reason"] == "malformed" for e in logs)


def test_repeated_header_and_lone_eol_between_frames() -> None:
    p, _, _ = parser()
    frame = b"\r\nEvent: DeviceStateChange\r\nDevice: PJSIP/1\r\nDevice: PJSIP/2\r\nState: INUSE\r\n\r\n"
    assert p.feed(frame) == [DeviceStateChange(device="PJSIP/1", state="INUSE")]


def test_agent_complete_without_caller_fields_is_valid() -> None:
    """One Asterisk 22 run sent AgentComplete without the caller's fields (ASTERISK.md)."""
    p, _, _ = parser()
    frame = (b"Event: AgentComplete\r\nQueue: q\r\nInterface: PJSIP/1\r\nMemberName: A\r\n"
             b"DestUniqueid: 9.9\r\nHoldTime: 3\r\nTalkTime: 20\r\nReason: agent\r\n\r\n")
    (ev,) = p.feed(frame)
    assert isinstance(ev, AgentComplete)
    assert (ev.channel, ev.dest_uniqueid, ev.talk_time, ev.reason) == ("", "9.9", 20, "agent")


def test_oversized_frame_is_dropped() -> None:
    p, d, _ = parser()
    with capture_logs():
        assert p.feed(b"Event: X\r\nA: " + b"x" * (1 << 21)) == []
    assert d.skipped == 1
    assert p.feed(JOIN)  # the stream recovers at the next frame


def test_build_event_reads_any_mapping_too() -> None:
    headers = {"device": "Custom:a", "state": "BUSY"}
    assert build_event("DeviceStateChange", headers) == DeviceStateChange(
        device="Custom:a", state="BUSY"
    )
    with pytest.raises(MalformedEvent):
        build_event("DeviceStateChange", {"device": "Custom:a"})


def test_panoramisk_message_store_layout_assumed_by_build_event() -> None:
    msg = Message.from_line("Event: FullyBooted\r\nUptime: 5\r\nStatus: Fully Booted")
    assert msg._store["uptime"] == ("Uptime", "5")
    assert build_event("FullyBooted", msg) == FullyBooted(status="Fully Booted", uptime=5)


def test_every_modelled_event_type_is_an_ami_event() -> None:
    assert all(issubclass(cls, AmiEvent) and cls.__name__ == n for n, cls in EVENT_TYPES.items())


def test_recorded_traffic_parses_without_skipping_any_modelled_event() -> None:
    p, d, _ = parser()
    data = gzip.decompress(TRAFFIC.read_bytes())
    events: list[AmiEvent] = []
    with capture_logs() as logs:
        for i in range(0, len(data), 1000):
            events += p.feed(data[i:i + 1000])
    assert not [e for e in logs if e["reason"] == "malformed"]
    names = {type(e).__name__ for e in events}
    assert {"QueueCallerJoin", "AgentConnect", "AgentComplete", "QueueMemberStatus",
            "DeviceStateChange", "ExtensionStatus", "FullyBooted", "QueueMemberPause"} <= names
    frames = sum(1 for f in data.split(b"\r\n\r\n") if f.startswith(b"Event: "))
    assert len(events) + d.skipped == frames


# -- actions: completion by what the response says ---------------------------------------
async def test_single_response_actions_resolve_without_as_list() -> None:
    """QueueAdd never resolved in panoramisk unless sent with as_list=False."""
    p, _, pending = parser()
    aid, action = pending.new("QueueAdd", collect=False)
    p.feed(f"Response: Success\r\nActionID: {aid}\r\nMessage: Added interface to queue\r\n\r\n"
           .encode())
    response, events = await asyncio.wait_for(action.future, 1)
    assert response["Message"] == "Added interface to queue" and events == []
    assert len(pending) == 0


async def test_play_dtmf_response_resolves() -> None:
    """panoramisk crashed on PlayDTMF's reply (KeyError 'async') unless sent with Async."""
    p, _, pending = parser()
    aid, action = pending.new("PlayDTMF", collect=False)
    p.feed(f"Response: Success\r\nActionID: {aid}\r\nMessage: DTMF successfully queued\r\n\r\n"
           .encode())
    response, _ = await asyncio.wait_for(action.future, 1)
    assert response.success


async def test_list_action_collects_events_until_complete() -> None:
    p, _, pending = parser()
    aid, action = pending.new("QueueStatus", collect=True)
    frames = (
        f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n"
        "Message: Queue status will follow\r\n\r\n"
        f"Event: QueueParams\r\nQueue: sales\r\nActionID: {aid}\r\n\r\n"
        f"Event: QueueMember\r\nQueue: sales\r\nName: A\r\nActionID: {aid}\r\n\r\n"
        f"Event: QueueStatusComplete\r\nActionID: {aid}\r\nEventList: Complete\r\n"
        "ListItems: 2\r\n\r\n"
    ).encode()
    assert p.feed(frames) == []
    response, events = await asyncio.wait_for(action.future, 1)
    assert [e["Event"] for e in events] == ["QueueParams", "QueueMember"]
    assert response["EventList"] == "start"


async def test_list_action_error_resolves_at_once() -> None:
    p, _, pending = parser()
    aid, action = pending.new("QueueStatus", collect=True)
    p.feed(f"Response: Error\r\nActionID: {aid}\r\nMessage: Permission denied\r\n\r\n".encode())
    response, _ = await asyncio.wait_for(action.future, 1)
    assert not response.success


async def test_event_with_an_action_id_nobody_collects_is_a_plain_event() -> None:
    """OriginateResponse carries the Originate's ActionID after its response resolved it."""
    p, _, pending = parser()
    aid, action = pending.new("Originate", collect=False)
    p.feed(f"Response: Success\r\nActionID: {aid}\r\nMessage: Originate successfully queued"
           "\r\n\r\n".encode())
    await action.future
    frame = f"Event: DeviceStateChange\r\nActionID: {aid}\r\nDevice: D\r\nState: INUSE\r\n\r\n"
    assert p.feed(frame.encode()) == [DeviceStateChange(device="D", state="INUSE")]


async def test_fail_all() -> None:
    _, _, pending = parser()
    _, action = pending.new("Ping", collect=False)
    pending.fail_all(ConnectionError("gone"))
    with pytest.raises(ConnectionError):
        await action.future


def test_encode_action_and_header_injection() -> None:
    raw = encode_action("Originate", "id-1", {"Channel": "Local/1@x", "Variable": ["A=1", "B=2"],
                                              "Timeout": 30000})
    assert raw == (b"Action: Originate\r\nActionID: id-1\r\nChannel: Local/1@x\r\nVariable: A=1\r\n"
                   b"Variable: B=2\r\nTimeout: 30000\r\n\r\n")
    with pytest.raises(ValueError):
        encode_action("Setvar", "id-2", {"Value": "x\r\nAction: Logoff"})
    with pytest.raises(ValueError):
        encode_action("Setvar", "id-3", {"Bad: key": "x"})
