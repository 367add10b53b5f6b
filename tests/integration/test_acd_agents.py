"""Agents on the real Asterisk: feature codes from the shipped dialplan log in, pause and
log out; an agent whose phone is busy with a non-queue call is not offered queue calls."""

from __future__ import annotations

import pytest

from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, agent, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


async def test_feature_codes_log_in_pause_and_log_out(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    shared = "Local/ag-lobby-0-0-0@sim-agent"  # a shared phone may name the agent
    ccd = await ccd_factory(asterisk, agents=[agent("1001")], queues=[{"name": "support", "teams": ["t"]}],
                            shared_phones=[shared])

    def dial(code: str) -> None:
        asterisk.cli(f"channel originate {shared} extension {code}@ccd-agent")

    dial("*711001")
    await ccd.wait_event("agent.login", agent_id="1001")
    dial("*721001*lunch")
    paused = await ccd.wait_event("agent.paused", agent_id="1001")
    assert paused.payload["reason"] == "lunch"
    dial("*731001")
    await ccd.wait_event("agent.unpaused", agent_id="1001")
    dial("*741001")
    await ccd.wait_event("agent.logout", agent_id="1001")
    dial("*719999")  # not an agent: refused (and audited), nothing changes
    refused = await ccd.wait_event("agent.feature_refused", target="9999")
    assert refused.payload["reason"] == "unknown_agent" and refused.payload["actor"] == f"endpoint:{shared}"
    assert len(ccd.of("agent.login")) == 1
    assert ccd.daemon.snapshot().agents["1001"].state == "logged_out"


async def test_agent_busy_on_a_private_call_is_skipped(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    busy = agent("1001")
    ccd = await ccd_factory(asterisk, agents=[busy, agent("1002")], queues=[{"name": "support", "teams": ["t"]}])
    await ccd.login("1001", "1002")  # 1001 idles longest and would get the call
    # 1001's phone takes a call that has nothing to do with the queue.
    asterisk.cli(f"channel originate {busy['endpoint']} application Wait 30")
    await eventually(lambda: ccd.daemon.snapshot().agents["1001"].device_in_use, "1001's device in use", 20)
    asterisk.originate_caller_cli("support", "5559100", hangup_after=20)
    answered = await ccd.wait_event("call.answered")
    assert answered.agent_id == "1002"
