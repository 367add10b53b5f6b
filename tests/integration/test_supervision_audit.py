"""What supervision puts on record, and when: a refusal for the supervisor's or the agent's state
(busy, on no call) is committed before the API's 409 or the phone's "denied"; a mode switch
made while the supervisor's phone rings or waits for a call is committed before the API's
reply, with its actor, and the session then ends on record. Rows are read from PostgreSQL the
moment the reply arrives (or the phone is told), never after a wait."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, eventually
from tests.integration.test_supervision_audio import (
    bridged,
    call_in,
    dial_code,
    http,
    rec_agent,
    sup_phone,
    supervisor,
    tag,
)
from tests.integration.test_supervision_control import committed, stored_types
from tests.integration.test_supervision_ownership import send

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

TOKENS = [{"name": "s1-desk", "role": "supervisor", "supervisor": "S1", "token": "tok-s1"}]
NEVER_ANSWERS = "Local/ag-S1-never-0-1600@sim-agent"


async def rows_now(ccd: Running, sql: str) -> list[tuple[Any, ...]]:
    """What PostgreSQL holds right now, for a query of the projection."""
    conn = await asyncpg.connect(ccd.daemon.dsn)
    try:
        return [tuple(r.values()) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def start_floor(asterisk: AsteriskInstance, ccd_factory: Factory, sup_endpoint: str = "",
                      **extra: Any) -> tuple[Running, str]:
    cfg_http = http(TOKENS)
    sup = supervisor("S1", ["t"], sup_phone(tag(), hangup_after=60))
    if sup_endpoint:
        sup["endpoint"] = sup_endpoint
    ccd = await ccd_factory(asterisk, agents=[rec_agent("A1", tag())],
                            queues=[{"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5}],
                            supervisors=[sup], http=cfg_http, **extra)
    await ccd.login("A1")
    return ccd, f"http://{cfg_http['listen']}/api/supervision"


async def a_call(asterisk: AsteriskInstance, ccd: Running) -> str:
    call_in(asterisk, tag(), hangup_after=60)
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    await bridged(ccd, answered.call_id)
    assert answered.call_id
    return answered.call_id


async def test_busy_and_not_on_call_refusals_are_committed_before_the_reply(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd, base = await start_floor(asterisk, ccd_factory)
    async with aiohttp.ClientSession() as web:
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 409 and body["error"] == "supervision.not_on_call", body
        assert body["details"] == {"reason": "not_on_call", "supervisor": "S1", "agent": "A1"}
        rows = await committed(ccd)
        assert [(r["type"], r["call_id"], r["payload"]["reason"], r["payload"]["actor"], r["payload"]["via"],
                 r["payload"]["mode"]) for r in rows] == \
            [("supervision.denied", None, "not_on_call", "token:s1-desk", "api", "listen")]

        call_id = await a_call(asterisk, ccd)
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 201, body
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "whisper"})
        assert status == 409 and body["error"] == "supervision.supervisor_busy", body
        assert body["details"] == {"reason": "supervisor_busy", "supervisor": "S1", "agent": "A1"}
        busy = [r for r in await committed(ccd) if r["payload"].get("reason") == "supervisor_busy"]
        assert [(r["call_id"], r["payload"]["actor"], r["payload"]["mode"], r["payload"]["supervisor"])
                for r in busy] == [(call_id, "token:s1-desk", "whisper", "S1")]
    await ccd.wait_event("supervision.started", timeout=10)

    # S1, busy listening, dials *222A1 from a phone: refused, on record before the phone is told
    service = ccd.daemon.supervision
    told: list[tuple[str, list[dict[str, Any]]]] = []
    tell = service.steps.tell

    async def tell_and_look(channel: str, result: str) -> None:
        told.append((result, await committed(ccd)))
        await tell(channel, result)

    service.steps.tell = tell_and_look  # type: ignore[method-assign]
    dial_code(asterisk, "S1", "*222A1", sup_phone(tag(), hangup_after=6))
    await ccd.wait_event("supervision.denied", reason="busy", timeout=10)
    await eventually(lambda: bool(told), "the phone told why")
    result, seen = told[0]
    assert result == "denied"
    phone = [r for r in seen if r["payload"].get("reason") == "busy"]
    assert len(phone) == 1 and phone[0]["call_id"] == call_id
    p = phone[0]["payload"]
    assert p["via"] == "feature_code" and p["mode"] == "whisper" and p["supervisor"] == "S1"
    assert p["actor"].startswith("endpoint:Local/sv-S1-"), p
    assert len(service.live()) == 1  # the session S1 was in goes on


async def test_a_switch_while_ringing_is_committed_before_the_reply(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd, base = await start_floor(asterisk, ccd_factory, sup_endpoint=NEVER_ANSWERS)
    async with aiohttp.ClientSession() as web:
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1"})
        assert status == 409  # refused (agent on no call): a call-less row of its own
        await a_call(asterisk, ccd)
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 201 and body["state"] == "ringing", body
        sid = body["session_id"]
        status, body = await send(web, "POST", f"{base}/{sid}/mode", "tok-s1", {"mode": "barge"})
        assert status == 200 and body["mode"] == "barge" and body["state"] == "ringing", body
        rows = [r for r in await committed(ccd) if r["type"] == "supervision.mode_changed"]
        assert [(r["call_id"], r["payload"]) for r in rows] == [
            (None, {"supervisor": "S1", "session": sid, "mode": "barge", "previous": "listen",
                    "actor": "token:s1-desk"})]
        status, body = await send(web, "DELETE", f"{base}/{sid}", "tok-s1")
        assert status == 200, body
    ended = await ccd.wait_event("supervision.ended", timeout=10)
    assert ended.payload["reason"] == "stopped" and ended.payload["actor"] == "token:s1-desk"
    assert [t for t, _ in await stored_types(ccd, "supervision.")] == \
        ["supervision.denied", "supervision.mode_changed", "supervision.ended"]
    # the refusal's projected row keeps only what is its own
    assert await rows_now(ccd, "SELECT status, modes, reason FROM supervision_sessions WHERE agent_id = 'A1'") == \
        [("denied", None, "not_on_call")]


async def test_a_switch_while_waiting_for_a_call_is_committed_before_the_reply(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd, base = await start_floor(asterisk, ccd_factory, supervision={"wait_for_call": True})
    service = ccd.daemon.supervision
    async with aiohttp.ClientSession() as web:
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 201, body
        sid = body["session_id"]
        await eventually(lambda: service.sessions[sid].state == "waiting", "S1 answered, waiting for A1's call")
        status, body = await send(web, "POST", f"{base}/{sid}/mode", "tok-s1", {"mode": "whisper"})
        assert status == 200 and body["state"] == "waiting" and body["mode"] == "whisper", body
        rows = await committed(ccd)
        assert [(r["type"], r["call_id"], r["payload"]["actor"], r["payload"]["previous"]) for r in rows] == \
            [("supervision.mode_changed", None, "token:s1-desk", "listen")]
        call_id = await a_call(asterisk, ccd)
        started = await ccd.wait_event("supervision.started", timeout=10)
        assert started.call_id == call_id and started.payload["mode"] == "whisper"
        assert started.payload["actor"] == "token:s1-desk"
        status, body = await send(web, "DELETE", f"{base}/{sid}", "tok-s1")
        assert status == 200, body
    await ccd.wait_event("supervision.ended", timeout=10)
    assert [t for t, _ in await stored_types(ccd, "supervision.")] == \
        ["supervision.mode_changed", "supervision.started", "supervision.ended"]
    assert await rows_now(ccd, "SELECT status, mode, modes FROM supervision_sessions WHERE agent_id = 'A1'") == \
        [("ended", "whisper", ["whisper"])]
