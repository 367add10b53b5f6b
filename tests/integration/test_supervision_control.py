"""Supervision access control and clean endings on the real Asterisk: a refused supervisor
never gets a snoop channel, and every way a session ends leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import asyncpg
import pytest

from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running
from tests.integration.test_supervision_audio import (
    SUP_HZ,
    assert_nothing_left,
    bridged,
    call_in,
    dial_code,
    hears,
    http,
    no_sessions_left,
    quiet_asterisk,
    rec_agent,
    rx,
    sup_phone,
    supervisor,
    tag,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


async def watch_for_snoops(ccd: Running, seconds: float) -> list[str]:
    """Every Snoop/ channel seen on ARI during ``seconds`` (polled every 20 ms)."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen |= {c.name for c in await ccd.daemon.rest.list_channels() if c.name.startswith("Snoop/")}
        await asyncio.sleep(0.02)
    return sorted(seen)


async def stored_types(ccd: Running, type_prefix: str) -> list[tuple[str, dict[str, object]]]:
    """Rows in the event store (the audit trail), after the writer flushed."""
    await asyncio.sleep(0.3)  # the writer's flush interval
    conn = await asyncpg.connect(ccd.daemon.dsn)
    try:
        rows = await conn.fetch("SELECT type, payload FROM events WHERE type LIKE $1 ORDER BY ts", type_prefix + "%")
    finally:
        await conn.close()
    return [(r["type"], json.loads(r["payload"]) if isinstance(r["payload"], str) else dict(r["payload"]))
            for r in rows]


async def committed(ccd: Running) -> list[dict[str, Any]]:
    """The supervision rows PostgreSQL holds right now (no wait for the writer's next flush)."""
    conn = await asyncpg.connect(ccd.daemon.dsn)
    try:
        rows = await conn.fetch("SELECT type, call_id, payload FROM events WHERE type LIKE 'supervision.%' "
                                "ORDER BY ts, event_id")
    finally:
        await conn.close()
    return [{"type": r["type"], "call_id": r["call_id"],
             "payload": json.loads(r["payload"]) if isinstance(r["payload"], str) else dict(r["payload"])}
            for r in rows]


@pytest.fixture
async def two_supervisors(asterisk: AsteriskInstance, ccd_factory: Factory) -> tuple[Running, dict[str, str], str]:
    cfg_http = http([{"name": "olga", "role": "supervisor", "supervisor": "S2", "token": "tok-olga"},
                     {"name": "root", "role": "admin", "token": "tok-admin"},
                     {"name": "view", "role": "viewer", "token": "tok-view"}])
    recs = {"caller": tag(), "agent": tag(), "sup": tag()}
    ccd = await ccd_factory(asterisk, agents=[rec_agent("A1", recs["agent"])],
                            queues=[{"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5}],
                            teams=[{"name": "t"}, {"name": "sales"}],
                            supervisors=[supervisor("S1", ["t"], sup_phone(recs["sup"])),
                                         supervisor("S2", ["sales"], sup_phone(tag()))],
                            http=cfg_http)
    await ccd.login("A1")
    call_in(asterisk, recs["caller"])
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    await bridged(ccd, answered.call_id)
    return ccd, recs, cfg_http["listen"]


async def test_refused_by_feature_code_never_snoops(asterisk: AsteriskInstance, two_supervisors: tuple[Running, dict[str, str], str]) -> None:
    ccd, _, _ = two_supervisors
    dial_code(asterisk, "S2", "*222A1", sup_phone(tag(), hangup_after=6))
    denied = await ccd.wait_event("supervision.denied", timeout=5)
    assert denied.payload == {**denied.payload, "supervisor": "S2", "reason": "not_in_teams", "via": "feature_code"}
    assert denied.agent_id == "A1"
    assert await watch_for_snoops(ccd, 2.0) == []
    # the refused supervisor heard a message and was hung up; the call is untouched
    assert not any("sv-S2" in c.name for c in await ccd.daemon.rest.list_channels())
    assert denied.call_id and len((await ccd.daemon.rest.get_bridge(f"ccd-call-{denied.call_id}")).channels) == 2
    assert ccd.of("supervision.started") == []
    assert [t for t, _ in await stored_types(ccd, "supervision.")] == ["supervision.denied"]


async def test_refused_by_api_403_with_audit(asterisk: AsteriskInstance, two_supervisors: tuple[Running, dict[str, str], str]) -> None:
    ccd, _, listen = two_supervisors
    base = f"http://{listen}/api/supervision"
    async with aiohttp.ClientSession() as web:
        async def post(token: str, body: object) -> tuple[int, dict[str, str]]:
            async with web.post(base, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
                return resp.status, await resp.json()

        status, body = await post("tok-olga", {"agent_id": "A1", "mode": "listen"})
        assert status == 403 and "not in your teams" in body["message"]
        assert [r["type"] for r in await committed(ccd)] == ["supervision.denied"]  # on record at the reply
        status, body = await post("tok-admin", {"agent_id": "A1", "mode": "barge", "supervisor_id": "S2"})
        assert status == 403  # an admin cannot lend S2 another team's agent either
        status, body = await post("tok-olga", {"agent_id": "A1", "mode": "listen", "supervisor_id": "S1"})
        assert status == 403  # a supervisor token acts for its own supervisor only
        status, body = await post("tok-view", {"agent_id": "A1"})
        assert status == 403
        status, body = await post("tok-olga", {"agent_id": "A1", "mode": "shout"})
        assert status == 400 and body["message"].startswith("mode:")
        status, body = await post("tok-olga", {"agent": "A1"})
        assert status == 400
        status, body = await post("tok-admin", {"agent_id": "A1"})
        assert status == 400 and "supervisor_id" in body["message"]
    assert await watch_for_snoops(ccd, 1.0) == []
    denied = ccd.of("supervision.denied")
    assert [(d.payload["supervisor"], d.payload["via"]) for d in denied] == [("S2", "api"), ("S2", "api")]
    assert [t for t, _ in await stored_types(ccd, "supervision.")] == ["supervision.denied"] * 2


@pytest.mark.parametrize("who_hangs_up", ["agent", "caller", "supervisor"])
async def test_every_ending_leaves_nothing_behind(
    asterisk: AsteriskInstance, ccd_factory: Factory, who_hangs_up: str
) -> None:
    recs = {"caller": tag(), "agent": tag(), "sup": tag()}
    ccd = await ccd_factory(
        asterisk, agents=[rec_agent("A1", recs["agent"], talk=6 if who_hangs_up == "agent" else 0)],
        queues=[{"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5}],
        supervisors=[supervisor("S1", ["t"], sup_phone(recs["sup"]))])
    await ccd.login("A1")
    call_in(asterisk, recs["caller"], hangup_after=7 if who_hangs_up == "caller" else 60)
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    await bridged(ccd, answered.call_id)
    # barge: the supervisor sits in the call's own bridge, the hardest case to clean up
    dial_code(asterisk, "S1", "*223A1", sup_phone(recs["sup"], hangup_after=4 if who_hangs_up == "supervisor" else 60))
    await ccd.wait_event("supervision.started")
    ended = await ccd.wait_event("supervision.ended", timeout=15)
    expected = "supervisor_hangup" if who_hangs_up == "supervisor" else "call_ended"
    assert ended.payload["reason"] == expected
    if who_hangs_up == "supervisor":
        # the call goes on untouched: caller and agent still bridged, no snoop, no private bridge
        await asyncio.sleep(0.5)
        bridge = await ccd.daemon.rest.get_bridge(f"ccd-call-{answered.call_id}")
        assert len(bridge.channels) == 2
        assert not [b for b in await ccd.daemon.rest.list_bridges() if b.id.startswith("ccd-sup-")]
        assert not [c for c in await ccd.daemon.rest.list_channels() if c.name.startswith("Snoop/")]
        await asyncio.sleep(1.5)
        assert ccd.of("call.ended") == []
        asterisk.cli("channel request hangup all")
    else:
        await ccd.wait_event("call.ended", call_id=answered.call_id)
    await assert_nothing_left(ccd)


async def test_switch_modes_back_and_forth_then_agent_hangs_up(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    """barge -> listen -> whisper -> barge by DTMF, then the agent ends the call."""
    recs = {"caller": tag(), "agent": tag(), "sup": tag()}
    ccd = await ccd_factory(asterisk, agents=[rec_agent("A1", recs["agent"], talk=8)],
                            queues=[{"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5}],
                            supervisors=[supervisor("S1", ["t"], sup_phone(recs["sup"]))])
    await ccd.login("A1")
    call_in(asterisk, recs["caller"])
    answered = await ccd.wait_event("call.answered", agent_id="A1")
    await bridged(ccd, answered.call_id)
    dial_code(asterisk, "S1", "*223A1", sup_phone(recs["sup"], hangup_after=60, dtmf_delay=1, digits="456"))
    changes = await ccd.wait_count("supervision.mode_changed", 3, timeout=10)
    assert [c.payload["mode"] for c in changes] == ["listen", "whisper", "barge"]
    ended = await ccd.wait_event("supervision.ended", timeout=10)
    assert ended.payload["reason"] == "call_ended" and ended.payload["mode"] == "barge"
    await assert_nothing_left(ccd)
    assert hears(rx(asterisk, recs["caller"]), SUP_HZ)


async def test_not_on_call_message_and_hangup(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[rec_agent("A1", tag())],
                            queues=[{"name": "support", "teams": ["t"]}],
                            supervisors=[supervisor("S1", ["t"])])
    await ccd.login("A1")
    dial_code(asterisk, "S1", "*221A1", sup_phone(tag(), hangup_after=30))
    await asyncio.sleep(0.5)
    await quiet_asterisk(ccd, timeout=8)  # "agent logged off" played, then hung up by the dialplan
    await no_sessions_left(ccd)
    assert ccd.of("supervision.started") == []
