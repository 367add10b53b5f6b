"""``AriPort`` on top of ccd's ARI REST client: maps its errors to the two the executor
cares about (the object is gone, or Asterisk failed) and hides the REST details."""

from __future__ import annotations

from collections.abc import Sequence

from ccd.ari.client import AriClient
from ccd.ari.errors import AriConflict, AriError, AriNotFound
from ccd.ports import AsteriskConflict, AsteriskFailed, BridgeInfo, ChannelGone, ChannelInfo


class ClientAriPort:
    def __init__(self, rest: AriClient) -> None:
        self.rest = rest

    async def _call(self, coro: object) -> None:
        try:
            await coro  # type: ignore[misc]
        except AriNotFound as exc:
            raise ChannelGone(str(exc)) from exc
        except AriConflict as exc:
            raise AsteriskConflict(str(exc)) from exc
        except AriError as exc:
            raise AsteriskFailed(str(exc)) from exc

    async def ensure_bridge(self, bridge_id: str, kind: str) -> None:
        # A restarted ccd finds its holding bridges (and the callers in them) again: keep an
        # existing bridge, create it otherwise.
        try:
            await self.rest.get_bridge(bridge_id)
            return
        except AriNotFound:
            pass
        except AriError as exc:
            raise AsteriskFailed(str(exc)) from exc
        await self.create_bridge(bridge_id, kind)

    async def create_bridge(self, bridge_id: str, kind: str) -> None:
        await self._call(self.rest.create_bridge("mixing" if kind == "mixing" else "holding",
                                                 name=bridge_id, bridge_id=bridge_id))

    async def start_bridge_moh(self, bridge_id: str, moh_class: str) -> None:
        await self._call(self.rest.bridge_start_moh(bridge_id, moh_class))

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None:
        await self._call(self.rest.add_channel(bridge_id, list(channel_ids)))

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self._call(self.rest.remove_channel(bridge_id, channel_id))

    async def delete_bridge(self, bridge_id: str) -> None:
        await self._call(self.rest.delete_bridge(bridge_id))

    async def originate(
        self, endpoint: str, channel_id: str, app_args: str, caller_id: str | None, timeout: int
    ) -> None:
        await self._call(self.rest.originate(endpoint, channel_id=channel_id, app_args=app_args.split(","),
                                             caller_id=caller_id, timeout_s=timeout))

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self._call(self.rest.set_variable(channel_id, name, value))

    async def hangup(self, channel_id: str) -> None:
        await self._call(self.rest.hangup(channel_id))

    async def continue_in_dialplan(self, channel_id: str, context: str, exten: str, priority: int) -> None:
        await self._call(self.rest.continue_in_dialplan(channel_id, context, exten, priority))

    async def play(self, channel_id: str, media: Sequence[str], playback_id: str) -> None:
        await self._call(self.rest.play(channel_id, list(media), playback_id=playback_id))

    async def stop_playback(self, playback_id: str) -> None:
        await self._call(self.rest.stop_playback(playback_id))

    async def list_channels(self) -> list[ChannelInfo]:
        try:
            chans = await self.rest.list_channels()
        except AriError as exc:
            raise AsteriskFailed(str(exc)) from exc
        return [
            ChannelInfo(c.id, c.name, c.state, c.caller.number or None, c.dialplan.app_data
                        if c.dialplan.app_name == "Stasis" else "", dict(c.channelvars))
            for c in chans
        ]

    async def list_bridges(self) -> list[BridgeInfo]:
        try:
            bridges = await self.rest.list_bridges()
        except AriError as exc:
            raise AsteriskFailed(str(exc)) from exc
        return [BridgeInfo(b.id, tuple(b.channels)) for b in bridges]


