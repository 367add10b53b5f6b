"""The ARI event websocket: typed events, reconnect with capped backoff, resync each time.

A session is: ``GET /asterisk/info`` (reachability, credentials, version), the websocket
``/ari/events?app=<app>&subscribeAll=false`` (which registers the app, so ``Stasis()``
stops falling back), the app's event filter (``STREAMED_TYPES`` only), then a resync over
REST published as ``Resync`` before any event read from the new socket. Only then is ARI
"up". Websocket pings (``heartbeat``) detect a half-open connection. The reader only
parses and publishes; consumers run in the dispatcher's task, so a slow consumer never
delays the pongs.

``ApplicationReplaced`` (another websocket took the app: a second ccd?) ends the session;
the client takes the app back after ``replaced_retry_delay`` and says so in the log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence

import aiohttp

from ccd.ari.client import AriClient
from ccd.ari.errors import AriAuthError, AriError, AriUnavailable
from ccd.ari.events import STREAMED_TYPES, ApplicationReplaced, build_event, event_type_name
from ccd.ari.resync import resync
from ccd.dispatch import Dispatcher, Logger, MalformedEvent
from ccd.health import Backoff, State, StateChange, sleep_or_wake
from ccd.link import ReconnectingLink

SOURCE = "ari"
DEFAULT_VARIABLES = ("CCD_CALL_ID", "CCD_QUEUE", "CCD_ENQUEUED_AT")


class _Replaced(Exception):
    pass


class _DeadPeer(AriUnavailable):
    """The websocket failed (no pong, reset): the path to Asterisk itself is suspect."""


class AriEventStream(ReconnectingLink):
    task_name = "ccd-ari"

    def __init__(
        self,
        rest: AriClient,
        *,
        dispatcher: Dispatcher,
        log: Logger,
        on_state: Callable[[StateChange], None] | None = None,
        resync_variables: Sequence[str] = DEFAULT_VARIABLES,
        resync_concurrency: int = 8,
        bridge_prefix: str | None = None,
        heartbeat: float = 5.0,
        connect_timeout: float = 5.0,
        resync_timeout: float = 15.0,
        backoff: Backoff | None = None,
        auth_retry_cap: float = 30.0,
        replaced_retry_delay: float = 30.0,
    ) -> None:
        self.rest = rest
        self._dispatcher = dispatcher
        self._log = log.bind(interface="ari", url=rest.url, user=rest.user, app=rest.app)
        self._on_state = on_state
        self.resync_variables = tuple(resync_variables)
        self.resync_concurrency, self.bridge_prefix = resync_concurrency, bridge_prefix
        self.heartbeat, self.connect_timeout = heartbeat, connect_timeout
        self.resync_timeout = resync_timeout
        self.backoff = backoff or Backoff()
        self.auth_retry_cap, self.replaced_retry_delay = auth_retry_cap, replaced_retry_delay
        self.asterisk_version: str | None = None
        self._sessions = 0
        self._up = asyncio.Event()
        self._wake = asyncio.Event()
        self._last_failure: str | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the connection loop ----------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            auth_failed, replaced, cap = False, False, None
            try:
                await self._session()
                error = "websocket closed"
            except AriAuthError as exc:
                error, auth_failed, cap = str(exc), True, self.auth_retry_cap
                self._log.error("ari_login_failed", status=exc.http_status)
            except _Replaced:
                error, replaced = "application replaced by another websocket", True
                self._log.error("ari_application_replaced",
                                hint="is another ccd (or ARI client) using this app name?")
            except _DeadPeer as exc:
                error = f"AriUnavailable: {exc}"
                self._failed(error)
                await self.rest.reset_connections()
            except (AriError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                self._failed(error)
            except Exception as exc:  # a bug must not end the reconnect loop: log, retry
                error = f"{type(exc).__name__}: {exc}"
                self._log.exception("ari_session_crashed", error=error)
            finally:
                self._up.clear()
            self._report("down", error, auth_failed)
            # Replaced: take the app back only after a long delay, not in a tight fight.
            delay = self.replaced_retry_delay if replaced else self.backoff.next(cap)
            self._log.info("ari_reconnect_scheduled", delay_s=round(delay, 3))
            await sleep_or_wake(delay, self._wake)

    async def _session(self) -> None:
        self._report("connecting")
        info = await self.rest.asterisk_info(timeout=self.connect_timeout)
        self.asterisk_version = info.version
        try:
            async with asyncio.timeout(self.connect_timeout):
                ws = await self.rest.session.ws_connect(
                    self.rest.ws_url + "/events",
                    params={"app": self.rest.app, "subscribeAll": "false"},
                    heartbeat=self.heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_close=self.connect_timeout),
                )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status in (401, 403):
                raise AriAuthError(self.rest.user, self.rest.url, exc.status) from None
            raise AriUnavailable(f"websocket refused: HTTP {exc.status}", exc.status) from None
        try:
            await self._filter_events()
            # asyncio.timeout, not wait_for: 3.11's wait_for can lose a cancellation that
            # arrives as the inner call completes, and close() would then wait forever.
            async with asyncio.timeout(self.resync_timeout):
                snapshot = await resync(
                    self.rest,
                    variables=self.resync_variables,
                    concurrency=self.resync_concurrency,
                    bridge_prefix=self.bridge_prefix,
                    asterisk_version=info.version,
                    reconnect=self._sessions > 0,
                )
            self._sessions += 1
            self._dispatcher.publish((snapshot,))
            self._up.set()
            self.backoff.reset()
            self._wake.clear()
            self._last_failure = None
            self._log.info("ari_connected", asterisk=info.version,
                           channels=len(snapshot.channels), bridges=len(snapshot.bridges))
            self._report("up")
            await self._read(ws)
        finally:
            await ws.close()

    async def _filter_events(self) -> None:
        """Ask for the event types ccd consumes only: the rest cost Asterisk, the socket and
        the parser per event. Events before this lands are skipped here as before; an
        Asterisk without filters (before 16.3) sends everything, which ccd also copes with."""
        try:
            await self.rest.filter_events(STREAMED_TYPES, timeout=self.connect_timeout)
        except AriUnavailable:
            raise
        except AriError as exc:
            self._log.warning("ari_event_filter_refused", error=str(exc))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                if self._handle(msg.data):
                    raise _Replaced()
            elif msg.type == aiohttp.WSMsgType.ERROR:
                raise _DeadPeer(f"websocket error: {ws.exception()!r}")
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                              aiohttp.WSMsgType.CLOSED):
                return

    def _handle(self, raw: str | bytes) -> bool:
        """Parse one message and publish it; True if it was ApplicationReplaced (the session
        must end). Bad input is skipped, never raised (the fuzz tests hold it to that)."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            self._dispatcher.skip(SOURCE, "malformed", "<not JSON>", str(exc))
            return False
        try:
            event = build_event(data)
        except MalformedEvent as exc:
            self._dispatcher.skip(SOURCE, "malformed", event_type_name(data), str(exc))
            return False
        if event is None:
            self._dispatcher.skip(SOURCE, "unknown", event_type_name(data))
            return False
        self._dispatcher.publish((event,))
        return isinstance(event, ApplicationReplaced)

    def _failed(self, error: str) -> None:
        # While Asterisk stays away every attempt fails the same way: warn once, then debug.
        log = self._log.debug if error == self._last_failure else self._log.warning
        log("ari_connection_failed", error=error)
        self._last_failure = error

    def _report(self, state: State, error: str | None = None, auth_failed: bool = False) -> None:
        if self._on_state is not None:
            try:
                self._on_state(StateChange("ari", state, error, auth_failed))
            except Exception:  # a broken callback must not kill the connection
                self._log.exception("ari_state_callback_failed")

