"""A lean HTTP/1.1 keep-alive client for ARI's REST requests over plain http.

ARI's REST answers are small, always carry Content-Length and come from one server; a
queue call makes about ten of them. aiohttp's general client (cookies, redirects, URL
objects, tracing) spent about 0.3 ms of CPU on each; this one writes the request line and
headers itself and reads one response per round trip (bench/load.py). The websocket and
https stay on aiohttp.

Connections are pooled; an idle one is dropped after ``IDLE_S``, before Asterisk's own
keep-alive limit (``session_keep_alive``, 15 s by default) would close it under a request.
"""

from __future__ import annotations

import asyncio
import re
import time
from urllib.parse import quote, urlsplit

IDLE_S = 10.0
MAX_HEAD = 64 * 1024
QUERY_SAFE = "/:@-._~!$'()*,"  # what yarl (aiohttp) leaves unquoted in a query value


class HttpConnectionError(ConnectionError):
    """The connection failed or closed before a whole response arrived."""


# Text quote() would leave as it is (letters, digits, "_.-~" and QUERY_SAFE): the usual
# names and ids, which then skip its encode/decode round trip.
_PLAIN = re.compile(r"[A-Za-z0-9_.\-~/:@!$'()*,]*").fullmatch


def _quoted(text: str) -> str:
    return text if _PLAIN(text) else quote(text, QUERY_SAFE)


def query(params: dict[str, str]) -> str:
    return "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in params.items())


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, str, bytes, bool]] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._head: tuple[int, str, int | None, bool] | None = None  # status, reason, length, keep
        self._body_at = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            try:
                self._parse(eof=False)
            except HttpConnectionError as exc:
                self.waiter.set_exception(exc)
                self.close()

    def eof_received(self) -> bool:
        self._finish_at_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish_at_eof()

    def _finish_at_eof(self) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            try:
                self._parse(eof=True)
            except HttpConnectionError as exc:
                self.waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def send(self, request: bytes) -> asyncio.Future[tuple[int, str, bytes, bool]]:
        assert self.transport is not None
        self.buf.clear()
        self._head = None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def _parse(self, *, eof: bool) -> None:
        if self._head is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if eof or len(self.buf) > MAX_HEAD:
                    raise HttpConnectionError("connection closed before a response" if eof else "oversized head")
                return
            self._head = _head(bytes(self.buf[:end]))
            self._body_at = end + 4
        status, reason, length, keep = self._head
        body = self.buf[self._body_at:]
        if length is None:  # no Content-Length: the body runs to the end of the connection
            if not eof:
                return
            keep = False
        elif len(body) < length:
            if eof:
                raise HttpConnectionError("connection closed in the middle of a response")
            return
        elif len(body) > length:  # bytes nobody asked for: do not reuse this connection
            keep = False
        assert self.waiter is not None
        self.waiter.set_result((status, reason, bytes(body[:length] if length is not None else body), keep))


def _head(raw: bytes) -> tuple[int, str, int | None, bool]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpConnectionError(f"not an HTTP response: {lines[0][:60]!r}")
    status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
    length: int | None = 0 if status in (204, 304) or status < 200 else None
    keep = parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length" and length is None:
            if not value.isdigit():
                raise HttpConnectionError(f"bad Content-Length {value[:20]!r}")
            length = int(value)
        elif name == "transfer-encoding" and value.lower() != "identity":
            raise HttpConnectionError(f"unsupported Transfer-Encoding {value[:20]!r}")
        elif name == "connection":
            keep = value.lower() == "keep-alive" or (keep and value.lower() != "close")
    return status, reason, length, keep


class LeanHttp:
    """Requests to one ``http://host[:port]`` server, on pooled keep-alive connections."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "localhost", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        fixed = {"Host": parts.netloc, **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()

    async def request(self, method: str, path: str, params: dict[str, str], body: bytes | None
                      ) -> tuple[int, str, bytes]:
        """(status, reason, body) of ``method`` ``path`` (under the URL's own path)."""
        target = self.prefix + path + ("?" + query(params) if params else "")
        head = f"{method} {target} HTTP/1.1\r\n{self._fixed}Content-Length: {len(body or b'')}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        request = (head + "\r\n").encode("latin-1") + (body or b"")
        conn = await self._acquire()
        try:
            status, reason, raw, keep = await conn.send(request)
        except BaseException:
            self._drop(conn)
            raise
        if keep and not conn.closed:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            self._drop(conn)
        return status, reason, raw

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_S:
                return conn
            self._drop(conn)
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        self._all.add(conn)
        return conn

    def _drop(self, conn: _Connection) -> None:
        conn.close()
        self._all.discard(conn)

    def close(self) -> None:
        """Close every connection; requests in flight fail with HttpConnectionError."""
        for conn in list(self._all):
            self._drop(conn)
        self._idle.clear()
