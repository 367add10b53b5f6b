"""Fuzzing the ARI event parser through the stream's message handler: arbitrary text, JSON
values and real event shapes with fields swapped for junk never raise past the dispatch
point, and whatever comes out is a well-typed event."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import types
import typing
from typing import Any

import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from ccd.ari import events as ev
from ccd.ari import models
from ccd.ari.client import AriClient
from ccd.ari.stream import AriEventStream
from ccd.dispatch import Dispatcher

CHANNEL = {"id": "1.1", "name": "PJSIP/1-1", "state": "Up", "caller": {"name": "", "number": "1"},
           "connected": {"name": "", "number": ""},
           "dialplan": {"context": "c", "exten": "s", "priority": 1, "app_name": "Stasis",
                        "app_data": "ccd"},
           "channelvars": {"CCD_CALL_ID": "x"}}
BRIDGE = {"id": "b", "bridge_type": "mixing", "channels": ["1.1"]}
TEMPLATES: list[dict[str, Any]] = [
    {"type": "StasisStart", "channel": CHANNEL, "args": ["queue", "q"],
     "replace_channel": CHANNEL},
    {"type": "ChannelDtmfReceived", "channel": CHANNEL, "digit": "1", "duration_ms": 100},
    {"type": "ChannelHangupRequest", "channel": CHANNEL, "cause": 16, "soft": True},
    {"type": "ChannelDestroyed", "channel": CHANNEL, "cause": 16, "cause_txt": "x"},
    {"type": "ChannelEnteredBridge", "channel": CHANNEL, "bridge": BRIDGE},
    {"type": "ChannelVarset", "channel": CHANNEL, "variable": "V", "value": "1"},
    {"type": "PlaybackFinished", "playback": {"id": "p", "state": "done"}},
    {"type": "RecordingFinished", "recording": {"name": "r", "duration": 3}},
    {"type": "DeviceStateChanged", "device_state": {"name": "d", "state": "INUSE"}},
    {"type": "Dial", "peer": CHANNEL, "caller": CHANNEL, "dialstatus": "ANSWER"},
    {"type": "BridgeDestroyed", "bridge": BRIDGE},
]

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A real event shape with a few values (at any depth) replaced by junk."""
    event: Any = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        node = event
        while True:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            if draw(st.booleans()):
                node[key] = draw(json_value)
            elif isinstance(node, dict):
                del node[key]
            break
    return event


def check(value: Any, hint: Any) -> None:
    """``value`` matches the (resolved) type ``hint``: models are checked field by field."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        assert isinstance(value, hint), (value, hint)
        hints = typing.get_type_hints(hint, vars(models) | vars(ev))
        for f in dataclasses.fields(hint):
            check(getattr(value, f.name), hints[f.name])
    elif origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                check(value, option)
                return
            except AssertionError as exc:
                errors.append(exc)
        raise AssertionError(errors)
    elif origin is tuple:
        assert isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    elif hint is type(None):
        assert value is None
    elif origin is not None:  # Mapping[str, str]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    else:
        assert isinstance(value, hint) and not (isinstance(value, bool) and hint is int), (
            value, hint)


def feed(messages: list[str | bytes]) -> None:
    async def go() -> None:
        d = Dispatcher()
        seen: list[ev.AriEvent] = []
        d.subscribe(ev.AriEvent, lambda e: (check(e, type(e)), seen.append(e)))
        log = structlog.get_logger("fuzz")
        stream = AriEventStream(AriClient("http://127.0.0.1:1", "u", "p", "ccd", log=log),
                                dispatcher=d, log=log)
        d.start()
        with capture_logs():
            for raw in messages:
                stream._handle(raw)  # must never raise
            await d.drain()
        await d.close()
        assert d.consumer_errors == 0  # every event passed check()

    asyncio.run(go())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=50) | st.binary(max_size=50), max_size=5))
def test_arbitrary_text_never_raises(messages: list[str | bytes]) -> None:
    feed(messages)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_value, max_size=5), st.sampled_from([*ev.EVENT_TYPES, "Nope", ""]))
def test_arbitrary_json_never_raises(values: list[Any], kind: str) -> None:
    messages = [json.dumps(v) for v in values]
    messages += [json.dumps({**v, "type": kind}) for v in values if isinstance(v, dict)]
    feed(messages)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=5))
def test_mutated_real_events_never_raise(events: list[Any]) -> None:
    feed([json.dumps(e) for e in events])


def test_templates_themselves_are_valid() -> None:
    for t in TEMPLATES:
        e = ev.parse_event(json.dumps(t))
        assert e is not None
        check(e, type(e))
