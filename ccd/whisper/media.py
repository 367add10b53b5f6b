"""The audio paths of a supervision session on Asterisk (ARI), per ASTERISK.md's measured
snoop directions:

- listen:  snoop(agent leg, spy=both, whisper=none) in the private bridge with the supervisor
- whisper: snoop(agent leg, spy=both, whisper=out)  (only the agent hears the supervisor)
- barge:   the supervisor moves into the call's mixing bridge (three-way)

Snoop parameters are fixed, so a listen<->whisper switch replaces the snoop (make before
break); the supervisor's own channel never hangs up and the call's bridge is only touched
by barge.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from ccd.ari.client import AriClient
from ccd.ari.errors import AriError, AriNotFound
from ccd.errors import CcdError
from ccd.whisper.core.session import CallRef, Mode

SUP_BRIDGE_PREFIX = "ccd-sup-"
SNOOP_PREFIX = "ccd-snoop-"
SNOOP_START_TIMEOUT_S = 2.0


def private_bridge_id(session_id: str) -> str:
    return f"{SUP_BRIDGE_PREFIX}{session_id}"


class MediaFailed(CcdError):
    """The audio path could not be built (the call or the supervisor went away meanwhile)."""

    error_id = "supervision.media_failed"
    status = 502


class AudioPaths:
    def __init__(self, rest: AriClient) -> None:
        self.rest = rest
        self.snoops: dict[str, str] = {}  # session id -> current snoop channel id
        self._started: dict[str, asyncio.Future[None]] = {}
        self._seq = itertools.count(1)

    def is_snoop(self, channel_id: str) -> bool:
        return channel_id.startswith(SNOOP_PREFIX)

    def snoop_started(self, channel_id: str) -> None:
        """StasisStart of a snoop channel we created: it may now join a bridge."""
        fut = self._started.get(channel_id)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def attach(self, session_id: str, supervisor: str, mode: Mode, call: CallRef) -> None:
        bridge = private_bridge_id(session_id)
        try:
            await self.rest.create_bridge("mixing", name=bridge, bridge_id=bridge)
            if mode == "barge":
                await self.rest.add_channel(call.call_bridge, supervisor)
            else:
                # The snoop is created first so the supervisor joins an already live path.
                snoop = await self._new_snoop(session_id, call.agent_channel, mode)
                await self.rest.add_channel(bridge, [supervisor, snoop])
        except AriError as exc:
            raise MediaFailed(str(exc)) from exc

    async def switch(self, session_id: str, supervisor: str, previous: Mode, mode: Mode, call: CallRef) -> None:
        bridge = private_bridge_id(session_id)
        old = self.snoops.get(session_id)
        try:
            if mode == "barge":
                # One addChannel moves the supervisor from the private bridge into the call.
                await self.rest.add_channel(call.call_bridge, supervisor)
            else:
                snoop = await self._new_snoop(session_id, call.agent_channel, mode)
                await self.rest.add_channel(bridge, snoop)
                if previous == "barge":
                    await self.rest.add_channel(bridge, supervisor)  # leaves the call bridge
        except AriError as exc:
            raise MediaFailed(str(exc)) from exc
        if old is not None and old != self.snoops.get(session_id):
            await self._hangup(old)
        if mode == "barge":
            self.snoops.pop(session_id, None)

    async def teardown(self, session_id: str, supervisor: str | None, hangup_supervisor: bool) -> None:
        snoop = self.snoops.pop(session_id, None)
        if snoop is not None:
            await self._hangup(snoop)
        if hangup_supervisor and supervisor is not None:
            await self._hangup(supervisor)
        with contextlib.suppress(AriError):
            await self.rest.delete_bridge(private_bridge_id(session_id))

    async def beep(self, agent_channel: str) -> None:
        with contextlib.suppress(AriError):
            await self.rest.play(agent_channel, "sound:beep")

    async def _new_snoop(self, session_id: str, agent_channel: str, mode: Mode) -> str:
        snoop_id = f"{SNOOP_PREFIX}{session_id}-{next(self._seq)}"
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._started[snoop_id] = fut
        try:
            await self.rest.snoop(agent_channel, spy="both", whisper="out" if mode == "whisper" else "none",
                                  app_args=("supervise", "snoop", session_id), snoop_id=snoop_id)
            self.snoops[session_id] = snoop_id
            # Like any created channel, a snoop enters Stasis on its own thread: addChannel
            # before its StasisStart is refused.
            try:
                await asyncio.wait_for(fut, SNOOP_START_TIMEOUT_S)
            except TimeoutError as exc:
                raise MediaFailed("snoop channel never entered Stasis") from exc
        finally:
            self._started.pop(snoop_id, None)
        return snoop_id

    async def _hangup(self, channel_id: str) -> None:
        with contextlib.suppress(AriNotFound, AriError):
            await self.rest.hangup(channel_id)
