"""The lean HTTP/1.1 client of ARI's REST requests against a scripted raw peer: keep-alive
reuse, bodies by Content-Length or to the end of the connection, no body on 204, a peer
that closes early (an error, never a hang), query quoting, and close() failing requests in
flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from ccd.ari.lean_http import HttpConnectionError, LeanHttp, query

Reply = Callable[[bytes], bytes | None]  # request head -> raw answer (None: close at once)


class RawPeer:
    def __init__(self) -> None:
        self.connections = 0
        self.heads: list[bytes] = []
        self.reply: Reply = lambda head: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                answer = self.reply(head)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@pytest.fixture
async def peer() -> AsyncIterator[tuple[RawPeer, LeanHttp]]:
    p = RawPeer()
    server = await asyncio.start_server(p.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = LeanHttp(f"http://127.0.0.1:{port}/ari", {"Authorization": "Basic eDp5"})
    yield p, client
    client.close()
    server.close()
    await server.wait_closed()


async def test_keep_alive_reuses_one_connection(peer: tuple[RawPeer, LeanHttp]) -> None:
    p, client = peer
    for _ in range(3):
        assert await client.request("GET", "/asterisk/info", {}, None) == (200, "OK", b"{}")
    assert p.connections == 1
    assert p.heads[0].startswith(b"GET /ari/asterisk/info HTTP/1.1\r\n")
    assert b"Authorization: Basic eDp5\r\n" in p.heads[0]


async def test_body_and_query_are_sent(peer: tuple[RawPeer, LeanHttp]) -> None:
    p, client = peer
    await client.request("POST", "/channels", {"endpoint": "Local/1@x", "appArgs": "agent,c 1"}, b'{"a":1}')
    head = p.heads[0]
    assert head.startswith(b"POST /ari/channels?endpoint=Local/1@x&appArgs=agent,c%201 HTTP/1.1\r\n")
    assert b"Content-Length: 7\r\n" in head and b"Content-Type: application/json\r\n" in head


async def test_no_content_and_close_delimited_bodies(peer: tuple[RawPeer, LeanHttp]) -> None:
    p, client = peer
    p.reply = lambda head: b"HTTP/1.1 204 No Content\r\n\r\n"
    assert await client.request("DELETE", "/channels/c1", {}, None) == (204, "No Content", b"")
    p.reply = lambda head: b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n{\"message\": \"Channel not found\"}"
    status, reason, raw = await client.request("DELETE", "/channels/c2", {}, None)
    assert (status, reason, raw) == (404, "Not Found", b'{"message": "Channel not found"}')
    p.reply = lambda head: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    assert (await client.request("GET", "/x", {}, None))[0] == 200  # a new connection after the close
    assert p.connections == 2


async def test_a_peer_that_closes_early_is_an_error_not_a_hang(peer: tuple[RawPeer, LeanHttp]) -> None:
    p, client = peer
    p.reply = lambda head: None
    with pytest.raises(HttpConnectionError):
        await asyncio.wait_for(client.request("GET", "/x", {}, None), 5)
    p.reply = lambda head: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{}"
    with pytest.raises(HttpConnectionError):
        await asyncio.wait_for(client.request("GET", "/x", {}, None), 5)
    p.reply = lambda head: b"SSH-2.0-OpenSSH\r\n\r\n"
    with pytest.raises(HttpConnectionError):
        await asyncio.wait_for(client.request("GET", "/x", {}, None), 5)


async def test_close_fails_requests_in_flight(peer: tuple[RawPeer, LeanHttp]) -> None:
    p, client = peer
    p.reply = lambda head: b""  # answers nothing: the request waits
    pending = asyncio.ensure_future(client.request("GET", "/x", {}, None))
    await asyncio.sleep(0.1)
    client.close()
    with pytest.raises(HttpConnectionError):
        await asyncio.wait_for(pending, 5)


def test_query_quotes_like_aiohttp() -> None:
    assert query({"variable": "CCD_X", "value": "a b&c=d/é"}) == "variable=CCD_X&value=a%20b%26c%3Dd/%C3%A9"
