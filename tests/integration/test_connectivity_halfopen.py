"""A half-open connection (the peer vanishes without closing TCP), made on purpose with a TCP
proxy between the clients and the real Asterisk that stops forwarding: AMI's Ping and
ARI's websocket heartbeat notice it, and both reconnect by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest
import structlog

from ccd.ami import AmiClient
from ccd.ari import AriClient, AriEventStream
from ccd.dispatch import Dispatcher
from ccd.health import ConnectionHealth
from ccd.sandbox.asterisk_build import selected
from tests.harness.asterisk import AsteriskInstance

pytestmark = pytest.mark.asterisk


class FreezableProxy:
    """Forwards TCP to ``port``; ``freeze()`` silently stops forwarding on the connections
    open at that moment (no FIN, no RST: a half-open peer). Later connections work."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.frozen_generation = -1
        self.generation = 0
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    def freeze(self) -> None:
        self.frozen_generation = self.generation
        self.generation += 1

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        generation = self.generation
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers += [writer, up_writer]
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(src, dst, generation))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, gen: int) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await src.read(65536):
                if gen <= self.frozen_generation:
                    continue  # swallowed: the other side never hears of it
                dst.write(data)
        with contextlib.suppress(ConnectionError, RuntimeError):
            dst.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for w in self.writers:
            w.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def test_frozen_connections_are_noticed_and_replaced(
    asterisk_factory: Callable[..., AsteriskInstance],
) -> None:
    ast = asterisk_factory()
    ami_proxy = FreezableProxy(ast.ami_port)
    ari_proxy = FreezableProxy(int(ast.ari_url.rsplit(":", 1)[1]))
    ami_port, ari_port = await ami_proxy.start(), await ari_proxy.start()
    log = structlog.get_logger("test")
    dispatcher = Dispatcher(log)
    health = ConnectionHealth()
    ami = AmiClient(ast.ami_host, ami_port, ast.ami_user, ast.ami_secret, dispatcher=dispatcher,
                    log=log, on_state=health.update, ping_interval=1.0, ping_timeout=1.0)
    rest = AriClient(f"http://127.0.0.1:{ari_port}", ast.ari_user, ast.ari_password, ast.ari_app,
                     log=log, timeout=2.0)
    stream = AriEventStream(rest, dispatcher=dispatcher, log=log, on_state=health.update,
                            heartbeat=1.0)
    dispatcher.start()
    await ami.start()
    await stream.start()
    try:
        async with asyncio.timeout(15):
            await health.wait_ready()
        t0 = time.monotonic()
        ami_proxy.freeze()
        ari_proxy.freeze()
        async with asyncio.timeout(10):
            await health.wait_for(lambda h: h.links["ami"].disconnects == 1
                                  and h.links["ari"].disconnects == 1)
        noticed = time.monotonic() - t0
        async with asyncio.timeout(15):
            await health.wait_ready()
        back = time.monotonic() - t0
        print(f"\nhalf-open noticed after {noticed:.2f} s, both ready again after {back:.2f} s")
        assert "Ping" in str(health.links["ami"].last_error) or health.links["ami"].up
        assert (await ami.action("Ping"))["Ping"] == "Pong"
        assert (await rest.asterisk_info()).major == selected().major
    finally:
        await stream.close()
        await ami.close()
        await rest.close()
        await dispatcher.close()
        await ami_proxy.close()
        await ari_proxy.close()
