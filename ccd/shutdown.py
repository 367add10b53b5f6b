"""Bounded shutdown steps: a step that overruns its share is abandoned, with the stack of
every pending task logged, so the process still exits and the service manager never has to
SIGKILL it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger("ccd.daemon")


async def bounded_step(step: str, coro: Coroutine[Any, Any, None], timeout: float, overruns: dict[str, str]) -> None:
    """Run one shutdown step within ``timeout``; an overrun is abandoned and its stack kept in
    ``overruns`` (step -> where the tasks were stuck)."""
    # asyncio.wait (not wait_for) so that a step which ignores its cancellation cannot
    # hold shutdown hostage: it is cancelled once and left behind.
    task = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        stack = _pending_stacks(task)
        task.cancel()
        overruns[step] = stack
        log.error("shutdown step overran its budget; abandoned", step=step, budget_s=timeout, stack=stack)
    elif not task.cancelled() and (exc := task.exception()) is not None:
        log.error("shutdown step failed", step=step, error=repr(exc))


def _pending_stacks(first: asyncio.Future[Any]) -> str:
    """Where the stuck step and every other pending task wait: what a bug report needs."""
    out = io.StringIO()
    tasks = [first] + [t for t in asyncio.all_tasks() if t is not first and not t.done()]
    for task in tasks[:50]:
        if isinstance(task, asyncio.Task):
            out.write(f"-- {task.get_name()}\n")
            task.print_stack(limit=12, file=out)
    return out.getvalue()
