"""kill -9 of Asterisk under running clients, then a restart: AMI and ARI come back by
themselves, resync, and are ready again soon after Asterisk's FullyBooted (target < 3 s)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
import structlog

from ccd.ami import AmiClient, FullyBooted
from ccd.ari import AriClient, AriEventStream, Resync
from ccd.dispatch import Dispatcher
from ccd.health import ConnectionHealth, StateChange
from ccd.sandbox.asterisk_build import selected
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk

READY_TARGET_S = 3.0
_READY_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\].*Asterisk Ready", re.M)


class Clients:
    """The two clients wired as the daemon wires them (FullyBooted wakes the ARI stream)."""

    def __init__(self, ast: AsteriskInstance) -> None:
        log = structlog.get_logger("test")
        self.dispatcher = Dispatcher(log)
        self.health = ConnectionHealth()
        self.ready_at: list[float] = []
        self.up_at: dict[str, float] = {}
        self.booted_at: list[float] = []
        self.resyncs: list[Resync] = []
        self.ami = AmiClient(ast.ami_host, ast.ami_port, ast.ami_user, ast.ami_secret,
                             dispatcher=self.dispatcher, log=log, on_state=self._state)
        self.rest = AriClient(ast.ari_url, ast.ari_user, ast.ari_password, ast.ari_app, log=log)
        self.stream = AriEventStream(self.rest, dispatcher=self.dispatcher, log=log,
                                     on_state=self._state)
        self.dispatcher.subscribe(Resync, self.resyncs.append)
        self.dispatcher.subscribe(FullyBooted, lambda _: self.booted_at.append(time.time()))
        self.unwake = self.dispatcher.subscribe(FullyBooted, lambda _: self.stream.wake())

    def _state(self, change: StateChange) -> None:
        was_ready = self.health.ready
        self.health.update(change)
        if change.state == "up":
            self.up_at[change.interface] = time.time()
        if self.health.ready and not was_ready:
            self.ready_at.append(time.time())

    async def start(self) -> None:
        self.dispatcher.start()
        await self.ami.start()
        await self.stream.start()

    async def close(self) -> None:
        await self.stream.close()
        await self.ami.close()
        await self.rest.close()
        await self.dispatcher.close()


@pytest.fixture
async def setup(
    asterisk_factory: Callable[..., AsteriskInstance],
) -> AsyncIterator[tuple[AsteriskInstance, Clients]]:
    ast = asterisk_factory()
    clients = Clients(ast)
    await clients.start()
    yield ast, clients
    await clients.close()


def fully_booted_at(ast: AsteriskInstance, after: float) -> float | None:
    """When Asterisk logged "Asterisk Ready." (its FullyBooted moment), as a POSIX time."""
    for stamp in reversed(_READY_LINE.findall(ast.log_path.read_text(errors="replace"))):
        t = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()  # local time
        if t >= after:
            return t
    return None


async def kill_and_restart(ast: AsteriskInstance, clients: Clients) -> float:
    """Seconds from Asterisk's FullyBooted to both clients ready again."""
    killed_at = time.time()
    await asyncio.to_thread(ast.kill9)
    async with asyncio.timeout(10):
        await clients.health.wait_for(lambda h: not h.is_up("ami") and not h.is_up("ari"))
    await asyncio.sleep(1.0)  # down for a while: the clients back off
    await asyncio.to_thread(ast.start)
    async with asyncio.timeout(30):
        await clients.health.wait_ready()
    ready = clients.ready_at[-1]
    booted = fully_booted_at(ast, killed_at)
    if booted is None:  # log line missing: our own FullyBooted arrival is the upper bound
        booted = clients.booted_at[-1]
    print(f"\n  AMI FullyBooted event +{clients.booted_at[-1] - booted:.3f} s, "
          f"AMI up +{clients.up_at['ami'] - booted:.3f} s, ARI up +{clients.up_at['ari'] - booted:.3f} s")
    return ready - booted


async def until(predicate: Callable[[], bool]) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


async def test_kill9_and_restart_reconnects_by_itself(
    setup: tuple[AsteriskInstance, Clients],
) -> None:
    ast, clients = setup
    async with asyncio.timeout(15):
        await clients.health.wait_ready()
        await until(lambda: len(clients.resyncs) >= 1)  # delivered by the dispatcher task
    assert not clients.resyncs[0].reconnect

    with_wake = await kill_and_restart(ast, clients)
    clients.unwake()  # now with the backoff alone, as a client not wired to AMI would be
    backoff_only = await kill_and_restart(ast, clients)
    print(f"\nFullyBooted -> AMI+ARI ready: {with_wake:.3f} s (ARI woken by AMI FullyBooted), "
          f"{backoff_only:.3f} s (backoff alone, cap {clients.stream.backoff.cap:g} s)")

    assert with_wake < READY_TARGET_S
    assert backoff_only < READY_TARGET_S
    ami, ari = clients.health.links["ami"], clients.health.links["ari"]
    assert (ami.reconnects, ari.reconnects) == (2, 2)
    async with asyncio.timeout(5):
        await until(lambda: len(clients.resyncs) >= 3)
    assert [r.reconnect for r in clients.resyncs] == [False, True, True]
    # Still the same healthy clients: actions and REST work.
    assert (await clients.ami.action("Ping"))["Ping"] == "Pong"
    assert (await clients.rest.asterisk_info()).major == selected().major
