"""The callback shell: owns the book, writes every change to PostgreSQL before acting on it,
publishes the events on the bus and hands attempts to the delivery (the ACD side).

One lock serialises the book: inputs come from the offer dialogues, the delivery, the API
and the timer task, and each step's commands are applied in order — Save first (a callback
is durable before anyone is dialled for it), then the events, then the dials.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from ccd.callbacks import store
from ccd.callbacks.core.book import Callback, CallbackBook, Command, Dial, LiveKey, RequestResult, Save
from ccd.events import DomainEvent
from ccd.record import Record


class CallbackService:
    def __init__(
        self,
        book: CallbackBook,
        db: store.Db,
        publish: Callable[[DomainEvent], None],
        dial: Callable[[Dial], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.book = book
        self.db = db
        self.publish = publish
        self.dial = dial
        self.clock = clock
        self._lock = asyncio.Lock()

    async def restore(self) -> int:
        """Load the open callbacks (after a ccd or Asterisk restart); returns how many."""
        async with self._lock:
            rows = await store.load_open(self.db)
            self.book.restore(rows)
            await store.save(self.db, [c for r in rows if (c := self.book.get(r.id)) is not None])
            return len(rows)

    async def request(self, cb_id: str, queue: str, number: str, priority: int,
                      enqueued_at: float, seq: int, expected_wait: float = 0.0) -> RequestResult:
        async with self._lock:
            res, cmds = self.book.request(cb_id, queue, number, priority, enqueued_at, seq,
                                          self.clock(), expected_wait)
            await self._apply(cmds)
            return res

    async def dispatch(self, queue: str, live: Iterable[LiveKey], free_agents: int) -> None:
        async with self._lock:
            await self._apply(self.book.dispatch(queue, self.clock(), live, free_agents))

    async def start(self, cb_id: str) -> bool:
        """Dial this callback now (its place in line reached an agent); False: not due."""
        async with self._lock:
            cmds = self.book.start(cb_id, self.clock())
            await self._apply(cmds)
            return bool(cmds)

    async def connected(self, cb_id: str) -> None:
        async with self._lock:
            await self._apply(self.book.connected(cb_id, self.clock()))

    async def attempt_failed(self, cb_id: str, reason: str) -> None:
        async with self._lock:
            await self._apply(self.book.attempt_failed(cb_id, reason, self.clock()))

    async def attempt_aborted(self, cb_id: str, reason: str) -> None:
        async with self._lock:
            await self._apply(self.book.attempt_aborted(cb_id, reason, self.clock()))

    async def agent_held(self, cb_id: str) -> None:
        async with self._lock:
            await self._apply(self.book.agent_held(cb_id))

    async def cancel(self, cb_id: str, actor: str) -> bool:
        async with self._lock:
            ok, cmds = self.book.cancel(cb_id, self.clock(), actor)
            await self._apply(cmds)
            return ok

    async def tick(self) -> None:
        async with self._lock:
            await self._apply(self.book.tick(self.clock()))

    def pending(self, queue: str) -> list[Callback]:
        return self.book.open_in(queue)

    async def _apply(self, cmds: list[Command]) -> None:
        await store.save(self.db, [c.callback for c in cmds if isinstance(c, Save)])
        for c in cmds:
            if isinstance(c, Record):
                self.publish(c.event)
        for c in cmds:
            if isinstance(c, Dial):
                self.dial(c)
