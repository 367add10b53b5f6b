"""Connection health of the Asterisk interfaces, and the reconnect policy they share.

``ConnectionHealth`` knows at every moment whether AMI and ARI are up (``/readyz``) and
counts connects, reconnects and failures (metrics). The clients report to it through their
``on_state`` callback: ``AmiClient(..., on_state=health.update)``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["connecting", "up", "down"]


@dataclass(frozen=True, slots=True)
class StateChange:
    """What a client reports: ``interface`` is "ami" or "ari"."""

    interface: str
    state: State
    error: str | None = None  # why it went down (never contains a secret)
    auth_failed: bool = False


@dataclass(slots=True)
class LinkStatus:
    name: str
    state: State = "down"
    since: float = 0.0
    connects: int = 0  # sessions established
    reconnects: int = 0  # sessions established after a lost one
    failures: int = 0  # attempts that failed (refused, timeout, bad credentials...)
    disconnects: int = 0  # established sessions that were lost
    last_error: str | None = None
    auth_failed: bool = False

    @property
    def up(self) -> bool:
        return self.state == "up"


class ConnectionHealth:
    def __init__(
        self, interfaces: Iterable[str] = ("ami", "ari"), clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.links = {name: LinkStatus(name, since=clock()) for name in interfaces}
        self._changed = asyncio.Event()

    def update(self, change: StateChange) -> None:
        link = self.links.get(change.interface)
        if link is None:
            link = self.links[change.interface] = LinkStatus(change.interface)
        was_up = link.up
        if change.state == "up":
            link.connects += 1
            if link.connects > 1:
                link.reconnects += 1
            link.last_error, link.auth_failed = None, False
        elif change.state == "down":
            if was_up:
                link.disconnects += 1
            else:
                link.failures += 1
            link.last_error, link.auth_failed = change.error, change.auth_failed
        if change.state != link.state:
            link.state, link.since = change.state, self._clock()
        # Wake every waiter; they re-check their own condition.
        self._changed.set()
        self._changed = asyncio.Event()

    __call__ = update

    def is_up(self, interface: str) -> bool:
        link = self.links.get(interface)
        return link is not None and link.up

    @property
    def ready(self) -> bool:
        return all(link.up for link in self.links.values())

    def snapshot(self) -> dict[str, Any]:
        now = self._clock()
        return {
            "ready": self.ready,
            **{
                name: {
                    "state": link.state,
                    "for_s": round(now - link.since, 3),
                    "connects": link.connects,
                    "reconnects": link.reconnects,
                    "failures": link.failures,
                    "disconnects": link.disconnects,
                    "last_error": link.last_error,
                    "auth_failed": link.auth_failed,
                }
                for name, link in self.links.items()
            },
        }

    async def wait_for(self, predicate: Callable[[ConnectionHealth], bool]) -> None:
        while not predicate(self):
            await self._changed.wait()

    async def wait_ready(self) -> None:
        await self.wait_for(lambda h: h.ready)


class Backoff:
    """Exponential reconnect delays with jitter, capped; ``reset()`` after a good session.

    Jitter takes up to ``jitter`` (a fraction) off each delay, so many clients restarted
    together (one Asterisk restart, several ccd instances) do not reconnect in lockstep.
    The 1 s cap keeps ccd ready within about a second of Asterisk's return (one connect
    attempt a second while it is down is nothing); bad credentials use a longer cap."""

    def __init__(
        self,
        initial: float = 0.1,
        cap: float = 1.0,
        factor: float = 2.0,
        jitter: float = 0.5,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.initial, self.cap, self.factor, self.jitter = initial, cap, factor, jitter
        self._rng = rng
        self.attempt = 0

    def next(self, cap: float | None = None) -> float:
        """The delay before the next attempt; ``cap`` overrides the cap (auth failures)."""
        limit = self.cap if cap is None else cap
        # Exponent bounded so a daemon that retries for months never overflows a float.
        delay = min(limit, self.initial * self.factor ** min(self.attempt, 64))
        self.attempt += 1
        return delay * (1.0 - self.jitter * self._rng())

    def reset(self) -> None:
        self.attempt = 0


async def sleep_or_wake(delay: float, wake: asyncio.Event) -> None:
    """Sleep ``delay`` seconds unless ``wake`` is set first (then clear it and return)."""
    try:
        await asyncio.wait_for(wake.wait(), delay)
    except TimeoutError:
        pass
    wake.clear()
