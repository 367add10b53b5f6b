"""A booked callback holds its place in the ACD's line as a call with this id prefix
(ccd.callbacks): routed like a caller, but no inbound call (its call.* events are not
recorded, it never overflows and it is not counted as waiting; docs/kpis.md#callbacks)."""

from __future__ import annotations

from typing import Final

CALLBACK_PREFIX: Final = "callback:"


def is_callback(call_id: str | None) -> bool:
    return call_id is not None and call_id.startswith(CALLBACK_PREFIX)
