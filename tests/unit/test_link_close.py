"""close() of a reconnecting link ends even when a cancellation is lost below it (Python
3.11's wait_for can lose one that arrives as the inner call completes)."""

from __future__ import annotations

import asyncio

import structlog

from ccd.health import State
from ccd.link import ReconnectingLink


class SwallowsOnce(ReconnectingLink):
    def __init__(self) -> None:
        self._log = structlog.get_logger("test")
        self._up, self._wake, self._task = asyncio.Event(), asyncio.Event(), None
        self.reports: list[str] = []
        self.swallowed = 0

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if self.swallowed:
                    raise
                self.swallowed += 1  # lost, as by the wait_for race: the loop goes on

    def _report(self, state: State, error: str | None = None, auth_failed: bool = False) -> None:
        self.reports.append(state)


async def test_close_cancels_again_until_the_task_ends() -> None:
    link = SwallowsOnce()
    await link.start()
    await asyncio.sleep(0)
    task = link._task
    async with asyncio.timeout(2):
        await link.close()
    assert task is not None and task.cancelled() and link.swallowed == 1
    assert link.reports == ["down"]
