"""The AMI client: one session at a time, re-established forever with capped backoff.

A session is: TCP connect, banner, ``Login`` (awaited, its result checked) with the
eventmask ccd needs, then ``FullyBooted`` (Asterisk sends it at login once booted, or when
booting ends). Only then is AMI "up". A ``Ping`` every ``ping_interval`` must be answered
within ``ping_timeout`` or the session is dropped: a half-open TCP connection is noticed.
Actions fail fast with ``AmiNotConnected`` while down (never queued and replayed later, as
panoramisk does), and with ``AmiTimeout`` when unanswered.

The client owns two tasks per session (reader, keepalive) inside its one ``run`` task;
``close()`` cancels and awaits all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from panoramisk.message import Message

from ccd.ami.errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
)
from ccd.ami.events import AmiEvent, FullyBooted
from ccd.ami.protocol import Fields, FrameParser, PendingActions, encode_action
from ccd.ami.rights import read_classes
from ccd.dispatch import Dispatcher, Logger
from ccd.health import Backoff, State, StateChange, sleep_or_wake
from ccd.link import ReconnectingLink
from ccd.tasks import cancel_and_wait

T = TypeVar("T")
DEFAULT_EVENTS = ",".join(read_classes())  # the classes of the events ccd consumes (ccd.ami.rights)


class AmiClient(ReconnectingLink):
    task_name = "ccd-ami"

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        secret: str,
        *,
        dispatcher: Dispatcher,
        log: Logger,
        on_state: Callable[[StateChange], None] | None = None,
        events: str = DEFAULT_EVENTS,
        action_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        ping_interval: float = 5.0,
        ping_timeout: float = 3.0,
        backoff: Backoff | None = None,
        auth_retry_cap: float = 30.0,
        boot_timeout: float = 120.0,
    ) -> None:
        self.host, self.port, self.user = host, port, user
        self.__secret = secret  # only ever written to the socket, never logged
        self._dispatcher = dispatcher
        self._log = log.bind(interface="ami", host=host, port=port, user=user)
        self._on_state = on_state
        self.events = events
        self.action_timeout, self.connect_timeout = action_timeout, connect_timeout
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.backoff = backoff or Backoff()
        self.auth_retry_cap, self.boot_timeout = auth_retry_cap, boot_timeout
        self._pending = PendingActions()
        self._parser = FrameParser(dispatcher, self._pending, self._on_system)
        self._writer: asyncio.StreamWriter | None = None
        self._logged_in = False
        self._booted = asyncio.Event()
        self._up = asyncio.Event()
        self._wake = asyncio.Event()
        self._last_failure: str | None = None
        self._task: asyncio.Task[None] | None = None
        self.version: str | None = None  # the AMI protocol version from the banner

    def __repr__(self) -> str:
        return f"AmiClient({self.host}:{self.port}, user={self.user!r})"

    # -- public API -------------------------------------------------------------------------

    async def action(
        self, name: str, fields: Fields | None = None, *, timeout: float | None = None
    ) -> Message:
        """Send an action; return its response, or raise AmiActionError / AmiTimeout."""
        response, _ = await self._send(name, fields, timeout, collect=False)
        return response

    async def action_list(
        self, name: str, fields: Fields | None = None, *, timeout: float | None = None
    ) -> list[Message]:
        """An action answered by an EventList (QueueStatus, CoreShowChannels...): its events."""
        _, events = await self._send(name, fields, timeout, collect=True)
        return events

    async def command(self, cli: str, *, timeout: float | None = None) -> str:
        """Run a CLI command; its output as text."""
        msg = await self.action("Command", {"Command": cli}, timeout=timeout)
        out = msg.get("Output")
        if out is None:
            return str(msg.content or "")
        return "\n".join(out) if isinstance(out, list) else str(out)

    # -- actions ----------------------------------------------------------------------------
    async def _send(
        self, name: str, fields: Fields | None, timeout: float | None, collect: bool,
        *, before_login: bool = False,
    ) -> tuple[Message, list[Message]]:
        writer = self._writer
        if writer is None or writer.is_closing() or not (self._logged_in or before_login):
            raise AmiNotConnected(f"AMI is not connected: {name} not sent")
        limit = self.action_timeout if timeout is None else timeout
        action_id, pending = self._pending.new(name, collect)
        try:
            writer.write(encode_action(name, action_id, fields))
            async with asyncio.timeout(limit):
                response, events = await pending.future
        except TimeoutError:
            raise AmiTimeout(name, limit) from None
        finally:
            self._pending.drop(action_id)
        if not response.success:
            raise AmiActionError(name, str(response.get("Message") or "error"), response)
        return response, events

    # -- the connection loop ----------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            error: str | None = None
            auth_failed = False
            try:
                await self._session()
                error = "connection closed"
            except AmiAuthError as exc:
                error, auth_failed = str(exc), True
                self._log.error("ami_login_failed", reason=exc.reason)
            except (OSError, TimeoutError, EOFError, AmiError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                self._failed(error)
            except Exception as exc:  # a bug must not end the reconnect loop: log, retry
                error = f"{type(exc).__name__}: {exc}"
                self._log.exception("ami_session_crashed", error=error)
            finally:
                self._up.clear()
                self._logged_in = False
                self._booted.clear()
            self._report("down", error, auth_failed)
            delay = self.backoff.next(self.auth_retry_cap if auth_failed else None)
            self._log.info("ami_reconnect_scheduled", delay_s=round(delay, 3))
            await sleep_or_wake(delay, self._wake)

    async def _session(self) -> None:
        self._report("connecting")
        # asyncio.timeout rather than wait_for throughout: 3.11's wait_for can lose a
        # cancellation that arrives as the inner call completes (close() would hang).
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(self.host, self.port)
        self._writer = writer
        self._parser.reset()
        read_task = asyncio.create_task(self._read_loop(reader), name="ccd-ami-read")
        ping_task: asyncio.Task[None] | None = None
        try:
            await self._unless_lost(self._login(), read_task)
            if not self._booted.is_set():
                self._log.info("ami_waiting_fully_booted")
            try:
                await self._unless_lost(self._booted_within(self.boot_timeout), read_task)
            except TimeoutError:
                raise AmiError(
                    f"no FullyBooted within {self.boot_timeout:g}s after login "
                    f"(does AMI user {self.user!r} have read=system?)"
                ) from None
            self._up.set()
            self.backoff.reset()
            self._wake.clear()
            self._last_failure = None
            self._log.info("ami_connected", version=self.version)
            self._report("up")
            ping_task = asyncio.create_task(self._keepalive(), name="ccd-ami-ping")
            done, _ = await asyncio.wait({read_task, ping_task}, return_when="FIRST_COMPLETED")
            for task in done:
                task.result()
        finally:
            await _finish(read_task, ping_task)
            self._writer = None
            writer.transport.abort()  # no graceful close: the peer may be gone (half-open)
            self._pending.fail_all(AmiConnectionLost("AMI session ended"))

    async def _unless_lost(self, aw: Awaitable[T], read_task: asyncio.Task[None]) -> T:
        """Await ``aw``; if the reader ends first (connection lost), raise its error."""
        step = asyncio.ensure_future(aw)
        try:
            await asyncio.wait({step, read_task}, return_when="FIRST_COMPLETED")
            if not step.done():
                read_task.result()  # raises the reader's error
                raise AmiConnectionLost("AMI connection closed")
            return step.result()
        finally:
            await _finish(step)

    async def _login(self) -> None:
        fields = {"Username": self.user, "Secret": self.__secret, "Events": self.events}
        try:
            await self._send("Login", fields, self.action_timeout, False, before_login=True)
        except AmiActionError as exc:
            raise AmiAuthError(self.user, self.host, self.port, exc.reason) from None
        self._logged_in = True

    async def _booted_within(self, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await self._booted.wait()

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        async with asyncio.timeout(self.connect_timeout):
            banner = await reader.readline()
        text = banner.decode("utf-8", "replace").strip()
        if not text.startswith("Asterisk Call Manager/"):
            raise AmiError(f"not an AMI server at {self.host}:{self.port}: {text[:60]!r}")
        self.version = text.partition("/")[2]
        while True:
            data = await reader.read(65536)
            if not data:
                raise AmiConnectionLost("AMI connection closed by Asterisk")
            events = self._parser.feed(data)
            if events:
                self._dispatcher.publish(events)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                await self.action("Ping", timeout=self.ping_timeout)
            except AmiTimeout:
                raise AmiConnectionLost(
                    f"no Ping reply within {self.ping_timeout:g}s (half-open connection?)"
                ) from None

    def _on_system(self, event: AmiEvent) -> None:
        if isinstance(event, FullyBooted):
            self._booted.set()

    def _failed(self, error: str) -> None:
        # While Asterisk stays away every attempt fails the same way: warn once, then debug.
        log = self._log.debug if error == self._last_failure else self._log.warning
        log("ami_connection_failed", error=error)
        self._last_failure = error

    def _report(self, state: State, error: str | None = None, auth_failed: bool = False) -> None:
        if self._on_state is not None:
            try:
                self._on_state(StateChange("ami", state, error, auth_failed))
            except Exception:  # a broken callback must not kill the connection
                self._log.exception("ami_state_callback_failed")


async def _finish(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel and await the session's tasks; their errors were reported by the session."""
    for task in tasks:
        if task is not None:
            await cancel_and_wait(task)
