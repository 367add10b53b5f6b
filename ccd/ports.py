"""The ports features meet through: protocols (and the small value types they carry) that
one feature or adapter answers and another depends on, so that no feature imports another.

- ``AriPort``: the Asterisk operations the executors need; the ARI client adapter
  (``ccd.queues.ari_port``) implements it, so no executor depends on a client's method names.
- ``QueueCall`` / ``CallHooks``: what another feature may see of a queue call, and the
  points of a call's life where it may act (given to the ACD executor at construction).
- ``CallQuery``: questions the ACD executor answers about live calls (supervision asks
  "which call is this agent on?").
- ``SurveyPort``: what the ACD service asks of the post-call survey (rating_ivr).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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


# -- queue calls as other features see them --------------------------------------------------
class QueueCall(Protocol):
    """A live queue call, read-only (the ACD executor's bookkeeping stays its own)."""

    @property
    def call_id(self) -> str: ...  # = the caller channel's id

    @property
    def queue(self) -> str: ...

    @property
    def caller_number(self) -> str | None: ...

    @property
    def connected_agent(self) -> str | None: ...

    @property
    def bridge_id(self) -> str | None: ...  # the call's mixing bridge

    @property
    def ended(self) -> bool: ...


CallHook = Callable[[QueueCall], Awaitable[None]]


@dataclass(frozen=True)
class CallHooks:
    """What other features do at fixed points of a queue call's life, awaited in the call's
    order; each tuple runs in order and one hook's failure never skips the next."""

    before_queue: tuple[CallHook, ...] = ()  # a new caller, before queueing ("this call is recorded")
    on_connected: tuple[CallHook, ...] = ()  # caller and agent bridged (start recording)
    before_bridge_deleted: tuple[CallHook, ...] = ()  # the call's bridge is about to go (stop recording)
    # Before the caller is moved (to an agent or an overflow target): stops an announcement.
    before_caller_moves: tuple[Callable[[str], Awaitable[None]], ...] = ()


@dataclass(frozen=True)
class AgentCall:
    """The answered, live queue call an agent is on."""

    call_id: str
    queue: str
    agent_channel: str
    bridge_id: str


class CallQuery(Protocol):
    """Questions about live queue calls, answered by the ACD executor."""

    def call(self, call_id: str) -> QueueCall | None: ...

    def agent_call(self, agent_id: str) -> AgentCall | None: ...


class SurveyPort(Protocol):
    """The post-call survey as the ACD service drives it (rating_ivr's runner answers)."""

    def offer(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> bool: ...

    def caller_hung_up_first(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> None: ...

    def left_bridge(self, channel_id: str) -> None: ...

    def dtmf(self, channel_id: str, digit: str) -> None: ...

    def playback_finished(self, playback_id: str) -> None: ...

    def hung_up(self, channel_id: str) -> None: ...


NO_HOOKS = CallHooks()
