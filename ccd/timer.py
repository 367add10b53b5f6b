"""The shell's one timer (the h11 / aioquic habit): clients say when they next need the clock,
the timer sleeps until the earliest of those moments and hands them ``now``.

A client implements ``next_deadline() -> float | None`` (a time on the timer's clock, or None
for "nothing pending") and ``on_deadline(now)`` (synchronous: act on what is due at ``now``;
slow work is spawned as a job). A client whose deadline moves earlier calls ``Timer.poke``.
Tests drive time by hand with ``fire_due(now)`` and never sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import structlog

from ccd.supervisor import Spawn, plain_spawn

log = structlog.get_logger("ccd.timer")

RETRY_S = 1.0


class TimerClient(Protocol):
    def next_deadline(self) -> float | None: ...

    def on_deadline(self, now: float) -> None: ...


class Timer:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.clients: list[TimerClient] = []
        self._wake = asyncio.Event()

    def add(self, client: TimerClient) -> None:
        self.clients.append(client)
        self.poke()

    def poke(self) -> None:
        """A deadline changed: recompute before sleeping on."""
        self._wake.set()

    def next_deadline(self) -> float | None:
        deadlines = [d for c in self.clients if (d := c.next_deadline()) is not None]
        return min(deadlines) if deadlines else None

    def fire_due(self, now: float) -> int:
        """Hand ``now`` to every client that is due; returns how many were. One client's
        error is logged and does not keep the others from their deadline."""
        fired = 0
        for client in list(self.clients):
            deadline = client.next_deadline()
            if deadline is None or deadline > now:
                continue
            fired += 1
            try:
                client.on_deadline(now)
            except Exception:
                log.exception("timer client failed", client=type(client).__name__)
        return fired

    async def run(self) -> None:
        """The owned timer task."""
        while True:
            self._wake.clear()
            now = self.clock()
            deadline = self.next_deadline()
            if deadline is not None and deadline <= now:
                self.fire_due(now)
                if (after := self.next_deadline()) is None or after > now:
                    continue
                # A client still due after its turn (it failed before moving on): retry it
                # a second later rather than spin.
                log.error("timer client still due after its turn; retrying in 1 s")
                deadline = now + RETRY_S
            try:
                async with asyncio.timeout(None if deadline is None else deadline - now):
                    await self._wake.wait()
            except TimeoutError:
                pass


class Periodic:
    """A timer client that starts ``job`` as one job at once, then every ``interval`` seconds
    and whenever ``trigger``ed; never two at once: a round due while one runs starts when
    it ends (``wake`` pokes the timer then)."""

    def __init__(self, name: str, interval: float, job: Callable[[], Coroutine[Any, Any, Any]],
                 spawn: Spawn = plain_spawn, wake: Callable[[], None] = lambda: None) -> None:
        self.name, self.interval, self.job, self.spawn, self.wake = name, interval, job, spawn, wake
        self._next = float("-inf")  # at once
        self._again = False
        self.running: asyncio.Task[Any] | None = None

    def trigger(self) -> None:
        """One more round as soon as possible (after the running one, if any)."""
        self._next = float("-inf")
        self.wake()

    def next_deadline(self) -> float | None:
        return None if self._again else self._next

    def on_deadline(self, now: float) -> None:
        self._next = now + self.interval
        if self.running is not None and not self.running.done():
            self._again = True  # after this one
            return
        self.running = self.spawn(f"ccd-{self.name}", self.job(), kind=self.name)
        self.running.add_done_callback(self._ended)

    def _ended(self, _: asyncio.Task[Any]) -> None:
        if self._again:
            self._again = False
            self.trigger()
