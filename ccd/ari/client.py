"""The ARI REST calls ccd needs, typed. Every call has a timeout (``timeout=`` overrides the
client's default) and raises ``ChannelNotFound`` / ``BridgeNotFound`` (404),
``AriConflict`` (409), ``AriUnavailable`` (no answer, 5xx) or ``AriError``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from ccd.ari.errors import AriError, AriNotFound, BridgeNotFound, ChannelNotFound
from ccd.ari.http import AriHttp
from ccd.ari.models import AsteriskInfo, Bridge, Channel, DeviceState, LiveRecording, Playback
from ccd.dispatch import Logger, MalformedEvent

M = TypeVar("M")
Media = str | Sequence[str]


def _parse(parse: Callable[[Any], M], data: Any) -> M:
    try:
        return parse(data)
    except MalformedEvent as exc:  # Asterisk answered something ccd cannot read
        raise AriError(f"unexpected ARI answer: {exc}") from None


def _parse_list(parse: Callable[[Any], M], data: Any) -> list[M]:
    if not isinstance(data, list):
        raise AriError("unexpected ARI answer: not a list")
    return [_parse(parse, item) for item in data]


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.\-~]*").fullmatch  # what quote() leaves as it is


def _seg(value: str) -> str:
    return value if _PLAIN_SEGMENT(value) else quote(value, safe="")


def _media(media: Media) -> str | list[str]:
    return media if isinstance(media, str) else ",".join(media)


class AriClient(AriHttp):
    def __init__(
        self, url: str, user: str, password: str, app: str, *, log: Logger, timeout: float = 5.0
    ) -> None:
        super().__init__(url, user, password, log=log, timeout=timeout)
        self.app = app

    async def _chan(self, method: str, cid: str, tail: str = "", **kw: Any) -> Any:
        return await self.request(
            method, f"/channels/{_seg(cid)}{tail}", not_found=ChannelNotFound, **kw
        )

    async def _bridge(self, method: str, bid: str, tail: str = "", **kw: Any) -> Any:
        return await self.request(
            method, f"/bridges/{_seg(bid)}{tail}", not_found=BridgeNotFound, **kw
        )

    # -- channels ---------------------------------------------------------------------------
    async def list_channels(self, *, timeout: float | None = None) -> list[Channel]:
        data = await self.request("GET", "/channels", timeout=timeout)
        return _parse_list(Channel.parse, data)

    async def get_channel(self, channel_id: str) -> Channel:
        return _parse(Channel.parse, await self._chan("GET", channel_id))

    async def originate(
        self,
        endpoint: str,
        *,
        app_args: Sequence[str] = (),
        app: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        caller_id: str | None = None,
        timeout_s: int | None = None,
        variables: Mapping[str, str] | None = None,
        originator: str | None = None,
    ) -> Channel:
        """Dial ``endpoint``; on answer it enters ``app`` (default: ours) with ``app_args``."""
        params = {
            "endpoint": endpoint, "app": app or self.app, "appArgs": ",".join(app_args) or None,
            "channelId": channel_id, "otherChannelId": other_channel_id, "callerId": caller_id,
            "timeout": timeout_s, "originator": originator,
        }
        body = {"variables": dict(variables)} if variables else None
        data = await self.request("POST", "/channels", params=params, body=body)
        return _parse(Channel.parse, data)

    async def run_dialplan(self, endpoint: str, context: str, extension: str,
                           variables: Mapping[str, str]) -> None:
        """Originate ``endpoint`` (a Local channel: its dialplan runs at once) with
        ``variables``; should it answer, it continues at ``extension`` of ``context``. No
        application: none of its events reach ccd."""
        await self.request("POST", "/channels", body={"variables": dict(variables)}, params={
            "endpoint": endpoint, "context": context, "extension": extension, "priority": 1})

    async def create_channel(
        self,
        endpoint: str,
        *,
        app_args: Sequence[str] = (),
        app: str | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Create a channel without dialling it (``dial()`` later), so it can be put in a
        bridge first and no command waits on res_stasis's poll (ASTERISK.md)."""
        params = {
            "endpoint": endpoint, "app": app or self.app, "appArgs": ",".join(app_args) or None,
            "channelId": channel_id, "otherChannelId": other_channel_id, "originator": originator,
        }
        body = {"variables": dict(variables)} if variables else None
        data = await self.request("POST", "/channels/create", params=params, body=body)
        return _parse(Channel.parse, data)

    async def dial(
        self, channel_id: str, *, caller: str | None = None, timeout_s: int | None = None
    ) -> None:
        await self._chan("POST", channel_id, "/dial",
                         params={"caller": caller, "timeout": timeout_s})

    async def answer(self, channel_id: str) -> None:
        await self._chan("POST", channel_id, "/answer")

    async def ring(self, channel_id: str) -> None:
        await self._chan("POST", channel_id, "/ring")

    async def hangup(self, channel_id: str, reason: str | None = None) -> None:
        await self._chan("DELETE", channel_id, params={"reason": reason})

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int = 1
    ) -> None:
        await self._chan("POST", channel_id, "/continue",
                         params={"context": context, "extension": extension, "priority": priority})

    async def play(
        self, channel_id: str, media: Media, *, playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        params = {"media": _media(media), "playbackId": playback_id, "lang": lang}
        data = await self._chan("POST", channel_id, "/play", params=params)
        return _parse(Playback.parse, data)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{_seg(playback_id)}")

    async def record(
        self, channel_id: str, name: str, *, fmt: str = "wav", max_duration_s: int | None = None,
        if_exists: Literal["fail", "overwrite", "append"] = "fail", beep: bool = False,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        params = {"name": name, "format": fmt, "maxDurationSeconds": max_duration_s,
                  "ifExists": if_exists, "beep": beep, "terminateOn": terminate_on}
        data = await self._chan("POST", channel_id, "/record", params=params)
        return _parse(LiveRecording.parse, data)

    async def stop_recording(self, name: str) -> None:
        await self.request("POST", f"/recordings/live/{_seg(name)}/stop")

    async def recording_is_live(self, name: str) -> bool:
        """Whether Asterisk is still writing the recording (False: finished, or never was)."""
        try:
            await self.request("GET", f"/recordings/live/{_seg(name)}")
        except AriNotFound:
            return False
        return True

    async def snoop(
        self, channel_id: str, *, spy: str = "both", whisper: str = "none",
        app_args: Sequence[str] = (), snoop_id: str | None = None, app: str | None = None,
    ) -> Channel:
        """A snoop channel on ``channel_id`` (spy=both & whisper=none: listen; whisper=out:
        only the snooped channel hears the snooper, i.e. whisper to the agent)."""
        params = {"spy": spy, "whisper": whisper, "app": app or self.app,
                  "appArgs": ",".join(app_args) or None, "snoopId": snoop_id}
        data = await self._chan("POST", channel_id, "/snoop", params=params)
        return _parse(Channel.parse, data)

    async def get_variable(self, channel_id: str, name: str) -> str | None:
        """The variable's value, or None when it is not set on the channel."""
        try:
            data = await self.request(
                "GET", f"/channels/{_seg(channel_id)}/variable", params={"variable": name},
                not_found=AriNotFound,
            )
        except ChannelNotFound:
            raise
        except AriNotFound:
            return None
        value = data.get("value") if isinstance(data, dict) else None
        return None if value is None else str(value)

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self._chan("POST", channel_id, "/variable",
                         params={"variable": name, "value": value})

    async def send_dtmf(
        self, channel_id: str, dtmf: str, *, between_ms: int | None = None,
        duration_ms: int | None = None,
    ) -> None:
        await self._chan("POST", channel_id, "/dtmf",
                         params={"dtmf": dtmf, "between": between_ms, "duration": duration_ms})

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        await self._chan("POST", channel_id, "/moh", params={"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        await self._chan("DELETE", channel_id, "/moh")

    # -- bridges ----------------------------------------------------------------------------
    async def create_bridge(
        self, kind: Literal["mixing", "holding"], *, name: str | None = None,
        bridge_id: str | None = None,
    ) -> Bridge:
        params = {"type": kind, "name": name, "bridgeId": bridge_id}
        return _parse(Bridge.parse, await self.request("POST", "/bridges", params=params))

    async def create_holding_bridge(self, name: str | None = None) -> Bridge:
        return await self.create_bridge("holding", name=name)

    async def create_mixing_bridge(self, name: str | None = None) -> Bridge:
        return await self.create_bridge("mixing", name=name)

    async def list_bridges(self, *, timeout: float | None = None) -> list[Bridge]:
        data = await self.request("GET", "/bridges", timeout=timeout)
        return _parse_list(Bridge.parse, data)

    async def get_bridge(self, bridge_id: str) -> Bridge:
        return _parse(Bridge.parse, await self._bridge("GET", bridge_id))

    async def add_channel(
        self, bridge_id: str, channel_id: str | Sequence[str], *, role: str | None = None
    ) -> None:
        ids = channel_id if isinstance(channel_id, str) else ",".join(channel_id)
        await self._bridge("POST", bridge_id, "/addChannel",
                           params={"channel": ids, "role": role})

    async def remove_channel(self, bridge_id: str, channel_id: str) -> None:
        await self._bridge("POST", bridge_id, "/removeChannel", params={"channel": channel_id})

    async def bridge_start_moh(self, bridge_id: str, moh_class: str | None = None) -> None:
        await self._bridge("POST", bridge_id, "/moh", params={"mohClass": moh_class})

    async def bridge_stop_moh(self, bridge_id: str) -> None:
        await self._bridge("DELETE", bridge_id, "/moh")

    async def bridge_play(
        self, bridge_id: str, media: Media, *, playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        params = {"media": _media(media), "playbackId": playback_id, "lang": lang}
        data = await self._bridge("POST", bridge_id, "/play", params=params)
        return _parse(Playback.parse, data)

    async def bridge_record(
        self, bridge_id: str, name: str, *, fmt: str = "wav", max_duration_s: int | None = None,
        if_exists: Literal["fail", "overwrite", "append"] = "fail", beep: bool = False,
    ) -> LiveRecording:
        params = {"name": name, "format": fmt, "maxDurationSeconds": max_duration_s,
                  "ifExists": if_exists, "beep": beep}
        data = await self._bridge("POST", bridge_id, "/record", params=params)
        return _parse(LiveRecording.parse, data)

    async def delete_bridge(self, bridge_id: str) -> None:
        await self._bridge("DELETE", bridge_id)

    # -- devices, applications, asterisk ----------------------------------------------------
    async def device_states(self) -> list[DeviceState]:
        return _parse_list(DeviceState.parse, await self.request("GET", "/deviceStates"))

    async def get_application(
        self, name: str | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        data = await self.request("GET", f"/applications/{_seg(name or self.app)}",
                                  timeout=timeout)
        return data if isinstance(data, dict) else {}

    async def subscribe(self, event_source: str | Sequence[str], name: str | None = None) -> None:
        """Subscribe the application to ``channel:<id>``, ``bridge:<id>``, ``endpoint:<tech>``
        or ``deviceState:<name>`` sources."""
        await self.request("POST", f"/applications/{_seg(name or self.app)}/subscription",
                           params={"eventSource": event_source})

    async def filter_events(self, allowed: Sequence[str], *, timeout: float | None = None) -> None:
        """Only these event types on the application's websocket (Asterisk 16.3 and later)."""
        await self.request("PUT", f"/applications/{_seg(self.app)}/eventFilter", timeout=timeout,
                           body={"allowed": [{"type": t} for t in allowed]})

    async def asterisk_info(self, *, timeout: float | None = None) -> AsteriskInfo:
        data = await self.request("GET", "/asterisk/info", timeout=timeout)
        return _parse(AsteriskInfo.parse, data)
