"""The event writer's disk side: spool appends and fsyncs, parking memory at shutdown,
the size cap and its warnings, and the bookkeeping of what is stored. Mixed into
:class:`ccd.store.writer.EventWriter`, which owns the state declared here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from ccd.errors import CcdError
from ccd.events import DomainEvent
from ccd.store.acks import Acks
from ccd.store.spool import Spool
from ccd.store.validate import encode_record

log = logging.getLogger("ccd.store.writer")


class StoreUnavailable(CcdError):
    """The event could not be stored (writer stopped, spool full): the API answers 503."""

    error_id = "store.unavailable"
    status = 503


class SpoolSide:
    _spool: Spool
    _queue: deque[DomainEvent]
    _unsettled: dict[int, list[DomainEvent]]  # taken from the queue, not yet stored
    _queue_max: int
    _warn_ratio: float
    _last_warn: float
    _stopping: bool
    _closed: bool
    _acks: Acks
    _unsynced: list[str]  # ids written to the spool but not yet fsync'ed
    _has_data: asyncio.Event
    spooled_total: int
    dropped_total: int
    spool_near_cap_total: int

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
        self._unsettled.pop(id(batch), None)
        self._queue.extendleft(reversed(keep))
        if lost:
            self._lose(lost)
        self._check_cap(force=True)
        if not self._stopping:
            await asyncio.sleep(0.2)

    def _spill(self, events: list[DomainEvent]) -> None:
        """Append to the spool synchronously (write, no fsync: the loop fsyncs next)."""
        try:
            ok = self._spool.append([encode_record(e) for e in events], sync=False)
        except OSError:
            ok = False
        if not ok:
            self._lose(events)
            return
        self.spooled_total += len(events)
        self._unsynced.extend(e.event_id for e in events if e.event_id in self._acks)
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
                      self._spool.path, ratio * 100, self._spool.max_bytes,
                      len(self._queue) + self._spool.pending)

    def _park_in_spool(self) -> None:
        """Spool everything still in memory, queued or in flight (the loop is gone)."""
        self._closed = True
        events = [e for b in self._unsettled.values() for e in b] + list(self._queue)
        self._unsettled.clear()
        self._queue.clear()
        if events:
            self._spill(events)

    def _resolve(self, batch: list[DomainEvent]) -> None:
        """``batch`` is committed or on disk: no longer this process's to lose."""
        self._unsettled.pop(id(batch), None)
        if self._acks:
            self._acks.resolve(e.event_id for e in batch)
