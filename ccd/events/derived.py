"""Event ids a core derives from what it already knows (no clock, no randomness): the same
inputs give the same ids on a replay, and the parts make each id unique (the store's
idempotency key). The time the core was given is one of the parts, so an object restored
after a restart never repeats an id it recorded before."""

from __future__ import annotations

import uuid
from typing import Final

_NAMESPACE: Final = uuid.UUID("0b7d3a52-6c1e-4f7e-8d4a-2f9c5e1b7a30")


def derived_id(*parts: object) -> str:
    """A name-based (UUIDv5) id from ``parts`` (their ``repr``: 1.5 and "1.5" differ)."""
    return uuid.uuid5(_NAMESPACE, "|".join(repr(p) for p in parts)).hex
