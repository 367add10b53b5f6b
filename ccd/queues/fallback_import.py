"""Puts the calls Asterisk's native Queue() fallback handled while ccd was away on the record.

Asterisk writes every Queue() call to its queue_log file (``/var/log/asterisk/queue_log`` by
default: ``queue_log = yes`` in logger.conf, on unless turned off, and written to the file
unless a realtime backend takes it). ccd reads the file's new lines at start, after every
reconnect to Asterisk and then every ``interval`` seconds (a caller may still be in the
fallback queue when ccd comes back), and stores each finished call once: the events' ids are
derived from the call, so a second read or a restart stores nothing twice.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import structlog

from ccd import events as ev
from ccd.config import CcdConfig, normalise_number
from ccd.queues.core.fallback_log import QueueLogReader, agent_resolver, call_events

log = structlog.get_logger("ccd.fallback")

READ_CHUNK = 1 << 20


class FallbackImport:
    def __init__(self, cfg: CcdConfig, submit: Callable[[ev.DomainEvent], None],
                 clock: Callable[[], float] = time.time, interval: float = 30.0) -> None:
        self.path = cfg.asterisk_queue_log
        self.lookback_s = cfg.fallback_import_days * 86400
        self.submit = submit
        self.clock = clock
        self.interval = interval
        self.reader = QueueLogReader(
            [q.name for q in cfg.queues],
            agent_resolver((a.id, a.name, a.endpoint) for a in cfg.agents),
            lambda raw: normalise_number(raw, cfg))
        self.position: tuple[int, int] | None = None  # (inode, offset) read so far
        self.imported = 0  # calls handed to the store by this process
        self._missing_logged = False

    @property
    def enabled(self) -> bool:
        return self.path is not None

    async def scan_round(self) -> None:
        """One scan as a job of the daemon's timer (at start, on every resync and every
        ``interval`` seconds): a bad file never stops ccd, the next round tries again."""
        try:
            await self.scan()
        except Exception:
            log.exception("reading the queue_log failed", path=str(self.path))

    async def scan(self) -> int:
        """Store the fallback calls finished since the last scan; returns how many."""
        lines = await asyncio.to_thread(self._new_lines)
        if not lines:
            return 0
        calls = self.reader.feed(lines, since=self.clock() - self.lookback_s)
        for call in calls:
            for event in call_events(call):
                self.submit(event)
        if calls:
            self.imported += len(calls)
            log.info("fallback calls put on the record", calls=len(calls), path=str(self.path))
        return len(calls)

    def _new_lines(self) -> list[str]:
        if self.path is None:
            return []
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                inode, offset = self.position or (st.st_ino, 0)
                if inode != st.st_ino or st.st_size < offset:  # rotated or truncated: from the top
                    offset = 0
                f.seek(offset)
                data = f.read(st.st_size - offset)
        except FileNotFoundError:
            if not self._missing_logged:
                log.warning("no queue_log: calls of the Queue() fallback cannot be put on the record",
                            path=str(self.path))
                self._missing_logged = True
            return []
        complete = data.rfind(b"\n") + 1  # a line Asterisk is still writing waits for the next scan
        self.position = (st.st_ino, offset + complete)
        return data[:complete].decode("utf-8", "replace").splitlines()
