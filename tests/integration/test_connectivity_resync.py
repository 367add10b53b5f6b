"""Resync against the real Asterisk: a channel that sits in the ccd Stasis application while
the websocket is gone (one client closed, a new one started) is found again with the
variables ccd keeps on it, and so are ccd's bridges; REST errors map as documented."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable

import pytest
import structlog

from ccd.ari import (
    AriClient,
    AriEventStream,
    BridgeNotFound,
    ChannelNotFound,
    Resync,
    StasisStart,
)
from ccd.dispatch import Dispatcher
from ccd.sandbox.asterisk_build import selected
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import eventually

pytestmark = pytest.mark.asterisk


class Stream:
    def __init__(self, rest: AriClient) -> None:
        log = structlog.get_logger("test")
        self.dispatcher = Dispatcher(log)
        self.starts: asyncio.Queue[StasisStart] = asyncio.Queue()
        self.resyncs: list[Resync] = []
        self.dispatcher.subscribe(StasisStart, self.starts.put_nowait)
        self.dispatcher.subscribe(Resync, self.resyncs.append)
        self.stream = AriEventStream(rest, dispatcher=self.dispatcher, log=log)

    async def __aenter__(self) -> Stream:
        self.dispatcher.start()
        await self.stream.start()
        await self.stream.wait_connected(10)
        await self.dispatcher.drain()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stream.close()
        await self.dispatcher.close()


@pytest.fixture
async def rest(asterisk: AsteriskInstance) -> AsyncIterator[AriClient]:
    client = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.ari_password,
                       asterisk.ari_app, log=structlog.get_logger("test"))
    yield client
    await client.close()


async def test_channel_in_stasis_is_found_again_with_its_variables(
    asterisk: AsteriskInstance, rest: AriClient
) -> None:
    caller = f"555{uuid.uuid4().int % 10_000:04d}"
    async with Stream(rest) as first:
        await asyncio.to_thread(asterisk.originate_caller_cli, "support", caller, hangup_after=60)
        start = await asyncio.wait_for(first.starts.get(), 10)
        chan = start.channel
        assert chan.caller.number == caller and start.args[:2] == ("queue", "support")
        await rest.set_variable(chan.id, "CCD_CALL_ID", "call-42")
        await rest.set_variable(chan.id, "CCD_ENQUEUED_AT", "1795550000.25")
        bridge = await rest.create_holding_bridge(f"ccd-test-hold-{caller}")
        await rest.add_channel(bridge.id, chan.id)
        empty = await rest.create_mixing_bridge(f"ccd-test-empty-{caller}")
        foreign = await rest.create_mixing_bridge(f"other-{caller}")
    # No websocket now: the channel stays in Stasis (ASTERISK.md), events are dropped.
    try:
        async with Stream(rest) as second:
            (snap,) = second.resyncs
            found = {c.id: c for c in snap.channels}
            assert chan.id in found, [c.name for c in snap.channels]
            again = found[chan.id]
            assert again.caller.number == caller
            assert dict(again.channelvars) == {
                "CCD_CALL_ID": "call-42", "CCD_QUEUE": "support", "CCD_ENQUEUED_AT": "1795550000.25"
            }
            bridges = {b.id: b for b in snap.bridges}
            assert bridges[bridge.id].channels == (chan.id,)
            assert bridges[bridge.id].bridge_type == "holding"
            assert empty.id in bridges  # ours by name, even with nobody in it
            assert foreign.id not in bridges
            assert snap.asterisk_version.startswith(f"{selected().major}.")
    finally:
        await rest.hangup(chan.id)
        for b in (bridge, empty, foreign):
            await rest.delete_bridge(b.id)


async def gone(lookup: Awaitable[object]) -> bool:
    try:
        await lookup
    except (ChannelNotFound, BridgeNotFound):
        return True
    return False


async def test_created_channel_is_ours_and_errors_are_mapped(rest: AriClient) -> None:
    async with Stream(rest) as s:
        created = await rest.create_channel("Local/ag-x-never-0@sim-agent", app_args=["agent"],
                                            variables={"CCD_CALL_ID": "call-7"})
        bridge = await rest.create_mixing_bridge("ccd-test-errors")
        async with Stream(rest) as again:
            ids = {c.id: c for c in again.resyncs[0].channels}
            assert created.id in ids  # listed by /applications/ccd, no Stasis in its dialplan
            assert ids[created.id].channelvars.get("CCD_CALL_ID") == "call-7"
        assert s is not None
        assert await rest.get_variable(created.id, "CCD_NOT_SET") is None
        await rest.hangup(created.id)
        await eventually(lambda: gone(rest.get_channel(created.id)), "the hung-up channel is gone", 15)
        with pytest.raises(ChannelNotFound):
            await rest.answer(created.id)
        with pytest.raises(ChannelNotFound):
            await rest.get_variable(created.id, "CCD_CALL_ID")
        with pytest.raises(ChannelNotFound):
            await rest.add_channel(bridge.id, created.id)
        await rest.delete_bridge(bridge.id)
        # Asterisk 16 answers the DELETE before the bridge is gone (a moment's 409 "not in Stasis").
        await eventually(lambda: gone(rest.get_bridge(bridge.id)), "the deleted bridge is gone", 15)
        with pytest.raises(BridgeNotFound):
            await rest.bridge_start_moh(bridge.id)
        with pytest.raises(BridgeNotFound):
            await rest.delete_bridge(bridge.id)
