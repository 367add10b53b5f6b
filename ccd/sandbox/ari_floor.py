"""The least any ARI-based ACD can do for a queue call: the floor bench/call_setup.py measures
ccd against (beside native ``Queue()``), and bench/load.py ``--app floor`` runs in its own
process (``python -m ccd.sandbox.ari_floor``) for the CPU a routed call costs at least.

One websocket carrying only StasisStart and StasisEnd, keep-alive HTTP connections, no parsing
beyond the event's type, arguments and channel id, no bookkeeping beyond a free-agent list and
a waiting line. On a caller's StasisStart it originates the agent leg at once (one request),
or lines the caller up when no agent is free; on the agent leg's StasisStart (the answer) it
puts both channels into a mixing bridge created ahead of time (one request). When either side
leaves Stasis it hangs up the other (one request) and the agent and bridge go to the next
caller waiting. Nothing is recorded, parked, logged or persisted: what is left is Asterisk's
own ARI path plus one Python hop each way. REST goes through aiohttp, or with ``--lean``
through ccd's own client (ccd/ari/lean_http.py), as ccd's does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from collections import deque
from typing import Any

import aiohttp

from ccd.ari.lean_http import LeanHttp


class AriFloor:
    def __init__(self, url: str, user: str, password: str, app: str, endpoints: list[str],
                 *, split_add: bool = False, lean: bool = False) -> None:
        self.split_add = split_add  # one addChannel request per channel instead of one for both
        self.base = url.rstrip("/") + "/ari"
        self.app = app
        self.free = list(endpoints)
        self.bridges: list[str] = []
        self.calls: dict[str, tuple[str, str, str]] = {}  # caller -> (leg, endpoint, bridge)
        self.legs: dict[str, str] = {}  # leg -> caller
        self.waiting: deque[str] = deque()  # callers in arrival order, no agent free yet
        self.answered: set[str] = set()  # callers whose agent answered, while connected
        self.counts = {"answered": 0, "abandoned": 0}
        self._headers = {"Authorization": aiohttp.encode_basic_auth(user, password)}
        self._session: aiohttp.ClientSession | None = None
        # REST through ccd's lean client (ccd/ari/lean_http.py) instead of aiohttp's
        self._lean = LeanHttp(self.base, self._headers) if lean else None
        self._task: asyncio.Task[None] | None = None
        self._bridge_count = max(4, len(endpoints))  # one per agent: every agent can talk at once
        self._spare = 0
        self._pending: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        # aiohttp keeps the connections alive and sets TCP_NODELAY on them.
        self._session = aiohttp.ClientSession(headers=self._headers)
        ws_url = "ws://" + self.base.removeprefix("http://") + "/events"
        ws = await self._session.ws_connect(ws_url, params={"app": self.app, "subscribeAll": "false"})
        # The two event types it acts on, no others (Asterisk 16.3 and later): the rest would
        # cost the socket and the parser per event.
        allowed = {"allowed": [{"type": "StasisStart"}, {"type": "StasisEnd"}]}
        async with self._session.put(f"{self.base}/applications/{self.app}/eventFilter", json=allowed) as resp:
            resp.raise_for_status()
        for _ in range(self._bridge_count):
            await self._new_bridge()
        self._task = asyncio.create_task(self._read(ws))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pending:
            await asyncio.wait(self._pending, timeout=2)
        for bridge in self.bridges + [call[2] for call in self.calls.values()]:
            await self._post("DELETE", f"/bridges/{bridge}")
        if self._lean is not None:
            self._lean.close()
        if self._session is not None:
            await self._session.close()

    async def _new_bridge(self) -> None:
        self._spare += 1
        bridge = f"floor-{self._spare}"
        await self._post("POST", "/bridges", {"type": "mixing", "bridgeId": bridge})
        self.bridges.append(bridge)

    async def _post(self, method: str, path: str, params: dict[str, str] | None = None) -> None:
        if self._lean is not None:
            await self._lean.request(method, path, params or {}, None)
            return
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
            if args[0] == "queue":
                self.waiting.append(chan)
                self._offer()
            elif args[0] == "agent" and chan in self.legs:
                caller = self.legs[chan]
                self.answered.add(caller)
                self.counts["answered"] += 1
                path = f"/bridges/{self.calls[caller][2]}/addChannel"
                if self.split_add:
                    self._fire("POST", path, {"channel": chan})
                    self._fire("POST", path, {"channel": caller})
                else:
                    self._fire("POST", path, {"channel": f"{caller},{chan}"})
            elif args[0] == "agent":  # its caller left while it rang: nobody to talk to
                self._fire("DELETE", f"/channels/{chan}")
        elif kind == "StasisEnd":
            chan = e["channel"]["id"]
            if chan in self.calls:  # the caller hung up: end the agent leg
                leg = self.calls[chan][0]
                if chan not in self.answered:
                    self.counts["abandoned"] += 1
                self._end(chan, hang_up=leg)
            elif chan in self.legs:  # the agent hung up: end the caller's side
                caller = self.legs[chan]
                self._end(caller, hang_up=caller)
            elif chan in self.waiting:  # gave up before any agent was free
                self.waiting.remove(chan)
                self.counts["abandoned"] += 1

    def _offer(self) -> None:
        while self.waiting and self.free and self.bridges:
            chan = self.waiting.popleft()
            endpoint, bridge, leg = self.free.pop(0), self.bridges.pop(0), f"floor-ag-{chan}"
            self.calls[chan] = (leg, endpoint, bridge)
            self.legs[leg] = chan
            self._fire("POST", "/channels", {"endpoint": endpoint, "app": self.app,
                                             "appArgs": f"agent,{chan}", "channelId": leg})

    def _end(self, caller: str, hang_up: str) -> None:
        """The call is over: hang up the side still there, free its agent and bridge."""
        leg, endpoint, bridge = self.calls.pop(caller)
        self.legs.pop(leg, None)
        self.answered.discard(caller)
        self._fire("DELETE", f"/channels/{hang_up}")
        self.free.append(endpoint)
        self.bridges.append(bridge)
        self._offer()

    def status(self) -> dict[str, int]:
        return {**self.counts, "waiting": len(self.waiting), "connected": len(self.calls)}


async def serve(floor: AriFloor) -> None:
    """Run until SIGTERM or SIGINT. Prints "ready" once started, and the counts (one JSON line)
    on each SIGUSR1: the bench asks for them instead of a line per call, which would cost CPU."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: print(json.dumps(floor.status()), flush=True))
    await floor.start()
    print("ready", flush=True)
    await done.wait()
    await floor.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="Asterisk's HTTP server, e.g. http://127.0.0.1:8088")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--app", required=True, help="the Stasis application")
    parser.add_argument("--endpoints", nargs="+", required=True, help="the agents' endpoints")
    parser.add_argument("--lean", action="store_true", help="REST through ccd's lean HTTP client, not aiohttp")
    args = parser.parse_args(argv)
    asyncio.run(serve(AriFloor(args.url, args.user, args.password, args.app, args.endpoints, lean=args.lean)))


if __name__ == "__main__":
    main()
