"""The AMI user ccd renders, on a real Asterisk: ccd's own actions and events work, and
nothing beyond them (no shell through Originate, no CLI, no DTMF or queue events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import structlog

from ccd.ami import AmiActionError, AmiClient
from ccd.ami.rights import read_classes
from ccd.ari import AriClient
from ccd.asterisk_config import render_rights
from ccd.dispatch import Dispatcher
from ccd.queues.agent_persist import AgentStateStore
from ccd.sandbox.ami_probe import AmiProbe
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk


def event_is(name: str) -> Callable[[dict[str, str]], bool]:
    return lambda e: e.get("Event") == name


@pytest.fixture
async def ccd_ami(asterisk: AsteriskInstance) -> AsyncIterator[AmiClient]:
    log = structlog.get_logger("test")
    dispatcher = Dispatcher(log)
    dispatcher.start()
    client = AmiClient(asterisk.ami_host, asterisk.ami_port, asterisk.ami_user, asterisk.ami_secret,
                       dispatcher=dispatcher, log=log)
    await client.start()
    await client.wait_connected(30)  # FullyBooted arrived: read=system is enough
    yield client
    await client.close()
    await dispatcher.close()


def test_the_sandbox_user_is_the_rendered_one(asterisk: AsteriskInstance) -> None:
    manager = (asterisk.etc_dir / "manager.conf").read_text()
    section = manager.split(f"[{asterisk.ami_user}]\n", 1)[1].split("\n[", 1)[0]
    assert render_rights() in section + "\n"
    shown = asterisk.cli(f"manager show user {asterisk.ami_user}")
    assert "originate" not in shown and "dtmf" not in shown, shown


async def test_ccd_actions_pass_and_nothing_else(asterisk: AsteriskInstance, ccd_ami: AmiClient) -> None:
    rest = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.ari_password, asterisk.ari_app,
                     log=structlog.get_logger("test"))
    try:  # agent state: the dialplan writes AstDB (ARI originates it), AMI reads it back
        store = AgentStateStore(ccd_ami, rest)
        await store.save("rights-1.a_b", "paused:обед & lunch")
        assert await store.load("rights-1.a_b") == "paused:обед & lunch"  # UTF-8 through JSON and AMI
        assert "paused:обед & lunch" in asterisk.cli("database get ccd_agent rights-1.a_b")
        for value in ("available", "paused:a", "paused:b", "logged_out"):  # one agent's saves in order
            await store.save("rights-1.a_b", value)
        assert await store.load("rights-1.a_b") == "logged_out"
    finally:
        await rest.close()
    assert (await ccd_ami.action("Ping"))["Ping"] == "Pong"
    refused = {
        "Originate": {"Channel": "Local/s@default", "Application": "System", "Data": "touch /tmp/ccd-pwned"},
        "Command": {"Command": "core show uptime"},
        "Setvar": {"Variable": "GLOBAL_X", "Value": "1"},
        "DBPut": {"Family": "ccd_agent", "Key": "rights-1", "Val": "available"},
        "ModuleLoad": {"Module": "res_pjsip.so", "LoadType": "unload"},
        "Reload": {},
        "Redirect": {"Channel": "Local/x@default-00000001;1", "Exten": "s", "Context": "default", "Priority": "1"},
        "UserEvent": {"UserEvent": "x"},
        "UpdateConfig": {"SrcFilename": "manager.conf", "DstFilename": "manager.conf"},
    }
    for name, fields in refused.items():
        with pytest.raises(AmiActionError, match="Permission denied"):
            await ccd_ami.action(name, fields)


async def test_ccd_reads_device_state_but_no_dtmf_or_queue_events(
        asterisk_factory: Callable[..., AsteriskInstance]) -> None:
    agent = AsteriskInstance.agent_endpoint("1001", answer_delay=0.2, talk=2)
    ast = asterisk_factory(queues_conf=f"[support]\nstrategy = leastrecent\ntimeout = 5\nmember => {agent},0\n")
    ccd = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.ami_user, ast.ami_secret)
    sim = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
    try:
        # No ccd on ARI: the call takes the native Queue() (queue and agent events), and the
        # caller's phone sends DTMF once the agent talks.
        await asyncio.to_thread(ast.originate_caller_cli, "support", "5557001", hangup_after=4,
                                dtmf_delay=1, digits="5")
        for name in ("QueueCallerJoin", "AgentConnect", "DTMFEnd"):
            await sim.wait_for(event_is(name), timeout=30)
        gone = await sim.wait_for(lambda e: e.get("Event") == "Hangup"
                                  and e.get("CallerIDNum") == "5557001", timeout=30)
        # ccd's user is event-filtered too (no Hangup): the agent's phone going idle after the
        # call (after the DTMF) says that ccd's stream has passed the call.
        assert gone
        await ccd.wait_for(lambda e: e.get("Event") == "DeviceStateChange" and "1001" in e.get("Device", "")
                           and e.get("State") == "NOT_INUSE", timeout=30)
        seen = {e["Event"] for e in ccd.events}
        assert "DeviceStateChange" in seen  # what ccd consumes (class call)
        assert not seen & {"DTMFBegin", "DTMFEnd", "QueueCallerJoin", "AgentCalled", "AgentConnect",
                           "VarSet", "Newexten"}, seen
        assert set(read_classes()) == {"system", "call"}
    finally:
        await ccd.close()
        await sim.close()
