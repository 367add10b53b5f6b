"""The Asterisk operations the ACD executor needs, as a protocol: the ARI client adapter
implements it, so the executor does not depend on a client's method names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ccd.errors import CcdError


class ChannelGone(CcdError):
    """The channel (or bridge) no longer exists: it hung up meanwhile. Expected in races."""

    error_id = "port.channel_gone"
    status = 404


class AsteriskFailed(CcdError):
    """Asterisk refused or failed an operation (other than the object being gone)."""

    error_id = "port.asterisk_failed"
    status = 502


class AsteriskConflict(AsteriskFailed):
    """Refused for the object's state right now (ARI 409/422, e.g. "not in Stasis"): a
    moment later the same request can succeed."""

    error_id = "port.asterisk_conflict"
    status = 409


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    state: str
    caller_number: str | None
    app_data: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BridgeInfo:
    id: str
    channels: tuple[str, ...]


class AriPort(Protocol):
    async def ensure_bridge(self, bridge_id: str, kind: str) -> None: ...

    async def create_bridge(self, bridge_id: str, kind: str) -> None: ...

    async def start_bridge_moh(self, bridge_id: str, moh_class: str) -> None: ...

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None: ...

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None: ...

    async def delete_bridge(self, bridge_id: str) -> None: ...

    async def originate(
        self, endpoint: str, channel_id: str, app_args: str, caller_id: str | None, timeout: int
    ) -> None: ...

    async def set_variable(self, channel_id: str, name: str, value: str) -> None: ...

    async def hangup(self, channel_id: str) -> None: ...

    async def continue_in_dialplan(
        self, channel_id: str, context: str, exten: str, priority: int
    ) -> None: ...

    async def play(self, channel_id: str, media: Sequence[str], playback_id: str) -> None: ...

    async def stop_playback(self, playback_id: str) -> None: ...

    async def list_channels(self) -> list[ChannelInfo]: ...

    async def list_bridges(self) -> list[BridgeInfo]: ...
