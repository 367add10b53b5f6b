"""Sticky-agent lookups for the shell: PostgreSQL first, an in-memory cache always.

The database answers "who served this caller last in this queue, and how did they rate
them?" within a short timeout; when it is slow or down, routing goes on with what the cache
learned from calls this process has seen. Routing never blocks on the database.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from ccd import events as ev
from ccd.ports import QueueCall

log = structlog.get_logger("ccd.sticky")

# (caller, queue, since_epoch) -> (agent_id, rating) or None
Lookup = Callable[[str, str, float], Awaitable[tuple[str, int | None] | None]]


@dataclass(frozen=True)
class StickyHit:
    agent_id: str
    rating: int | None
    at: float


class StickyResolver:
    def __init__(
        self, lookup: Lookup | None, ttl_s: dict[str, float], timeout_s: float = 0.25,
        cache_max: int = 200_000,
    ) -> None:
        self.lookup = lookup
        self.ttl_s = ttl_s  # per queue
        self.timeout_s = timeout_s
        self.cache_max = cache_max
        self.cache: OrderedDict[tuple[str, str], StickyHit] = OrderedDict()
        self.db_failures = 0

    def on_event(self, event: ev.DomainEvent, call: Callable[[str], QueueCall | None]) -> None:
        """Bus subscriber: an answered call teaches who served the caller, a rating its score."""
        if isinstance(event, ev.CallAnswered) and event.agent_id and event.queue:
            known = call(event.call_id or "")
            self.learn(known.caller_number if known else None, event.queue, event.agent_id, event.ts.timestamp())
        elif isinstance(event, ev.RatingResult) and event.outcome == "rated":
            self.learn_rating(event.caller, event.queue or "", event.agent_id or "", event.score or 0)

    def learn(self, caller: str | None, queue: str, agent_id: str, now: float) -> None:
        """A call was answered: remember the agent (keeping a rating already known)."""
        if caller is None:
            return
        key = (caller, queue)
        old = self.cache.pop(key, None)
        rating = old.rating if old is not None and old.agent_id == agent_id else None
        self.cache[key] = StickyHit(agent_id, rating, now)
        while len(self.cache) > self.cache_max:
            self.cache.popitem(last=False)

    def learn_rating(self, caller: str | None, queue: str, agent_id: str, score: int) -> None:
        if caller is None:
            return
        hit = self.cache.get((caller, queue))
        if hit is not None and hit.agent_id == agent_id:
            self.cache[(caller, queue)] = StickyHit(agent_id, score, hit.at)

    def applies(self, caller: str | None, queue: str) -> bool:
        """Whether ``resolve`` may find anyone (else it answers None without a lookup)."""
        return caller is not None and queue in self.ttl_s

    async def resolve(self, caller: str | None, queue: str, now: float) -> StickyHit | None:
        if caller is None or queue not in self.ttl_s:  # as applies() says
            return None
        since = now - self.ttl_s[queue]
        cached = self.cache.get((caller, queue))
        if cached is not None and cached.at < since:
            cached = None
        if self.lookup is None:
            return cached
        try:
            found = await asyncio.wait_for(self.lookup(caller, queue, since), self.timeout_s)
        except Exception as exc:  # any database trouble degrades to the cache
            self.db_failures += 1
            log.warning("sticky lookup degraded to cache", queue=queue, error=repr(exc))
            return cached
        if found is None:
            return cached
        # Calls answered since the last write to the database may be newer than its answer.
        if cached is not None and cached.agent_id != found[0]:
            return cached
        return StickyHit(found[0], found[1], now)
