"""The batching event writer: memory queue -> COPY into PostgreSQL, or -> spool on disk.

Invariants:
- ``submit()`` never awaits and never drops while there is room in memory or on disk.
- The spool is a FIFO in front of the memory queue: while it holds anything, new batches are
  appended to it and it is drained in file order before memory goes straight to the database.
- An event is acknowledged (``durable()`` returns) only once committed or fsync'ed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from contextlib import suppress
from pathlib import Path
from typing import Any

from ccd.events import DomainEvent
from ccd.store import db
from ccd.store.acks import Acks
from ccd.store.spool import Spool
from ccd.store.validate import decode_record, encode_record, prepare

log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    error_id = "store.unavailable"


class EventWriter:
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
        self._dsn = dsn
        self._spool = Spool(Path(spool_path), spool_max_bytes)
        self._queue: deque[DomainEvent] = deque()
        self._queue_max, self._batch_max = queue_max, batch_max
        self._flush_interval, self._warn_ratio = flush_interval, spool_warn_ratio
        self._connect_timeout, self._command_timeout = connect_timeout, command_timeout
        self._backoff_max, self._backoff, self._next_connect = backoff_max, 0.1, 0.0
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[bool] | None = None
        self._has_data = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._acks = Acks()
        self._unsynced: list[str] = []  # ids spilled by submit() and not yet fsync'ed
        self._stopping = False
        self._closed = False
        self._last_warn = 0.0
        # counters for metrics
        self.written_total = 0  # events newly committed to the log
        self.duplicate_total = 0  # events the log already had (replays)
        self.dead_lettered_total = 0
        self.spooled_total = 0
        self.drained_total = 0
        self.dropped_total = 0  # only when memory and spool are both full
        self.spool_near_cap_total = 0
        self.write_errors_total = 0
        self.batches_total = 0

    # -- public -------------------------------------------------------------------------

    @property
    def backlog(self) -> int:
        return len(self._queue) + self._spool.pending

    @property
    def spool_bytes(self) -> int:
        return self._spool.size

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

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
            self._spill(event)
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
        """Flush memory to the database, or to the spool when it cannot; never drop."""
        self._stopping = True
        self._has_data.set()
        self._flush_now.set()
        if self._task is not None:
            await self._task
        self._closed = True
        for event in list(self._queue):  # submitted while the loop was finishing
            self._spill(event)
        self._queue.clear()
        if self._conn is not None:
            with suppress(Exception):
                await asyncio.wait_for(self._conn.close(), self._connect_timeout)
            self._conn = None
        await asyncio.to_thread(self._spool.close)
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
        await self._ensure_connected()  # also while stopping: flushing beats spooling
        if self._spool.dirty:
            await self._sync_spool()
        draining = self._conn is not None and self._spool.pending > 0 and not self._stopping
        if draining:
            await self._settle()
            await self._drain_chunk()
        batch = await self._take_batch(wait=not draining)
        if not batch:
            return
        if self._conn is not None and not self._spool.pending:
            # prepare this batch while the previous one is still being written
            items = await asyncio.to_thread(lambda: [prepare(e) for e in batch])
            if await self._settle() and self._conn is not None and not self._spool.pending:
                self._inflight = asyncio.create_task(self._commit(self._conn, items, batch))
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
            idle = 0.2 if (self._conn is None or self._spool.pending) else 1.0
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
        return [self._queue.popleft() for _ in range(n)]

    # -- database -----------------------------------------------------------------------

    async def _ensure_connected(self) -> None:
        if self._conn is not None:
            if not self._conn.is_closed():
                return
            self._conn = None
        if time.monotonic() < self._next_connect:
            return
        try:
            self._conn = await db.connect(
                self._dsn, timeout=self._connect_timeout, command_timeout=self._command_timeout
            )
        except Exception as exc:
            self._failed(f"cannot connect: {exc!r}")
            return
        self._backoff = 0.1
        log.info("event writer connected (backlog %d, spool %d bytes)",
                 self.backlog, self.spool_bytes)

    def _failed(self, what: str) -> None:
        self.write_errors_total += 1
        level = logging.WARNING if self._backoff <= 0.1 else logging.DEBUG
        log.log(level, "event store unavailable, spooling: %s", what)
        self._next_connect = time.monotonic() + self._backoff * random.uniform(0.5, 1.0)
        self._backoff = min(self._backoff * 2, self._backoff_max)

    async def _commit(self, conn: Any, items: list[Any], batch: list[DomainEvent]) -> bool:
        """Write prepared items; on failure drop the connection and spool ``batch``."""
        rows, dead = db.split(items)
        try:
            new, extra = await db.write_resilient(conn, rows, dead)
        except Exception as exc:  # connection lost, timeout, schema missing: spool, retry
            if self._conn is conn:
                self._conn = None
            conn.terminate()  # no goodbye: the socket may be dead
            self._failed(f"write failed: {exc!r}")
            if batch:
                await self._to_spool(batch)
            return False
        self.batches_total += 1
        self.written_total += new
        self.duplicate_total += len(rows) - len(extra) - new
        self.dead_lettered_total += len(dead) + len(extra)
        self._resolve(batch)
        return True

    async def _drain_chunk(self) -> None:
        bodies, offset = await asyncio.to_thread(self._spool.read, self._batch_max)
        if not bodies or self._conn is None:
            return
        items = await asyncio.to_thread(lambda: [decode_record(b) for b in bodies])
        if await self._commit(self._conn, items, []):
            await asyncio.to_thread(self._spool.commit_read, offset, len(bodies))
            self.drained_total += len(bodies)
            if not self._spool.pending:
                log.info("spool drained (%d events so far)", self.drained_total)

    # -- spool --------------------------------------------------------------------------

    async def _to_spool(self, batch: list[DomainEvent]) -> None:
        bodies = await asyncio.to_thread(lambda: [encode_record(e) for e in batch])
        try:
            ok = await asyncio.to_thread(self._spool.append, bodies)
        except OSError as exc:
            log.error("cannot write spool %s: %r", self._spool.path, exc)
            ok = False
        if ok:
            self.spooled_total += len(batch)
            self._resolve(batch)
            self._check_cap()
            return
        # spool full or broken: keep what fits back in memory (oldest first), drop the rest;
        # at shutdown there is nowhere left to keep them
        room = 0 if self._stopping else max(self._queue_max - len(self._queue), 0)
        keep, lost = batch[:room], batch[room:]
        self._queue.extendleft(reversed(keep))
        if lost:
            self._lose(lost)
        self._check_cap(force=True)
        if not self._stopping:
            await asyncio.sleep(0.2)

    def _spill(self, event: DomainEvent) -> None:
        try:
            ok = self._spool.append([encode_record(event)], sync=False)
        except OSError:
            ok = False
        if not ok:
            self._lose([event])
            return
        self.spooled_total += 1
        if event.event_id in self._acks:
            self._unsynced.append(event.event_id)
        self._has_data.set()  # wake the loop to fsync
        self._check_cap()

    async def _sync_spool(self) -> None:
        ids, self._unsynced = self._unsynced, []
        await asyncio.to_thread(self._spool.sync)
        self._acks.resolve(ids)  # futures belong to the loop: resolve here, not in the thread

    def _lose(self, events: list[DomainEvent],
              why: str = "memory queue and spool both full") -> None:
        self.dropped_total += len(events)
        log.error("event store: %s, DROPPED %d events (%d dropped in total)",
                  why, len(events), self.dropped_total)
        self._acks.resolve([e.event_id for e in events], StoreUnavailable("event dropped"))

    def _check_cap(self, *, force: bool = False) -> None:
        ratio = self._spool.size / max(self._spool.max_bytes, 1)
        if ratio < self._warn_ratio and not force:
            return
        self.spool_near_cap_total += 1
        now = time.monotonic()
        if now - self._last_warn >= 10.0:
            self._last_warn = now
            log.error("event spool %s at %.0f%% of its %d byte cap (%d events waiting)",
                      self._spool.path, ratio * 100, self._spool.max_bytes, self.backlog)

    def _resolve(self, batch: list[DomainEvent]) -> None:
        if self._acks:
            self._acks.resolve(e.event_id for e in batch)
