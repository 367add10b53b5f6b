"""The batching event writer: memory queue -> COPY into PostgreSQL, or -> spool on disk.

Invariants:
- ``submit()`` never awaits and never drops while there is room in memory or on disk.
- The spool is a FIFO in front of the memory queue: while it holds anything, new batches are
  appended to it and it is drained in file order before memory goes straight to the database
  (except at shutdown, when memory goes straight in: projections do not depend on order).
- An event is acknowledged (``durable()`` returns) only once committed or fsync'ed.
- One batch is in flight while the next is prepared: the pipeline hides Python's share.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import suppress
from pathlib import Path
from typing import Any

from ccd.events import DomainEvent
from ccd.store import db
from ccd.store.acks import Acks
from ccd.store.link import Link
from ccd.store.overflow import SpoolSide, StoreUnavailable
from ccd.store.spool import Spool
from ccd.store.validate import decode_record, prepare

__all__ = ["EventWriter", "StoreUnavailable"]

log = logging.getLogger(__name__)


class EventWriter(SpoolSide):
    """See the module docstring; ``ccd/store/overflow.py`` holds the disk side."""

    def __init__(
        self,
        dsn: str,
        spool_path: Path,
        *,
        queue_max: int = 100_000,
        batch_max: int = 5_000,
        flush_interval: float = 0.05,
        spool_max_bytes: int = 1 << 30,
        spool_warn_ratio: float = 0.8,
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
        backoff_max: float = 5.0,
    ) -> None:
        self._link = Link(dsn, connect_timeout=connect_timeout, command_timeout=command_timeout,
                          backoff_max=backoff_max)
        self._spool = Spool(Path(spool_path), spool_max_bytes)
        self._queue: deque[DomainEvent] = deque()
        # batches taken from the queue and not yet stored, by id(): parked on a hard stop
        self._unsettled: dict[int, list[DomainEvent]] = {}
        self._queue_max, self._batch_max = queue_max, batch_max
        self._flush_interval, self._warn_ratio = flush_interval, spool_warn_ratio
        self._stopping = self._closed = False
        self._last_warn = 0.0
        self._task: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[bool] | None = None
        self._has_data = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._copied = asyncio.Event()  # the in-flight batch's rows are sent
        self._acks = Acks()
        self._unsynced: list[str] = []  # ids spilled by submit() and not yet fsync'ed
        # counters for metrics
        self.written_total = 0  # events newly committed to the log
        self.duplicate_total = 0  # events the log already had (replays)
        self.dead_lettered_total = self.spooled_total = self.drained_total = 0
        self.dropped_total = 0  # only when memory and spool are both full (logged loudly)
        self.spool_near_cap_total = self.batches_total = 0

    # -- public -------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        return len(self._queue) + self._spool.pending

    @property
    def spool_bytes(self) -> int:
        return self._spool.size

    @property
    def connected(self) -> bool:
        return self._link.up

    @property
    def write_errors_total(self) -> int:
        return self._link.errors_total

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The writing loop (the daemon's supervisor watches it)."""
        return self._task

    async def start(self) -> None:
        await asyncio.to_thread(self._spool.open)
        if self._spool.pending:
            log.warning("spool holds %d events from an earlier run", self._spool.pending)
        self._task = asyncio.create_task(self._run(), name="ccd-store-writer")

    def submit(self, event: DomainEvent) -> None:
        """Queue an event; never waits. A full memory queue spills to the spool at once.

        Never raises into the caller (the core's event sink): after ``stop()`` an event is
        counted in ``dropped_total`` and logged as an error.
        """
        if self._closed:
            self._lose([event], "submitted after stop()")
            return
        if len(self._queue) >= self._queue_max:
            self._spill([event])
            return
        self._queue.append(event)
        if len(self._queue) == 1:
            self._has_data.set()
        if len(self._queue) >= self._batch_max:
            self._flush_now.set()

    async def durable(self, event: DomainEvent) -> None:
        """Submit ``event`` and return once it is committed or fsync'ed in the spool."""
        fut = self._acks.add(event.event_id)
        self.submit(event)  # after stop() this fails fut with StoreUnavailable
        self._flush_now.set()  # someone waits: do not linger for a fuller batch
        self._has_data.set()
        await fut

    async def stop(self) -> None:
        """Flush memory to the database, or to the spool when it cannot; never drop.

        If the caller's shutdown budget cancels this, whatever is still in memory (queued
        or in flight) is written to the spool synchronously before the cancellation
        propagates; events that did commit meanwhile are deduplicated on the next drain.
        """
        self._stopping = True
        self._has_data.set()
        self._flush_now.set()
        if self._task is not None:
            try:
                await asyncio.shield(self._task)
            except asyncio.CancelledError:
                self._task.cancel()
                self._park_in_spool()
                self._spool.close()
                raise
        self._park_in_spool()  # anything submitted while the loop was finishing
        await self._link.close()
        await asyncio.to_thread(self._spool.close)  # fsyncs what was parked
        self._acks.resolve(self._unsynced)
        self._acks.fail_all(StoreUnavailable("writer stopped"))

    # -- the loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        while not (self._stopping and not self._queue):
            try:
                await self._step()
            except Exception:  # the loop must outlive any single failure
                log.exception("event writer step failed")
                await asyncio.sleep(0.1)
        with suppress(Exception):
            await self._settle()
            await self._sync_spool()

    async def _step(self) -> None:
        await self._link.ensure()  # also while stopping: flushing beats spooling
        if self._spool.dirty:
            await self._sync_spool()
        draining = self._link.conn is not None and self._spool.pending > 0 and not self._stopping
        if draining:
            await self._settle()
            await self._drain_chunk()
        batch = await self._take_batch(wait=not draining)
        if not batch:
            return
        # FIFO behind the spool, except at shutdown: order does not matter for correctness
        # (projections are order-independent), and the spool may be full
        conn = self._link.conn
        direct = not self._spool.pending or self._stopping
        if conn is not None and direct:
            # prepare this batch while the server ingests the previous one (not while that
            # one's COPY is still being sent: the thread would contend for the GIL)
            if self._inflight is not None:
                await self._copied.wait()
            items = await asyncio.to_thread(lambda: [prepare(e) for e in batch])
            direct = not self._spool.pending or self._stopping
            if await self._settle() and conn is self._link.conn and direct:
                self._copied.clear()
                self._inflight = asyncio.create_task(self._commit(conn, items, batch))
                return
        await self._settle()
        await self._to_spool(batch)

    async def _settle(self) -> bool:
        """Wait for the in-flight write; False if it failed (its batch went to the spool)."""
        task, self._inflight = self._inflight, None
        return True if task is None else await task

    async def _take_batch(self, *, wait: bool) -> list[DomainEvent]:
        if not self._queue:
            if not wait or self._stopping:
                return []
            self._has_data.clear()
            idle = 0.2 if (self._link.conn is None or self._spool.pending) else 1.0
            with suppress(TimeoutError):
                await asyncio.wait_for(self._has_data.wait(), idle)
            if not self._queue:
                return []
        if len(self._queue) < self._batch_max and not self._flush_now.is_set():
            if not self._stopping:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), self._flush_interval)
        self._flush_now.clear()
        n = min(len(self._queue), self._batch_max)
        batch = [self._queue.popleft() for _ in range(n)]
        self._unsettled[id(batch)] = batch
        return batch

    # -- database -----------------------------------------------------------------------

    async def _commit(self, conn: Any, items: list[Any], batch: list[DomainEvent]) -> bool:
        """Write prepared items; on failure drop the connection and spool ``batch``."""
        rows, dead = db.split(items)
        try:
            new, extra = await db.write_resilient(conn, rows, dead, self._copied.set)
        except Exception as exc:  # connection lost, timeout, schema missing: spool, retry
            self._copied.set()  # never leave the next batch waiting on a COPY that failed
            self._link.failed(f"write failed: {exc!r}", conn, exc)
            if batch:
                await self._to_spool(batch)
            return False
        self._copied.set()  # also when the batch had no rows to COPY (all dead letters)
        self.batches_total += 1
        self.written_total += new
        self.duplicate_total += len(rows) - len(extra) - new
        self.dead_lettered_total += len(dead) + len(extra)
        self._resolve(batch)
        return True

    async def _drain_chunk(self) -> None:
        bodies, offset = await asyncio.to_thread(self._spool.read, self._batch_max)
        conn = self._link.conn
        if not bodies or conn is None:
            return
        items = await asyncio.to_thread(lambda: [decode_record(b) for b in bodies])
        if await self._commit(conn, items, []):
            await asyncio.to_thread(self._spool.commit_read, offset, len(bodies))
            self.drained_total += len(bodies)
            if not self._spool.pending:
                log.info("spool drained (%d events so far)", self.drained_total)
