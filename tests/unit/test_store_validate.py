"""Payload validation and the spool record codec: nothing the database would refuse gets
through as a row, and every event comes back from the spool exactly as it went in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccd import events as ev
from ccd.events import DomainEvent, RawEvent, event
from ccd.store.validate import DeadLetter, decode_record, encode_record, prepare

T = 1_780_000_000.0


def dead_reason(e: DomainEvent) -> str:
    out = prepare(e)
    assert isinstance(out, DeadLetter), out
    return out.reason


def test_valid_events_become_rows() -> None:
    e = event(ev.CALL_ANSWERED, T, call_id="c1", agent_id="a1", queue="q", wait_s=3,
              sticky=True, extra={"nested": [1, 2]})
    row = prepare(e)
    assert not isinstance(row, DeadLetter)
    assert row[:6] == (e.event_id, e.ts, "call.answered", "c1", "a1", "q")
    assert json.loads(row[6]) == {"wait_s": 3, "sticky": True, "extra": {"nested": [1, 2]}}


def test_a_queue_alert_acknowledgement_is_stored_with_its_queue_only() -> None:
    ack = ev.AlertAcknowledged(ts=datetime.fromtimestamp(T, UTC), queue="support", alert="long_wait",
                               actor="s1", quiet_s=300.0)
    row = prepare(ack)
    assert not isinstance(row, DeadLetter), row
    assert row[2:6] == ("alert.acknowledged", None, None, "support")


@pytest.mark.parametrize(
    ("e", "reason"),
    [
        (event("call.teleported", T, call_id="c"), "unknown event type"),
        (event(ev.CALL_ANSWERED, T, call_id="c", agent_id="a", wait_s="3"), "wait_s must be num"),
        (event(ev.CALL_ANSWERED, T, call_id="c", agent_id="a"), "wait_s is required"),
        (event(ev.CALL_ANSWERED, T, call_id="c", agent_id="a", wait_s=-1), "wait_s must be num"),
        (event(ev.CALL_ANSWERED, T, call_id="c", agent_id="a", wait_s=True), "must be num"),
        (event(ev.CALL_ANSWERED, T, call_id="c", agent_id="a", wait_s=10**400), "must be num"),
        (event(ev.CALL_ANSWERED, T, call_id="c", wait_s=1), "missing agent_id"),
        (event(ev.CALL_ENDED, T, agent_id="a", talk_s=1), "missing call_id"),
        (event(ev.CALL_QUEUED, T, call_id="c"), "missing queue"),
        (event(ev.ALERT_ACKED, T, alert="long_wait", actor="s1", quiet_s=300), "no subject"),
        (event(ev.AGENT_LOGIN, T), "missing agent_id"),
        (event(ev.AGENT_LOGIN, T, agent_id="a\x00b"), "NUL in agent_id"),
        (event(ev.AGENT_LOGIN, T, agent_id="\ud800"), "invalid unicode"),
        (event(ev.AGENT_PAUSED, T, agent_id="a", reason="x\x00"), "NUL"),
        (event(ev.AGENT_PAUSED, T, agent_id="a", reason="\udcff"), "not valid JSON"),
        (event(ev.AGENT_PAUSED, T, agent_id="a", x=float("nan")), "not valid JSON"),
        (event(ev.AGENT_PAUSED, T, agent_id="a", x=object()), "not valid JSON"),
        (event(ev.RATING_RESULT, T, call_id="c", outcome="rated", score=7), "score must be"),
        (event(ev.RATING_RESULT, T, call_id="c", outcome="meh"), "outcome must be"),
        (event(ev.SUPERVISION_STARTED, T, agent_id="a", mode="listen"), "supervisor"),
        (RawEvent(type=ev.AGENT_LOGIN, ts=datetime(2026, 1, 1), agent_id="a"), "timezone-aware"),
        (RawEvent(type=ev.AGENT_LOGIN, ts="yesterday", agent_id="a"), "timezone-aware"),  # type: ignore[arg-type]
        (RawEvent(type=ev.AGENT_LOGIN, ts=datetime.now(UTC), agent_id="a", event_id=""), "event_id"),
        (RawEvent(type=ev.AGENT_LOGIN, ts=datetime.now(UTC), agent_id="a", payload=[1]),  # type: ignore[arg-type]
         "mapping"),
    ],
)
def test_bad_events_become_dead_letters(e: DomainEvent, reason: str) -> None:
    assert reason in dead_reason(e)


def test_dead_letter_raw_is_storable_text() -> None:
    e = event("x.y", T, call_id="c\x00", note="\ud800")
    d = prepare(e)
    assert isinstance(d, DeadLetter)
    assert "\x00" not in d.raw
    d.raw.encode("utf-8")  # no lone surrogates left
    assert d.dedupe_key == e.event_id


def test_backslash_u0000_text_is_not_a_nul() -> None:
    e = event(ev.AGENT_PAUSED, T, agent_id="a", reason="C:\\u0000dir")
    assert not isinstance(prepare(e), DeadLetter)


json_leaf = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.text(max_size=20) \
    | st.floats(allow_nan=False, allow_infinity=False)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
payloads = st.dictionaries(st.text(max_size=10), json_value | st.floats() | st.text(), max_size=6)


@given(st.sampled_from(sorted(ev.EVENT_TYPES | {"bogus"})), payloads,
       st.integers(-3600 * 14, 3600 * 14))
def test_prepare_never_raises_and_spool_round_trips(
    type_: str, payload: dict[str, Any], offset_s: int
) -> None:
    ts = datetime(2026, 3, 29, 1, 59, tzinfo=timezone(timedelta(seconds=offset_s // 60 * 60)))
    e = RawEvent(type=type_, ts=ts, call_id="c1", agent_id="a1", queue="q", payload=payload)
    first = prepare(e)
    back = decode_record(encode_record(e))
    if isinstance(first, DeadLetter):
        assert back == first
    else:
        assert not isinstance(back, DeadLetter)
        assert back[:6] == first[:6] and back[1].utcoffset() == first[1].utcoffset()
        assert json.loads(back[6]) == json.loads(first[6])


def test_garbage_spool_record_becomes_dead_letter() -> None:
    d = decode_record(b'{"event_id": "e1", "ts": "not a time"}\n{}')
    assert isinstance(d, DeadLetter) and "undecodable" in d.reason
    d = decode_record(b"\xff\xfe")
    assert isinstance(d, DeadLetter) and d.raw
