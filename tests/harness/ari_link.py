"""A bare ARI link to a private Asterisk, for tests that drive one shell directly (the
callback offer, attempts, delivery) without the daemon: the REST client, an event
dispatcher and the ACD's port, connected and with the Stasis application registered.

``ari_link`` is the fixture; the test subscribes the events it feeds to its shell."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import structlog

from ccd.ari import AriClient, AriEventStream
from ccd.dispatch import Dispatcher
from ccd.health import ConnectionHealth
from ccd.queues.ari_port import ClientAriPort
from ccd.sandbox.asterisk import AsteriskInstance


@dataclass(frozen=True)
class AriLink:
    ast: AsteriskInstance
    rest: AriClient
    dispatcher: Dispatcher
    port: ClientAriPort


@pytest.fixture
async def ari_link(asterisk_factory: Callable[..., AsteriskInstance]) -> AsyncIterator[AriLink]:
    # A private Asterisk: bridges and legs a test leaves must not reach others' leftover checks.
    asterisk = asterisk_factory()
    log = structlog.get_logger("test")
    dispatcher = Dispatcher(log)
    rest = AriClient(asterisk.ari_url, asterisk.ari_user, asterisk.ari_password, asterisk.ari_app, log=log)
    health = ConnectionHealth()
    stream = AriEventStream(rest, dispatcher=dispatcher, log=log, on_state=health.update)
    dispatcher.start()
    await stream.start()
    try:
        async with asyncio.timeout(30):  # the app exists once the websocket is up
            await health.wait_for(lambda h: h.is_up("ari"))
        yield AriLink(asterisk, rest, dispatcher, ClientAriPort(rest))
    finally:
        await stream.close()
        await rest.close()
        await dispatcher.close()
