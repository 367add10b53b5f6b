"""Agent feature codes through the shipped dialplan on the real Asterisk: an explicit agent id
only from a shared phone (or for the phone's own agent), letter ids work, reasons obey the
API's rule, and every change records the phone it came from; every refusal is in PostgreSQL
(``agent.feature_refused``: the phone as actor, the code, the agent meant, why) before the
phone hears "denied".

A phone here is the ``;1`` half of a Local channel that runs the feature code; its endpoint
is the channel name without the sequence (``Local/ag-lobby-..@sim-agent``), as ``PJSIP/1001`` for
``PJSIP/1001-0000002a``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import pytest

from ccd.events import DomainEvent
from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

LOBBY = "Local/ag-lobby-0-0-0@sim-agent"  # a phone that answers; configured as shared
STRANGER = "Local/ag-stranger-0-0-0@sim-agent"  # no agent's, not shared


def dial(ast: AsteriskInstance, phone: str, code: str) -> None:
    ast.cli(f"channel originate {phone} extension {code}@ccd-agent")


async def refused(ccd: Running, n: int) -> list[DomainEvent]:
    """The first ``n`` refusals ccd audited (published once committed)."""
    return await ccd.wait_count("agent.feature_refused", n)


async def stored_refusals(ccd: Running) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(call_id, agent_id, payload) of every refusal in the event store."""
    conn = await asyncpg.connect(ccd.daemon.dsn)
    try:
        rows = await conn.fetch("SELECT call_id, agent_id, payload::text AS p FROM events "
                                "WHERE type = 'agent.feature_refused' ORDER BY ts, event_id")
    finally:
        await conn.close()
    return [(r["call_id"], r["agent_id"], json.loads(r["p"])) for r in rows]


def key(payload: dict[str, Any]) -> tuple[str, str, str | None, str]:
    return payload["feature"], payload["reason"], payload.get("target"), payload["actor"]


async def hung_up(ccd: Running, timeout: float = 15.0) -> None:
    """Every phone got its answer and hung up (refused codes end in the dialplan)."""
    deadline = time.monotonic() + timeout
    while await ccd.daemon.rest.list_channels():
        if time.monotonic() > deadline:
            raise TimeoutError("channels left")
        await asyncio.sleep(0.1)


async def floor(asterisk: AsteriskInstance, ccd_factory: Factory) -> Running:
    return await ccd_factory(asterisk, agents=[agent("1001"), agent("alice")],
                             queues=[{"name": "support", "teams": ["t"]}], shared_phones=[LOBBY])


async def test_shared_phone_names_any_agent_letter_ids_too(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    dial(asterisk, LOBBY, "*71alice")
    login = await ccd.wait_event("agent.login", agent_id="alice")
    dial(asterisk, LOBBY, "*72alice*lunch")
    paused = await ccd.wait_event("agent.paused", agent_id="alice")
    dial(asterisk, LOBBY, "*73alice")
    await ccd.wait_event("agent.unpaused", agent_id="alice")
    dial(asterisk, LOBBY, "*74alice")
    logout = await ccd.wait_event("agent.logout", agent_id="alice")
    assert paused.payload["reason"] == "lunch"
    for e in (login, paused, logout):
        assert e.payload["actor"] == f"endpoint:{LOBBY}", e
    states = ccd.of("agent.state", agent_id="alice")
    assert states and all(s.payload["actor"] == f"endpoint:{LOBBY}" for s in states)
    stored: list[tuple[str, str]] = []

    async def all_four_stored() -> bool:  # the endpoint is kept in PostgreSQL, not only on the bus
        conn = await asyncpg.connect(ccd.daemon.dsn)
        try:
            rows = await conn.fetch("SELECT type, payload->>'actor' AS actor FROM events WHERE agent_id = 'alice' "
                                    "AND type IN ('agent.login', 'agent.paused', 'agent.unpaused', 'agent.logout')")
        finally:
            await conn.close()
        stored[:] = sorted((r["type"], r["actor"]) for r in rows)
        return len(stored) == 4

    await eventually(all_four_stored, "the four changes stored")
    assert stored == sorted((t, f"endpoint:{LOBBY}") for t in
                            ("agent.login", "agent.paused", "agent.unpaused", "agent.logout"))


async def test_other_phones_may_not_name_an_agent(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    await ccd.login("1001")
    dial(asterisk, STRANGER, "*721001*hacked")
    dial(asterisk, STRANGER, "*741001")
    dial(asterisk, LOBBY, "*74nobody")  # a shared phone, but no such agent
    seen = await refused(ccd, 3)
    stored = await stored_refusals(ccd)  # durable before it was published: no wait for a flush
    assert sorted(key(p) for _, _, p in stored) == sorted(key(dict(e.payload)) for e in seen) == [
        ("logout", "not_shared_phone", "1001", f"endpoint:{STRANGER}"),
        ("logout", "unknown_agent", "nobody", f"endpoint:{LOBBY}"),
        ("pause", "not_shared_phone", "1001", f"endpoint:{STRANGER}"),
    ]
    by_target = {p["target"]: (call_id, agent_id, p) for call_id, agent_id, p in stored if p["feature"] != "pause"}
    assert by_target["1001"][1] == "1001" and by_target["nobody"][1] is None  # agent_id: only agents that exist
    assert next(p for _, _, p in stored if p["feature"] == "pause")["pause_reason"] == "hacked"
    assert {e.call_id for e in seen} == {call_id for call_id, _, _ in stored}  # the phones' channels
    await hung_up(ccd)
    assert ccd.of("agent.paused") == [] and ccd.of("agent.logout") == []
    assert ccd.daemon.snapshot().agents["1001"].state == "available"


async def test_own_phone_acts_for_its_agent_only(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    phone = agent("1001")["endpoint"]  # the agent's own phone dials
    dial(asterisk, phone, "*71")
    login = await ccd.wait_event("agent.login", agent_id="1001")
    assert login.payload["actor"] == f"endpoint:{phone}"
    dial(asterisk, phone, "*72*2")
    paused = await ccd.wait_event("agent.paused", agent_id="1001")
    assert paused.payload["reason"] == "2" and paused.payload["actor"] == f"endpoint:{phone}"
    dial(asterisk, phone, "*71alice")  # someone else: not from this phone
    [no] = await refused(ccd, 1)
    assert (no.agent_id, no.payload["reason"], no.payload["actor"]) == ("alice", "not_shared_phone",
                                                                        f"endpoint:{phone}")
    dial(asterisk, phone, "*731001")  # its own agent by id: fine
    await ccd.wait_event("agent.unpaused", agent_id="1001")
    assert ccd.of("agent.login", agent_id="alice") == []


async def test_reasons_follow_the_api_rule(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    await ccd.login("alice")
    dial(asterisk, LOBBY, "*72alice*" + "9" * 65)  # longer than the API allows
    dial(asterisk, LOBBY, "*72alice*lunch*x")  # '*' is not a reason character
    dial(asterisk, LOBBY, "*74alice*why")  # only a pause takes a reason
    dial(asterisk, LOBBY, "*72alice*a,b")  # a comma never reaches Stasis() arguments: refused there
    await refused(ccd, 4)
    await hung_up(ccd)
    stored = sorted((p["reason"], p["feature"], p.get("target"), p.get("pause_reason", ""))
                    for _, _, p in await stored_refusals(ccd))
    assert stored == [
        ("bad_characters", "pause", None, ""),  # the dialplan keeps the text from ccd: no target
        ("bad_reason", "logout", "alice", "why"),
        ("bad_reason", "pause", "alice", "9" * 64),  # what was dialled, cut to the field's size
        ("bad_reason", "pause", "alice", "lunch*x"),
    ]
    assert {p["actor"] for _, _, p in await stored_refusals(ccd)} == {f"endpoint:{LOBBY}"}
    assert ccd.of("agent.paused") == [] and ccd.of("agent.logout") == []
    dial(asterisk, LOBBY, "*72alice*" + "9" * 64)
    paused = await ccd.wait_event("agent.paused", agent_id="alice")
    assert paused.payload["reason"] == "9" * 64
