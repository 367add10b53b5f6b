"""AMI wire protocol without I/O: bytes in, action responses and typed events out.

ccd keeps panoramisk's ``Message`` (header parsing, case-insensitive access) and replaces
its connection and protocol, whose weak spots are listed in ASTERISK.md:

- frames are split on bytes and decoded whole, so a UTF-8 character split across two
  reads survives (panoramisk decodes each chunk with errors='ignore' and drops it);
- an action completes by what its response says (a single response, or an ``EventList``
  collected to its ``Complete`` event) instead of panoramisk's ``as_list``/``multi``
  guessing, so QueueAdd, PlayDTMF and friends resolve without special flags;
- event types ccd has no model for are skipped before parsing, which is most of the
  traffic an eventmask lets through.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from panoramisk.message import Message

from ccd.ami.events import EVENT_TYPES, AmiEvent, build_event
from ccd.dispatch import Dispatcher, MalformedEvent

SOURCE: Final = "ami"
MAX_FRAME: Final = 1 << 20  # a frame longer than this without a terminator is garbage
_TERM: Final = b"\r\n\r\n"
_EVENT: Final = b"Event: "
_KNOWN: Final[frozenset[bytes]] = frozenset(name.encode() for name in EVENT_TYPES)

Fields = Mapping[str, str | int | Sequence[str]]


def encode_action(name: str, action_id: str, fields: Fields | None = None) -> bytes:
    """One action frame. CR/LF inside a value would inject headers: refused."""
    lines = [f"Action: {name}", f"ActionID: {action_id}"]
    for key, value in (fields or {}).items():
        values = [value] if isinstance(value, str | int) else list(value)
        for v in values:
            text = str(v)
            if "\r" in text or "\n" in text or "\r" in key or "\n" in key or ":" in key:
                raise ValueError(f"AMI header {key!r} of {name} contains CR/LF or ':'")
            lines.append(f"{key}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


@dataclass(slots=True)
class Pending:
    name: str
    collect: bool  # an EventList action: gather events until "EventList: Complete"
    future: asyncio.Future[tuple[Message, list[Message]]]
    response: Message | None = None
    events: list[Message] = field(default_factory=list)


class PendingActions:
    """Actions sent and not yet answered, by ActionID."""

    def __init__(self) -> None:
        self._by_id: dict[str, Pending] = {}
        self._ids = itertools.count(1)
        self._prefix = f"ccd-{os.getpid()}-"

    def __len__(self) -> int:
        return len(self._by_id)

    def new(self, name: str, collect: bool) -> tuple[str, Pending]:
        action_id = f"{self._prefix}{next(self._ids)}"
        pending = Pending(name, collect, asyncio.get_running_loop().create_future())
        self._by_id[action_id] = pending
        return action_id, pending

    def drop(self, action_id: str) -> None:
        self._by_id.pop(action_id, None)

    def feed(self, action_id: str, msg: Message) -> bool:
        """Give ``msg`` to the action it answers; False if it is not ours to take."""
        pending = self._by_id.get(action_id)
        if pending is None or pending.future.done():
            return False
        if "response" in msg:
            if not pending.collect or not msg.success or not _starts_list(msg):
                self._finish(action_id, pending, msg)
            else:
                pending.response = msg
            return True
        if not pending.collect or pending.response is None:
            return False  # e.g. OriginateResponse after an async Originate: a plain event
        if str(msg.get("EventList", "")).lower() == "complete":
            self._finish(action_id, pending, pending.response)
        else:
            pending.events.append(msg)
        return True

    def _finish(self, action_id: str, pending: Pending, response: Message) -> None:
        del self._by_id[action_id]
        pending.future.set_result((response, pending.events))

    def fail_all(self, exc: BaseException) -> None:
        pending, self._by_id = self._by_id, {}
        for p in pending.values():
            if not p.future.done():
                p.future.set_exception(exc)
                p.future.exception()  # retrieved: an abandoned waiter must not log noise


def _starts_list(msg: Message) -> bool:
    if str(msg.get("EventList", "")).lower() == "start":
        return True
    return "will follow" in str(msg.get("Message", "")).lower()


class FrameParser:
    """Turns the byte stream of one session into typed events and action responses."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        pending: PendingActions,
        on_system: Callable[[AmiEvent], None] | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._pending = pending
        self._on_system = on_system
        self._rest = b""

    def reset(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[AmiEvent]:
        """Consume bytes; resolve the actions they answer; return the typed events."""
        buf = self._rest + data if self._rest else data
        frames = buf.split(_TERM)
        self._rest = frames.pop()
        if len(self._rest) > MAX_FRAME:
            self._dispatcher.skip(SOURCE, "malformed", "<oversized>", f"{len(self._rest)} bytes")
            self._rest = b""
        events: list[AmiEvent] = []
        for frame in frames:
            try:
                event = self._frame(frame)
            except Exception as exc:  # a bad frame never stops the stream
                self._dispatcher.skip(SOURCE, "malformed", "<unparsable>", repr(exc))
                continue
            if event is not None:
                events.append(event)
        return events

    def _frame(self, frame: bytes) -> AmiEvent | None:
        frame = frame.strip(b"\r\n")  # Asterisk sometimes sends a lone EOL between frames
        if frame.startswith(_EVENT):
            end = frame.find(b"\r\n")
            name_b = frame[7:end] if end >= 0 else frame[7:]
            # Fast path: an event ccd has no model for, and no list action waiting for it.
            if name_b not in _KNOWN and not (len(self._pending) and b"ActionID:" in frame):
                self._dispatcher.skip(SOURCE, "unknown", name_b.decode("utf-8", "replace"))
                return None
        elif not frame:
            return None
        msg = Message.from_line(frame.decode("utf-8", "replace"))
        if msg is None:
            self._dispatcher.skip(SOURCE, "malformed", "<no Event or Response>", repr(frame[:80]))
            return None
        action_id = msg.get("ActionID")
        if isinstance(action_id, str) and self._pending.feed(action_id, msg):
            return None
        name = msg.get("Event")
        if not isinstance(name, str):
            if "response" not in msg:
                self._dispatcher.skip(SOURCE, "malformed", "<bad Event header>", repr(name)[:80])
            return None  # a response nobody waits for (timed out meanwhile): dropped
        if name not in EVENT_TYPES:
            self._dispatcher.skip(SOURCE, "unknown", name)
            return None
        try:
            event = build_event(name, msg)
        except MalformedEvent as exc:
            self._dispatcher.skip(SOURCE, "malformed", name, str(exc))
            return None
        if self._on_system is not None and name in ("FullyBooted", "Shutdown"):
            self._on_system(event)
        return event

