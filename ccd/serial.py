"""Run coroutines one after another per key (per call), concurrently across keys.

Commands for one call must reach Asterisk in order (create bridge, then dial, then bridge the
caller), while different calls must not wait on each other. Every task is started through
the owner's ``spawn`` (the daemon's supervisor: a failed command is logged with the task's
name and counted under ``<owner>-serial``), and ``close`` cancels what is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ccd.supervisor import Spawn, plain_spawn
from ccd.tasks import cancel_and_wait


class KeyedSerial:
    def __init__(self, spawn: Spawn = plain_spawn, owner: str = "ccd") -> None:
        self._spawn, self._kind = spawn, f"{owner}-serial"
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._all: set[asyncio.Task[None]] = set()

    def submit(self, key: str, job: Callable[[], Awaitable[Any]], what: str, *,
               after_previous: bool = True) -> asyncio.Task[None]:
        """Run ``job`` after the key's previous jobs; with ``after_previous=False`` it starts
        at once, and the key's later jobs still wait for it and for those before it. The task
        is returned for a caller that must answer only once its job is done."""
        previous = self._tails.get(key)

        async def run() -> None:
            if after_previous and previous is not None and not previous.done():
                # wait() neither raises the previous job's error (it logged it) nor hides our
                # own cancellation. (It always yields, so a finished job is not waited for.)
                await asyncio.wait([previous])
            try:
                await job()  # its failure is the spawner's to log and count
            finally:
                if previous is not None and not previous.done():
                    await asyncio.wait([previous])

        task = self._spawn(f"ccd:{key}:{what}", run(), kind=self._kind)
        self._tails[key] = task
        self._all.add(task)
        task.add_done_callback(lambda t: self._done(key, t))
        return task

    def _done(self, key: str, task: asyncio.Task[None]) -> None:
        self._all.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]

    @property
    def pending(self) -> int:
        return len(self._all)

    async def drain(self, timeout: float) -> None:
        if self._all:
            await asyncio.wait(set(self._all), timeout=timeout)

    async def close(self) -> None:
        await asyncio.gather(*(cancel_and_wait(task) for task in list(self._all)))
