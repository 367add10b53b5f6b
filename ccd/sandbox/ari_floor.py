"""The least any ARI-based ACD can do for a queue call: the floor bench/call_setup.py measures
ccd against (beside native ``Queue()``).

One websocket, one keep-alive HTTP connection, no parsing beyond the event's type, arguments
and channel id, no bookkeeping beyond a free-agent list. On a caller's StasisStart it
originates the agent leg at once (one request); on the agent leg's StasisStart (the answer)
it puts both channels into a mixing bridge created ahead of time (one request). Nothing is
recorded, parked, logged or persisted: what is left is Asterisk's own ARI path plus one
Python hop each way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp


class AriFloor:
    def __init__(self, url: str, user: str, password: str, app: str, endpoints: list[str],
                 *, split_add: bool = False) -> None:
        self.split_add = split_add  # one addChannel request per channel instead of one for both
        self.base = url.rstrip("/") + "/ari"
        self.app = app
        self.free = list(endpoints)
        self.bridges: list[str] = []
        self.calls: dict[str, tuple[str, str, str]] = {}  # caller -> (leg, endpoint, bridge)
        self.legs: dict[str, str] = {}  # leg -> caller
        self._headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._spare = 0
        self._pending: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        # aiohttp keeps the connections alive and sets TCP_NODELAY on them.
        self._session = aiohttp.ClientSession(headers=self._headers)
        ws_url = "ws://" + self.base.removeprefix("http://") + "/events"
        ws = await self._session.ws_connect(ws_url, params={"app": self.app, "subscribeAll": "false"})
        for _ in range(4):
            await self._new_bridge()
        self._task = asyncio.create_task(self._read(ws))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            await asyncio.wait(self._pending, timeout=2)
        for bridge in self.bridges:
            await self._post("DELETE", f"/bridges/{bridge}")
        if self._session is not None:
            await self._session.close()

    async def _new_bridge(self) -> None:
        self._spare += 1
        bridge = f"floor-{self._spare}"
        await self._post("POST", "/bridges", {"type": "mixing", "bridgeId": bridge})
        self.bridges.append(bridge)

    async def _post(self, method: str, path: str, params: dict[str, str] | None = None) -> None:
        assert self._session is not None
        async with self._session.request(method, self.base + path, params=params) as resp:
            await resp.read()

    def _fire(self, method: str, path: str, params: dict[str, str] | None = None) -> None:
        task = asyncio.create_task(self._post(method, path, params))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self._on(json.loads(msg.data))

    def _on(self, e: dict[str, Any]) -> None:
        kind = e.get("type")
        if kind == "StasisStart":
            args, chan = e.get("args") or [""], e["channel"]["id"]
            if args[0] == "queue" and self.free and self.bridges:
                endpoint, bridge, leg = self.free.pop(0), self.bridges.pop(0), f"floor-ag-{chan}"
                self.calls[chan] = (leg, endpoint, bridge)
                self.legs[leg] = chan
                self._fire("POST", "/channels", {"endpoint": endpoint, "app": self.app,
                                                 "appArgs": f"agent,{chan}", "channelId": leg})
            elif args[0] == "agent" and chan in self.legs:
                caller = self.legs[chan]
                path = f"/bridges/{self.calls[caller][2]}/addChannel"
                if self.split_add:
                    self._fire("POST", path, {"channel": chan})
                    self._fire("POST", path, {"channel": caller})
                else:
                    self._fire("POST", path, {"channel": f"{caller},{chan}"})
        elif kind == "StasisEnd":
            chan = e["channel"]["id"]
            call = self.calls.pop(chan, None)
            if call is not None:  # the caller hung up: end the agent leg, free agent and bridge
                leg, endpoint, bridge = call
                self.legs.pop(leg, None)
                self._fire("DELETE", f"/channels/{leg}")
                self.free.append(endpoint)
                self.bridges.append(bridge)
