"""AMI actions and typed events against the real Asterisk, including the ones panoramisk 1.4
mishandles (QueueAdd/QueueRemove never resolving, PlayDTMF crashing its protocol)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import structlog

from ccd.ami import (
    AmiActionError,
    AmiClient,
    AmiEvent,
    QueueCallerJoin,
    QueueMemberAdded,
    QueueMemberPause,
    QueueMemberRemoved,
)
from ccd.dispatch import Dispatcher
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk

MEMBER = "Local/ag-2001-never-0@sim-agent"


@pytest.fixture
async def ami(
    asterisk_factory: Callable[..., AsteriskInstance],
) -> AsyncIterator[tuple[AmiClient, list[AmiEvent], Dispatcher]]:
    ast = asterisk_factory(queues_conf="[support]\nstrategy = ringall\ntimeout = 5\n")
    log = structlog.get_logger("test")
    dispatcher = Dispatcher(log)
    seen: list[AmiEvent] = []
    dispatcher.subscribe(AmiEvent, seen.append)
    dispatcher.start()
    client = AmiClient(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret,
                       dispatcher=dispatcher, log=log, events="system,call,agent")
    await client.start()
    await client.wait_connected(15)
    yield client, seen, dispatcher
    await client.close()
    await dispatcher.close()


async def wait_for(seen: list[AmiEvent], kind: type, timeout: float = 10.0) -> AmiEvent:
    async with asyncio.timeout(timeout):
        while True:
            for e in seen:
                if isinstance(e, kind):
                    return e
            await asyncio.sleep(0.02)


async def test_queue_member_actions_resolve_and_emit_typed_events(
    ami: tuple[AmiClient, list[AmiEvent], Dispatcher],
) -> None:
    client, seen, _ = ami
    add = await client.action("QueueAdd", {"Queue": "support", "Interface": MEMBER,
                                           "MemberName": "Agent 2001", "Penalty": 1})
    assert add["Message"] == "Added interface to queue"
    added = await wait_for(seen, QueueMemberAdded)
    assert isinstance(added, QueueMemberAdded)
    assert (added.queue, added.interface, added.member_name, added.penalty) == (
        "support", MEMBER, "Agent 2001", 1)
    await client.action("QueuePause", {"Queue": "support", "Interface": MEMBER,
                                       "Paused": "true", "Reason": "Mittagspause ü"})
    paused = await wait_for(seen, QueueMemberPause)
    assert isinstance(paused, QueueMemberPause)
    assert paused.paused and paused.paused_reason == "Mittagspause ü"
    members = await client.action_list("QueueStatus", {"Queue": "support"})
    assert [m["Name"] for m in members if m["Event"] == "QueueMember"] == ["Agent 2001"]
    await client.action("QueueRemove", {"Queue": "support", "Interface": MEMBER})
    assert isinstance(await wait_for(seen, QueueMemberRemoved), QueueMemberRemoved)
    with pytest.raises(AmiActionError, match="No such queue"):
        await client.action("QueueRemove", {"Queue": "nope", "Interface": MEMBER})


async def test_play_dtmf_and_list_actions_on_a_live_call(
    ami: tuple[AmiClient, list[AmiEvent], Dispatcher],
) -> None:
    client, seen, _ = ami
    # No ARI app connected: the caller falls back to the native Queue().
    await client.action("Originate", {
        "Channel": AsteriskInstance.caller_channel("support", "5550123"),
        "Context": "sim-phone", "Exten": AsteriskInstance.phone_exten(hangup_after=20),
        "Priority": 1, "Async": "true",
    })
    join = await wait_for(seen, QueueCallerJoin)
    assert isinstance(join, QueueCallerJoin)
    assert (join.queue, join.caller_num, join.position) == ("support", "5550123", 1)
    channels = await client.action_list("CoreShowChannels")
    phone = next(c["Channel"] for c in channels if c["Channel"].endswith(";1"))
    dtmf = await client.action("PlayDTMF", {"Channel": phone, "Digit": "5"})
    assert dtmf.success
    await client.action("Hangup", {"Channel": join.channel})
