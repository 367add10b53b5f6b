"""The one event dispatch point between the Asterisk clients and ccd's consumers.

Consumers subscribe by event class (a base class catches its subclasses) and are called in
subscription order. A consumer may be sync or async; async ones are awaited in order, never
spawned as tasks. A consumer that raises is logged with the event and the others still run.
Events that could not be parsed (malformed or of an unknown type) are reported here by the
parsers, logged once per type, and skipped.

The clients ``publish`` batches without waiting; the single task running ``run()`` (started
by ``start()``, owned by the daemon) delivers them, so consumers see one ordered stream and
a consumer may await an AMI action without blocking the socket reader that resolves it.
When that task is idle (nothing queued, nothing being delivered), a batch is delivered at
once in the publisher's turn: a caller's StasisStart reaches the ACD without waiting for the
task to be scheduled. The first consumer that returns an awaitable hands the rest (its
awaitable, the event's remaining consumers, the batch's remaining events) to the task, so
the order stays the same and nothing is ever awaited in the reader.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog

from ccd.tasks import cancel_and_wait

E = TypeVar("E")
Consumer = Callable[[Any], Awaitable[object] | object]


class Logger(Protocol):
    """The part of a structlog logger ccd's shell uses."""

    def bind(self, **kw: Any) -> Any: ...
    def debug(self, event: str, **kw: Any) -> Any: ...
    def info(self, event: str, **kw: Any) -> Any: ...
    def warning(self, event: str, **kw: Any) -> Any: ...
    def error(self, event: str, **kw: Any) -> Any: ...
    def exception(self, event: str, **kw: Any) -> Any: ...


class MalformedEvent(ValueError):
    """A frame that is not a valid event of its type (raised by the parsers, never past
    the dispatch point)."""


def _name(fn: object) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))


@dataclass
class _Rest:
    """What an at-once delivery left to the task: an async consumer's awaitable, then the
    event's remaining consumers, then the batch's remaining events."""

    pending: Awaitable[object]
    consumer: Consumer
    event: object
    consumers: tuple[Consumer, ...]
    events: Iterator[object]


class Dispatcher:
    def __init__(self, log: Logger | None = None, *, max_logged_repr: int = 500) -> None:
        self._log: Logger = log or structlog.get_logger("ccd.dispatch")
        self._subs: list[tuple[type, Consumer]] = []
        self._cache: dict[type, tuple[Consumer, ...]] = {}
        self._skipped_types: set[tuple[str, str, str]] = set()
        self._queue: asyncio.Queue[Iterable[object] | _Rest] = asyncio.Queue()
        self._running = False  # run() is waiting for batches
        self._busy = False  # a batch is being delivered (by run() or at once)
        self._task: asyncio.Task[None] | None = None
        self._max_repr = max_logged_repr
        self.delivered = 0
        self.consumer_errors = 0
        self.skipped = 0

    # -- subscriptions ----------------------------------------------------------------------
    def subscribe(
        self, event_type: type[E], consumer: Callable[[E], Awaitable[object] | object]
    ) -> Callable[[], None]:
        """Call ``consumer`` for every event that is an instance of ``event_type``.

        Returns a function that removes this subscription."""
        entry: tuple[type, Consumer] = (event_type, consumer)
        self._subs.append(entry)
        self._cache.clear()

        def unsubscribe() -> None:
            if entry in self._subs:
                self._subs.remove(entry)
                self._cache.clear()

        return unsubscribe

    def consumers_for(self, event_type: type) -> tuple[Consumer, ...]:
        found = self._cache.get(event_type)
        if found is None:
            found = tuple(c for t, c in self._subs if issubclass(event_type, t))
            self._cache[event_type] = found
        return found

    # -- delivery ---------------------------------------------------------------------------
    async def dispatch(self, event: object, consumers: tuple[Consumer, ...] | None = None) -> None:
        """Deliver one event to its consumers now, in subscription order."""
        for consumer in self.consumers_for(type(event)) if consumers is None else consumers:
            try:
                result = consumer(event)
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception as exc:  # one consumer never stops the others
                self._failed(consumer, event, exc)
        self.delivered += 1

    def _failed(self, consumer: Consumer, event: object, exc: Exception) -> None:
        self.consumer_errors += 1
        self._log.exception(
            "consumer_failed",
            consumer=_name(consumer),
            event_type=type(event).__name__,
            event_repr=repr(event)[: self._max_repr],
            error=repr(exc),
        )

    def publish(self, events: Iterable[object]) -> None:
        """Deliver a batch at once if the ``run()`` task is idle, else queue it for the task.
        Never blocks; order is kept."""
        if not self._running or self._busy or not self._queue.empty():
            self._queue.put_nowait(events)
            return
        self._busy = True
        try:
            self._deliver_at_once(iter(events))
        finally:
            self._busy = False

    def _deliver_at_once(self, events: Iterator[object]) -> None:
        for event in events:
            consumers = self.consumers_for(type(event))
            for i, consumer in enumerate(consumers):
                try:
                    result = consumer(event)
                except Exception as exc:  # one consumer never stops the others
                    self._failed(consumer, event, exc)
                    continue
                if result is not None and inspect.isawaitable(result):
                    self._queue.put_nowait(_Rest(result, consumer, event, consumers[i + 1:], events))
                    return
            self.delivered += 1

    async def _finish(self, rest: _Rest) -> None:
        try:
            await rest.pending
        except Exception as exc:
            self._failed(rest.consumer, rest.event, exc)
        await self.dispatch(rest.event, rest.consumers)
        for event in rest.events:
            await self.dispatch(event)

    @property
    def backlog(self) -> int:
        """Batches published and not yet delivered (for metrics)."""
        return self._queue.qsize()

    async def run(self) -> None:
        """Deliver published batches forever (the one task that applies events)."""
        self._running = True
        try:
            while True:
                batch = await self._queue.get()
                self._busy = True
                try:
                    if isinstance(batch, _Rest):
                        await self._finish(batch)
                    else:
                        for event in batch:
                            await self.dispatch(event)
                finally:
                    self._busy = False
                    self._queue.task_done()
        finally:
            self._running = False

    async def drain(self) -> None:
        """Wait until every batch published so far has been delivered."""
        await self._queue.join()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="ccd-dispatch")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)

    # -- events that never became typed ----------------------------------------------------
    def skip(self, source: str, reason: str, type_name: str, detail: str = "") -> None:
        """Record an event that is skipped (reason: ``unknown`` or ``malformed``).

        Logged once per (source, reason, type); always counted."""
        self.skipped += 1
        key = (source, reason, type_name[:80])
        # The cap keeps garbage type names (a fuzzed or hostile peer) from growing the set.
        if key in self._skipped_types or len(self._skipped_types) >= 10_000:
            return
        self._skipped_types.add(key)
        level = self._log.warning if reason == "malformed" else self._log.info
        level("event_skipped", source=source, reason=reason, event_type=key[2],
              detail=detail[: self._max_repr])
