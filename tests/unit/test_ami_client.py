"""AmiClient against a scripted AMI peer on loopback: awaited and checked login, readiness
on FullyBooted, action timeouts and typed errors, Ping keepalive catching a half-open
peer, reconnect with backoff, no secret in logs, no task left behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
import structlog
from structlog.testing import capture_logs

from ccd.ami import (
    AmiActionError,
    AmiClient,
    AmiConnectionLost,
    AmiNotConnected,
    AmiTimeout,
    QueueCallerJoin,
)
from ccd.dispatch import Dispatcher
from ccd.health import Backoff, ConnectionHealth

SECRET = "s3cr3t-never-logged"
JOIN = b"Event: QueueCallerJoin\r\nQueue: support\r\nChannel: c1\r\nPosition: 1\r\nCount: 1\r\n\r\n"
BOOTED = b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


class FakeAmi:
    """Just enough of Asterisk's manager: login, Ping, Command, QueueAdd, and 'Hang'."""

    def __init__(self, *, booted: bool = True, banner: bytes = b"Asterisk Call Manager/5.0.4"):
        self.booted, self.banner = booted, banner
        self.answer_pings = True
        self.logins: list[dict[str, str]] = []
        self.actions: list[dict[str, str]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        await self.drop()
        if self.server is not None:
            await self.server.wait_closed()

    async def drop(self) -> None:
        for w in self.writers:
            w.close()
        self.writers.clear()

    def push(self, frame: bytes) -> None:
        for w in self.writers:
            w.write(frame)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(self.banner + b"\r\n")
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                raw = (await reader.readuntil(b"\r\n\r\n")).decode()
                h = dict(line.split(": ", 1) for line in raw.strip().split("\r\n"))
                self.actions.append(h)
                aid = h.get("ActionID", "")
                reply = f"Response: Success\r\nActionID: {aid}\r\n"
                action = h["Action"]
                if action == "Login":
                    self.logins.append(h)
                    if h.get("Secret") != SECRET:
                        writer.write(f"Response: Error\r\nActionID: {aid}\r\n"
                                     "Message: Authentication failed\r\n\r\n".encode())
                        writer.close()
                        return
                    writer.write((reply + "Message: Authentication accepted\r\n\r\n").encode())
                    if self.booted:
                        writer.write(BOOTED)
                elif action == "Ping":
                    if self.answer_pings:
                        writer.write((reply + "Ping: Pong\r\n\r\n").encode())
                elif action == "Command":
                    writer.write((reply + "Message: Command output follows\r\n"
                                  "Output: line 1\r\nOutput: line 2\r\n\r\n").encode())
                elif action == "QueueAdd":
                    writer.write(f"Response: Error\r\nActionID: {aid}\r\n"
                                 "Message: Unable to add interface: No such queue\r\n\r\n"
                                 .encode())
                elif action != "Hang":
                    writer.write((reply + "\r\n").encode())


@pytest.fixture
async def ami() -> AsyncIterator[FakeAmi]:
    fake = FakeAmi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def dispatcher() -> AsyncIterator[Dispatcher]:
    d = Dispatcher()
    d.start()
    yield d
    await d.close()


def client(port: int, dispatcher: Dispatcher, health: ConnectionHealth | None = None,
           secret: str = SECRET, **kw: object) -> AmiClient:
    return AmiClient(
        "127.0.0.1", port, "ccd", secret, dispatcher=dispatcher,
        log=structlog.get_logger("test"), on_state=health.update if health else None,
        backoff=Backoff(initial=0.01, cap=0.05), auth_retry_cap=0.05, **kw,  # type: ignore[arg-type]
    )


async def test_login_is_awaited_and_ready_means_fully_booted(
    ami: FakeAmi, dispatcher: Dispatcher
) -> None:
    ami.booted = False
    health = ConnectionHealth(("ami",))
    c = client(ami.port, dispatcher, health, events="system,agent")
    await c.start()
    await until(lambda: bool(ami.logins))
    await asyncio.sleep(0.05)
    assert not c.connected and not health.ready  # logged in, Asterisk still booting
    assert ami.logins[0]["Username"] == "ccd" and ami.logins[0]["Events"] == "system,agent"
    ami.push(BOOTED)
    await c.wait_connected(2)
    assert health.ready and c.version == "5.0.4"
    await c.close()
    assert not health.ready


async def test_actions_responses_and_typed_errors(ami: FakeAmi, dispatcher: Dispatcher) -> None:
    c = client(ami.port, dispatcher)
    with pytest.raises(AmiNotConnected):
        await c.action("Ping")
    await c.start()
    await c.wait_connected(2)
    assert (await c.action("Ping"))["Ping"] == "Pong"
    assert await c.command("core show uptime") == "line 1\nline 2"
    with pytest.raises(AmiActionError) as err:
        await c.action("QueueAdd", {"Queue": "nope", "Interface": "PJSIP/1"})
    assert err.value.reason == "Unable to add interface: No such queue"
    with pytest.raises(AmiTimeout):
        await c.action("Hang", timeout=0.05)
    assert len(c._pending) == 0
    await c.close()
    with pytest.raises(AmiNotConnected):
        await c.action("Ping")


async def test_wrong_secret_is_a_clear_error_retried_without_leaking_it(
    ami: FakeAmi, dispatcher: Dispatcher
) -> None:
    health = ConnectionHealth(("ami",))
    c = client(ami.port, dispatcher, health, secret="wrong-" + SECRET)
    link = health.links["ami"]
    with capture_logs() as logs:
        await c.start()
        await until(lambda: link.failures >= 3)
        assert link.auth_failed and not c.connected
        assert f"AMI login failed for user 'ccd' at 127.0.0.1:{ami.port}" in str(link.last_error)
        snapshot = repr(health.snapshot())
        await c.close()
    failed = [e for e in logs if e["event"] == "ami_login_failed"]
    assert len(failed) >= 2  # retried, with backoff, without crashing
    assert failed[0]["user"] == "ccd" and failed[0]["interface"] == "ami"
    assert failed[0]["reason"] == "Authentication failed"
    assert SECRET not in repr(logs) and SECRET not in snapshot
    assert SECRET not in repr(c)


async def test_unanswered_ping_drops_a_half_open_session_and_reconnects(
    ami: FakeAmi, dispatcher: Dispatcher
) -> None:
    health = ConnectionHealth(("ami",))
    c = client(ami.port, dispatcher, health, ping_interval=0.05, ping_timeout=0.05)
    await c.start()
    await c.wait_connected(2)
    ami.answer_pings = False
    await until(lambda: len(ami.logins) >= 2)
    ami.answer_pings = True
    await c.wait_connected(2)
    assert health.links["ami"].disconnects >= 1
    assert "Ping" in (health.links["ami"].last_error or "") or health.links["ami"].up
    await c.close()


async def test_reconnects_after_the_peer_closes_and_fails_pending_actions(
    ami: FakeAmi, dispatcher: Dispatcher
) -> None:
    health = ConnectionHealth(("ami",))
    c = client(ami.port, dispatcher, health)
    await c.start()
    await c.wait_connected(2)
    waiting = asyncio.create_task(c.action("Hang", timeout=5))
    await asyncio.sleep(0.02)
    await ami.drop()
    with pytest.raises(AmiConnectionLost):
        await waiting
    await until(lambda: health.links["ami"].reconnects >= 1)
    assert c.connected and len(ami.logins) == 2
    await c.close()


async def test_starts_before_asterisk_and_connects_when_it_appears(
    dispatcher: Dispatcher,
) -> None:
    fake = FakeAmi()
    await fake.start()
    port = fake.port
    await fake.stop()  # nothing listens there now
    health = ConnectionHealth(("ami",))
    c = client(port, dispatcher, health)
    await c.start()
    await until(lambda: health.links["ami"].failures >= 3)
    await fake.start(port)
    c.wake()
    await c.wait_connected(2)
    await c.close()
    await fake.stop()


async def test_events_reach_consumers_and_a_consumer_may_await_an_action(
    ami: FakeAmi, dispatcher: Dispatcher
) -> None:
    c = client(ami.port, dispatcher)
    replies: list[str] = []

    async def on_join(ev: QueueCallerJoin) -> None:
        replies.append((await c.action("Ping"))["Ping"])  # the reader is not blocked

    dispatcher.subscribe(QueueCallerJoin, on_join)
    await c.start()
    await c.wait_connected(2)
    ami.push(JOIN + JOIN)
    await until(lambda: len(replies) >= 2)
    assert replies == ["Pong", "Pong"]
    await c.close()


async def test_not_an_ami_server(dispatcher: Dispatcher) -> None:
    fake = FakeAmi(banner=b"SSH-2.0-OpenSSH_9.2")
    await fake.start()
    health = ConnectionHealth(("ami",))
    c = client(fake.port, dispatcher, health)
    await c.start()
    await until(lambda: health.links["ami"].failures >= 1)
    assert "not an AMI server" in (health.links["ami"].last_error or "")
    await c.close()
    await fake.stop()


async def test_close_leaves_no_task_behind(ami: FakeAmi, dispatcher: Dispatcher) -> None:
    before = asyncio.all_tasks()
    c = client(ami.port, dispatcher)
    await c.start()
    await c.wait_connected(2)
    await c.start()  # idempotent
    await c.close()
    await c.close()
    left = [t for t in asyncio.all_tasks() - before if "FakeAmi" not in repr(t)]
    assert left == []
