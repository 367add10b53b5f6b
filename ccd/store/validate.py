"""Pure checks that turn a domain event into a row the database will accept, or a dead letter.

Everything the database could reject (NUL characters, lone surrogates, NaN, wrong field
types the projections cast) is caught here, so one bad event never fails a whole batch.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ccd import events as ev
from ccd.events import EVENT_TYPES, DomainEvent

# event_id, ts, type, call_id, agent_id, queue, payload (JSON text): the COPY column order
Row = tuple[str, datetime, str, str | None, str | None, str | None, str]
ROW_COLUMNS: Final = ("event_id", "ts", "type", "call_id", "agent_id", "queue", "payload")
MAX_ID_LEN: Final = 256
RATING_OUTCOMES: Final = frozenset({"rated", "no_response", "abandoned", "not_offered"})


@dataclass(frozen=True, slots=True)
class DeadLetter:
    dedupe_key: str
    event_id: str | None
    type: str | None
    reason: str
    raw: str


def _is_num(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        return math.isfinite(float(v)) and v >= 0
    except OverflowError:
        return False


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31


_KINDS: Final[dict[str, Callable[[Any], bool]]] = {
    "num": _is_num,
    "int": _is_int,
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
}

# field -> kind; a trailing "?" means optional (absent or null), otherwise required non-null.
# Only fields that projections or audits rely on are checked; extra keys are allowed.
_SUP: Final = {"supervisor": "str", "mode": "str?", "previous": "str?", "via": "str?",
               "reason": "str?", "duration_s": "num?"}
SCHEMAS: Final[dict[str, dict[str, str]]] = {
    ev.CALL_QUEUED: {"caller": "str?", "priority": "int?", "sticky_agent": "str?"},
    ev.CALL_OFFERED: {"attempt": "int?", "sticky": "bool?"},
    ev.CALL_OFFER_FAILED: {"reason": "str?"},
    ev.CALL_ANSWERED: {"wait_s": "num", "sticky": "bool?"},
    ev.CALL_ABANDONED: {"wait_s": "num", "position": "int?"},
    ev.CALL_OVERFLOW: {"wait_s": "num", "target": "str?", "reason": "str?"},
    ev.CALL_ENDED: {"talk_s": "num", "ended_by": "str?"},
    ev.CALL_FALLBACK: {"outcome": "str?"},
    ev.AGENT_PAUSED: {"reason": "str?"},
    ev.AGENT_STATE: {"state": "str", "previous": "str?", "reason": "str?"},
    ev.AGENT_WRAPUP_ENDED: {"wrapup_s": "num"},
    ev.AGENT_MISSED: {"consecutive": "int?"},
    ev.AGENT_FEATURE_REFUSED: {"actor": "str", "feature": "str", "reason": "str", "target": "str?"},
    ev.SUPERVISION_STARTED: _SUP,
    ev.SUPERVISION_MODE: _SUP,
    ev.SUPERVISION_ENDED: _SUP,
    ev.SUPERVISION_DENIED: _SUP,
    ev.RATING_RESULT: {"outcome": "str", "score": "int?", "attempts": "int?", "caller": "str?"},
    ev.RECORDING_FINISHED: {"duration_s": "num?", "size": "int?"},
}
_NEEDS_CALL: Final = ("call.", "rating.", "recording.")
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _bad_id(name: str, v: Any, required: bool) -> str | None:
    if v is None:
        return f"missing {name}" if required else None
    if not isinstance(v, str) or not v or len(v) > MAX_ID_LEN:
        return f"bad {name}"
    if "\x00" in v:
        return f"NUL in {name}"
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        return f"invalid unicode in {name}"
    return None


def check_envelope(e: DomainEvent) -> str | None:
    """The reason the event's envelope is unacceptable, or None."""
    if not isinstance(e.type, str) or e.type not in EVENT_TYPES:
        return f"unknown event type {e.type!r}"[:200]
    if not isinstance(e.ts, datetime) or e.ts.tzinfo is None or e.ts.utcoffset() is None:
        return "ts must be a timezone-aware datetime"
    # A refused feature code may name no agent that exists: its subject is the phone's call.
    needs_agent = (e.type.startswith("agent.") and e.type != ev.AGENT_FEATURE_REFUSED) or e.type == ev.CALL_ANSWERED
    needs_call = e.type.startswith(_NEEDS_CALL) or e.type == ev.AGENT_FEATURE_REFUSED
    for name, value, required in (
        ("event_id", e.event_id, True),
        ("call_id", e.call_id, needs_call),
        ("agent_id", e.agent_id, needs_agent),
        ("queue", e.queue, e.type == ev.CALL_QUEUED),
    ):
        if reason := _bad_id(name, value, required):
            return reason
    if e.call_id is None and e.agent_id is None and e.queue is None:
        return "event has no subject: no call_id, agent_id or queue"  # a queue's alert has only its queue
    return None


def check_payload(type_: str, payload: Mapping[str, Any]) -> str | None:
    """The reason the payload fails its type's schema, or None."""
    for key, kind in SCHEMAS.get(type_, {}).items():
        value = payload.get(key)
        if value is None:
            if not kind.endswith("?"):
                return f"payload.{key} is required"
            continue
        if not _KINDS[kind.rstrip("?")](value):
            return f"payload.{key} must be {kind.rstrip('?')}"
    if type_ == ev.RATING_RESULT:
        if payload["outcome"] not in RATING_OUTCOMES:
            return "payload.outcome must be one of " + "|".join(sorted(RATING_OUTCOMES))
        score = payload.get("score")
        if payload["outcome"] == "rated" and not (
            isinstance(score, int) and _is_int(score) and 1 <= score <= 5
        ):
            return "payload.score must be 1..5 when rated"
    return None


def payload_json(payload: Any) -> str:
    """Compact JSON text of the payload; raises ValueError when jsonb would not accept it."""
    if not isinstance(payload, Mapping):
        raise ValueError("payload must be a mapping")
    try:
        text = json.dumps(dict(payload), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
        text.encode("utf-8")
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as exc:
        raise ValueError(f"payload is not valid JSON: {type(exc).__name__}") from None
    if "\\u0000" in text and _NUL_ESCAPE.search(text):
        raise ValueError("payload contains a NUL character")
    return text


def _clean(text: str) -> str:
    # dead letters must be storable whatever they contain
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def raw_text(e: Any) -> str:
    try:
        data = e.as_dict() if isinstance(e, DomainEvent) else e
        text = json.dumps(data, default=repr, ensure_ascii=False, separators=(",", ":"))
    except Exception:  # the raw form is best effort: never let it fail the dead letter
        text = repr(e)
    return _clean(text)


def dead_letter(reason: str, raw: str, event_id: Any = None, type_: Any = None) -> DeadLetter:
    eid = _clean(event_id)[:MAX_ID_LEN] if isinstance(event_id, str) and event_id else None
    key = eid or "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()
    typ = _clean(type_)[:200] if isinstance(type_, str) else None
    return DeadLetter(key, eid, typ, _clean(reason), raw)


def prepare(e: DomainEvent) -> Row | DeadLetter:
    """The COPY row for a valid event, or a dead letter saying why not."""
    try:
        payload = e.payload  # a typed event builds it from its fields: once
        reason = check_envelope(e) or check_payload(e.type, payload)
        if reason is None:
            text = payload_json(payload)
    except ValueError as exc:
        reason = str(exc)
    except Exception as exc:  # a malformed event object must not stop the writer
        reason = f"malformed event: {type(exc).__name__}"
    if reason is not None:
        return dead_letter(reason, raw_text(e), getattr(e, "event_id", None),
                           getattr(e, "type", None))
    return (e.event_id, e.ts, e.type, e.call_id, e.agent_id, e.queue, text)


# --- spool records ------------------------------------------------------------------
# An event record is its envelope as a JSON object, a newline, then the payload JSON text
# exactly as it will be COPY'd (validated once, on the way in). JSON never contains a raw
# newline, so the split is unambiguous. A dead-letter record is one JSON object.

def encode_record(e: DomainEvent) -> bytes:
    """Spool record body for an event (or for its dead letter when it is invalid)."""
    item = prepare(e)
    if isinstance(item, DeadLetter):
        return encode_dead(item)
    eid, ts, typ, call_id, agent_id, queue, text = item
    head = json.dumps({"event_id": eid, "ts": ts.isoformat(), "type": typ, "call_id": call_id,
                       "agent_id": agent_id, "queue": queue}, ensure_ascii=False)
    return (head + "\n" + text).encode("utf-8")


def encode_dead(d: DeadLetter) -> bytes:
    body = {"dead_letter": {"dedupe_key": d.dedupe_key, "event_id": d.event_id,
                            "type": d.type, "reason": d.reason, "raw": d.raw}}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def decode_record(data: bytes) -> Row | DeadLetter:
    """Inverse of :func:`encode_record`; anything undecodable becomes a dead letter."""
    try:
        head, nl, payload = data.partition(b"\n")
        obj = json.loads(head)
        if not nl:
            d = obj["dead_letter"]
            return DeadLetter(str(d["dedupe_key"]), d.get("event_id"), d.get("type"),
                              str(d["reason"]), str(d["raw"]))
        ts = datetime.fromisoformat(obj["ts"])
        if ts.tzinfo is None:
            raise ValueError("naive ts")
        return (str(obj["event_id"]), ts, str(obj["type"]), obj.get("call_id"),
                obj.get("agent_id"), obj.get("queue"), payload.decode("utf-8"))
    except Exception as exc:  # a damaged record is kept as a dead letter, never dropped
        raw = _clean(data.decode("utf-8", "backslashreplace"))
        return dead_letter(f"undecodable spool record: {type(exc).__name__}", raw)
