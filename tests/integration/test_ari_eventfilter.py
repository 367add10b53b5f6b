"""ccd's ARI application asks Asterisk for the event types it consumes only
(``ccd.ari.events.STREAMED_TYPES``, set by the event stream each session), on the Asterisk
under test: a call through Stasis then brings no ChannelVarset and no type ccd has no model
for, while the types ccd uses still arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import structlog

from ccd.ari import AriClient, AriEvent, AriEventStream, ChannelDestroyed, StasisStart
from ccd.ari.events import STREAMED_TYPES
from ccd.dispatch import Dispatcher
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import eventually

pytestmark = pytest.mark.asterisk


@pytest.fixture
async def rest(asterisk: AsteriskInstance) -> AsyncIterator[AriClient]:
    client = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.ari_password,
                       asterisk.ari_app, log=structlog.get_logger("test"))
    yield client
    await client.close()


async def test_only_the_streamed_types_reach_the_websocket(asterisk: AsteriskInstance, rest: AriClient) -> None:
    log = structlog.get_logger("test")
    dispatcher = Dispatcher(log)
    seen: list[AriEvent] = []
    dispatcher.subscribe(AriEvent, seen.append)
    stream = AriEventStream(rest, dispatcher=dispatcher, log=log)
    dispatcher.start()
    await stream.start()
    try:
        await stream.wait_connected(10)
        app = await rest.get_application()
        assert sorted(f["type"] for f in app["events_allowed"]) == sorted(STREAMED_TYPES), app
        # A channel in Stasis that sets variables (the dialplan's Set() and ccd's own).
        # An answering phone (talk 0: stays up) whose leg enters Stasis, then a variable set on
        # it: unfiltered, that would come back as a ChannelVarset.
        chan = await rest.originate("Local/ag-evf-0-0@sim-agent", app_args=["test"], channel_id="evfilter-1")
        await eventually(lambda: any(isinstance(e, StasisStart) for e in seen), "the leg in Stasis", timeout=20)
        await rest.set_variable(chan.id, "CCD_TEST", "1")
        await rest.hangup(chan.id)
        await eventually(lambda: any(isinstance(e, ChannelDestroyed) for e in seen), "the leg gone", timeout=20)
        await dispatcher.drain()
        assert {type(e).__name__ for e in seen} <= set(STREAMED_TYPES)
        assert dispatcher.skipped == 0  # nothing arrived that ccd parses only to drop
    finally:
        await stream.close()
        await dispatcher.close()
