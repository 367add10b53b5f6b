"""ARI resources as frozen dataclasses (the fields ccd uses), parsed from ARI's JSON.

The parsers are strict about what ccd needs (an id, a name) and lenient about the rest:
a missing optional field gets its empty default, a field of the wrong type is malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ccd.dispatch import MalformedEvent

Json = Mapping[str, Any]
_EMPTY: Mapping[str, str] = MappingProxyType({})


def obj(data: Any, what: str) -> Json:
    if data.__class__ is dict:  # what json.loads gives: skips the slower ABC check
        return data  # type: ignore[no-any-return]
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"{what} is not an object")
    return data


def text(data: Json, key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value.__class__ is str:  # the common case, first: a dozen calls per event
        if required and value == "":
            raise MalformedEvent(f"empty {key}")
        return value  # type: ignore[no-any-return]
    if value is None:
        if required:
            raise MalformedEvent(f"missing {key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedEvent(f"{key} is not a string")
    if required and value == "":
        raise MalformedEvent(f"empty {key}")
    return str(value)


def integer(data: Json, key: str) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedEvent(f"{key} is not an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MalformedEvent(f"{key} is not an integer") from None


def strings(data: Json, key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedEvent(f"{key} is not a list of strings")
    return tuple(value)


def string_map(data: Json, key: str) -> Mapping[str, str]:
    value = data.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key} is not an object")
    return MappingProxyType({str(k): "" if v is None else str(v) for k, v in value.items()})


@dataclass(frozen=True, slots=True)
class CallerId:
    name: str = ""
    number: str = ""

    @classmethod
    def parse(cls, data: Any) -> CallerId:
        if data is None:
            return cls()
        d = obj(data, "caller id")
        return cls(text(d, "name"), text(d, "number"))


@dataclass(frozen=True, slots=True)
class Dialplan:
    context: str = ""
    exten: str = ""
    priority: int | None = None
    app_name: str = ""
    app_data: str = ""

    @classmethod
    def parse(cls, data: Any) -> Dialplan:
        if data is None:
            return cls()
        d = obj(data, "dialplan")
        return cls(text(d, "context"), text(d, "exten"), integer(d, "priority"),
                   text(d, "app_name"), text(d, "app_data"))


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    state: str = ""  # Down | Ring | Ringing | Up | Busy | ...
    caller: CallerId = CallerId()
    connected: CallerId = CallerId()
    dialplan: Dialplan = Dialplan()
    creationtime: str = ""
    language: str = ""
    # Variables ccd keeps on the channel: from ari.conf ``channelvars`` in events, and read
    # back one by one by the resync.
    channelvars: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def parse(cls, data: Any) -> Channel:
        d = obj(data, "channel")
        return cls(
            id=text(d, "id", required=True),
            name=text(d, "name"),
            state=text(d, "state"),
            caller=CallerId.parse(d.get("caller")),
            connected=CallerId.parse(d.get("connected")),
            dialplan=Dialplan.parse(d.get("dialplan")),
            creationtime=text(d, "creationtime"),
            language=text(d, "language"),
            channelvars=string_map(d, "channelvars"),
        )

    def in_app(self, app: str) -> bool:
        """Is this channel running ``Stasis(app, ...)`` (ARI 16 cannot filter /channels)?"""
        dp = self.dialplan
        return dp.app_name == "Stasis" and (dp.app_data == app or dp.app_data.startswith(app + ","))


@dataclass(frozen=True, slots=True)
class Bridge:
    id: str
    technology: str = ""
    bridge_type: str = ""  # mixing | holding
    bridge_class: str = ""  # "stasis" for bridges made over ARI
    creator: str = ""
    name: str = ""
    channels: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Any) -> Bridge:
        d = obj(data, "bridge")
        return cls(
            id=text(d, "id", required=True),
            technology=text(d, "technology"),
            bridge_type=text(d, "bridge_type"),
            bridge_class=text(d, "bridge_class"),
            creator=text(d, "creator"),
            name=text(d, "name"),
            channels=strings(d, "channels"),
        )


@dataclass(frozen=True, slots=True)
class Playback:
    id: str
    media_uri: str = ""
    target_uri: str = ""  # channel:<id> | bridge:<id>
    state: str = ""  # queued | playing | done | failed ...
    language: str = ""

    @classmethod
    def parse(cls, data: Any) -> Playback:
        d = obj(data, "playback")
        return cls(text(d, "id", required=True), text(d, "media_uri"), text(d, "target_uri"),
                   text(d, "state"), text(d, "language"))


@dataclass(frozen=True, slots=True)
class LiveRecording:
    name: str
    format: str = ""
    state: str = ""  # queued | recording | paused | done | failed | canceled
    target_uri: str = ""
    duration: int | None = None
    cause: str = ""

    @classmethod
    def parse(cls, data: Any) -> LiveRecording:
        d = obj(data, "recording")
        return cls(text(d, "name", required=True), text(d, "format"), text(d, "state"),
                   text(d, "target_uri"), integer(d, "duration"), text(d, "cause"))


@dataclass(frozen=True, slots=True)
class DeviceState:
    name: str
    state: str = ""  # NOT_INUSE | INUSE | BUSY | RINGING | UNAVAILABLE | ...

    @classmethod
    def parse(cls, data: Any) -> DeviceState:
        d = obj(data, "device state")
        return cls(text(d, "name", required=True), text(d, "state"))


@dataclass(frozen=True, slots=True)
class AsteriskInfo:
    version: str
    raw: Json = field(default_factory=lambda: _EMPTY, repr=False)

    @property
    def major(self) -> int | None:
        """16, 18, 20, 22... (for the few places where ARI behaviour differs)."""
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else None

    @classmethod
    def parse(cls, data: Any) -> AsteriskInfo:
        d = obj(data, "asterisk info")
        system = obj(d.get("system") or {}, "system")
        return cls(text(system, "version"), MappingProxyType(dict(d)))
