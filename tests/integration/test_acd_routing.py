"""ACD routing on the real Asterisk: simulated callers enter the shipped dialplan, ccd offers
them to simulated agents, and the tests watch both ccd's events and Asterisk's bridges."""

from __future__ import annotations

import pytest

from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


def queue(name: str = "support", **kw: object) -> dict[str, object]:
    return {"name": name, "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5, **kw}


def bridged_pairs(ast: AsteriskInstance) -> str:
    return ast.cli("bridge show all")


@pytest.mark.parametrize(("policy", "expected"), [("trainee_first", "T1"), ("seniority_first", "S1")])
async def test_policy_picks_trainee_or_senior(
    asterisk: AsteriskInstance, ccd_factory: Factory, policy: str, expected: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("S1", "senior"), agent("T1", "trainee")],
                            queues=[queue(policy=policy)])
    await ccd.login("S1", "T1")
    asterisk.originate_caller_cli("support", "5551000", hangup_after=20)
    answered = await ccd.wait_event("call.answered")
    assert answered.agent_id == expected
    assert answered.payload["wait_s"] < 3
    # Caller and agent really share the call's mixing bridge in Asterisk.
    bridge = f"ccd-call-{answered.call_id}"
    out = asterisk.cli(f"bridge show {bridge}")
    assert "Local/c-5551000-support" in out and f"Local/ag-{expected}-" in out
