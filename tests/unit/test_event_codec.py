"""Typed domain events: one class per type, one registry, one codec; rows written before the
events were typed still read back.

``data/events_v1.json`` holds events exactly as the untyped ``DomainEvent.as_dict()`` wrote
them (the JSON of the ``events`` table), produced by the real code paths of that time: the ACD
engine driven through a call's life, supervision sessions, the callback book, the fallback
log import, survey results, and the shells' recording / console audit events; it stays as it
is. ``data/events_added.json`` holds rows of the types added since, as ccd writes them.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ccd import events as ev
from ccd.events.schema import event_schemas
from ccd.store.validate import DeadLetter, prepare

DATA = Path(__file__).parent / "data"
OLD_ROWS: list[dict[str, Any]] = json.loads((DATA / "events_v1.json").read_text())
ADDED_ROWS: list[dict[str, Any]] = json.loads((DATA / "events_added.json").read_text())
ROWS = OLD_ROWS + ADDED_ROWS
T = 1_780_000_000.0


def test_the_old_and_added_rows_cover_every_event_type() -> None:
    old, added = {r["type"] for r in OLD_ROWS}, {r["type"] for r in ADDED_ROWS}
    assert old | added == ev.EVENT_TYPES
    assert not old & added  # a type of the old rows is covered by them


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['type']}:{r['event_id'][-6:]}")
def test_old_rows_read_back_typed_and_unchanged(row: dict[str, Any]) -> None:
    e = ev.from_dict(row)
    assert type(e) is ev.REGISTRY[row["type"]]  # typed, not the raw fallback
    assert ev.to_dict(e) == row  # the same JSON, key for key (nulls kept, absent keys absent)
    assert not isinstance(prepare(e), DeadLetter)  # the store keeps it (a queue's alert has only its queue)


def test_rows_from_the_database_read_back() -> None:
    # asyncpg gives ts as a datetime and payload::text as JSON text.
    row = dict(OLD_ROWS[0], ts=datetime.fromisoformat(OLD_ROWS[0]["ts"]), payload=json.dumps(OLD_ROWS[0]["payload"]))
    e = ev.from_dict(row)
    assert ev.to_dict(e) == OLD_ROWS[0]


def test_consumers_read_typed_fields() -> None:
    answered = next(ev.from_dict(r) for r in OLD_ROWS if r["type"] == ev.CALL_ANSWERED)
    assert isinstance(answered, ev.CallAnswered)
    assert isinstance(answered.wait_s, float) and isinstance(answered.sticky, bool)


def test_a_row_that_fits_no_class_is_kept_whole() -> None:
    renamed = {"event_id": "x1", "ts": "2026-01-01T00:00:00+00:00", "type": ev.CALL_ANSWERED, "call_id": "c",
               "agent_id": "a", "queue": "q", "payload": {"wait_seconds": 3.0}}
    unknown = dict(renamed, type="call.teleported", payload={"to": "mars"})
    for row in (renamed, unknown):
        e = ev.from_dict(row)
        assert isinstance(e, ev.RawEvent)
        assert ev.to_dict(e) == row


def test_producers_break_loudly_on_a_renamed_field() -> None:
    with pytest.raises(TypeError):
        ev.build(ev.CALL_ANSWERED, ev.utc(T), call_id="c", agent_id="a", wait_seconds=3.0)
    with pytest.raises(TypeError):
        ev.build("call.teleported", ev.utc(T), call_id="c")


def test_events_are_frozen_slotted_and_carry_their_type() -> None:
    e = ev.CallQueued(ts=datetime.now(UTC), call_id="c", queue="q", caller=None)
    assert e.type == ev.CALL_QUEUED
    assert not hasattr(e, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.caller = "x"  # type: ignore[misc]


def test_every_type_has_a_class_and_a_schema() -> None:
    schemas = event_schemas()
    assert set(ev.REGISTRY) == ev.EVENT_TYPES
    refs = {s["$ref"].rsplit("/", 1)[1] for s in schemas["DomainEvent"]["oneOf"]}
    assert refs == {cls.__name__ for cls in ev.REGISTRY.values()}
    for row in ROWS:  # every stored row fits its type's schema
        schema = schemas[ev.REGISTRY[row["type"]].__name__]
        assert schema["properties"]["type"]["const"] == row["type"]
        payload = schema["properties"]["payload"]
        assert set(row["payload"]) <= set(payload["properties"])
        assert set(payload["required"]) <= set(row["payload"])


def test_the_openapi_document_carries_the_event_schemas() -> None:
    from aiohttp import web

    from ccd.openapi import document

    schemas = document(web.Application())["components"]["schemas"]
    assert schemas["DomainEvent"] == event_schemas()["DomainEvent"]
    assert schemas["CallAnswered"]["properties"]["payload"]["properties"]["wait_s"] == {"type": "number"}
