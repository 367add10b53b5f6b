"""JSON Schema of every event type, generated from the typed classes of the registry (the
OpenAPI document's ``components.schemas`` and the console stream's contract)."""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING
from typing import Any

from ccd.events.base import DomainEvent, payload_fields
from ccd.events.registry import REGISTRY

Json = dict[str, Any]
_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _of(hint: Any) -> Json:
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        kinds = [_SCALARS[a] for a in args if a is not type(None)]
        return {"type": [*kinds, "null"] if type(None) in args else kinds}
    return {"type": _SCALARS[hint]}


def event_schema(type_: str, cls: type[DomainEvent]) -> Json:
    hints = typing.get_type_hints(cls)
    fields = cls.__dataclass_fields__
    required = [name for name, _ in payload_fields(cls)
                if fields[name].default is MISSING and fields[name].default_factory is MISSING]
    props = {name: _of(hints[name]) for name, _ in payload_fields(cls)}
    return {
        "type": "object",
        "required": ["event_id", "ts", "type", "payload"],
        "properties": {
            "event_id": {"type": "string"},
            "ts": {"type": "string", "format": "date-time"},
            "type": {"const": type_},
            "call_id": {"type": ["string", "null"]},
            "agent_id": {"type": ["string", "null"]},
            "queue": {"type": ["string", "null"]},
            "payload": {"type": "object", "required": required, "properties": props},
        },
    }


def event_schemas() -> dict[str, Json]:
    """``{ClassName: schema}`` for every event type, plus ``DomainEvent`` (any one of them)."""
    out = {cls.__name__: event_schema(t, cls) for t, cls in sorted(REGISTRY.items())}
    out["DomainEvent"] = {"oneOf": [{"$ref": f"#/components/schemas/{cls.__name__}"}
                                    for _, cls in sorted(REGISTRY.items())]}
    return out
