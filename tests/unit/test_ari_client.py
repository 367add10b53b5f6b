"""The ARI REST client against a scripted HTTP peer: request shapes, the per-request timeout,
and errors mapped to ChannelNotFound / BridgeNotFound / AriConflict / AriUnavailable /
AriAuthError / AriError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog
from aiohttp import web

from ccd.ari import (
    AriAuthError,
    AriClient,
    AriConflict,
    AriError,
    AriUnavailable,
    BridgeNotFound,
    ChannelNotFound,
)

PASSWORD = "ari-pw-never-logged"
CHANNEL = {"id": "c1", "name": "PJSIP/1001-0001", "state": "Down"}
BRIDGE = {"id": "b1", "bridge_type": "holding", "bridge_class": "stasis", "name": "ccd-hold-q",
          "channels": []}


class Peer:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.replies: dict[tuple[str, str], tuple[int, Any]] = {}
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, dict(request.query), body))
        if request.headers.get("Authorization") != _auth("ccd", PASSWORD):
            return web.json_response({"message": "Authentication required"}, status=401)
        if self.delay:
            await asyncio.sleep(self.delay)
        status, payload = self.replies.get((request.method, request.path), (204, None))
        if payload is None:
            return web.Response(status=status)
        if isinstance(payload, str):
            return web.Response(status=status, text=payload)
        return web.json_response(payload, status=status)


def _auth(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
async def peer() -> AsyncIterator[tuple[Peer, str]]:
    p = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", p.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield p, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def client(url: str, password: str = PASSWORD, timeout: float = 2.0) -> AriClient:
    return AriClient(url, "ccd", password, "ccd", log=structlog.get_logger("t"), timeout=timeout)


async def test_request_shapes(peer: tuple[Peer, str]) -> None:
    p, url = peer
    p.replies[("POST", "/ari/channels")] = (200, CHANNEL)
    p.replies[("POST", "/ari/channels/create")] = (200, CHANNEL)
    p.replies[("POST", "/ari/bridges")] = (200, BRIDGE)
    p.replies[("POST", "/ari/channels/c1/snoop")] = (200, {**CHANNEL, "id": "snoop1"})
    p.replies[("POST", "/ari/bridges/b1/play")] = (200, {"id": "pb1", "state": "queued"})
    p.replies[("GET", "/ari/channels/c1/variable")] = (200, {"value": "call-7"})
    ari = client(url)
    chan = await ari.originate("PJSIP/1001", app_args=["agent", "call-7"], channel_id="c1",
                               timeout_s=20, variables={"CCD_CALL_ID": "call-7"})
    assert chan.id == "c1"
    await ari.create_channel("PJSIP/1001", app_args=["agent"], channel_id="c1")
    await ari.dial("c1", caller="c0", timeout_s=15)
    bridge = await ari.create_holding_bridge("ccd-hold-q")
    assert bridge.bridge_type == "holding"
    await ari.add_channel("b1", ["c1", "c2"])
    await ari.bridge_start_moh("b1", "default")
    assert (await ari.bridge_play("b1", ["sound:a", "sound:b"])).id == "pb1"
    assert (await ari.snoop("c1", spy="both", whisper="out")).id == "snoop1"
    assert await ari.get_variable("c1", "CCD_CALL_ID") == "call-7"
    await ari.hangup("c1", reason="normal")
    await ari.subscribe(["channel:c1", "bridge:b1"])
    await ari.close()
    seen = {(m, path): (q, b) for m, path, q, b in p.requests}
    assert seen[("POST", "/ari/channels")] == (
        {"endpoint": "PJSIP/1001", "app": "ccd", "appArgs": "agent,call-7", "channelId": "c1",
         "timeout": "20"},
        {"variables": {"CCD_CALL_ID": "call-7"}},
    )
    assert seen[("POST", "/ari/channels/create")][0]["appArgs"] == "agent"
    assert seen[("POST", "/ari/channels/c1/dial")][0] == {"caller": "c0", "timeout": "15"}
    assert seen[("POST", "/ari/bridges")][0] == {"type": "holding", "name": "ccd-hold-q"}
    assert seen[("POST", "/ari/bridges/b1/addChannel")][0] == {"channel": "c1,c2"}
    assert seen[("POST", "/ari/bridges/b1/play")][0] == {"media": "sound:a,sound:b"}
    assert seen[("POST", "/ari/channels/c1/snoop")][0] == {"spy": "both", "whisper": "out",
                                                            "app": "ccd"}
    assert seen[("DELETE", "/ari/channels/c1")][0] == {"reason": "normal"}
    assert seen[("POST", "/ari/applications/ccd/subscription")][0] == {
        "eventSource": "channel:c1,bridge:b1"}


@pytest.mark.parametrize(
    ("route", "status", "message", "call", "exc"),
    [
        (("POST", "/ari/channels/gone/answer"), 404, "Channel not found",
         lambda a: a.answer("gone"), ChannelNotFound),
        (("POST", "/ari/bridges/b1/addChannel"), 400, "Channel not found",  # hung up
         lambda a: a.add_channel("b1", "gone"), ChannelNotFound),
        (("POST", "/ari/bridges/nob/addChannel"), 404, "Bridge not found",
         lambda a: a.add_channel("nob", "c1"), BridgeNotFound),
        (("DELETE", "/ari/bridges/nob"), 404, "Bridge not found",
         lambda a: a.delete_bridge("nob"), BridgeNotFound),
        (("POST", "/ari/channels/c1/play"), 409, "Channel not in Stasis application",
         lambda a: a.play("c1", "sound:x"), AriConflict),
        (("POST", "/ari/bridges/b1/addChannel"), 422, "Channel not in Stasis application",
         lambda a: a.add_channel("b1", "c1"), AriConflict),
        (("POST", "/ari/bridges/b1/record"), 500, "Internal Server Error",
         lambda a: a.bridge_record("b1", "r1"), AriUnavailable),
        (("GET", "/ari/asterisk/info"), 503, "Service Unavailable",
         lambda a: a.asterisk_info(), AriUnavailable),
        (("POST", "/ari/channels/c1/dtmf"), 400, "DTMF is required",
         lambda a: a.send_dtmf("c1", ""), AriError),
        (("GET", "/ari/channels/gone/variable"), 404, "Provided channel was not found",
         lambda a: a.get_variable("gone", "X"), ChannelNotFound),
    ],
)
async def test_errors_are_mapped(
    peer: tuple[Peer, str], route: tuple[str, str], status: int, message: str, call: Any,
    exc: type[AriError],
) -> None:
    p, url = peer
    p.replies[route] = (status, {"message": message})
    ari = client(url)
    with pytest.raises(exc) as err:
        await call(ari)
    assert type(err.value) is exc
    assert err.value.http_status == status and err.value.message == message
    assert route[1].removeprefix("/ari") in str(err.value)
    await ari.close()


async def test_unset_variable_is_none(peer: tuple[Peer, str]) -> None:
    p, url = peer
    p.replies[("GET", "/ari/channels/c1/variable")] = (404, {"message": "Provided variable was "
                                                                       "not found"})
    ari = client(url)
    assert await ari.get_variable("c1", "NOPE") is None
    await ari.close()


async def test_timeout_is_unavailable(peer: tuple[Peer, str]) -> None:
    p, url = peer
    p.delay = 1.0
    ari = client(url, timeout=5)
    with pytest.raises(AriUnavailable, match=r"timed out after 0\.05s"):
        await ari.request("GET", "/channels", timeout=0.05)
    await ari.close()


async def test_connection_refused_is_unavailable() -> None:
    ari = client("http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(AriUnavailable):
        await ari.list_channels()
    await ari.close()


async def test_bad_credentials_name_user_and_server_but_not_the_password(
    peer: tuple[Peer, str],
) -> None:
    _, url = peer
    ari = client(url, password="wrong-" + PASSWORD)
    with pytest.raises(AriAuthError) as err:
        await ari.asterisk_info()
    text = str(err.value)
    assert f"ARI login failed for user 'ccd' at {url}" in text and "401" in text
    assert PASSWORD not in text and PASSWORD not in repr(err.value)
    await ari.close()


async def test_invalid_json_answer(peer: tuple[Peer, str]) -> None:
    p, url = peer
    p.replies[("GET", "/ari/channels")] = (200, "{not json")
    ari = client(url)
    with pytest.raises(AriError, match="invalid JSON"):
        await ari.list_channels()
    await ari.close()


def test_ws_url() -> None:
    log = structlog.get_logger("t")
    assert AriClient("http://h:8088/", "u", "p", "ccd", log=log).ws_url == "ws://h:8088/ari"
    assert AriClient("https://h/", "u", "p", "ccd", log=log).ws_url == "wss://h/ari"


