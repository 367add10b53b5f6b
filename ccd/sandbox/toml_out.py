"""A small TOML writer for configs ccd generates (sandbox, demo, tests): scalars, lists of
scalars, tables and arrays of tables — the subset ccd's config uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def dumps(data: Mapping[str, Any], prefix: str = "") -> str:
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_list(value):
            nested.append((key, value))
        else:
            lines.append(f"{key} = {_scalar(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, value in nested:
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out += f"\n[{name}]\n" + dumps(value, name + ".")
        else:
            for item in value:
                out += f"\n[[{name}]]\n" + dumps(item, name + ".")
    return out
