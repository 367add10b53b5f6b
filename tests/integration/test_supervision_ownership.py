"""A supervision session belongs to its supervisor: another supervisor's token can neither
switch nor stop it (403 ``supervision.not_owner``, audited with who tried), an admin can;
every audited row names its actor; a mode change is on record before the audio changes,
and a failed switch's end before the API replies."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from ccd.sandbox.asterisk import AsteriskInstance
from ccd.whisper.media import MediaFailed
from tests.harness.ccd import Factory, Running
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

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

TOKENS = [{"name": "s1-desk", "role": "supervisor", "supervisor": "S1", "token": "tok-s1"},
          {"name": "s3-desk", "role": "supervisor", "supervisor": "S3", "token": "tok-s3"},
          {"name": "root", "role": "admin", "token": "tok-admin"}]


async def floor(asterisk: AsteriskInstance, ccd_factory: Factory) -> tuple[Running, str]:
    """S1 and S3 supervise the same team; A1 is on a call."""
    cfg_http = http(TOKENS)
    recs = {"caller": tag(), "agent": tag()}
    ccd = await ccd_factory(asterisk, agents=[rec_agent("A1", recs["agent"])],
                            queues=[{"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5}],
                            supervisors=[supervisor("S1", ["t"], sup_phone(tag(), hangup_after=60)),
                                         supervisor("S3", ["t"], sup_phone(tag(), hangup_after=60))],
                            http=cfg_http)
    await ccd.login("A1")
    call_in(asterisk, recs["caller"], hangup_after=60)
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    await bridged(ccd, answered.call_id)
    return ccd, f"http://{cfg_http['listen']}/api/supervision"


async def send(web: aiohttp.ClientSession, method: str, url: str, token: str,
               body: object = None) -> tuple[int, dict[str, Any]]:
    async with web.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def test_another_supervisor_cannot_switch_or_stop_a_session(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd, base = await floor(asterisk, ccd_factory)
    async with aiohttp.ClientSession() as web:
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 201, body
        sid = body["session_id"]
        started = await ccd.wait_event("supervision.started", timeout=10)
        assert started.payload["actor"] == "token:s1-desk" and started.payload["supervisor"] == "S1"

        status, body = await send(web, "POST", f"{base}/{sid}/mode", "tok-s3", {"mode": "barge"})
        assert status == 403 and body["error"] == "supervision.not_owner", body
        status, body = await send(web, "DELETE", f"{base}/{sid}", "tok-s3")
        assert status == 403 and body["error"] == "supervision.not_owner", body
        assert ccd.daemon.supervision.sessions[sid].mode == "listen"
        assert ccd.daemon.supervision.sessions[sid].state == "active"

        status, body = await send(web, "POST", f"{base}/{sid}/mode", "tok-admin", {"mode": "whisper"})
        assert status == 200, body  # admins excepted
        changed = await ccd.wait_event("supervision.mode_changed", mode="whisper")
        status, body = await send(web, "DELETE", f"{base}/{sid}", "tok-s1")
        assert status == 200, body
        ended = await ccd.wait_event("supervision.ended", reason="stopped")
    assert changed.payload["actor"] == "token:root" and ended.payload["actor"] == "token:s1-desk"
    denied = ccd.of("supervision.denied")
    assert [(d.payload["reason"], d.payload["actor"], d.payload["supervisor"]) for d in denied] == \
        [("not_owner", "token:s3-desk", "S1")] * 2
    assert denied[0].payload["mode"] == "barge" and denied[0].payload["session"] == sid
    audit = await stored_types(ccd, "supervision.")
    assert [(t, p["actor"]) for t, p in audit] == [
        ("supervision.started", "token:s1-desk"), ("supervision.denied", "token:s3-desk"),
        ("supervision.denied", "token:s3-desk"), ("supervision.mode_changed", "token:root"),
        ("supervision.ended", "token:s1-desk")]


async def test_feature_code_and_phone_keys_name_the_endpoint(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd, _ = await floor(asterisk, ccd_factory)
    # S1 dials *221A1 (listen), presses 5 (whisper) after 1 s, hangs up after 4 s
    dial_code(asterisk, "S1", "*221A1", sup_phone(tag(), hangup_after=4, dtmf_delay=1, digits="5"))
    started = await ccd.wait_event("supervision.started", timeout=10)
    changed = await ccd.wait_event("supervision.mode_changed", mode="whisper", timeout=10)
    ended = await ccd.wait_event("supervision.ended", timeout=15)
    phone = started.payload["actor"]
    assert isinstance(phone, str) and phone.startswith("endpoint:Local/sv-S1-"), phone
    assert changed.payload["actor"] == phone and ended.payload["reason"] == "supervisor_hangup"
    assert ended.payload["actor"] == phone


async def test_mode_change_is_durable_before_the_switch_and_audited_when_it_fails(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd, base = await floor(asterisk, ccd_factory)
    service = ccd.daemon.supervision
    seen_before_switch: list[list[str]] = []

    async def failing_switch(*args: object) -> None:
        # What PostgreSQL holds at the moment the audio would change: read at once, without
        # waiting for the writer's next flush, so only a committed (durable) row is seen.
        conn = await asyncpg.connect(ccd.daemon.dsn)
        try:
            rows = await conn.fetch("SELECT type FROM events WHERE type LIKE 'supervision.mode%'")
        finally:
            await conn.close()
        seen_before_switch.append([r["type"] for r in rows])
        raise MediaFailed("snoop replaced by nobody (injected)")

    service.media.switch = failing_switch  # type: ignore[method-assign]
    async with aiohttp.ClientSession() as web:
        status, body = await send(web, "POST", base, "tok-s1", {"agent_id": "A1", "mode": "listen"})
        assert status == 201, body
        await ccd.wait_event("supervision.started", timeout=10)
        status, body = await send(web, "POST", f"{base}/{body['session_id']}/mode", "tok-s1", {"mode": "barge"})
        assert status == 200 and body["state"] == "ended", body  # the reply follows the switch
        # the failure is on record when the reply arrives
        audit = await committed(ccd)
    assert seen_before_switch == [["supervision.mode_changed"]]
    assert [r["type"] for r in audit] == ["supervision.started", "supervision.mode_changed", "supervision.ended"]
    assert audit[1]["payload"]["actor"] == "token:s1-desk"
    assert audit[2]["payload"]["reason"] == "switch_failed" and audit[2]["payload"]["mode"] == "barge"
    ended = await ccd.wait_event("supervision.ended", timeout=10)
    assert ended.payload["reason"] == "switch_failed"
