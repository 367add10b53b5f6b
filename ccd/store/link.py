"""The writer's one database connection: connect with timeouts, back off after failures."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from contextlib import suppress
from typing import Any

import asyncpg

from ccd.store import db

log = logging.getLogger(__name__)

# What an outage looks like; anything else escaping a write is a bug.
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
)


class Link:
    def __init__(
        self, dsn: str, *, connect_timeout: float, command_timeout: float, backoff_max: float
    ) -> None:
        self._dsn = dsn
        self._connect_timeout, self._command_timeout = connect_timeout, command_timeout
        self._backoff_max, self._backoff, self._next_try = backoff_max, 0.1, 0.0
        self.conn: Any = None  # asyncpg.Connection while up
        self.errors_total = 0

    @property
    def up(self) -> bool:
        return self.conn is not None and not self.conn.is_closed()

    async def ensure(self) -> None:
        """Connect unless connected or still backing off from the last failure."""
        if self.conn is not None and self.conn.is_closed():
            self.conn = None
        if self.conn is not None or time.monotonic() < self._next_try:
            return
        try:
            self.conn = await db.connect(
                self._dsn, timeout=self._connect_timeout, command_timeout=self._command_timeout
            )
        except Exception as exc:  # refused, timed out, auth, too many clients...
            self.failed(f"cannot connect: {exc!r}")
            return
        self._backoff = 0.1
        log.info("event store connected")

    def failed(self, what: str, conn: Any = None, exc: BaseException | None = None) -> None:
        """A connect or write failed: drop ``conn`` and wait before the next attempt.

        ``exc`` that is not a database or network error is a bug: logged with its traceback
        at every attempt, since the spool then grows until someone fixes it."""
        if conn is not None:
            if self.conn is conn:
                self.conn = None
            conn.terminate()  # no goodbye: the socket may be dead
        self.errors_total += 1
        # loud once per outage, quiet while retrying
        if exc is not None and not isinstance(exc, TRANSIENT):
            log.error("event store write failed unexpectedly, spooling: %s", what, exc_info=exc)
        else:
            level = logging.WARNING if self._backoff <= 0.1 else logging.DEBUG
            log.log(level, "event store unavailable, spooling: %s", what)
        self._next_try = time.monotonic() + self._backoff * random.uniform(0.5, 1.0)
        self._backoff = min(self._backoff * 2, self._backoff_max)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with suppress(Exception):
                await asyncio.wait_for(conn.close(), self._connect_timeout)
