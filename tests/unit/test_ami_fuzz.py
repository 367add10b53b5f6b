"""Fuzzing the AMI parser: arbitrary bytes and mangled frames, cut at arbitrary points, never
raise past the dispatch point, and whatever comes out is a well-typed event."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from ccd.ami.events import EVENT_TYPES, AmiEvent
from ccd.ami.protocol import FrameParser, PendingActions
from ccd.dispatch import Dispatcher

HEADERS = sorted(
    {f.metadata.get("ami") or "".join(p.capitalize() for p in f.name.split("_"))
     for cls in EVENT_TYPES.values() for f in dataclasses.fields(cls)}
    | {"Event", "Privilege", "ActionID", "Response", "Message", "EventList", "Output", ""}
)
NAMES = [*EVENT_TYPES, "Newexten", "VarSet", "QueueParams", "", "Event", "Response"]

value = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["0", "1", "true", "no", "", " ", "-1", "1e9", "٣", "NaN"]),
)
header_line = st.one_of(
    st.tuples(st.sampled_from(HEADERS), value).map(lambda kv: f"{kv[0]}: {kv[1]}"),
    st.text(max_size=20),  # not a header at all
)
frame = st.builds(
    lambda name, lines, lead: (f"{lead}Event: {name}\r\n" + "\r\n".join(lines)),
    st.sampled_from(NAMES),
    st.lists(header_line, max_size=12),
    st.sampled_from(["", "\r\n", " ", "Response: Success\r\n"]),
)
separator = st.sampled_from(["\r\n\r\n", "\r\n", "\n\n", "\r\n\r\n\r\n", ""])


def check_types(event: AmiEvent) -> None:
    for f in dataclasses.fields(event):
        v = getattr(event, f.name)
        expected = {"str": (str,), "int": (int,), "int | None": (int, type(None)), "bool": (bool,)}[str(f.type)]
        assert isinstance(v, expected), (event, f.name, v)
        assert not (isinstance(v, bool) and str(f.type) != "bool")


async def run(chunks: list[bytes], with_pending: bool) -> None:
    d = Dispatcher()
    seen: list[AmiEvent] = []

    def consumer(ev: AmiEvent) -> None:
        check_types(ev)
        seen.append(ev)

    d.subscribe(AmiEvent, consumer)
    pending = PendingActions()
    if with_pending:
        pending.new("QueueStatus", collect=True)
        pending.new("Ping", collect=False)
    parser = FrameParser(d, pending)
    with capture_logs():
        for chunk in chunks:
            for ev in parser.feed(chunk):
                await d.dispatch(ev)
    assert d.consumer_errors == 0  # i.e. every event passed check_types
    pending.fail_all(ConnectionError())


def cut(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(data) + 1) for p in points})
    bounds = [0, *marks, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=8), st.booleans())
def test_arbitrary_bytes_never_raise(data: bytes, points: list[int], pending: bool) -> None:
    asyncio.run(run(cut(data, points), pending))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(frame, separator), min_size=1, max_size=10),
    st.lists(st.integers(min_value=0), max_size=8),
    st.booleans(),
    st.sampled_from(["utf-8", "latin-1"]),
)
def test_mangled_frames_never_raise(
    frames: list[tuple[str, str]], points: list[int], pending: bool, encoding: str
) -> None:
    data = "".join(f + sep for f, sep in frames).encode(encoding, "replace")
    asyncio.run(run(cut(data, points), pending))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0), max_size=6), st.integers(min_value=0, max_value=255))
def test_valid_frames_survive_any_cut_and_a_garbage_byte(points: list[int], junk: int) -> None:
    good = (b"Event: DeviceStateChange\r\nDevice: PJSIP/\xc3\xa9t\xc3\xa9\r\nState: INUSE\r\n\r\n")
    data = good + bytes([junk]) + b"\r\n\r\n" + good
    d = Dispatcher()
    parser = FrameParser(d, PendingActions())
    with capture_logs():
        events = [ev for c in cut(data, points) for ev in parser.feed(c)]
    assert [getattr(e, "device", None) for e in events] == ["PJSIP/été", "PJSIP/été"]
