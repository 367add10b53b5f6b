"""Typed AMI events: the ones ccd uses, as frozen dataclasses built from AMI headers.

Each field maps to the header of the same name in CamelCase (``member_name`` ->
``MemberName``) unless its metadata names another (``field(metadata=H("CallerIDNum"))``).
A field without a default is required: a frame lacking it is malformed. Caller fields on the
Agent* events are optional on purpose: one Asterisk 22 run sent ``AgentComplete`` without
them (ASTERISK.md), so match those by queue + interface + ``dest_uniqueid``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ccd.dispatch import MalformedEvent


def H(header: str) -> dict[str, str]:  # reads like an annotation in field(metadata=...)
    return {"ami": header}


@dataclass(frozen=True, slots=True, kw_only=True)
class AmiEvent:
    """Base class of every typed AMI event (subscribe to it to see them all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FullyBooted(AmiEvent):
    status: str = ""
    uptime: int | None = None
    last_reload: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Shutdown(AmiEvent):
    """Asterisk is stopping: the session is about to end."""

    shutdown: str = ""  # Cleanly | Uncleanly
    restart: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Reload(AmiEvent):
    module: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChange(AmiEvent):
    device: str  # e.g. PJSIP/1001, Local/..., Queue:sales, Custom:x
    state: str  # NOT_INUSE | INUSE | BUSY | RINGING | RINGINUSE | ONHOLD | UNAVAILABLE | ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionStatus(AmiEvent):
    """A hint changed: the agent phone's status as the dialplan hint sees it."""

    exten: str
    context: str = ""
    hint: str = ""
    status: int  # -1 removed, 0 idle, 1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold
    status_text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerStatus(AmiEvent):
    """Endpoint registration / reachability (chan_pjsip publishes it too)."""

    peer: str
    peer_status: str  # Registered | Unregistered | Reachable | Unreachable | ...
    channel_type: str = ""
    cause: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactStatus(AmiEvent):
    uri: str = field(metadata=H("URI"))
    contact_status: str  # Created | Removed | Reachable | Unreachable | Unknown | ...
    aor: str = field(default="", metadata=H("AOR"))
    endpoint_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Caller(AmiEvent):
    channel: str = ""
    uniqueid: str = ""
    linkedid: str = ""
    caller_num: str = field(default="", metadata=H("CallerIDNum"))
    caller_name: str = field(default="", metadata=H("CallerIDName"))
    context: str = ""
    exten: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerJoin(_Caller):
    queue: str
    position: int | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerLeave(_Caller):
    queue: str
    position: int | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerAbandon(_Caller):
    queue: str
    position: int | None = None
    original_position: int | None = None
    hold_time: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Agent(_Caller):
    queue: str
    interface: str
    member_name: str = ""
    dest_channel: str = ""
    dest_uniqueid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCalled(_Agent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnect(_Agent):
    hold_time: int | None = None
    ring_time: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentComplete(_Agent):
    hold_time: int | None = None
    talk_time: int | None = None
    reason: str = ""  # caller | agent | transfer


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(_Agent):
    ring_time: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Member(AmiEvent):
    queue: str
    interface: str
    member_name: str = ""
    state_interface: str = ""
    membership: str = ""  # static | dynamic | realtime
    penalty: int | None = None
    calls_taken: int | None = None
    last_call: int | None = None
    in_call: bool = False
    status: int | None = None  # AST_DEVICE_* number
    paused: bool = False
    paused_reason: str = ""
    ringinuse: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberStatus(_Member):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberAdded(_Member):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberRemoved(_Member):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberPause(_Member):
    reason: str = ""


# -- building events from headers ---------------------------------------------------------
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


def _to_str(value: str) -> str:
    return value


def _to_int(value: str) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise MalformedEvent(f"not an integer: {value[:40]!r}") from None


def _to_bool(value: str) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise MalformedEvent(f"not a boolean: {value[:40]!r}")


_CONVERT: Final[dict[str, Callable[[str], Any]]] = {
    "str": _to_str, "int | None": _to_int, "int": _to_int, "bool": _to_bool,
}
Spec = tuple[tuple[str, str, Callable[[str], Any], bool], ...]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _spec(cls: type[AmiEvent]) -> Spec:
    out = []
    for f in dataclasses.fields(cls):
        header = f.metadata.get("ami") or _camel(f.name)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append((f.name, header.lower(), _CONVERT[str(f.type)], required))
    return tuple(out)


EVENT_TYPES: Final[dict[str, type[AmiEvent]]] = {
    cls.__name__: cls
    for cls in (
        FullyBooted, Shutdown, Reload, DeviceStateChange, ExtensionStatus, PeerStatus,
        ContactStatus, QueueCallerJoin, QueueCallerLeave, QueueCallerAbandon, AgentCalled,
        AgentConnect, AgentComplete, AgentRingNoAnswer, QueueMemberStatus, QueueMemberAdded,
        QueueMemberRemoved, QueueMemberPause,
    )
}
_SPECS: Final[dict[str, tuple[type[AmiEvent], Spec]]] = {
    name: (cls, _spec(cls)) for name, cls in EVENT_TYPES.items()
}


def build_event(name: str, headers: Mapping[str, Any]) -> AmiEvent:
    """The typed event ``name`` from ``headers`` (keys lower-cased; values str or list).

    Raises KeyError for an unknown type and MalformedEvent for a missing or bad field."""
    cls, spec = _SPECS[name]
    kwargs: dict[str, Any] = {}
    # panoramisk's Message keeps {lower-cased key: (key, value)} in ``_store``; reading it
    # directly halves the cost of a typed event (bench/ami.py). Guarded by a unit test;
    # any other mapping goes through .get().
    store = getattr(headers, "_store", None)
    if not isinstance(store, dict):
        store = None
    for attr, header, convert, required in spec:
        if store is not None:
            item = store.get(header)
            value = None if item is None else item[1]
        else:
            value = headers.get(header)
        if value is None:
            if required:
                raise MalformedEvent(f"{name} without {header}")
            continue
        if not isinstance(value, str):  # a header sent twice: panoramisk makes a list
            value = value[0] if value and isinstance(value[0], str) else ""
        converted = convert(value)
        if converted is None and required:
            raise MalformedEvent(f"{name} with empty {header}")
        if converted is not None:
            kwargs[attr] = converted
    return cls(**kwargs)
