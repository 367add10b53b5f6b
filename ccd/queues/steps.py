"""Small Asterisk-side steps the ACD executor and service share: the features' call hooks run
in order, and a join into a call bridge that rides out Asterisk's "not ready yet"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

import structlog

from ccd.ports import AriPort, AsteriskConflict, CallHook
from ccd.queues.legs import CallLegs

log = structlog.get_logger("ccd.acd")

JOIN_ATTEMPTS = 4


async def run_hooks(hooks: tuple[CallHook, ...], call: CallLegs, what: str) -> None:
    """Each hook in order; one failing (e.g. recording) never skips the next nor drops the call."""
    for hook in hooks:
        try:
            await hook(call)
        except Exception:
            log.exception(f"{what} hook failed", call_id=call.call_id)


async def join(ari: AriPort, bridge_id: str, channel: str) -> None:
    """Add to the call bridge, retrying briefly while Asterisk says the channel is not ready
    (a 422 right after StasisStart has been seen under load)."""
    for attempt in range(JOIN_ATTEMPTS):
        try:
            await ari.add_to_bridge(bridge_id, channel)
            return
        except AsteriskConflict:
            if attempt == JOIN_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


async def together(now: Awaitable[None], alongside: Coroutine[Any, Any, None]) -> tuple[BaseException | None, ...]:
    """Both steps, concurrently; their failures (None: done), as ``gather(now, alongside,
    return_exceptions=True)`` would give them. ``now`` runs in this task from the start, so its
    request leaves before ``alongside``'s, in this turn of the event loop (gather would start
    both in the next one); cancelling this task cancels both."""
    other = asyncio.ensure_future(alongside)
    first: BaseException | None = None
    try:
        try:
            await now
        except Exception as exc:
            first = exc
        if not other.done():
            await asyncio.wait([other])
    except asyncio.CancelledError:
        other.cancel()
        raise
    second = asyncio.CancelledError() if other.cancelled() else other.exception()
    return first, second
