"""AriEventStream against a scripted ARI peer: the resync contract (which channels and bridges
are ccd's, their variables, published before any event), reconnects, bad credentials,
malformed messages, ApplicationReplaced and an unanswered websocket ping."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import structlog
from aiohttp import WSMsgType, web
from structlog.testing import capture_logs

from ccd.ari import AriClient, AriEvent, AriEventStream, Resync, StasisStart
from ccd.dispatch import Dispatcher
from ccd.health import Backoff, ConnectionHealth

PASSWORD = "ari-pw-never-logged"


def chan(cid: str, app_name: str = "", app_data: str = "", **kw: Any) -> dict[str, Any]:
    return {"id": cid, "name": f"PJSIP/{cid}", "state": "Up",
            "dialplan": {"context": "ccd-queue", "exten": "s", "priority": 3,
                         "app_name": app_name, "app_data": app_data}, **kw}


def bridge(bid: str, name: str = "", channels: tuple[str, ...] = (),
           bridge_class: str = "stasis") -> dict[str, Any]:
    return {"id": bid, "bridge_type": "mixing", "bridge_class": bridge_class, "creator": "Stasis",
            "name": name, "channels": list(channels)}


class FakeAri:
    def __init__(self) -> None:
        self.channels = [chan("c1", "Stasis", "ccd,queue,support")]
        self.bridges: list[dict[str, Any]] = []
        self.app = {"name": "ccd", "channel_ids": ["c1"], "bridge_ids": []}
        self.variables: dict[str, dict[str, str]] = {"c1": {"CCD_CALL_ID": "call-1"}}
        self.gone: set[str] = set()
        self.sockets: list[web.WebSocketResponse] = []
        self.ws_params: list[dict[str, str]] = []
        self.on_connect: list[str] = []  # messages sent as soon as a socket opens
        self.autoping = True
        self.var_delay = 0.0
        self.in_flight = self.max_in_flight = 0
        self.fail_channels = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        auth = "Basic " + base64.b64encode(f"ccd:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != auth:
            return web.json_response({"message": "Authentication required"}, status=401)
        path = request.path.removeprefix("/ari")
        if path == "/events":
            return await self._ws(request)
        if path == "/asterisk/info":
            return web.json_response({"system": {"version": "16.28.0~dfsg"}})
        if path == "/channels":
            if self.fail_channels:
                return web.json_response({"message": "boom"}, status=500)
            return web.json_response(self.channels)
        if path == "/bridges":
            return web.json_response(self.bridges)
        if path == "/applications/ccd":
            return web.json_response(self.app)
        if path.endswith("/variable"):
            cid = path.split("/")[2]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(self.var_delay)
            self.in_flight -= 1
            if cid in self.gone:
                return web.json_response({"message": "Provided channel was not found"}, status=404)
            value = self.variables.get(cid, {}).get(request.query["variable"])
            if value is None:
                return web.json_response({"message": "Provided variable was not found"}, status=404)
            return web.json_response({"value": value})
        return web.json_response({"message": "not here"}, status=404)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=self.autoping)
        await ws.prepare(request)
        self.ws_params.append(dict(request.query))
        self.sockets.append(ws)
        for text in self.on_connect:
            await ws.send_str(text)
        async for msg in ws:
            if msg.type == WSMsgType.CLOSE:
                break
        return ws

    async def send(self, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        await self.sockets[-1].send_str(text)


@pytest.fixture
async def ari() -> AsyncIterator[tuple[FakeAri, str]]:
    fake = FakeAri()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    for ws in fake.sockets:
        await ws.close()
    await runner.cleanup()


class Harness:
    def __init__(self, url: str, password: str = PASSWORD, **kw: Any) -> None:
        self.dispatcher = Dispatcher()
        self.health = ConnectionHealth(("ari",))
        self.seen: list[object] = []
        self.dispatcher.subscribe(AriEvent, self.seen.append)
        self.dispatcher.subscribe(Resync, self.seen.append)
        log = structlog.get_logger("test")
        self.rest = AriClient(url, "ccd", password, "ccd", log=log, timeout=2)
        kw.setdefault("backoff", Backoff(initial=0.01, cap=0.05))
        self.stream = AriEventStream(self.rest, dispatcher=self.dispatcher, log=log,
                                     on_state=self.health.update, auth_retry_cap=0.05, **kw)

    async def __aenter__(self) -> Harness:
        self.dispatcher.start()
        await self.stream.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stream.close()
        await self.rest.close()
        await self.dispatcher.close()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.seen if isinstance(e, kind)]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_resync_contract(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    fake.channels = [
        chan("c1", "Stasis", "ccd,queue,support"),  # in Stasis(ccd)
        chan("c2", "", ""),  # made with POST /channels/create: only the app lists it
        chan("c3", "Stasis", "other,queue"),  # another application's
        chan("c4", "Stasis", "ccd2"),  # a prefix is not the app
        chan("c5", "Stasis", "ccd"),  # ours, but hangs up during the resync
        chan("c6", "AppDial2", "(Outgoing Line)"),  # the other half of a Local channel
    ]
    fake.app["channel_ids"] = ["c2"]
    fake.gone = {"c5"}
    fake.variables = {"c1": {"CCD_CALL_ID": "call-1", "CCD_QUEUE": "support",
                             "CCD_ENQUEUED_AT": "1795550000.5"},
                      "c2": {"CCD_CALL_ID": "call-2"}}
    fake.bridges = [
        bridge("b1", "whatever"),  # listed by the app
        bridge("b2", "unnamed", ("c1",)),  # holds one of our channels
        bridge("b3", "ccd-hold-support"),  # ours by name, empty (a crashed ccd's)
        bridge("b4", "other-app-bridge"),  # someone else's
        bridge("b5", "ccd-but-not-stasis", bridge_class="base"),
    ]
    fake.app["bridge_ids"] = ["b1"]
    fake.var_delay = 0.01
    async with Harness(url, resync_concurrency=2) as h:
        await h.stream.wait_connected(5)
        await h.dispatcher.drain()
        (snap,) = h.of(Resync)
    assert [c.id for c in snap.channels] == ["c1", "c2"]
    assert dict(snap.channels[0].channelvars) == {
        "CCD_CALL_ID": "call-1", "CCD_QUEUE": "support", "CCD_ENQUEUED_AT": "1795550000.5"}
    assert dict(snap.channels[1].channelvars) == {"CCD_CALL_ID": "call-2"}
    assert [b.id for b in snap.bridges] == ["b1", "b2", "b3"]
    assert snap.asterisk_version == "16.28.0~dfsg" and snap.reconnect is False
    assert fake.max_in_flight <= 2
    assert fake.ws_params == [{"app": "ccd", "subscribeAll": "false"}]


async def test_resync_comes_before_any_event_and_events_follow(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    start = {"type": "StasisStart", "channel": chan("c9", "Stasis", "ccd"), "args": ["queue"]}
    fake.on_connect = [json.dumps(start)]  # sent before the client has even resynced
    async with Harness(url) as h:
        await until(lambda: len(h.seen) >= 2)
        assert isinstance(h.seen[0], Resync) and isinstance(h.seen[1], StasisStart)
        await fake.send({**start, "channel": chan("c10")})
        await until(lambda: len(h.of(StasisStart)) == 2)


async def test_reconnects_and_resyncs_after_the_socket_closes(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    async with Harness(url) as h:
        await h.stream.wait_connected(5)
        await fake.sockets[-1].close()
        await until(lambda: h.health.links["ari"].reconnects == 1 and h.stream.connected)
        await h.dispatcher.drain()
        assert [r.reconnect for r in h.of(Resync)] == [False, True]
        assert h.health.links["ari"].disconnects == 1


async def test_bad_credentials_retried_without_leaking_the_password(
    ari: tuple[FakeAri, str],
) -> None:
    fake, url = ari
    with capture_logs() as logs:
        async with Harness(url, password="wrong-" + PASSWORD) as h:
            link = h.health.links["ari"]
            await until(lambda: link.failures >= 3)
            assert link.auth_failed and not h.stream.connected
            assert f"ARI login failed for user 'ccd' at {url}" in str(link.last_error)
            snapshot = repr(h.health.snapshot())
    failed = [e for e in logs if e["event"] == "ari_login_failed"]
    assert len(failed) >= 2 and failed[0]["user"] == "ccd" and failed[0]["interface"] == "ari"
    assert PASSWORD not in repr(logs) and PASSWORD not in snapshot
    assert not fake.sockets


async def test_malformed_and_unknown_messages_are_skipped(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    with capture_logs() as logs:
        async with Harness(url) as h:
            await h.stream.wait_connected(5)
            for bad in ["{oops", "[1]", {"type": "StasisStart"}, {"type": "StasisStart"},
                        {"type": "ChannelTalkingStarted", "channel": chan("c1")}]:
                await fake.send(bad)
            await fake.send({"type": "StasisStart", "channel": chan("c7")})
            await until(lambda: len(h.of(StasisStart)) == 1)
            assert h.stream.connected
    skipped = [(e["reason"], e["event_type"]) for e in logs if e["event"] == "event_skipped"]
    assert skipped == [("malformed", "<not JSON>"), ("malformed", "<no type>"),
                       ("malformed", "StasisStart"), ("unknown", "ChannelTalkingStarted")]


async def test_application_replaced_ends_the_session_and_takes_the_app_back_later(
    ari: tuple[FakeAri, str],
) -> None:
    fake, url = ari
    async with Harness(url, replaced_retry_delay=0.2) as h:
        await h.stream.wait_connected(5)
        await fake.send({"type": "ApplicationReplaced", "application": "ccd"})
        await until(lambda: not h.stream.connected)
        assert "replaced" in str(h.health.links["ari"].last_error)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await h.stream.wait_connected(5)
        assert loop.time() - t0 >= 0.15  # a long delay, not a tight fight for the app
        assert len(fake.sockets) == 2


async def test_unanswered_websocket_ping_is_noticed(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    fake.autoping = False  # a peer that is gone without closing the TCP connection
    async with Harness(url, heartbeat=0.1) as h:
        await h.stream.wait_connected(5)
        await until(lambda: h.health.links["ari"].disconnects >= 1)


async def test_failed_resync_is_retried_and_not_ready(ari: tuple[FakeAri, str]) -> None:
    fake, url = ari
    fake.fail_channels = True
    async with Harness(url) as h:
        await until(lambda: h.health.links["ari"].failures >= 2)
        assert not h.stream.connected and not h.of(Resync)
        fake.fail_channels = False
        await h.stream.wait_connected(5)


async def test_close_leaves_no_task_behind(ari: tuple[FakeAri, str]) -> None:
    _, url = ari
    before = asyncio.all_tasks()
    h = Harness(url)
    async with h:
        await h.stream.wait_connected(5)
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() - before if "web_protocol" not in repr(t)]
    assert left == []
