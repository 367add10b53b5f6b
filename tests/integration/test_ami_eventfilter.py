"""ccd's AMI user gets only the events ccd consumes (manager.conf ``eventfilter`` rendered by
``ccd.asterisk_config.render_eventfilter``), on the Asterisk under test; replies to actions
still arrive in full."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from ccd.ami.rights import EVENTS
from ccd.sandbox.ami_probe import AmiProbe
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk


async def test_ccd_user_sees_only_consumed_events_while_sim_sees_all(
    asterisk_factory: Callable[..., AsteriskInstance],
) -> None:
    agent = AsteriskInstance.agent_endpoint("1001", answer_delay=0.2, talk=1)
    ast = asterisk_factory(
        queues_conf=f"[support]\nstrategy = leastrecent\ntimeout = 5\nmember => {agent},0,Agent 1001\n"
    )
    ccd_view = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.ami_user, ast.ami_secret)
    full_view = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
    try:
        # No ccd: the call takes the native Queue() fallback, so queue events flow too.
        ast.originate_caller_cli("support", "5550001", hangup_after=10)
        await full_view.wait_for(lambda e: e.get("Event") == "AgentComplete", timeout=30)
        await ccd_view.wait_for(lambda e: e.get("Event") == "DeviceStateChange", timeout=30)
        await full_view.wait_for(lambda e: e.get("Event") == "Newexten")
        seen = {e["Event"] for e in ccd_view.events}
        assert seen <= set(EVENTS), seen - set(EVENTS)
        assert len(full_view.events) > 3 * len(ccd_view.events)
        # An action's reply events are not filtered.
        await asyncio.to_thread(ast.cli, "database put ccdtest k v")  # ccd's user may not write AstDB
        await ccd_view.send({"Action": "DBGet", "Family": "ccdtest", "Key": "k"})
        got = await ccd_view.wait_for(lambda e: e.get("Event") == "DBGetResponse")
        assert got["Val"] == "v"
    finally:
        await ccd_view.close()
        await full_view.close()
