"""Cancelling an owned task so that its owner's close() always ends."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

CANCEL_ATTEMPTS = 20
CANCEL_WAIT_S = 0.1


async def cancel_and_wait(task: asyncio.Future[Any], attempts: int = CANCEL_ATTEMPTS,
                          wait_s: float = CANCEL_WAIT_S) -> bool:
    """Cancel ``task`` and wait for it to end, cancelling again while it goes on (a
    cancellation swallowed below it, as Python 3.11's wait_for can, must not hang the caller).
    Its own error, if it ended with one, is not raised here: its owner reported it. Returns
    False if it still runs after every attempt."""
    for _ in range(attempts):
        task.cancel()
        await asyncio.wait({task}, timeout=wait_s)
        if task.done():
            if not task.cancelled():
                with contextlib.suppress(Exception):
                    task.result()
            return True
    return False
