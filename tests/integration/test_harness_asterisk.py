"""The harness's real Asterisk: a simulated caller enters the shipped dialplan and is seen on
AMI and on the ARI websocket; with no ccd connected the dialplan falls back to Queue()."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from ccd.sandbox.ami_probe import AmiProbe
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk


async def probe_for(ast: AsteriskInstance) -> AmiProbe:
    return await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.probe_user, ast.ami_secret)


async def test_caller_reaches_stasis_seen_on_ami_and_ari(asterisk: AsteriskInstance) -> None:
    probe = await probe_for(asterisk)
    auth = {"Authorization": aiohttp.encode_basic_auth(asterisk.ari_user, asterisk.ari_password)}
    ws_url = f"{asterisk.ari_url}/ari/events?app={asterisk.ari_app}"
    async with aiohttp.ClientSession(headers=auth) as http, http.ws_connect(ws_url) as ws:
        asterisk.originate_caller_cli("support", "5551234", hangup_after=3)
        start: dict[str, Any] = {}
        while not start:
            msg = await asyncio.wait_for(ws.receive(), 10)
            data = json.loads(msg.data)
            if data["type"] == "StasisStart":
                start = data
        assert start["args"][:3] == ["queue", "support", ""]
        assert abs(int(start["args"][3]) - time.time()) < 5  # enqueue time (EPOCH)
        chan = start["channel"]
        assert chan["caller"]["number"] == "5551234"
        assert chan["name"].startswith("Local/c-5551234-support@sim-trunk")
        assert chan["state"] == "Up"  # answered in the dialplan before Stasis()
        # AMI saw the same channel being created.
        ev = await probe.wait_for(
            lambda e: e.get("Event") == "Newchannel" and e.get("Channel") == chan["name"]
        )
        assert ev["Uniqueid"] == chan["id"]
        # While ccd holds it, the call is ours to end: hang it up over ARI and see StasisEnd.
        async with http.delete(f"{asterisk.ari_url}/ari/channels/{chan['id']}") as resp:
            assert resp.status == 204
        while True:
            data = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
            if data["type"] == "StasisEnd":
                assert data["channel"]["id"] == chan["id"]
                break
    await probe.close()


async def test_no_ccd_falls_back_to_native_queue(
    asterisk_factory: Callable[..., AsteriskInstance],
) -> None:
    agent = AsteriskInstance.agent_endpoint("1001", answer_delay=0.5, talk=2)
    ast = asterisk_factory(
        queues_conf=f"[support]\nstrategy = leastrecent\ntimeout = 5\nmember => {agent},0,Agent 1001\n"
    )
    probe = await probe_for(ast)
    ast.originate_caller_cli("support", "5550001", hangup_after=10)
    joined = await probe.wait_for(lambda e: e.get("Event") == "QueueCallerJoin")
    assert joined["Queue"] == "support"
    assert joined["CallerIDNum"] == "5550001"
    connect = await probe.wait_for(lambda e: e.get("Event") == "AgentConnect", timeout=15)
    assert connect["Queue"] == "support"
    assert connect["Interface"] == agent
    assert connect["MemberName"] == "Agent 1001"
    done = await probe.wait_for(lambda e: e.get("Event") == "AgentComplete", timeout=15)
    assert done["Reason"] == "agent"  # the simulated agent hung up after talking
    await probe.close()
