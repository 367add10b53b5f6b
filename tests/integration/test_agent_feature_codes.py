"""Agent feature codes through the shipped dialplan on the real Asterisk: an explicit agent id
only from a shared phone (or for the phone's own agent), letter ids work, reasons obey the
API's rule, and every change records the phone it came from.

A phone here is the ``;1`` half of a Local channel that runs the feature code; its endpoint
is the channel name without the sequence (``Local/ag-lobby-..@sim-agent``), as ``PJSIP/1001`` for
``PJSIP/1001-0000002a``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import structlog

from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

LOBBY = "Local/ag-lobby-0-0-0@sim-agent"  # a phone that answers; configured as shared
STRANGER = "Local/ag-stranger-0-0-0@sim-agent"  # no agent's, not shared


def dial(ast: AsteriskInstance, phone: str, code: str) -> None:
    ast.cli(f"channel originate {phone} extension {code}@ccd-agent")


async def refused(ccd: Running, logs: list[dict[str, Any]], n: int, timeout: float = 15.0) -> list[str]:
    """The reasons of the first ``n`` refusals ccd logged."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        why = [x["why"] for x in logs if x["event"] == "feature code refused"]
        if len(why) >= n:
            return why
        await asyncio.sleep(0.05)
    raise TimeoutError(f"{n} refusals not logged; saw {[x['event'] for x in logs]}")


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


async def test_other_phones_may_not_name_an_agent(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    await ccd.login("1001")
    with structlog.testing.capture_logs() as logs:
        dial(asterisk, STRANGER, "*721001*hacked")
        dial(asterisk, STRANGER, "*741001")
        why = await refused(ccd, logs, 2)
    assert why == ["not_shared_phone", "not_shared_phone"]
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
    with structlog.testing.capture_logs() as logs:
        dial(asterisk, phone, "*71alice")  # someone else: not from this phone
        assert await refused(ccd, logs, 1) == ["not_shared_phone"]
    dial(asterisk, phone, "*731001")  # its own agent by id: fine
    await ccd.wait_event("agent.unpaused", agent_id="1001")
    assert ccd.of("agent.login", agent_id="alice") == []


async def test_reasons_follow_the_api_rule(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await floor(asterisk, ccd_factory)
    await ccd.login("alice")
    with structlog.testing.capture_logs() as logs:
        dial(asterisk, LOBBY, "*72alice*" + "9" * 65)  # longer than the API allows
        dial(asterisk, LOBBY, "*72alice*lunch*x")  # '*' is not a reason character
        dial(asterisk, LOBBY, "*74alice*why")  # only a pause takes a reason
        assert sorted(await refused(ccd, logs, 3)) == ["bad_reason"] * 3
        dial(asterisk, LOBBY, "*72alice*a,b")  # a comma never reaches Stasis(): refused there
        await hung_up(ccd)
    assert len([x for x in logs if x["event"] == "feature code refused"]) == 3
    assert ccd.of("agent.paused") == [] and ccd.of("agent.logout") == []
    dial(asterisk, LOBBY, "*72alice*" + "9" * 64)
    paused = await ccd.wait_event("agent.paused", agent_id="alice")
    assert paused.payload["reason"] == "9" * 64
