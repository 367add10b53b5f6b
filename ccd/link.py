"""The lifecycle the AMI client and the ARI event stream share: one owned task that
connects, serves a session and reconnects with backoff until ``close()``."""

from __future__ import annotations

import asyncio
from typing import Any

from ccd.health import State
from ccd.tasks import cancel_and_wait


class ReconnectingLink:
    task_name = "ccd-link"
    _log: Any  # the subclass's bound structlog logger
    _up: asyncio.Event
    _wake: asyncio.Event
    _task: asyncio.Task[None] | None

    @property
    def connected(self) -> bool:
        """Up and usable (logged in and booted for AMI; websocket open and resync published
        for ARI)."""
        return self._up.is_set()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The connection loop (the daemon's supervisor watches it)."""
        return self._task

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            if not await cancel_and_wait(task):
                self._log.error("link_task_ignores_cancellation", task=task.get_name())
            self._report("down", "closed")

    async def wait_connected(self, timeout: float | None = None) -> None:
        async with asyncio.timeout(timeout):
            await self._up.wait()

    def wake(self) -> None:
        """Skip the current backoff delay and try to connect now (e.g. on FullyBooted)."""
        self._wake.set()

    async def _run(self) -> None:
        raise NotImplementedError

    def _report(self, state: State, error: str | None = None, auth_failed: bool = False) -> None:
        raise NotImplementedError
