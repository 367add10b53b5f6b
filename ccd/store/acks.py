"""Waiters of ``EventWriter.durable()``, keyed by event id."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable


class Acks:
    def __init__(self) -> None:
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}

    def __bool__(self) -> bool:
        return bool(self._waiters)

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._waiters

    def add(self, event_id: str) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(event_id, []).append(fut)
        return fut

    def resolve(self, ids: Iterable[str], error: BaseException | None = None) -> None:
        """Wake the waiters of ``ids``: done, or failed with ``error``."""
        if not self._waiters:
            return
        for eid in ids:
            for fut in self._waiters.pop(eid, ()):
                if fut.done():  # the caller gave up (cancelled)
                    continue
                if error is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(error)

    def fail_all(self, error: BaseException) -> None:
        self.resolve(list(self._waiters), error)
