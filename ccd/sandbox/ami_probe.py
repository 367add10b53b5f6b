"""A tiny raw AMI reader for tests and benchmarks that observe Asterisk independently of
ccd's own AMI layer (so a bug there cannot hide itself)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Event = dict[str, str]


class AmiProbe:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.events: list[Event] = []

    @classmethod
    async def connect(cls, host: str, port: int, user: str, secret: str) -> AmiProbe:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        await reader.readline()  # banner
        probe = cls(reader, writer)
        await probe.send({"Action": "Login", "Username": user, "Secret": secret})
        reply = await probe.read_message()
        if reply.get("Response") != "Success":
            raise RuntimeError(f"AMI login failed: {reply}")
        return probe

    async def send(self, fields: dict[str, str]) -> None:
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode() + b"\r\n")
        await self.writer.drain()

    async def read_message(self) -> Event:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        msg: Event = {}
        for line in raw.decode(errors="replace").split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                msg[key] = value
        return msg

    async def wait_for(self, match: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        for ev in self.events:
            if match(ev):
                return ev
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = await asyncio.wait_for(self.read_message(), left)
            if "Event" in msg:
                self.events.append(msg)
                if match(msg):
                    return msg
        raise TimeoutError(f"no matching AMI event within {timeout}s")

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except ConnectionError:
            pass
